//===- Autodiff.cpp - the gps-autodiff pass -------------------------------===//
//
// Reverse-mode automatic differentiation of a loss function with respect to
// its parameter arguments, driven by DifferentiableOpInterface. Step loops
// are reversed with per-step tapes of the forward values the adjoint needs.
//
//===----------------------------------------------------------------------===//

#include "gps/Dialect/GPS/GPSOps.h"
#include "gps/Dialect/GPS/GPSPasses.h"
#include "gps/Dialect/GPS/GPSSymbols.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/MapVector.h"

namespace gps {
#define GEN_PASS_DEF_AUTODIFFPASS
#include "gps/Dialect/GPS/GPSPasses.h.inc"
} // namespace gps

using namespace mlir;
using namespace gps;

namespace {

using AdjointMap = llvm::DenseMap<Value, Value>;

/// Forward values of a loop body are recomputed rather than taped when their
/// op is one of these: cheap, and computed from the step, values outside the
/// body or other such values. Scalar arithmetic (on the step, say) is
/// always recomputed; tapes hold tensors only.
static bool isRematerializable(Operation *op) {
  if (llvm::isa<SplatOp, ZerosOp, BroadcastOp, BatchSizeOp, RowOp>(op))
    return true;
  return llvm::isa_and_nonnull<arith::ArithDialect>(op->getDialect()) &&
         llvm::none_of(op->getResultTypes(),
                       [](Type t) { return llvm::isa<ShapedType>(t); });
}

class Differentiator {
public:
  explicit Differentiator(func::FuncOp func) : func(func), b(func) {}

  /// Differentiates `func` in place: its body keeps the forward computation
  /// and returns the parameter gradients after its results.
  LogicalResult run();

private:
  /// Marks every value that depends on a parameter.
  void propagateActivity(Block &block);
  bool isActive(Value v) const { return active.contains(v); }
  bool anyActive(ValueRange values) const {
    return llvm::any_of(values, [&](Value v) { return isActive(v); });
  }

  /// Adds `contribution` to the adjoint of `v` in `adj`.
  void accumulate(AdjointMap &adj, Value v, Value contribution, Location loc);
  /// The zero of a value's type.
  Value zero(Type type, Location loc);
  /// x + y, on f32 scalars or tensors.
  Value add(Value x, Value y, Location loc);

  /// Emits the adjoint of one op (not a loop) at the builder's insertion
  /// point.
  LogicalResult visit(Operation *op, AdjointMap &adj,
                      function_ref<Value(Value)> primal);
  /// The loop state whose adjoint can be nonzero, in order: active state
  /// whose result has an adjoint, or that flows within one step into the
  /// yield of such state. Other state (the per-step KL record, say) gets no
  /// adjoint loop state, so the reversed loop does no work for it.
  SmallVector<unsigned> usefulState(ForOp loop, const AdjointMap &adj);
  /// Emits the reversed loop of `loop` and rebuilds `loop` with tapes.
  LogicalResult reverseLoop(ForOp loop, AdjointMap &adj);

  func::FuncOp func;
  OpBuilder b;
  llvm::DenseSet<Value> active;
};

} // namespace

void Differentiator::propagateActivity(Block &block) {
  for (Operation &op : block) {
    if (auto loop = llvm::dyn_cast<ForOp>(op)) {
      Block &body = loop.getBody().front();
      auto yield = llvm::cast<YieldOp>(body.getTerminator());
      // Iterate to a fixed point: loop state can become active through the
      // yield of a later step.
      for (bool changed = true; changed;) {
        changed = false;
        for (auto [i, init] : llvm::enumerate(loop.getInits())) {
          Value arg = body.getArgument(i + 1);
          if (!isActive(arg) &&
              (isActive(init) || isActive(yield.getValues()[i]))) {
            active.insert(arg);
            changed = true;
          }
        }
        size_t before = active.size();
        propagateActivity(body);
        changed |= active.size() != before;
      }
      for (auto [i, result] : llvm::enumerate(loop.getResults()))
        if (isActive(body.getArgument(i + 1)))
          active.insert(result);
      continue;
    }
    // A distribution built from active values is active too, so an op that
    // consumes it without an adjoint (gps.kl_div left undecomposed) is an
    // error rather than a silently zero gradient.
    if (anyActive(op.getOperands()))
      for (Value result : op.getResults())
        if (llvm::isa<FloatType, RankedTensorType, DistType>(result.getType()))
          active.insert(result);
  }
}

Value Differentiator::zero(Type type, Location loc) {
  if (type.isF32())
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
  return ZerosOp::create(b, loc, type);
}

void Differentiator::accumulate(AdjointMap &adj, Value v, Value contribution,
                                Location loc) {
  if (!contribution || !isActive(v))
    return;
  Value &slot = adj[v];
  if (!slot) {
    slot = contribution;
    return;
  }
  slot = add(slot, contribution, loc);
}

Value Differentiator::add(Value x, Value y, Location loc) {
  if (x.getType().isF32())
    return arith::AddFOp::create(b, loc, x, y);
  return AddOp::create(b, loc, x, y);
}

LogicalResult Differentiator::visit(Operation *op, AdjointMap &adj,
                                    function_ref<Value(Value)> primal) {
  if (!anyActive(op->getOperands()))
    return success();
  SmallVector<Value> resultAdjoints;
  bool any = false;
  for (Value result : op->getResults()) {
    resultAdjoints.push_back(adj.lookup(result));
    any |= bool(resultAdjoints.back());
  }
  if (!any)
    return success();
  auto differentiable = llvm::dyn_cast<DifferentiableOpInterface>(op);
  if (!differentiable)
    return op->emitOpError(
        "has no adjoint (it does not implement DifferentiableOpInterface); "
        "gps-autodiff cannot differentiate through it");
  SmallVector<Value> operandAdjoints;
  if (failed(differentiable.buildAdjoint(b, resultAdjoints, primal,
                                         operandAdjoints)))
    return failure();
  for (auto [operand, contribution] :
       llvm::zip(op->getOperands(), operandAdjoints))
    accumulate(adj, operand, contribution, op->getLoc());
  return success();
}

SmallVector<unsigned> Differentiator::usefulState(ForOp loop,
                                                  const AdjointMap &adj) {
  Block &body = loop.getBody().front();
  auto yield = llvm::cast<YieldOp>(body.getTerminator());
  unsigned n = loop.getNumResults();
  // feeds[j]: the state whose yield depends on state j within one step.
  SmallVector<SmallVector<unsigned>> feeds(n);
  for (unsigned j = 0; j < n; ++j) {
    if (!isActive(body.getArgument(j + 1)))
      continue;
    llvm::DenseSet<Value> reached{body.getArgument(j + 1)};
    body.walk([&](Operation *op) {
      if (llvm::any_of(op->getOperands(),
                       [&](Value v) { return reached.contains(v); }))
        reached.insert(op->result_begin(), op->result_end());
    });
    for (unsigned i = 0; i < n; ++i)
      if (reached.contains(yield.getValues()[i]))
        feeds[j].push_back(i);
  }
  SmallVector<bool> useful(n, false);
  for (unsigned i = 0; i < n; ++i)
    useful[i] = isActive(body.getArgument(i + 1)) &&
                adj.lookup(loop.getResult(i));
  for (bool changed = true; changed;) {
    changed = false;
    for (unsigned j = 0; j < n; ++j)
      if (!useful[j] && llvm::any_of(feeds[j], [&](unsigned i) {
            return useful[i];
          })) {
        useful[j] = true;
        changed = true;
      }
  }
  SmallVector<unsigned> result;
  for (unsigned i = 0; i < n; ++i)
    if (useful[i])
      result.push_back(i);
  return result;
}

LogicalResult Differentiator::reverseLoop(ForOp loop, AdjointMap &adj) {
  Location loc = loop.getLoc();
  Block &body = loop.getBody().front();
  auto yield = llvm::cast<YieldOp>(body.getTerminator());
  int64_t lower = loop.getLower(), length = loop.getUpper() - lower + 1;
  if (length <= 0)
    return success();

  // Loop state with adjoints, and outer values the body uses actively.
  SmallVector<unsigned> stateIdx;
  for (unsigned i : usefulState(loop, adj))
    stateIdx.push_back(i);
  llvm::SetVector<Value> captured;
  body.walk([&](Operation *op) {
    for (Value operand : op->getOperands())
      if (isActive(operand) && !body.getParentOp()->isAncestor(
                                   operand.getParentRegion()->getParentOp()))
        captured.insert(operand);
  });

  SmallVector<Value> inits;
  for (unsigned i : stateIdx) {
    Value a = adj.lookup(loop.getResult(i));
    inits.push_back(a ? a : zero(loop.getResult(i).getType(), loc));
  }
  for (Value c : captured)
    inits.push_back(zero(c.getType(), loc));

  auto reversed = ForOp::create(b, loc, ValueRange(inits).getTypes(),
                                loop.getLowerAttr(), loop.getUpperAttr(),
                                /*reverse=*/nullptr, inits);
  if (!loop.getReverse())
    reversed.setReverse(true);
  OpBuilder::InsertionGuard guard(b);
  Block *rbody = b.createBlock(&reversed.getBody());
  Value t = rbody->addArgument(b.getIndexType(), loc);
  for (Value init : inits)
    rbody->addArgument(init.getType(), loc);

  b.setInsertionPointToStart(rbody);
  Value slot = arith::SubIOp::create(
      b, loc, t, arith::ConstantIndexOp::create(b, loc, lower));

  // Forward values inside the reversed body: outer values as they are, the
  // step as the new step, cheap values recomputed, the rest from tapes.
  llvm::MapVector<Value, Value> tapePlaceholders;
  IRMapping recomputed;
  bool failedPrimal = false;
  OpBuilder top(reversed.getOperation());
  std::function<Value(Value)> primal = [&](Value v) -> Value {
    if (!loop->isProperAncestor(v.getParentRegion()->getParentOp()) &&
        v.getParentRegion() != &loop.getBody())
      return v;
    if (v == body.getArgument(0))
      return t;
    if (Value known = recomputed.lookupOrNull(v))
      return known;
    Operation *def = v.getDefiningOp();
    if (def && isRematerializable(def)) {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointAfter(slot.getDefiningOp());
      IRMapping operands;
      for (Value operand : def->getOperands())
        operands.map(operand, primal(operand));
      Operation *clone = b.clone(*def, operands);
      recomputed.map(def->getResults(), clone->getResults());
      return recomputed.lookup(v);
    }
    if (!isBatchTensor(v.getType()) && !isParamTensor(v.getType())) {
      // Only tensors are taped; anything else must be recomputable.
      def ? def->emitOpError("computes a value the reversed loop needs that "
                             "is neither a tensor nor recomputable")
          : loop.emitOpError("has loop state the reversed loop needs that is "
                             "not a tensor");
      failedPrimal = true;
      return v;
    }
    Value &tape = tapePlaceholders[v];
    if (!tape)
      tape = UnrealizedConversionCastOp::create(
                 top, loc, TapeType::get(v.getContext(), length, v.getType()),
                 ValueRange{})
                 .getResult(0);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointAfter(slot.getDefiningOp());
    Value read = TapeGetOp::create(b, loc, v.getType(), tape, slot);
    recomputed.map(v, read);
    return read;
  };

  AdjointMap local;
  for (auto [k, i] : llvm::enumerate(stateIdx))
    accumulate(local, yield.getValues()[i], rbody->getArgument(k + 1), loc);
  SmallVector<Operation *> ops;
  for (Operation &op : body.without_terminator())
    ops.push_back(&op);
  for (Operation *op : llvm::reverse(ops)) {
    if (llvm::isa<ForOp>(op))
      return op->emitOpError("is a nested step loop; gps-autodiff reverses "
                             "one level of loops");
    if (failed(visit(op, local, primal)))
      return failure();
  }
  if (failedPrimal)
    return failure();
  SmallVector<Value> yielded;
  for (unsigned i : stateIdx) {
    Value a = local.lookup(body.getArgument(i + 1));
    yielded.push_back(a ? a : zero(body.getArgument(i + 1).getType(), loc));
  }
  for (auto [k, c] : llvm::enumerate(captured)) {
    Value carried = rbody->getArgument(1 + stateIdx.size() + k);
    Value a = local.lookup(c);
    if (a)
      carried = add(carried, a, loc);
    yielded.push_back(carried);
  }
  YieldOp::create(b, loc, yielded);

  // The adjoints the reversed loop hands back.
  b.setInsertionPointAfter(reversed);
  for (auto [k, i] : llvm::enumerate(stateIdx))
    accumulate(adj, loop.getInits()[i], reversed.getResult(k), loc);
  for (auto [k, c] : llvm::enumerate(captured))
    accumulate(adj, c, reversed.getResult(stateIdx.size() + k), loc);

  if (tapePlaceholders.empty())
    return success();

  // Loop state taped both before a step (its block argument) and after it
  // (the value yielded for it) would be stored twice, each tape the other
  // shifted by a step. It gets one tape of length + 1 slots instead, in the
  // order the forward loop runs: the initial value in the first slot, and
  // each step's yielded value in the slot after the step's own, where the
  // next step's argument reads it.
  bool backwards = loop.getReverse();
  llvm::DenseMap<Value, unsigned> sharedState; // yielded value -> state
  Value after; // slot + 1, built for the first shared state
  for (unsigned i = 0, e = loop.getInits().size(); i < e; ++i) {
    Value arg = body.getArgument(i + 1), next = yield.getValues()[i];
    if (next.getParentBlock() != &body || llvm::isa<BlockArgument>(next) ||
        !tapePlaceholders.count(arg) || !tapePlaceholders.count(next) ||
        sharedState.count(next))
      continue;
    auto readArg = recomputed.lookup(arg).getDefiningOp<TapeGetOp>();
    auto readNext = recomputed.lookup(next).getDefiningOp<TapeGetOp>();
    if (!readArg || !readNext)
      continue;
    sharedState[next] = i;
    if (!after) {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointAfter(slot.getDefiningOp());
      after = arith::AddIOp::create(b, loc, slot,
                                    arith::ConstantIndexOp::create(b, loc, 1));
    }
    Value shared =
        UnrealizedConversionCastOp::create(
            top, loc,
            TapeType::get(next.getContext(), length + 1, next.getType()),
            ValueRange{})
            .getResult(0);
    readArg.getTapeMutable().assign(shared);
    readArg.getIndexMutable().assign(backwards ? after : slot);
    readNext.getTapeMutable().assign(shared);
    readNext.getIndexMutable().assign(backwards ? slot : after);
    tapePlaceholders[arg].getDefiningOp()->erase();
    tapePlaceholders[next].getDefiningOp()->erase();
    tapePlaceholders.erase(arg);
    tapePlaceholders[next] = shared;
  }

  // Rebuild the forward loop with one tape per stored value.
  OpBuilder fb(loop);
  SmallVector<Value> newInits(loop.getInits());
  for (auto &[v, placeholder] : tapePlaceholders) {
    Value tape = TapeNewOp::create(fb, loc, placeholder.getType());
    if (auto state = sharedState.find(v); state != sharedState.end())
      tape = TapePushOp::create(
          fb, loc, loop.getInits()[state->second], tape,
          arith::ConstantIndexOp::create(fb, loc, backwards ? length : 0));
    newInits.push_back(tape);
  }
  auto taped = ForOp::create(fb, loc, ValueRange(newInits).getTypes(),
                             loop.getLowerAttr(), loop.getUpperAttr(),
                             loop.getReverseAttr(), newInits);
  taped.getBody().takeBody(loop.getBody());
  Block &tbody = taped.getBody().front();
  SmallVector<Value> tapes;
  for (auto &[v, placeholder] : tapePlaceholders)
    tapes.push_back(tbody.addArgument(placeholder.getType(), loc));
  fb.setInsertionPoint(yield);
  Value fslot = arith::SubIOp::create(
      fb, loc, tbody.getArgument(0),
      arith::ConstantIndexOp::create(fb, loc, lower));
  Value fnext; // the slot after this step's: a shared state's value
  if (!backwards && !sharedState.empty())
    fnext = arith::AddIOp::create(fb, loc, fslot,
                                  arith::ConstantIndexOp::create(fb, loc, 1));
  SmallVector<Value> newYield(yield.getValues());
  for (auto [k, entry] : llvm::enumerate(tapePlaceholders)) {
    bool shared = sharedState.count(entry.first);
    newYield.push_back(TapePushOp::create(
        fb, loc, entry.first, tapes[k], shared && !backwards ? fnext : fslot));
  }
  YieldOp::create(fb, yield.getLoc(), newYield);
  yield.erase();
  for (auto [k, result] : llvm::enumerate(loop.getResults()))
    result.replaceAllUsesWith(taped.getResult(k));
  // A shared state's tape holds, at the start of each step, the state's
  // value in the slot the step reads (the initial value in the first
  // step's), and after the loop its final value in the last slot read
  // (the first, run backwards). The step reads the state there, and so
  // does the code after the loop: the state itself is no longer read, and
  // canonicalization drops it, so that each step computes the next value
  // in its slot instead of in a buffer of its own copied there.
  if (!sharedState.empty()) {
    fb.setInsertionPointToStart(&tbody);
    Value step =
        arith::SubIOp::create(fb, loc, tbody.getArgument(0),
                              arith::ConstantIndexOp::create(fb, loc, lower));
    Value current =
        backwards
            ? arith::AddIOp::create(fb, loc, step,
                                    arith::ConstantIndexOp::create(fb, loc, 1))
            : step;
    OpBuilder after(taped->getContext());
    after.setInsertionPointAfter(taped);
    Value last =
        arith::ConstantIndexOp::create(after, loc, backwards ? 0 : length);
    for (auto [k, entry] : llvm::enumerate(tapePlaceholders)) {
      auto state = sharedState.find(entry.first);
      if (state == sharedState.end())
        continue;
      unsigned i = state->second;
      BlockArgument arg = tbody.getArgument(i + 1);
      if (!arg.use_empty())
        arg.replaceAllUsesWith(
            TapeGetOp::create(fb, loc, arg.getType(), tapes[k], current));
      Value result = taped.getResult(i);
      if (!result.use_empty())
        result.replaceAllUsesWith(
            TapeGetOp::create(after, loc, result.getType(),
                              taped.getResult(loop.getNumResults() + k), last));
    }
  }
  for (auto [k, entry] : llvm::enumerate(tapePlaceholders)) {
    Value placeholder = entry.second;
    placeholder.replaceAllUsesWith(taped.getResult(loop.getNumResults() + k));
    placeholder.getDefiningOp()->erase();
  }
  loop.erase();
  return success();
}

LogicalResult Differentiator::run() {
  Block &entry = func.getBody().front();
  SmallVector<BlockArgument> params;
  for (BlockArgument arg : entry.getArguments())
    if (func.getArgAttr(arg.getArgNumber(),
                        GPSDialect::ParamAttrHelper::getNameStr())) {
      params.push_back(arg);
      active.insert(arg);
    }
  propagateActivity(entry);

  auto ret = llvm::cast<func::ReturnOp>(entry.getTerminator());
  b.setInsertionPoint(ret);
  Location loc = ret.getLoc();
  if (ret.getNumOperands() == 0 || !ret.getOperand(0).getType().isF32())
    return func.emitOpError("must return the f32 loss first to be "
                            "differentiated");
  AdjointMap adj;
  accumulate(adj, ret.getOperand(0),
             arith::ConstantOp::create(b, loc, b.getF32FloatAttr(1.0f)), loc);

  SmallVector<Operation *> ops;
  for (Operation &op : entry.without_terminator())
    ops.push_back(&op);
  auto identity = [](Value v) { return v; };
  for (Operation *op : llvm::reverse(ops)) {
    LogicalResult result = llvm::isa<ForOp>(op)
                               ? reverseLoop(llvm::cast<ForOp>(op), adj)
                               : visit(op, adj, identity);
    if (failed(result))
      return failure();
  }

  SmallVector<Value> results(ret.getOperands());
  SmallVector<Type> types(func.getResultTypes());
  for (BlockArgument param : params) {
    Value g = adj.lookup(param);
    results.push_back(g ? g : zero(param.getType(), loc));
    types.push_back(param.getType());
  }
  func::ReturnOp::create(b, loc, results);
  ret.erase();
  func.setFunctionType(b.getFunctionType(func.getArgumentTypes(), types));
  return success();
}

namespace {
struct AutodiffPass : public gps::impl::AutodiffPassBase<AutodiffPass> {
  void runOnOperation() override;
};
} // namespace

void AutodiffPass::runOnOperation() {
  ModuleOp module = getOperation();
  SmallVector<func::FuncOp> todo;
  for (auto func : module.getOps<func::FuncOp>())
    if (func->hasAttr(GPSDialect::DifferentiateAttrHelper::getNameStr()) && !func.isExternal())
      todo.push_back(func);
  for (func::FuncOp func : todo) {
    std::string name = gradientFnName(func.getSymName());
    if (module.lookupSymbol(name))
      continue;
    auto grad = llvm::cast<func::FuncOp>(func->clone());
    grad.setSymName(name);
    grad->removeAttr(GPSDialect::DifferentiateAttrHelper::getNameStr());
    module.getBody()->push_back(grad);
    if (failed(Differentiator(grad).run()))
      return signalPassFailure();
  }
}
