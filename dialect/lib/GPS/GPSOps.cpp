//===- GPSOps.cpp - gps dialect operations --------------------------------===//
//
// Verifiers and helpers of the gps dialect's operations.
//
//===----------------------------------------------------------------------===//

#include "gps/Dialect/GPS/GPSOps.h"

#include "mlir/Interfaces/FunctionInterfaces.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/BitVector.h"
#include <cmath>
#include <cstdio>
#include "llvm/ADT/DenseSet.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace gps;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// `v` in the shortest of fixed or exponent notation ("3", "0.5", "1e+30").
static std::string formatNumber(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

/// The data view named `view` ("x", "x.known" or "x.missing"): its data
/// symbol and suffix.
static std::pair<StringRef, StringRef> splitView(StringRef view) {
  auto [base, suffix] = view.split('.');
  return {base, suffix};
}

/// True when some mask of `model` is declared on the data `data`.
static bool hasMaskOn(ModelOp model, StringRef data) {
  for (auto mask : model.getBody().getOps<MaskOp>())
    if (mask.getData() == data)
      return true;
  return false;
}

/// Checks that `view` names a data input, a view of a masked data input, or
/// a mask of `model`. `what` describes the use in the message.
static LogicalResult verifyDataView(Operation *op, ModelOp model,
                                    StringRef view, StringRef what,
                                    bool allowMask) {
  auto [base, suffix] = splitView(view);
  Operation *sym = SymbolTable::lookupSymbolIn(model, base);
  if (allowMask && suffix.empty() && llvm::isa_and_nonnull<MaskOp>(sym))
    return success();
  if (!llvm::isa_and_nonnull<DataOp>(sym))
    return op->emitOpError() << what << " '" << view
                             << "' does not name a data input"
                             << (allowMask ? " or a mask" : "");
  if (suffix.empty())
    return success();
  if (suffix != "known" && suffix != "missing")
    return op->emitOpError() << what << " '" << view << "' has unknown view '"
                             << suffix << "' (expected 'known' or 'missing')";
  if (!hasMaskOn(model, base))
    return op->emitOpError() << what << " '" << view << "' needs a mask on '"
                             << base << "'";
  return success();
}

/// The number of elements of the data input or mask `name` (a mask has the
/// size of its data). The caller has checked that `name` is one of them.
static int64_t viewSize(ModelOp model, StringRef name) {
  Operation *sym = SymbolTable::lookupSymbolIn(model, name);
  if (auto mask = llvm::dyn_cast<MaskOp>(sym))
    sym = SymbolTable::lookupSymbolIn(model, mask.getDataAttr());
  auto data = llvm::dyn_cast_or_null<DataOp>(sym);
  return data ? data.getSize() : -1;
}

//===----------------------------------------------------------------------===//
// ModelOp
//===----------------------------------------------------------------------===//

LogicalResult ModelOp::verifyRegions() {
  if (static_cast<int64_t>(getSteps()) < 0)
    return emitOpError() << "steps must be non-negative, got "
                         << static_cast<int64_t>(getSteps());
  unsigned primaries = 0, guides = 0, imputes = 0, objectives = 0;
  for (Operation &op : getBody().front()) {
    if (auto policy = llvm::dyn_cast<PolicyOp>(op)) {
      (policy.getRole() == Role::primary  ? primaries
       : policy.getRole() == Role::impute ? imputes
                                          : guides)++;
      continue;
    }
    if (llvm::isa<ObjectiveOp>(op)) {
      ++objectives;
      continue;
    }
    if (!llvm::isa<DataOp, MaskOp, ParamOp, NetOp, RolloutOp>(op))
      return op.emitOpError() << "is not allowed at the top level of a model";
  }
  if (primaries != 1)
    return emitOpError() << "needs exactly one primary policy, found "
                         << primaries;
  if (guides > 1)
    return emitOpError() << "has " << guides
                         << " guide policies; at most one is allowed";
  if (imputes > 1)
    return emitOpError() << "has " << imputes
                         << " impute policies; at most one is allowed";
  if (objectives != 1)
    return emitOpError() << "needs exactly one objective, found "
                         << objectives;
  return success();
}

PolicyOp ModelOp::getPrimary() {
  for (auto policy : getBody().getOps<PolicyOp>())
    if (policy.getRole() == Role::primary)
      return policy;
  return {};
}

PolicyOp ModelOp::getGuide() {
  for (auto policy : getBody().getOps<PolicyOp>())
    if (policy.getRole() == Role::guide)
      return policy;
  return {};
}

PolicyOp ModelOp::getImpute() {
  for (auto policy : getBody().getOps<PolicyOp>())
    if (policy.getRole() == Role::impute)
      return policy;
  return {};
}

//===----------------------------------------------------------------------===//
// DataOp, MaskOp, ParamOp
//===----------------------------------------------------------------------===//

LogicalResult DataOp::verify() {
  if (getLo().has_value() != getHi().has_value())
    return emitOpError("needs both bounds of its range or neither");
  if (!getLo())
    return success();
  double lo = getLo()->convertToDouble(), hi = getHi()->convertToDouble();
  if (!(lo < hi))
    return emitOpError() << "has an empty range [" << lo << ", " << hi << "]";
  if (getKind() == DataKind::bits && (lo != 0.0 || hi != 1.0))
    return emitOpError("of kind 'bits' takes values in [0, 1] only");
  return success();
}

int64_t DataOp::getSize() { return getFeatureSize(getType()); }

LogicalResult MaskOp::verify() {
  double amount = getAmount().convertToDouble();
  if (getKind() == MaskKind::mcar) {
    if (!(amount >= 0.0 && amount < 1.0))
      return emitOpError() << "mcar drop probability must lie in [0, 1), got "
                           << amount;
    if (getImage())
      return emitOpError("mcar takes no image shape");
    return success();
  }
  if (!getImage())
    return emitOpError("mar needs an image shape");
  ArrayRef<int64_t> image = *getImage();
  if (image.size() != 2 || image[0] <= 0 || image[1] <= 0)
    return emitOpError("mar image shape must be two positive sizes");
  if (amount > static_cast<double>(std::min(image[0], image[1])))
    return emitOpError() << "mar square of side " << formatNumber(amount)
                         << " does not fit in a " << image[0] << "x"
                         << image[1] << " image";
  if (amount < 1.0 || amount != std::floor(amount))
    return emitOpError() << "mar square side must be a positive integer, got "
                         << amount;
  return success();
}

LogicalResult MaskOp::verifySymbolUses(SymbolTableCollection &symbols) {
  auto data = symbols.lookupNearestSymbolFrom<DataOp>(*this, getDataAttr());
  if (!data)
    return emitOpError() << "refers to '" << getData()
                         << "', which is not a data input";
  if (auto image = getImage()) {
    int64_t pixels = (*image)[0] * (*image)[1];
    if (pixels != data.getSize())
      return emitOpError() << "image " << (*image)[0] << "x" << (*image)[1]
                           << " has " << pixels << " pixels but data '"
                           << data.getSymName() << "' has "
                           << data.getSize() << " elements";
  }
  return success();
}

LogicalResult ParamOp::verify() {
  if (getInit() == InitKind::glorot &&
      llvm::cast<RankedTensorType>(getType()).getRank() != 2)
    return emitOpError("glorot initialisation needs a matrix");
  return success();
}

//===----------------------------------------------------------------------===//
// NetOp, CallOp, ReadParamOp
//===----------------------------------------------------------------------===//

/// Checks that `block` ends in a gps.return whose operand types are `types`.
static LogicalResult verifyReturnTypes(Operation *op, Block &block,
                                       TypeRange types, StringRef what) {
  auto ret = llvm::dyn_cast<ReturnOp>(block.getTerminator());
  if (!ret)
    return op->emitOpError() << "body must end in gps.return";
  if (ret.getValues().getTypes() != types)
    return ret.emitOpError() << "returns " << ret.getValues().size()
                             << " value(s) whose types do not match the "
                             << what;
  return success();
}

LogicalResult NetOp::verifyRegions() {
  FunctionType type = getFunctionType();
  Block &entry = getBody().front();
  if (entry.getArgumentTypes() != type.getInputs())
    return emitOpError("entry block arguments do not match the inputs of "
                       "the function type");
  // Nets are pure functions of their inputs and parameters (gps.call is
  // Pure): no sampling, observing, loops or calls inside.
  WalkResult impure = getBody().walk([&](Operation *op) {
    if (llvm::isa<SampleOp, ObserveOp, ForOp, CallOp>(op)) {
      op->emitOpError("is not allowed in a net; nets compute only math");
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (impure.wasInterrupted())
    return failure();
  for (Type input : type.getInputs())
    if (!isBatchTensor(input))
      return emitOpError() << "input " << input << " is not a batched tensor";
  for (Type result : type.getResults())
    if (!isBatchTensor(result) && !llvm::isa<DistType>(result))
      return emitOpError() << "result " << result
                           << " is neither a batched tensor nor a "
                              "distribution";
  return verifyReturnTypes(*this, entry, type.getResults(),
                           "net's result types");
}

LogicalResult CallOp::verifySymbolUses(SymbolTableCollection &symbols) {
  auto net = symbols.lookupNearestSymbolFrom<NetOp>(*this, getCalleeAttr());
  if (!net)
    return emitOpError() << "'" << getCallee() << "' does not name a net";
  FunctionType type = net.getFunctionType();
  if (getArgs().getTypes() != type.getInputs() ||
      getResults().getTypes() != type.getResults())
    return emitOpError() << "type does not match net '" << getCallee()
                         << "' of type " << type;
  return success();
}

LogicalResult ReadParamOp::verifySymbolUses(SymbolTableCollection &symbols) {
  auto param = symbols.lookupNearestSymbolFrom<ParamOp>(*this, getParamAttr());
  if (!param)
    return emitOpError() << "'" << getParam() << "' does not name a parameter";
  if (param.getType() != getType())
    return emitOpError() << "result type " << getType()
                         << " does not match parameter type "
                         << param.getType();
  return success();
}

//===----------------------------------------------------------------------===//
// PolicyOp, SampleOp, ObserveOp
//===----------------------------------------------------------------------===//

LogicalResult PolicyOp::verifyRegions() {
  Block &entry = getBody().front();
  ArrayAttr reads = getReads();
  if (entry.getNumArguments() != reads.size())
    return emitOpError() << "reads " << reads.size() << " input(s) but its "
                         << "body has " << entry.getNumArguments()
                         << " argument(s)";
  auto model = (*this)->getParentOfType<ModelOp>();
  llvm::StringSet<> seen;
  for (auto [name, arg] : llvm::zip(reads.getAsValueRange<StringAttr>(),
                                    entry.getArguments())) {
    if (!isBatchTensor(arg.getType()))
      return emitOpError() << "input '" << name << "' is not a batched tensor";
    if (failed(verifyDataView(*this, model, name, "input", true)))
      return failure();
    auto [base, suffix] = splitView(name);
    if (!seen.insert(name).second)
      return emitOpError() << "reads '" << name << "' twice";
    int64_t size = viewSize(model, base);
    if (getFeatureSize(arg.getType()) != size)
      return emitOpError() << "input '" << name << "' has "
                           << getFeatureSize(arg.getType())
                           << " features but '" << base << "' has " << size;
    if (getRole() != Role::guide &&
        llvm::isa<DataOp>(SymbolTable::lookupSymbolIn(model, base)) &&
        suffix != "known")
      return emitOpError() << stringifyRole(getRole())
                           << " policy reads guide-only data '" << name
                           << "'";
  }
  if (!entry.empty() && llvm::cast<ReturnOp>(entry.getTerminator())
                            .getValues()
                            .size() != 0)
    return emitOpError("body must return no values");
  return success();
}

/// Checks that a site's `step`, when present, is the step of the gps.for
/// that immediately encloses `op`.
static LogicalResult verifyStep(Operation *op, Value step) {
  if (!step)
    return success();
  auto loop = llvm::dyn_cast<ForOp>(op->getParentOp());
  if (!loop || step != loop.getBody().front().getArgument(0))
    return op->emitOpError("step must be the step of the enclosing gps.for");
  return success();
}

/// The policy enclosing `op`.
static PolicyOp getEnclosingPolicy(Operation *op) {
  return op->getParentOfType<PolicyOp>();
}

LogicalResult RolloutOp::verifyRegions() {
  Block &entry = getBody().front();
  if (entry.getNumArguments() != getReads().size())
    return emitOpError() << "reads " << getReads().size()
                         << " input(s) but its body has "
                         << entry.getNumArguments() << " argument(s)";
  auto model = (*this)->getParentOfType<ModelOp>();
  for (auto [name, arg] : llvm::zip(getReads().getAsValueRange<StringAttr>(),
                                    entry.getArguments())) {
    if (!isBatchTensor(arg.getType()))
      return emitOpError() << "input '" << name << "' is not a batched tensor";
    if (failed(verifyDataView(*this, model, name, "input", true)))
      return failure();
  }
  auto guide = llvm::dyn_cast_or_null<PolicyOp>(
      SymbolTable::lookupSymbolIn(model, getGuideAttr()));
  auto primary = llvm::dyn_cast_or_null<PolicyOp>(
      SymbolTable::lookupSymbolIn(model, getPrimaryAttr()));
  if (ArrayAttr terms = getTermsAttr()) {
    auto ret = llvm::cast<ReturnOp>(entry.getTerminator());
    if (ret.getValues().size() != terms.size())
      return emitOpError() << "names " << terms.size() << " term(s) but "
                           << "returns " << ret.getValues().size();
    for (auto [attr, v] : llvm::zip(terms, ret.getValues())) {
      auto term = llvm::cast<TermAttr>(attr);
      if (term.isPerStep()) {
        auto type = llvm::dyn_cast<RankedTensorType>(v.getType());
        if (!type || type.getRank() != 1 || !type.getElementType().isF32() ||
            type.getDimSize(0) != term.getNumSteps())
          return emitOpError() << "per-step term " << term << " must be a "
                               << "tensor<" << term.getNumSteps()
                               << "xf32> of batch means";
        continue;
      }
      if (!isBatchTensor(v.getType()) || getFeatureSize(v.getType()) != 1)
        return emitOpError("terms must be per-example values tensor<?x1xf32>");
    }
  }
  if (!guide || guide.getRole() != Role::guide)
    return emitOpError() << "'" << getGuide() << "' is not a guide policy";
  if (!primary || primary.getRole() != Role::primary)
    return emitOpError() << "'" << getPrimary()
                         << "' is not a primary policy";
  return success();
}

std::optional<TermKind> RolloutOp::getTermOf(Operation *termOp) {
  if (llvm::isa<NllOp>(termOp))
    return TermKind::nll;
  if (auto kl = llvm::dyn_cast<KLOp>(termOp)) {
    if (kl.getFrom() == getGuide() && kl.getTo() == getPrimary())
      return TermKind::kl_qp;
    if (kl.getFrom() == getPrimary() && kl.getTo() == getGuide())
      return TermKind::kl_pq;
    return std::nullopt;
  }
  if (auto reg = llvm::dyn_cast<KLStdNormalOp>(termOp)) {
    if (reg.getPolicy() == getPrimary())
      return TermKind::kl_p_normal;
    if (reg.getPolicy() == getGuide())
      return TermKind::kl_q_normal;
  }
  return std::nullopt;
}

LogicalResult ReplayOp::verify() {
  if (!(*this)->getParentOfType<RolloutOp>())
    return emitOpError("must be inside a gps.rollout");
  if (failed(verifyStep(*this, getStep())))
    return failure();
  auto guide = llvm::cast<DistType>(getGuide().getType());
  auto primary = llvm::cast<DistType>(getPrimary().getType());
  int64_t n = getFeatureSize(getValue().getType());
  if (guide.getSize() != n || primary.getSize() != n)
    return emitOpError() << "value has " << n << " features but the guide's "
                         << "distribution has " << guide.getSize()
                         << " and the primary's " << primary.getSize();
  return success();
}

LogicalResult SampleOp::verify() {
  // A loss function (gps-build-loss) holds the rollout's sites until
  // gps-decompose reparameterises them.
  if (!getEnclosingPolicy(*this) && !(*this)->getParentOfType<RolloutOp>() &&
      !(*this)->getParentOfType<mlir::FunctionOpInterface>())
    return emitOpError("must be inside a gps.policy or a gps.rollout");
  auto dist = llvm::cast<DistType>(getDist().getType());
  if (dist.getKind() == DistKind::bernoulli)
    return emitOpError("latent sites must be continuous; observe Bernoulli "
                       "data with gps.observe");
  if (getFeatureSize(getValue().getType()) != dist.getSize())
    return emitOpError() << "value has " << getFeatureSize(getValue().getType())
                         << " features but the distribution has "
                         << dist.getSize();
  if (getSite().empty())
    return emitOpError("site name must not be empty");
  return verifyStep(*this, getStep());
}

LogicalResult ObserveOp::verify() {
  PolicyOp policy = getEnclosingPolicy(*this);
  if (!policy && !(*this)->getParentOfType<RolloutOp>())
    return emitOpError("must be inside a gps.policy or a gps.rollout");
  if (policy && policy.getRole() == Role::guide)
    return emitOpError("only the primary and an impute policy observe data");
  auto model = (*this)->getParentOfType<ModelOp>();
  if (failed(verifyDataView(*this, model, getSite(), "site", false)))
    return failure();
  auto [base, suffix] = splitView(getSite());
  if (policy && policy.getRole() == Role::impute && suffix != "missing")
    return emitOpError() << "an impute policy observes the missing part, not '"
                         << getSite() << "'";
  if (suffix == "known")
    return emitOpError() << "cannot observe '" << getSite()
                         << "': the known part is an input, not an outcome";
  auto data = llvm::cast<DataOp>(SymbolTable::lookupSymbolIn(model, base));
  auto dist = llvm::cast<DistType>(getDist().getType());
  if (dist.getSize() != data.getSize())
    return emitOpError() << "distribution over " << dist.getSize()
                         << " elements cannot score data '" << base
                         << "' of " << data.getSize() << " elements";
  if (dist.getKind() == DistKind::normal)
    return emitOpError("observed data needs a parameterised distribution");
  return success();
}

//===----------------------------------------------------------------------===//
// ForOp
//===----------------------------------------------------------------------===//

LogicalResult ForOp::verifyRegions() {
  // The bounds are signless 64-bit integers: read them as signed.
  auto lower = static_cast<int64_t>(getLower());
  auto upper = static_cast<int64_t>(getUpper());
  if (lower < 0 || lower > upper)
    return emitOpError() << "has an empty or negative step range " << lower
                         << " to " << upper;
  Block &body = getBody().front();
  if (body.getNumArguments() != getInits().size() + 1 ||
      !body.getArgument(0).getType().isIndex())
    return emitOpError("body must take the step (index) and one argument per "
                       "loop-carried value");
  if (TypeRange(body.getArgumentTypes()).drop_front() !=
      getInits().getTypes())
    return emitOpError("body arguments do not match the types of iter_args");
  if (getResults().getTypes() != getInits().getTypes())
    return emitOpError("result types do not match the types of iter_args");
  auto yield = llvm::dyn_cast<YieldOp>(body.getTerminator());
  if (!yield)
    return emitOpError("body must end in gps.yield");
  if (yield.getValues().getTypes() != getResults().getTypes())
    return yield.emitOpError("operand types do not match the loop's results");
  return success();
}

namespace {

/// Decides whether two values of a loop body are the same function of the
/// loop state, under a hypothesis that maps each loop-state argument to the
/// representative of its class. Only pure operations compare equal to other
/// operations. The body is a single block in SSA form, so the only cycles go
/// through the loop state, which the hypothesis covers.
class LoopStateEquivalence {
public:
  LoopStateEquivalence(Block &body, ArrayRef<unsigned> rep)
      : body(body), rep(rep) {}

  bool equal(Value x, Value y) {
    x = canonical(x);
    y = canonical(y);
    if (x == y)
      return true;
    auto rx = llvm::dyn_cast<OpResult>(x), ry = llvm::dyn_cast<OpResult>(y);
    if (!rx || !ry || rx.getResultNumber() != ry.getResultNumber())
      return false;
    Operation *ox = rx.getOwner(), *oy = ry.getOwner();
    if (ox->getBlock() != &body || oy->getBlock() != &body || !isPure(ox) ||
        !isPure(oy))
      return false;
    auto [it, inserted] = memo.try_emplace({ox, oy}, false);
    if (!inserted)
      return it->second;
    bool result = OperationEquivalence::isEquivalentTo(
        ox, oy, [&](Value l, Value r) { return success(equal(l, r)); },
        /*markEquivalent=*/nullptr, OperationEquivalence::IgnoreLocations);
    memo[{ox, oy}] = result;
    return result;
  }

private:
  Value canonical(Value v) {
    auto arg = llvm::dyn_cast<BlockArgument>(v);
    if (!arg || arg.getOwner() != &body || arg.getArgNumber() == 0)
      return v;
    return body.getArgument(rep[arg.getArgNumber() - 1] + 1);
  }

  Block &body;
  ArrayRef<unsigned> rep;
  DenseMap<std::pair<Operation *, Operation *>, bool> memo;
};

/// Merges loop-carried values that start equal and are updated the same way,
/// such as the state a guide and a primary both compute after pairing.
/// Finds the coarsest such partition by refinement (as in DFA minimisation):
/// start from the classes of equal initial values and split a class whenever
/// a member's update differs from its leader's under the current partition,
/// until no class splits.
struct MergeEquivalentLoopState : public OpRewritePattern<ForOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ForOp loop,
                                PatternRewriter &rewriter) const override {
    Block &body = loop.getBody().front();
    auto yield = llvm::cast<YieldOp>(body.getTerminator());
    OperandRange inits = loop.getInits();
    unsigned n = inits.size();
    // leader[j]: the first member of j's class.
    SmallVector<unsigned> leader(n);
    for (unsigned j = 0; j < n; ++j) {
      leader[j] = j;
      for (unsigned i = 0; i < j; ++i)
        if (inits[i] == inits[j] && leader[i] == i) {
          leader[j] = i;
          break;
        }
    }
    for (bool changed = true; changed;) {
      changed = false;
      LoopStateEquivalence eq(body, leader);
      SmallVector<unsigned> next(n);
      for (unsigned j = 0; j < n; ++j) {
        next[j] = j;
        for (unsigned i = 0; i < j; ++i)
          if (leader[i] == leader[j] && next[i] == i &&
              eq.equal(yield.getValues()[i], yield.getValues()[j])) {
            next[j] = i;
            break;
          }
        changed |= next[j] != leader[j];
      }
      leader = std::move(next);
    }
    bool merged = false;
    for (unsigned j = 0; j < n; ++j) {
      if (leader[j] == j)
        continue;
      BlockArgument arg = body.getArgument(j + 1);
      if (arg.use_empty() && loop.getResult(j).use_empty())
        continue;
      rewriter.replaceAllUsesWith(arg, body.getArgument(leader[j] + 1));
      rewriter.replaceAllUsesWith(loop.getResult(j),
                                  loop.getResult(leader[j]));
      merged = true;
    }
    return success(merged);
  }
};

/// The ops of `body` that only compute the next value of loop state `i`
/// from its current one: every use of the state's block argument, and of
/// their results, is such an op or the yield of state `i`. Null when an
/// op that uses them has effects or regions, or some value reaches another
/// state, a nested region or another op.
static std::optional<SmallVector<Operation *>>
ownUpdateOf(Block &body, YieldOp yield, unsigned i) {
  SmallVector<Operation *> update;
  llvm::SmallPtrSet<Operation *, 8> seen;
  SmallVector<Value> work{body.getArgument(i + 1)};
  while (!work.empty()) {
    Value value = work.pop_back_val();
    for (OpOperand &use : value.getUses()) {
      Operation *user = use.getOwner();
      if (user == yield.getOperation()) {
        if (use.getOperandNumber() != i)
          return std::nullopt;
        continue;
      }
      if (user->getBlock() != &body || user->getNumRegions() != 0 ||
          !isMemoryEffectFree(user))
        return std::nullopt;
      if (seen.insert(user).second) {
        update.push_back(user);
        llvm::append_range(work, user->getResults());
      }
    }
  }
  return update;
}

/// Drops loop-carried values that nothing reads: no user of the loop's
/// results, and in the body nothing but their own update (a tape that
/// nothing reads back, say: each step would still store into it).
struct RemoveDeadLoopState : public OpRewritePattern<ForOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ForOp loop,
                                PatternRewriter &rewriter) const override {
    Block &body = loop.getBody().front();
    auto yield = llvm::cast<YieldOp>(body.getTerminator());
    SmallVector<unsigned> keep;
    SmallVector<Operation *> deadUpdates;
    for (unsigned i = 0, e = loop.getInits().size(); i < e; ++i) {
      if (!loop.getResult(i).use_empty()) {
        keep.push_back(i);
        continue;
      }
      std::optional<SmallVector<Operation *>> update =
          ownUpdateOf(body, yield, i);
      if (!update) {
        keep.push_back(i);
        continue;
      }
      llvm::append_range(deadUpdates, *update);
    }
    if (keep.size() == loop.getInits().size())
      return rewriter.notifyMatchFailure(loop, "all loop state is live");

    SmallVector<Value> inits;
    for (unsigned i : keep)
      inits.push_back(loop.getInits()[i]);
    auto newLoop = ForOp::create(rewriter, loop.getLoc(),
                                 ValueRange(inits).getTypes(),
                                 loop.getLowerAttr(), loop.getUpperAttr(),
                                 loop.getReverseAttr(), inits);
    rewriter.inlineRegionBefore(loop.getBody(), newLoop.getBody(),
                                newLoop.getBody().end());
    Block &newBody = newLoop.getBody().front();
    SmallVector<Value> yielded;
    for (unsigned i : keep)
      yielded.push_back(yield.getValues()[i]);
    rewriter.setInsertionPoint(yield);
    YieldOp::create(rewriter, yield.getLoc(), yielded);
    rewriter.eraseOp(yield);
    // The dead states' updates, users before the values they use.
    llvm::sort(deadUpdates, [](Operation *a, Operation *b) {
      return b->isBeforeInBlock(a);
    });
    deadUpdates.erase(llvm::unique(deadUpdates), deadUpdates.end());
    for (Operation *op : deadUpdates)
      rewriter.eraseOp(op);
    llvm::BitVector dead(newBody.getNumArguments(), true);
    dead.reset(0);
    for (unsigned i : keep)
      dead.reset(i + 1);
    newBody.eraseArguments(dead);
    for (auto [k, i] : llvm::enumerate(keep))
      rewriter.replaceAllUsesWith(loop.getResult(i), newLoop.getResult(k));
    rewriter.eraseOp(loop);
    return success();
  }
};

} // namespace

void ForOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                        MLIRContext *context) {
  results.add<MergeEquivalentLoopState, RemoveDeadLoopState>(context);
}

//===----------------------------------------------------------------------===//
// ObjectiveOp and its terms
//===----------------------------------------------------------------------===//

LogicalResult ObjectiveOp::verifyRegions() {
  Block &body = getBody().front();
  if (body.empty())
    return emitOpError("body must end in gps.return");
  return verifyReturnTypes(*this, body,
                           TypeRange{Float32Type::get(getContext())},
                           "objective's single f32 result");
}

/// Looks up the policy `ref` from `op`.
static PolicyOp lookupPolicy(Operation *op, FlatSymbolRefAttr ref,
                             SymbolTableCollection &symbols) {
  return symbols.lookupNearestSymbolFrom<PolicyOp>(op, ref);
}

LogicalResult KLOp::verifySymbolUses(SymbolTableCollection &symbols) {
  PolicyOp from = lookupPolicy(*this, getFromAttr(), symbols);
  PolicyOp to = lookupPolicy(*this, getToAttr(), symbols);
  if (!from || !to)
    return emitOpError() << "'" << (from ? getTo() : getFrom())
                         << "' does not name a policy";
  if (from == to)
    return emitOpError("divergence of a policy from itself is always zero");
  return success();
}

LogicalResult KLStdNormalOp::verifySymbolUses(SymbolTableCollection &symbols) {
  if (!lookupPolicy(*this, getPolicyAttr(), symbols))
    return emitOpError() << "'" << getPolicy() << "' does not name a policy";
  return success();
}

//===----------------------------------------------------------------------===//
// Math-level operations
//===----------------------------------------------------------------------===//

/// The static shape of a parameter tensor value.
static ArrayRef<int64_t> paramShape(Value v) {
  return llvm::cast<RankedTensorType>(v.getType()).getShape();
}

LogicalResult BroadcastOp::verify() {
  ArrayRef<int64_t> shape = paramShape(getInput());
  if (shape.size() != 1)
    return emitOpError("input must be a vector");
  if (shape[0] != getFeatureSize(getType()))
    return emitOpError() << "cannot broadcast " << shape[0]
                         << " elements to " << getFeatureSize(getType())
                         << " features";
  return success();
}

/// Checks a `batch x K` by `K x N` product giving `batch x N`.
static LogicalResult verifyProduct(Operation *op, Value lhs, Value rhs,
                                   Value result) {
  ArrayRef<int64_t> w = paramShape(rhs);
  if (w.size() != 2)
    return op->emitOpError("weight must be a matrix");
  if (getFeatureSize(lhs.getType()) != w[0])
    return op->emitOpError() << "input has " << getFeatureSize(lhs.getType())
                             << " features but the weight has " << w[0]
                             << " rows";
  if (getFeatureSize(result.getType()) != w[1])
    return op->emitOpError() << "result has "
                             << getFeatureSize(result.getType())
                             << " features but the weight has " << w[1]
                             << " columns";
  return success();
}

LogicalResult MatmulOp::verify() {
  return verifyProduct(*this, getLhs(), getRhs(), getResult());
}

LogicalResult AffineOp::verify() {
  if (failed(verifyProduct(*this, getInput(), getWeight(), getResult())))
    return failure();
  ArrayRef<int64_t> b = paramShape(getBias());
  if (b.size() != 1 || b[0] != getFeatureSize(getType()))
    return emitOpError() << "bias must be a vector of "
                         << getFeatureSize(getType()) << " elements";
  return success();
}

LogicalResult ConcatOp::verify() {
  if (getInputs().empty())
    return emitOpError("needs at least one input");
  int64_t total = 0;
  for (Value v : getInputs())
    total += getFeatureSize(v.getType());
  if (total != getFeatureSize(getType()))
    return emitOpError() << "inputs have " << total
                         << " features in all but the result has "
                         << getFeatureSize(getType());
  return success();
}

LogicalResult SliceOp::verify() {
  int64_t n = getFeatureSize(getInput().getType());
  // Signless attributes: read them as signed, and compare without overflow.
  auto offset = static_cast<int64_t>(getOffset());
  auto size = static_cast<int64_t>(getSize());
  if (offset < 0 || size <= 0 || offset > n || size > n - offset)
    return emitOpError() << "range [" << offset << ", +" << size
                         << ") is out of bounds for " << n << " features";
  if (getFeatureSize(getType()) != size)
    return emitOpError() << "result must have " << size << " features";
  return success();
}

LogicalResult LSTMCellOp::verify() {
  int64_t hidden = getFeatureSize(getH().getType());
  int64_t input = getFeatureSize(getInput().getType());
  if (getC().getType() != getH().getType() ||
      getHNext().getType() != getH().getType() ||
      getCNext().getType() != getH().getType())
    return emitOpError("h, c and both results must have the same type");
  auto expect = [&](Value v, ArrayRef<int64_t> shape,
                    StringRef name) -> LogicalResult {
    if (paramShape(v) != shape) {
      std::string want = llvm::join(
          llvm::map_range(shape, [](int64_t d) { return std::to_string(d); }),
          "x");
      return emitOpError() << name << " must have shape " << want;
    }
    return success();
  };
  if (failed(expect(getWx(), {input, 4 * hidden}, "wx")) ||
      failed(expect(getWh(), {hidden, 4 * hidden}, "wh")) ||
      failed(expect(getBias(), {4 * hidden}, "bias")))
    return failure();
  if (getPeephole() && failed(expect(getPeephole(), {3, hidden}, "peephole")))
    return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// Per-example terms
//===----------------------------------------------------------------------===//

/// Checks that `result` holds one value per example.
static LogicalResult verifyPerExample(Operation *op, Value result) {
  if (getFeatureSize(result.getType()) != 1)
    return op->emitOpError("result must be tensor<?x1xf32>, one value per "
                           "example");
  return success();
}

LogicalResult KLDivOp::verify() {
  auto from = llvm::cast<DistType>(getFrom().getType());
  auto to = llvm::cast<DistType>(getTo().getType());
  if (from.getKind() == DistKind::bernoulli ||
      to.getKind() == DistKind::bernoulli)
    return emitOpError("has a closed form only between Gaussians");
  if (from.getSize() != to.getSize())
    return emitOpError() << "distributions over " << from.getSize() << " and "
                         << to.getSize() << " elements";
  return verifyPerExample(*this, getResult());
}

LogicalResult LogProbOp::verify() {
  auto dist = llvm::cast<DistType>(getDist().getType());
  if (dist.getSize() != getFeatureSize(getValue().getType()))
    return emitOpError() << "value has " << getFeatureSize(getValue().getType())
                         << " features but the distribution has "
                         << dist.getSize();
  if (getMissing() && getMissing().getType() != getValue().getType())
    return emitOpError("mask must have the value's type");
  return verifyPerExample(*this, getResult());
}

//===----------------------------------------------------------------------===//
// Distributions
//===----------------------------------------------------------------------===//

/// Checks that `dist` is of `kind` over `size` elements.
static LogicalResult verifyDist(Operation *op, Type distType, DistKind kind,
                                int64_t size) {
  auto dist = llvm::cast<DistType>(distType);
  if (dist.getKind() != kind)
    return op->emitOpError() << "result must be a " << stringifyDistKind(kind)
                             << " distribution";
  if (size >= 0 && dist.getSize() != size)
    return op->emitOpError() << "result is over " << dist.getSize()
                             << " elements but the operands have " << size;
  return success();
}

LogicalResult GaussianOp::verify() {
  return verifyDist(*this, getType(), DistKind::gaussian,
                    getFeatureSize(getMean().getType()));
}

LogicalResult StdNormalOp::verify() {
  return verifyDist(*this, getType(), DistKind::normal, -1);
}

LogicalResult BernoulliOp::verify() {
  return verifyDist(*this, getType(), DistKind::bernoulli,
                    getFeatureSize(getLogits().getType()));
}

//===----------------------------------------------------------------------===//
// Primitives
//===----------------------------------------------------------------------===//

LogicalResult GemmOp::verify() {
  auto dims = [](Value v, bool transpose) {
    ArrayRef<int64_t> shape = llvm::cast<RankedTensorType>(v.getType()).getShape();
    return transpose ? std::make_pair(shape[1], shape[0])
                     : std::make_pair(shape[0], shape[1]);
  };
  auto [m, k] = dims(getLhs(), getTransposeLhs());
  auto [k2, n] = dims(getRhs(), getTransposeRhs());
  auto compatible = [](int64_t a, int64_t b) {
    return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
  };
  if (!compatible(k, k2))
    return emitOpError() << "contracts " << k << " with " << k2
                         << " elements";
  ArrayRef<int64_t> result = getType().getShape();
  auto dim = [](int64_t d) {
    return ShapedType::isDynamic(d) ? std::string("?") : std::to_string(d);
  };
  if (!compatible(result[0], m) || !compatible(result[1], n))
    return emitOpError() << "result must be " << dim(m) << "x" << dim(n)
                         << " (? is the batch)";
  if (ShapedType::isDynamic(result[0]) != ShapedType::isDynamic(m) ||
      ShapedType::isDynamic(result[1]) != ShapedType::isDynamic(n))
    return emitOpError("result must keep the batch dimension of the operands");
  return success();
}

LogicalResult SumOp::verify() {
  if (getFeatureSize(getType()) != 1)
    return emitOpError("result must have one feature");
  return success();
}

LogicalResult ExpandOp::verify() {
  if (getFeatureSize(getInput().getType()) != 1)
    return emitOpError("input must have one feature");
  return success();
}

LogicalResult ColSumOp::verify() {
  ArrayRef<int64_t> shape = paramShape(getResult());
  if (shape.size() != 1 || shape[0] != getFeatureSize(getInput().getType()))
    return emitOpError() << "result must be a vector of "
                         << getFeatureSize(getInput().getType())
                         << " elements";
  return success();
}

LogicalResult MeanOp::verify() {
  if (getFeatureSize(getInput().getType()) != 1)
    return emitOpError("input must have one feature");
  return success();
}

/// Checks that `matrix` is a matrix whose rows are `vector` and `index` a
/// row of it.
static LogicalResult verifyRow(Operation *op, Value matrix, Value vector,
                               int64_t index) {
  ArrayRef<int64_t> m = paramShape(matrix), v = paramShape(vector);
  if (m.size() != 2 || v.size() != 1 || m[1] != v[0])
    return op->emitOpError("needs a matrix and a vector of its row length");
  if (index < 0 || index >= m[0])
    return op->emitOpError() << "row " << index << " is out of range for "
                             << m[0] << " rows";
  return success();
}

LogicalResult RowOp::verify() {
  return verifyRow(*this, getInput(), getResult(), getIndex());
}

LogicalResult PutRowsOp::verify() {
  if (getInputs().empty())
    return emitOpError("needs at least one row");
  if (getInputs().size() != getIndices().size())
    return emitOpError() << "has " << getInputs().size() << " rows but "
                         << getIndices().size() << " indices";
  llvm::SmallDenseSet<int64_t> seen;
  for (auto [input, index] : llvm::zip_equal(getInputs(), getIndices())) {
    if (failed(verifyRow(*this, getResult(), input, index)))
      return failure();
    if (!seen.insert(index).second)
      return emitOpError() << "sets row " << index << " twice";
  }
  return success();
}

LogicalResult TapePushOp::verify() {
  if (getValue().getType() != getTape().getType().getElement())
    return emitOpError("value type must be the tape's element type");
  return success();
}

LogicalResult TapeGetOp::verify() {
  if (getType() != getTape().getType().getElement())
    return emitOpError("result type must be the tape's element type");
  return success();
}

#define GET_OP_CLASSES
#include "gps/Dialect/GPS/GPSOps.cpp.inc"
