//===- BuildLoss.cpp - the gps-build-loss pass ----------------------------===//
//
// Turns a model's expanded rollout and its objective into one function of
// the data and the parameters: the input of autodiff and of the lowering.
//
//===----------------------------------------------------------------------===//

#include "gps/Dialect/GPS/GPSOps.h"
#include "gps/Dialect/GPS/GPSPasses.h"
#include "gps/Dialect/GPS/GPSSymbols.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringMap.h"

namespace gps {
#define GEN_PASS_DEF_BUILDLOSSPASS
#include "gps/Dialect/GPS/GPSPasses.h.inc"
} // namespace gps

using namespace mlir;
using namespace gps;

/// Replaces every gps.call in `root` by the callee's body.
static LogicalResult inlineNets(Operation *root, ModelOp model) {
  SmallVector<CallOp> calls;
  root->walk([&](CallOp call) { calls.push_back(call); });
  for (CallOp call : calls) {
    auto net = model.lookupSymbol<NetOp>(call.getCallee());
    if (!net)
      return call.emitOpError() << "calls '" << call.getCallee()
                                << "', which is not a net of the model";
    Block &body = net.getBody().front();
    IRMapping mapping;
    mapping.map(body.getArguments(), call.getArgs());
    OpBuilder b(call);
    for (Operation &op : body.without_terminator())
      b.clone(op, mapping);
    for (auto [result, returned] :
         llvm::zip(call.getResults(), body.getTerminator()->getOperands()))
      result.replaceAllUsesWith(mapping.lookup(returned));
    call.erase();
  }
  return success();
}

namespace {
/// The functions of the primary alone.
enum class PrimaryFn {
  /// `@gps_primary_loss`: -log p(x.missing | known), the batch mean.
  Loss,
  /// `@gps_sample`: the mean of the observed site's distribution.
  Sample,
  /// `@gps_sample_steps`: that mean after every step of the step loop.
  SampleSteps,
};

struct BuildLossPass : public gps::impl::BuildLossPassBase<BuildLossPass> {
  void runOnOperation() override;
  LogicalResult build(ModelOp model);
  LogicalResult buildPrimary(ModelOp model, PrimaryFn kind);
  LogicalResult buildLogWeights(ModelOp model, RolloutOp rollout);
};
} // namespace

/// Appends the arguments every loss function ends with: each parameter
/// (`gps.param`), then the random key and stream (`gps.rng`).
static void appendParamAndRngArgs(OpBuilder &b, ArrayRef<ParamOp> params,
                                  SmallVectorImpl<Type> &inputs,
                                  SmallVectorImpl<Attribute> &argAttrs) {
  for (ParamOp param : params) {
    inputs.push_back(ParamOp(param).getType());
    argAttrs.push_back(b.getDictionaryAttr(
        b.getNamedAttr(GPSDialect::ParamAttrHelper::getNameStr(), ParamOp(param).getSymNameAttr())));
  }
  for (StringRef rng : {kRngKey, kRngStream}) {
    inputs.push_back(b.getI64Type());
    argAttrs.push_back(
        b.getDictionaryAttr(b.getNamedAttr(GPSDialect::RngAttrHelper::getNameStr(), b.getStringAttr(rng))));
  }
}

/// Binds the gps.read_param ops under `func` to its parameter arguments.
static LogicalResult bindParams(func::FuncOp func, ArrayRef<ParamOp> params,
                                unsigned firstParamArg) {
  llvm::StringMap<Value> paramArgs;
  for (auto [i, param] : llvm::enumerate(params))
    paramArgs[ParamOp(param).getSymName()] =
        func.getArgument(firstParamArg + i);
  WalkResult walk = func.walk([&](ReadParamOp read) {
    Value arg = paramArgs.lookup(read.getParam());
    if (!arg) {
      read.emitOpError() << "reads '" << read.getParam()
                         << "', which is not a parameter of the model";
      return WalkResult::interrupt();
    }
    read.replaceAllUsesWith(arg);
    read.erase();
    return WalkResult::advance();
  });
  return failure(walk.wasInterrupted());
}

/// Rebuilds the last step loop of `entry` before `value` so that it also
/// records `value` after every step (in the order the steps run). `value` is computed after the loop from
/// its results (the loop state after the last step) and from values defined
/// before it; the ops that compute it from the loop's results are cloned
/// into the loop body, on the state the step yields, and their result is
/// pushed into a tape with one slot per step. The loop body stays one
/// region: the IR does not grow with the number of steps. Returns the tape
/// (the rebuilt loop's last result), or a null value when there is no such
/// loop or `value` is not a pure function of its state (a site sampled
/// after the loop, say).
static Value recordAfterEachStep(Block &entry, Value value) {
  Operation *def = value.getDefiningOp();
  if (!def || def->getBlock() != &entry)
    return {};
  // The loop itself when the mean is its state (a Gaussian's mean `c`).
  auto loop = llvm::dyn_cast<ForOp>(def);
  if (!loop)
    for (Operation &op : entry) {
      if (&op == def)
        break;
      if (auto f = llvm::dyn_cast<ForOp>(op))
        loop = f;
    }
  if (!loop || loop.getUpper() < loop.getLower())
    return {};
  // The ops between the loop and `value` that `value` depends on.
  llvm::SetVector<Operation *> slice;
  SmallVector<Value> work{value};
  bool readsLoop = false;
  while (!work.empty()) {
    Value v = work.pop_back_val();
    Operation *op = v.getDefiningOp();
    if (op == loop.getOperation()) {
      readsLoop = true;
      continue;
    }
    if (!op || op->getBlock() != &entry || op->isBeforeInBlock(loop))
      continue;
    if (!slice.insert(op))
      continue;
    if (op->getNumRegions() || !isMemoryEffectFree(op))
      return {};
    llvm::append_range(work, op->getOperands());
  }
  if (!readsLoop)
    return {};
  SmallVector<Operation *> ops(slice.begin(), slice.end());
  llvm::sort(ops, [](Operation *a, Operation *b) {
    return a->isBeforeInBlock(b);
  });

  Location loc = value.getLoc();
  MLIRContext *ctx = loop.getContext();
  int64_t lower = loop.getLower();
  auto tapeType = TapeType::get(ctx, loop.getUpper() - lower + 1,
                                value.getType());
  OpBuilder b(loop);
  SmallVector<Value> inits(loop.getInits());
  inits.push_back(TapeNewOp::create(b, loc, tapeType));
  auto taped = ForOp::create(b, loop.getLoc(), ValueRange(inits).getTypes(),
                             loop.getLowerAttr(), loop.getUpperAttr(),
                             loop.getReverseAttr(), inits);
  taped.getBody().takeBody(loop.getBody());
  Block &body = taped.getBody().front();
  Value tape = body.addArgument(tapeType, loc);
  auto yield = llvm::cast<YieldOp>(body.getTerminator());
  b.setInsertionPoint(yield);
  IRMapping mapping;
  mapping.map(loop.getResults(), yield.getValues());
  for (Operation *op : ops)
    b.clone(*op, mapping);
  // Slot k holds the state after the k-th step run (t = upper - k when
  // the loop runs backward).
  Value t = body.getArgument(0);
  Value slot =
      loop.getReverse()
          ? arith::SubIOp::create(
                b, loc, arith::ConstantIndexOp::create(b, loc, loop.getUpper()),
                t)
          : arith::SubIOp::create(b, loc, t,
                                  arith::ConstantIndexOp::create(b, loc, lower));
  SmallVector<Value> yielded(yield.getValues());
  yielded.push_back(
      TapePushOp::create(b, loc, mapping.lookup(value), tape, slot));
  YieldOp::create(b, yield.getLoc(), yielded);
  yield.erase();
  loop.replaceAllUsesWith(taped.getResults().drop_back());
  loop.erase();
  return taped.getResults().back();
}

/// The primary alone, for the trainer's unguided evaluation and sampling:
/// `@gps_primary_loss` returns the batch mean of -log p(observed | inputs)
/// (models with a mask: the missing elements given the known ones);
/// `@gps_sample` returns the mean of the observed site's distribution;
/// `@gps_sample_steps` that mean after every step of the step loop (a tape),
/// and is not built when the model has no step loop or the mean is not a
/// function of the loop's state. A model with an imputation policy is
/// evaluated and sampled by it instead.
LogicalResult BuildLossPass::buildPrimary(ModelOp model, PrimaryFn kind) {
  bool forSample = kind != PrimaryFn::Loss;
  MLIRContext *ctx = model.getContext();
  PolicyOp primary = model.getImpute();
  if (!primary)
    primary = model.getPrimary();
  DataOp data;
  for (DataOp d : model.getBody().getOps<DataOp>())
    data = d;
  MaskOp mask;
  for (MaskOp m : model.getBody().getOps<MaskOp>())
    mask = m;
  if (!primary || !data || primary.getBody().empty())
    return success();
  SmallVector<ObserveOp> observes;
  primary.getBody().walk([&](ObserveOp op) { observes.push_back(op); });
  if (observes.size() != 1 ||
      observes[0]->getParentRegion() != &primary.getBody())
    return success();

  OpBuilder b(ctx);
  Block &body = primary.getBody().front();
  Type dataType = data.getType();
  SmallVector<Type> inputs(body.getArgumentTypes());
  SmallVector<Attribute> argAttrs;
  SmallVector<StringRef> reads;
  for (Attribute read : primary.getReads()) {
    reads.push_back(llvm::cast<StringAttr>(read).getValue());
    argAttrs.push_back(b.getDictionaryAttr(b.getNamedAttr(GPSDialect::ReadAttrHelper::getNameStr(), read)));
  }
  // The data and mask score the observation even when the primary does not
  // read them.
  auto addRead = [&](StringRef name) -> unsigned {
    auto it = llvm::find(reads, name);
    if (it != reads.end())
      return it - reads.begin();
    reads.push_back(name);
    inputs.push_back(dataType);
    argAttrs.push_back(b.getDictionaryAttr(
        b.getNamedAttr(GPSDialect::ReadAttrHelper::getNameStr(), b.getStringAttr(name))));
    return reads.size() - 1;
  };
  unsigned xArg = addRead(data.getSymName());
  unsigned mArg = mask ? addRead(mask.getSymName()) : 0;
  unsigned numReads = reads.size();
  SmallVector<ParamOp> params(model.getBody().getOps<ParamOp>());
  appendParamAndRngArgs(b, params, inputs, argAttrs);
  Type result = forSample ? dataType : b.getF32Type();
  auto module = model->getParentOfType<ModuleOp>();
  b.setInsertionPointToEnd(module.getBody());
  auto func = func::FuncOp::create(
      b, primary.getLoc(),
      kind == PrimaryFn::Loss     ? kPrimaryLossFn
      : kind == PrimaryFn::Sample ? kSampleFn
                                  : kSampleStepsFn,
      b.getFunctionType(inputs, {result}));
  func.setAllArgAttrs(argAttrs);
  func->setAttr(GPSDialect::ModelAttrHelper::getNameStr(), model.getSymNameAttr());
  Block *entry = func.addEntryBlock();
  IRMapping mapping;
  mapping.map(body.getArguments(),
              entry->getArguments().take_front(body.getNumArguments()));
  b.setInsertionPointToEnd(entry);
  for (Operation &op : body)
    if (!op.hasTrait<OpTrait::IsTerminator>())
      b.clone(op, mapping);
  if (failed(inlineNets(func, model)) ||
      failed(bindParams(func, params, numReads)))
    return failure();

  ObserveOp cloned;
  func.walk([&](ObserveOp op) { cloned = op; });
  Value dist = cloned.getDist();
  Location loc = cloned.getLoc();
  b.setInsertionPointToEnd(entry);
  Value returned;
  if (forSample) {
    // The mean: sigmoid of a Bernoulli's logits, a Gaussian's mean.
    if (auto bern = dist.getDefiningOp<BernoulliOp>())
      returned = SigmoidOp::create(b, loc, bern.getLogits());
    else if (auto gauss = dist.getDefiningOp<GaussianOp>())
      returned = gauss.getMean();
    else
      return cloned.emitOpError("has no mean to sample");
  } else {
    Value x = entry->getArgument(xArg);
    Value missing = cloned.getSite().ends_with(kMissingSuffix)
                        ? entry->getArgument(mArg)
                        : Value();
    auto perExample = getBatchTensorType(ctx, 1);
    Value lp = LogProbOp::create(b, loc, perExample, dist, x, missing);
    Value nll = SubOp::create(b, loc, ZerosOp::create(b, loc, perExample), lp);
    returned = MeanOp::create(b, loc, b.getF32Type(), nll);
  }
  cloned.erase();
  if (kind == PrimaryFn::SampleSteps) {
    returned = recordAfterEachStep(*entry, returned);
    if (!returned) {
      func.erase();
      return success();
    }
    func.setType(b.getFunctionType(inputs, {returned.getType()}));
    b.setInsertionPointToEnd(entry);
  }
  func::ReturnOp::create(b, loc, returned);
  return success();
}

/// A function `name(data views, parameters, key, stream) -> results` whose
/// body is `rollout`'s with its nets inlined and its parameters bound;
/// `mapping` maps the rollout's values to the function's. The builder is
/// left at the end of the body, before any terminator.
static FailureOr<func::FuncOp> buildRolloutFunc(OpBuilder &b, ModelOp model,
                                                RolloutOp rollout,
                                                StringRef name,
                                                TypeRange results,
                                                IRMapping &mapping) {
  Block &rolloutBody = rollout.getBody().front();
  SmallVector<Type> inputs(rolloutBody.getArgumentTypes());
  SmallVector<Attribute> argAttrs;
  for (Attribute read : rollout.getReads())
    argAttrs.push_back(b.getDictionaryAttr(b.getNamedAttr(GPSDialect::ReadAttrHelper::getNameStr(), read)));
  SmallVector<ParamOp> params(model.getBody().getOps<ParamOp>());
  appendParamAndRngArgs(b, params, inputs, argAttrs);
  auto module = model->getParentOfType<ModuleOp>();
  b.setInsertionPointToEnd(module.getBody());
  auto func = func::FuncOp::create(b, model.getLoc(), name,
                                   b.getFunctionType(inputs, results));
  func.setAllArgAttrs(argAttrs);
  func->setAttr(GPSDialect::ModelAttrHelper::getNameStr(), model.getSymNameAttr());
  Block *entry = func.addEntryBlock();
  mapping.map(rolloutBody.getArguments(),
              entry->getArguments().take_front(rolloutBody.getNumArguments()));
  b.setInsertionPointToEnd(entry);
  for (Operation &op : rolloutBody.without_terminator())
    b.clone(op, mapping);
  if (failed(inlineNets(func, model)) ||
      failed(bindParams(func, params, rolloutBody.getNumArguments())))
    return failure();
  b.setInsertionPointToEnd(entry);
  return func;
}

/// `@gps_log_weights`: log w = -(nll + kl(q||p)) per example, from the
/// rollout gps-expand-kl expanded with Monte Carlo terms at every site.
LogicalResult BuildLossPass::buildLogWeights(ModelOp model,
                                             RolloutOp rollout) {
  MLIRContext *ctx = model.getContext();
  auto terms = rollout.getTerms();
  auto perExample = getBatchTensorType(ctx, 1);
  if (!terms || terms->size() != 2)
    return rollout.emitOpError("is not expanded into nll and kl(q||p)");
  OpBuilder b(ctx);
  IRMapping mapping;
  FailureOr<func::FuncOp> func = buildRolloutFunc(
      b, model, rollout, kLogWeightsFn, TypeRange{perExample}, mapping);
  if (failed(func))
    return failure();
  Location loc = rollout.getLoc();
  auto ret = rollout.getBody().front().getTerminator();
  Value negLogW = AddOp::create(b, loc, mapping.lookup(ret->getOperand(0)),
                                mapping.lookup(ret->getOperand(1)));
  Value logW =
      SubOp::create(b, loc, ZerosOp::create(b, loc, perExample), negLogW);
  func::ReturnOp::create(b, loc, logW);
  return success();
}

LogicalResult BuildLossPass::build(ModelOp model) {
  MLIRContext *ctx = model.getContext();
  RolloutOp rollout;
  for (RolloutOp r : model.getBody().getOps<RolloutOp>())
    if (r.getSymName() != kLogWeightsRollout)
      rollout = r;
  if (!rollout || !rollout.getTerms())
    return model.emitOpError("has no expanded gps.rollout; run "
                             "gps-pair-policies and gps-expand-kl first");
  ObjectiveOp objective;
  for (ObjectiveOp o : model.getBody().getOps<ObjectiveOp>())
    objective = o;
  if (!objective)
    return model.emitOpError("has no gps.objective");

  OpBuilder b(ctx);
  Block &rolloutBody = rollout.getBody().front();
  Type f32 = b.getF32Type();
  ArrayAttr terms = *rollout.getTerms();
  // Per-example terms become batch means; per-step terms are means already.
  SmallVector<Type> results{f32};
  for (auto [term, type] : llvm::zip(
           terms.getAsRange<TermAttr>(),
           rolloutBody.getTerminator()->getOperandTypes()))
    results.push_back(term.isPerStep() ? type : f32);
  SmallVector<Attribute> names{TermAttr::get(ctx, TermKind::objective)};
  names.append(terms.begin(), terms.end());

  // The rollout body, then its nets inlined and its parameters bound.
  IRMapping mapping;
  FailureOr<func::FuncOp> func =
      buildRolloutFunc(b, model, rollout, kLossFn, results, mapping);
  if (failed(func))
    return failure();
  (*func)->setAttr(GPSDialect::TermsAttrHelper::getNameStr(),
                   b.getArrayAttr(names));
  (*func)->setAttr(GPSDialect::DifferentiateAttrHelper::getNameStr(),
                   b.getUnitAttr());

  // Batch means of the terms, then the objective on them.
  llvm::DenseMap<TermKind, Value> means;
  SmallVector<Value> returned{Value()};
  for (auto [term, value] : llvm::zip(terms.getAsRange<TermAttr>(),
                                      rolloutBody.getTerminator()->getOperands())) {
    Value mean = mapping.lookup(value);
    if (!term.isPerStep()) {
      mean = MeanOp::create(b, rollout.getLoc(), f32, mean);
      means[term.getKind()] = mean;
    }
    returned.push_back(mean);
  }
  IRMapping objMapping;
  for (Operation &op : objective.getBody().front()) {
    if (auto ret = llvm::dyn_cast<ReturnOp>(op)) {
      returned[0] = objMapping.lookup(ret.getValues()[0]);
      break;
    }
    if (op.hasTrait<OpTrait::ZeroOperands>() && op.getNumResults() == 1 &&
        op.getDialect() == model->getDialect()) {
      std::optional<TermKind> kind = rollout.getTermOf(&op);
      Value mean = kind ? means.lookup(*kind) : Value();
      if (!mean)
        return op.emitOpError("is not a term of the expanded rollout");
      objMapping.map(op.getResult(0), mean);
      continue;
    }
    b.clone(op, objMapping);
  }
  func::ReturnOp::create(b, objective.getLoc(), returned);
  return success();
}

void BuildLossPass::runOnOperation() {
  ModuleOp module = getOperation();
  if (module.lookupSymbol(kLossFn))
    return;
  SmallVector<ModelOp> models(module.getOps<ModelOp>());
  if (models.size() > 1) {
    models[1].emitOpError("is a second model; a trainer holds one model");
    return signalPassFailure();
  }
  for (ModelOp model : models) {
    bool masked = !model.getBody().getOps<MaskOp>().empty();
    if (failed(build(model)) ||
        (masked && failed(buildPrimary(model, PrimaryFn::Loss))) ||
        failed(buildPrimary(model, PrimaryFn::Sample)) ||
        failed(buildPrimary(model, PrimaryFn::SampleSteps)))
      return signalPassFailure();
    for (RolloutOp rollout : model.getBody().getOps<RolloutOp>())
      if (rollout.getSymName() == kLogWeightsRollout &&
          failed(buildLogWeights(model, rollout)))
        return signalPassFailure();
  }
}
