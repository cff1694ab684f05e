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
struct BuildLossPass : public gps::impl::BuildLossPassBase<BuildLossPass> {
  void runOnOperation() override;
  LogicalResult build(ModelOp model);
  LogicalResult buildPrimary(ModelOp model, bool forSample);
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

/// The primary alone, for the trainer's unguided evaluation and sampling:
/// `@gps_primary_loss` returns the batch mean of -log p(observed | inputs)
/// (models with a mask: the missing elements given the known ones);
/// `@gps_sample` returns the mean of the observed site's distribution.
/// A model with an imputation policy is evaluated and sampled by it
/// instead.
LogicalResult BuildLossPass::buildPrimary(ModelOp model, bool forSample) {
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
      b, primary.getLoc(), forSample ? kSampleFn : kPrimaryLossFn,
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
        (masked && failed(buildPrimary(model, /*forSample=*/false))) ||
        failed(buildPrimary(model, /*forSample=*/true)))
      return signalPassFailure();
    for (RolloutOp rollout : model.getBody().getOps<RolloutOp>())
      if (rollout.getSymName() == kLogWeightsRollout &&
          failed(buildLogWeights(model, rollout)))
        return signalPassFailure();
  }
}
