//===- ExpandKL.cpp - the gps-expand-kl pass ------------------------------===//
//
// Turns the objective's terms into per-site, per-step, per-example values
// computed inside the guide-led rollout.
//
//===----------------------------------------------------------------------===//

#include "gps/Dialect/GPS/GPSOps.h"
#include "gps/Dialect/GPS/GPSPasses.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "gps-expand-kl"

namespace gps {
#define GEN_PASS_DEF_EXPANDKLPASS
#include "gps/Dialect/GPS/GPSPasses.h.inc"
} // namespace gps

using namespace mlir;
using namespace gps;

namespace {

enum class TermKind { NLL, KLQP, KLPQ, KLPNormal, KLQNormal };

static StringRef termName(TermKind kind) {
  switch (kind) {
  case TermKind::NLL:
    return "nll";
  case TermKind::KLQP:
    return "kl(q||p)";
  case TermKind::KLPQ:
    return "kl(p||q)";
  case TermKind::KLPNormal:
    return "kl(p||normal)";
  case TermKind::KLQNormal:
    return "kl(q||normal)";
  }
  llvm_unreachable("unknown term");
}

static bool isGaussian(Value dist) {
  return llvm::cast<DistType>(dist.getType()).getKind() != DistKind::bernoulli;
}

static bool isStdNormal(Value dist) {
  return llvm::cast<DistType>(dist.getType()).getKind() == DistKind::normal;
}

class Expander {
public:
  Expander(RolloutOp rollout, ArrayRef<TermKind> terms, bool monteCarlo)
      : rollout(rollout), terms(terms), monteCarlo(monteCarlo),
        b(rollout.getContext()) {
    rollout.getBody().walk(
        [&](ReplayOp replay) { guideSamples.insert(replay.getValue()); });
  }

  LogicalResult run();

private:
  RankedTensorType perExample() {
    return getBatchTensorType(b.getContext(), 1);
  }
  Value zeros(Location loc) {
    return ZerosOp::create(b, loc, perExample());
  }
  Value kl(Location loc, Value from, Value to) {
    return KLDivOp::create(b, loc, perExample(), from, to);
  }
  Value stdNormal(Location loc, Value like) {
    auto type = llvm::cast<DistType>(like.getType());
    return StdNormalOp::create(
        b, loc, DistType::get(b.getContext(), DistKind::normal, type.getSize()));
  }
  /// The rollout argument holding the data view `name`, added when the
  /// rollout does not read it yet.
  Value readView(StringRef name, Type type);

  /// Builds `op`'s contribution to `kind` at the builder's insertion point,
  /// or returns null.
  FailureOr<Value> contribution(Operation *op, TermKind kind);
  /// Whether `op` contributes to `kind` (without building anything).
  bool contributes(Operation *op, TermKind kind);
  /// Adds the contributions of the ops of `block` to `running` (one value
  /// per term, null when nothing was added yet).
  /// Adds the contributions of the ops of `block` to `running`; with
  /// `stepSums`, also sums them per term in it (the block's own share).
  LogicalResult accumulate(Block &block, SmallVectorImpl<Value> &running,
                           SmallVectorImpl<Value> *stepSums = nullptr);

  RolloutOp rollout;
  ArrayRef<TermKind> terms;
  /// kl(q||p) by Monte Carlo even where a closed form exists.
  bool monteCarlo;
  OpBuilder b;
  llvm::DenseSet<Value> guideSamples;
};

} // namespace

Value Expander::readView(StringRef name, Type type) {
  Block &entry = rollout.getBody().front();
  for (auto [view, arg] : llvm::zip(
           rollout.getReads().getAsValueRange<StringAttr>(),
           entry.getArguments()))
    if (view == name)
      return arg;
  SmallVector<Attribute> reads(rollout.getReads().getValue());
  reads.push_back(b.getStringAttr(name));
  rollout.setReadsAttr(b.getArrayAttr(reads));
  return entry.addArgument(type, rollout.getLoc());
}

bool Expander::contributes(Operation *op, TermKind kind) {
  if (auto replay = llvm::dyn_cast<ReplayOp>(op))
    return kind != TermKind::NLL &&
           !(kind == TermKind::KLPNormal && isStdNormal(replay.getPrimary())) &&
           !(kind == TermKind::KLQNormal && isStdNormal(replay.getGuide()));
  if (auto sample = llvm::dyn_cast<SampleOp>(op))
    return kind == TermKind::KLPNormal &&
           !guideSamples.contains(sample.getValue()) &&
           !isStdNormal(sample.getDist());
  return llvm::isa<ObserveOp>(op) && kind == TermKind::NLL;
}

FailureOr<Value> Expander::contribution(Operation *op, TermKind kind) {
  if (!contributes(op, kind))
    return Value();
  Location loc = op->getLoc();
  if (auto replay = llvm::dyn_cast<ReplayOp>(op)) {
    Value q = replay.getGuide(), p = replay.getPrimary();
    switch (kind) {
    case TermKind::KLQP:
      if (isGaussian(q) && isGaussian(p) && !monteCarlo)
        return kl(loc, q, p);
      // Monte Carlo at the guide's sample: log q(z) - log p(z).
      return Value(SubOp::create(
          b, loc,
          LogProbOp::create(b, loc, perExample(), q, replay.getValue(),
                            Value()),
          LogProbOp::create(b, loc, perExample(), p, replay.getValue(),
                            Value())));
    case TermKind::KLPQ:
      if (!isGaussian(q) || !isGaussian(p))
        return replay.emitOpError("kl(p || q) needs a closed form at every "
                                  "site; this site is not Gaussian");
      return kl(loc, p, q);
    case TermKind::KLPNormal:
      return kl(loc, p, stdNormal(loc, p));
    case TermKind::KLQNormal:
      return kl(loc, q, stdNormal(loc, q));
    case TermKind::NLL:
      break;
    }
    llvm_unreachable("handled by contributes()");
  }
  if (auto sample = llvm::dyn_cast<SampleOp>(op))
    return kl(loc, sample.getDist(), stdNormal(loc, sample.getDist()));

  auto observe = llvm::cast<ObserveOp>(op);
  auto model = rollout->getParentOfType<ModelOp>();
  auto [base, suffix] = observe.getSite().split('.');
  auto data = llvm::cast<DataOp>(SymbolTable::lookupSymbolIn(model, base));
  Value mask;
  if (suffix == "missing") {
    MaskOp maskOp;
    for (auto m : model.getBody().getOps<MaskOp>())
      if (m.getData() == base)
        maskOp = m;
    mask = readView(maskOp.getSymName(), data.getType());
  }
  Value x = readView(base, data.getType());
  Value lp = LogProbOp::create(b, loc, perExample(), observe.getDist(), x,
                               mask);
  return Value(SubOp::create(b, loc, zeros(loc), lp));
}

LogicalResult Expander::accumulate(Block &block,
                                   SmallVectorImpl<Value> &running,
                                   SmallVectorImpl<Value> *stepSums) {
  for (Operation &op : llvm::make_early_inc_range(block)) {
    b.setInsertionPointAfter(&op);
    for (auto [k, kind] : llvm::enumerate(terms)) {
      FailureOr<Value> c = contribution(&op, kind);
      if (failed(c))
        return failure();
      if (!*c)
        continue;
      running[k] = running[k]
                       ? Value(AddOp::create(b, op.getLoc(), running[k], *c))
                       : *c;
      if (stepSums && kind == TermKind::KLQP) {
        Value &sum = (*stepSums)[k];
        sum = sum ? Value(AddOp::create(b, op.getLoc(), sum, *c)) : *c;
      }
    }
  }
  return success();
}

LogicalResult Expander::run() {
  Block &top = rollout.getBody().front();
  unsigned n = terms.size();
  SmallVector<Value> totals(n);
  SmallVector<Value> stepTerms;

  // The step loop: its terms accumulate in new loop-carried values.
  ForOp loop;
  for (auto candidate : top.getOps<ForOp>())
    loop = candidate;
  if (loop) {
    SmallVector<unsigned> carried;
    for (auto [k, kind] : llvm::enumerate(terms))
      if (llvm::any_of(loop.getBody().front(), [&](Operation &op) {
            return contributes(&op, kind);
          }))
        carried.push_back(k);
    // kl(q||p) of each step, for the trainer's per-step KL columns and for
    // naming the step where a value stops being finite.
    auto klqp = llvm::find(terms, TermKind::KLQP);
    int64_t numSteps = 0;
    if (klqp != terms.end() && llvm::is_contained(carried, klqp - terms.begin()))
      numSteps = loop.getUpper() - loop.getLower() + 1;
    if (!carried.empty()) {
      b.setInsertionPoint(loop);
      SmallVector<Value> inits(loop.getInits());
      for (unsigned i = 0; i < carried.size() + numSteps; ++i)
        inits.push_back(zeros(loop.getLoc()));
      auto newLoop = ForOp::create(b, loop.getLoc(), ValueRange(inits).getTypes(),
                                   loop.getLowerAttr(), loop.getUpperAttr(),
                                   loop.getReverseAttr(), inits);
      newLoop.getBody().takeBody(loop.getBody());
      Block &body = newLoop.getBody().front();
      SmallVector<Value> running(n);
      for (unsigned k : carried)
        running[k] = body.addArgument(perExample(), loop.getLoc());
      SmallVector<Value> perStep;
      for (int64_t i = 0; i < numSteps; ++i)
        perStep.push_back(body.addArgument(perExample(), loop.getLoc()));
      for (auto [i, r] : llvm::enumerate(loop.getResults()))
        r.replaceAllUsesWith(newLoop.getResult(i));
      loop.erase();
      loop = newLoop;
      Operation *yield = body.getTerminator();
      SmallVector<Value> stepSums(n);
      if (failed(accumulate(body, running, &stepSums)))
        return failure();
      SmallVector<Value> yielded;
      for (unsigned k : carried)
        yielded.push_back(running[k]);
      if (numSteps) {
        // acc[i] += kl_t * (t == lower + i).
        Location loc = loop.getLoc();
        b.setInsertionPoint(yield);
        Value t = body.getArgument(0);
        Value step = stepSums[klqp - terms.begin()];
        for (int64_t i = 0; i < numSteps; ++i) {
          Value at = arith::ConstantIndexOp::create(b, loc, loop.getLower() + i);
          Value is = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, t,
                                           at);
          Value weight = arith::UIToFPOp::create(b, loc, b.getF32Type(), is);
          Value masked =
              MulOp::create(b, loc, step, SplatOp::create(b, loc, perExample(),
                                                          weight));
          yielded.push_back(AddOp::create(b, loc, perStep[i], masked));
        }
      }
      yield->insertOperands(yield->getNumOperands(), yielded);
      unsigned first = loop.getNumResults() - carried.size() - numSteps;
      for (auto [i, k] : llvm::enumerate(carried))
        totals[k] = loop.getResult(first + i);
      for (int64_t i = 0; i < numSteps; ++i)
        stepTerms.push_back(loop.getResult(first + carried.size() + i));
    }
  }

  // Terms of the ops outside the loop, in program order; the loop's totals
  // join where the loop stands.
  SmallVector<Value> running(n);
  for (Operation &op : llvm::make_early_inc_range(top.without_terminator())) {
    if (&op == loop.getOperation()) {
      b.setInsertionPointAfter(loop);
      for (unsigned k = 0; k < n; ++k)
        if (totals[k])
          running[k] = running[k] ? Value(AddOp::create(b, loop.getLoc(),
                                                        running[k], totals[k]))
                                  : totals[k];
      continue;
    }
    b.setInsertionPointAfter(&op);
    for (auto [k, kind] : llvm::enumerate(terms)) {
      FailureOr<Value> c = contribution(&op, kind);
      if (failed(c))
        return failure();
      if (*c)
        running[k] = running[k]
                         ? Value(AddOp::create(b, op.getLoc(), running[k], *c))
                         : *c;
    }
  }

  Operation *ret = top.getTerminator();
  b.setInsertionPoint(ret);
  SmallVector<Value> results;
  SmallVector<Attribute> names;
  for (auto [k, kind] : llvm::enumerate(terms)) {
    results.push_back(running[k] ? running[k] : zeros(rollout.getLoc()));
    names.push_back(b.getStringAttr(termName(kind)));
  }
  for (auto [i, value] : llvm::enumerate(stepTerms)) {
    results.push_back(value);
    names.push_back(b.getStringAttr(
        (termName(TermKind::KLQP) + "[" + Twine(loop.getLower() + i) + "]")
            .str()));
  }
  ReturnOp::create(b, ret->getLoc(), results);
  ret->erase();
  rollout.setTermsAttr(b.getArrayAttr(names));

  // The replays and observations are now terms.
  rollout.getBody().walk([](Operation *op) {
    if (llvm::isa<ReplayOp, ObserveOp>(op))
      op->erase();
  });
  return success();
}

namespace {
struct ExpandKLPass : public gps::impl::ExpandKLPassBase<ExpandKLPass> {
  using ExpandKLPassBase::ExpandKLPassBase;
  void runOnOperation() override;
};
} // namespace

void ExpandKLPass::runOnOperation() {
  ModelOp model = getOperation();
  auto rollouts = model.getBody().getOps<RolloutOp>();
  if (rollouts.empty()) {
    model.emitOpError("has no gps.rollout to expand; run gps-pair-policies "
                      "first");
    return signalPassFailure();
  }
  RolloutOp rollout = *rollouts.begin();
  if (rollout.getTerms())
    return;

  // The terms the objective uses, in order of first use.
  SmallVector<TermKind> terms;
  auto use = [&](TermKind kind) {
    if (!llvm::is_contained(terms, kind))
      terms.push_back(kind);
  };
  StringRef guide = rollout.getGuide(), primary = rollout.getPrimary();
  WalkResult walk = model.getBody().walk([&](Operation *op) {
    if (llvm::isa<NllOp>(op)) {
      use(TermKind::NLL);
    } else if (auto klOp = llvm::dyn_cast<KLOp>(op)) {
      if (klOp.getFrom() == guide && klOp.getTo() == primary)
        use(TermKind::KLQP);
      else if (klOp.getFrom() == primary && klOp.getTo() == guide)
        use(TermKind::KLPQ);
      else {
        klOp.emitOpError("relates policies other than the rollout's guide "
                         "and primary");
        return WalkResult::interrupt();
      }
    } else if (auto reg = llvm::dyn_cast<KLStdNormalOp>(op)) {
      use(reg.getPolicy() == primary ? TermKind::KLPNormal
                                     : TermKind::KLQNormal);
    }
    return WalkResult::advance();
  });
  if (walk.wasInterrupted() || failed(Expander(rollout, terms, monteCarlo).run()))
    return signalPassFailure();
  LLVM_DEBUG(llvm::dbgs() << "expanded " << terms.size() << " terms\n");
}
