//===- ExpandKL.cpp - the gps-expand-kl pass ------------------------------===//
//
// Turns the objective's terms into per-site, per-step, per-example values
// computed inside the guide-led rollout.
//
//===----------------------------------------------------------------------===//

#include "gps/Dialect/GPS/GPSOps.h"
#include "gps/Dialect/GPS/GPSPasses.h"
#include "gps/Dialect/GPS/GPSSymbols.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "gps-expand-kl"

namespace gps {
#define GEN_PASS_DEF_EXPANDKLPASS
#include "gps/Dialect/GPS/GPSPasses.h.inc"
} // namespace gps

using namespace mlir;
using namespace gps;

namespace {

static bool isGaussian(Value dist) {
  return llvm::cast<DistType>(dist.getType()).getKind() != DistKind::bernoulli;
}

static bool isStdNormal(Value dist) {
  return llvm::cast<DistType>(dist.getType()).getKind() == DistKind::normal;
}

/// The sample site `op` (a replay or a sample) draws at.
static StringRef siteOf(Operation *op) {
  if (auto replay = llvm::dyn_cast<ReplayOp>(op))
    return replay.getSite();
  if (auto sample = llvm::dyn_cast<SampleOp>(op))
    return sample.getSite();
  return {};
}

class Expander {
public:
  Expander(RolloutOp rollout, ArrayRef<TermKind> terms, bool monteCarlo,
           bool perStepRecord = true)
      : rollout(rollout), terms(terms), monteCarlo(monteCarlo),
        perStepRecord(perStepRecord), b(rollout.getContext()) {
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

  /// Whether the closed form of KL(q || p) at `replay` is exact: the
  /// primary's distribution there must not depend on the guide's sample of
  /// the site itself, whether directly or through sites the guide samples
  /// later (see docs/design.md, "KL expansion").
  bool closedFormValid(ReplayOp replay);

  /// Builds `op`'s contribution to `kind` at the builder's insertion point,
  /// or returns null.
  FailureOr<Value> contribution(Operation *op, TermKind kind);
  /// Whether `op` contributes to `kind` (without building anything).
  bool contributes(Operation *op, TermKind kind);
  /// Adds the contributions of the ops of `block` to `running` (one value
  /// per term, null when nothing was added yet); with `siteSums`, also sums
  /// each site's kl(q||p) in it (the block's own share).
  LogicalResult accumulate(Block &block, SmallVectorImpl<Value> &running,
                           llvm::MapVector<StringRef, Value> *siteSums =
                               nullptr);

  RolloutOp rollout;
  ArrayRef<TermKind> terms;
  /// kl(q||p) by Monte Carlo even where a closed form exists.
  bool monteCarlo;
  /// Whether kl(q||p) is also returned per step.
  bool perStepRecord;
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
    return kind != TermKind::nll &&
           !(kind == TermKind::kl_p_normal && isStdNormal(replay.getPrimary())) &&
           !(kind == TermKind::kl_q_normal && isStdNormal(replay.getGuide()));
  if (auto sample = llvm::dyn_cast<SampleOp>(op))
    return kind == TermKind::kl_p_normal &&
           !guideSamples.contains(sample.getValue()) &&
           !isStdNormal(sample.getDist());
  return llvm::isa<ObserveOp>(op) && kind == TermKind::nll;
}

FailureOr<Value> Expander::contribution(Operation *op, TermKind kind) {
  if (!contributes(op, kind))
    return Value();
  Location loc = op->getLoc();
  if (auto replay = llvm::dyn_cast<ReplayOp>(op)) {
    Value q = replay.getGuide(), p = replay.getPrimary();
    switch (kind) {
    case TermKind::kl_qp:
      if (isGaussian(q) && isGaussian(p) && !monteCarlo &&
          !replay.getMonteCarlo() && closedFormValid(replay))
        return kl(loc, q, p);
    {
      // Monte Carlo at the guide's sample: log q(z) - log p(z), built in
      // this order whatever the C++ compiler's argument evaluation order.
      Value logQ = LogProbOp::create(b, loc, perExample(), q,
                                     replay.getValue(), Value());
      Value logP = LogProbOp::create(b, loc, perExample(), p,
                                     replay.getValue(), Value());
      return Value(SubOp::create(b, loc, logQ, logP));
    }
    case TermKind::kl_pq:
      if (replay.getMonteCarlo())
        return emitError(replay.getLoc())
               << "kl(p || q) needs a closed form at every site, but the "
                  "guide drew '"
               << replay.getSite()
               << "' given values the primary draws later (the guide runs "
                  "first); use kl(q || p) here";
      if (!isGaussian(q) || !isGaussian(p))
        return replay.emitOpError("kl(p || q) needs a closed form at every "
                                  "site; this site is not Gaussian");
      if (!closedFormValid(replay))
        return emitError(replay.getLoc())
               << "kl(p || q) needs a closed form at every site, but the "
                  "primary's distribution of '"
               << replay.getSite()
               << "' depends on the guide's sample of it (the guide samples "
                  "the sites in another order); use kl(q || p) here";
      return kl(loc, p, q);
    case TermKind::kl_p_normal:
      return kl(loc, p, stdNormal(loc, p));
    case TermKind::kl_q_normal:
      return kl(loc, q, stdNormal(loc, q));
    case TermKind::nll:
    case TermKind::objective:
      break;
    }
    llvm_unreachable("handled by contributes()");
  }
  if (auto sample = llvm::dyn_cast<SampleOp>(op))
    return kl(loc, sample.getDist(), stdNormal(loc, sample.getDist()));

  auto observe = llvm::cast<ObserveOp>(op);
  auto model = rollout->getParentOfType<ModelOp>();
  StringRef base = observe.getSite();
  bool missing = base.consume_back(kMissingSuffix);
  auto data = llvm::cast<DataOp>(SymbolTable::lookupSymbolIn(model, base));
  Value mask;
  if (missing) {
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

bool Expander::closedFormValid(ReplayOp replay) {
  Value site = replay.getValue();
  SmallVector<Value> work{replay.getPrimary()};
  llvm::DenseSet<Value> seen;
  while (!work.empty()) {
    Value v = work.pop_back_val();
    if (v == site)
      return false;
    if (!seen.insert(v).second)
      continue;
    if (auto arg = llvm::dyn_cast<BlockArgument>(v)) {
      // The state of a loop around the replay holds earlier steps' values,
      // drawn before this step's site; the rollout's arguments are data.
      auto loop = llvm::dyn_cast<ForOp>(arg.getOwner()->getParentOp());
      if (!loop || loop->isAncestor(replay) || arg.getArgNumber() == 0)
        continue;
      // Reached through a loop's results: its state depends on its inits
      // and on what every step yields.
      unsigned i = arg.getArgNumber() - 1;
      work.push_back(loop.getInits()[i]);
      work.push_back(loop.getBody().front().getTerminator()->getOperand(i));
      continue;
    }
    Operation *def = v.getDefiningOp();
    if (auto loop = llvm::dyn_cast<ForOp>(def)) {
      unsigned i = llvm::cast<OpResult>(v).getResultNumber();
      work.push_back(loop.getInits()[i]);
      work.push_back(loop.getBody().front().getTerminator()->getOperand(i));
      continue;
    }
    llvm::append_range(work, def->getOperands());
    // Conservatively, whatever an op's regions use.
    def->walk([&](Operation *nested) {
      if (nested != def)
        llvm::append_range(work, nested->getOperands());
    });
  }
  return true;
}

LogicalResult Expander::accumulate(Block &block,
                                   SmallVectorImpl<Value> &running,
                                   llvm::MapVector<StringRef, Value> *siteSums) {
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
      if (siteSums && kind == TermKind::kl_qp) {
        Value &sum = (*siteSums)[siteOf(&op)];
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
  // Per-step records: (site, tensor of its kl(q||p) at each step).
  SmallVector<std::pair<StringRef, Value>> stepTerms;

  // The step loop: its terms accumulate in new loop-carried values.
  ForOp loop;
  for (auto candidate : top.getOps<ForOp>())
    loop = candidate;
  if (loop) {
    SmallVector<unsigned> carried;
    for (unsigned k = 0; k < terms.size(); ++k)
      if (llvm::any_of(loop.getBody().front(), [&](Operation &op) {
            return contributes(&op, terms[k]);
          }))
        carried.push_back(k);
    // kl(q||p) of each site at each step, as batch means in one buffer per
    // site indexed by the step, for the trainer's per-step KL columns and
    // for naming the site and step where a value stops being finite.
    auto klqp = llvm::find(terms, TermKind::kl_qp);
    int64_t numSteps = 0;
    SmallVector<StringRef> sites;
    if (perStepRecord && klqp != terms.end() &&
        llvm::is_contained(carried, klqp - terms.begin())) {
      numSteps = loop.getUpper() - loop.getLower() + 1;
      for (Operation &op : loop.getBody().front())
        if (contributes(&op, TermKind::kl_qp) &&
            !llvm::is_contained(sites, siteOf(&op)))
          sites.push_back(siteOf(&op));
    }
    auto stepsType = RankedTensorType::get({numSteps}, b.getF32Type());
    if (!carried.empty()) {
      b.setInsertionPoint(loop);
      SmallVector<Value> inits(loop.getInits());
      for (unsigned i = 0; i < carried.size(); ++i)
        inits.push_back(zeros(loop.getLoc()));
      for (unsigned i = 0; i < sites.size(); ++i)
        inits.push_back(arith::ConstantOp::create(
            b, loop.getLoc(),
            DenseElementsAttr::get(stepsType, b.getF32FloatAttr(0.0f))));
      auto newLoop = ForOp::create(b, loop.getLoc(), ValueRange(inits).getTypes(),
                                   loop.getLowerAttr(), loop.getUpperAttr(),
                                   loop.getReverseAttr(), inits);
      newLoop.getBody().takeBody(loop.getBody());
      Block &body = newLoop.getBody().front();
      SmallVector<Value> running(n);
      for (unsigned k : carried)
        running[k] = body.addArgument(perExample(), loop.getLoc());
      SmallVector<Value> perSite;
      for (unsigned i = 0; i < sites.size(); ++i)
        perSite.push_back(body.addArgument(stepsType, loop.getLoc()));
      for (auto [i, r] : llvm::enumerate(loop.getResults()))
        r.replaceAllUsesWith(newLoop.getResult(i));
      loop.erase();
      loop = newLoop;
      Operation *yield = body.getTerminator();
      llvm::MapVector<StringRef, Value> siteSums;
      if (failed(accumulate(body, running, &siteSums)))
        return failure();
      SmallVector<Value> yielded;
      for (unsigned k : carried)
        yielded.push_back(running[k]);
      if (!sites.empty()) {
        // steps[t - lower] = mean(kl_t) of each site: one slot written per
        // step.
        Location loc = loop.getLoc();
        b.setInsertionPoint(yield);
        Value slot = arith::SubIOp::create(
            b, loc, body.getArgument(0),
            arith::ConstantIndexOp::create(b, loc, loop.getLower()));
        for (auto [site, record] : llvm::zip(sites, perSite)) {
          Value mean =
              MeanOp::create(b, loc, b.getF32Type(), siteSums.lookup(site));
          yielded.push_back(
              tensor::InsertOp::create(b, loc, mean, record, slot));
        }
      }
      yield->insertOperands(yield->getNumOperands(), yielded);
      unsigned first = loop.getNumResults() - carried.size() - sites.size();
      for (auto [i, k] : llvm::enumerate(carried))
        totals[k] = loop.getResult(first + i);
      for (auto [i, site] : llvm::enumerate(sites))
        stepTerms.push_back(
            {site, loop.getResult(first + carried.size() + i)});
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
    names.push_back(TermAttr::get(b.getContext(), kind));
  }
  for (auto [site, value] : stepTerms) {
    results.push_back(value);
    int64_t steps = llvm::cast<RankedTensorType>(value.getType()).getDimSize(0);
    names.push_back(TermAttr::get(b.getContext(), TermKind::kl_qp, site,
                                  loop.getLower(),
                                  loop.getLower() + steps - 1));
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
  // log w = -(nll + kl(q||p)) per example, with the Monte Carlo term at
  // every site: a copy expanded before the rollout itself is.
  RolloutOp weights;
  if (logWeights &&
      rollout.getBody().walk([](ObserveOp) { return WalkResult::interrupt(); })
          .wasInterrupted()) {
    OpBuilder b(rollout);
    b.setInsertionPointAfter(rollout);
    weights = llvm::cast<RolloutOp>(b.clone(*rollout));
    weights.setSymName(kLogWeightsRollout);
  }

  // The terms the objective uses, in order of first use.
  SmallVector<TermKind> terms;
  auto use = [&](TermKind kind) {
    if (!llvm::is_contained(terms, kind))
      terms.push_back(kind);
  };
  WalkResult walk = model.getBody().walk([&](Operation *op) {
    if (!llvm::isa<NllOp, KLOp, KLStdNormalOp>(op))
      return WalkResult::advance();
    if (std::optional<TermKind> kind = rollout.getTermOf(op)) {
      use(*kind);
      return WalkResult::advance();
    }
    op->emitOpError("relates policies other than the rollout's guide and "
                    "primary");
    return WalkResult::interrupt();
  });
  if (walk.wasInterrupted() || failed(Expander(rollout, terms, monteCarlo).run()))
    return signalPassFailure();
  TermKind logWeightTerms[] = {TermKind::nll, TermKind::kl_qp};
  if (weights && failed(Expander(weights, logWeightTerms, /*monteCarlo=*/true,
                                 /*perStepRecord=*/false)
                            .run()))
    return signalPassFailure();
  LLVM_DEBUG(llvm::dbgs() << "expanded " << terms.size() << " terms\n");
}
