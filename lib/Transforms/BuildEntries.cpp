//===- BuildEntries.cpp - the gps-build-entries pass ----------------------===//
//
// Wraps the loss functions in the C-ABI entry points of a trainer and embeds
// the model's manifest (see runtime/include/gps/Runtime/Interface.h).
//
//===----------------------------------------------------------------------===//

#include "gps/Conversion/PhiloxNormal.h"
#include "gps/Dialect/GPS/GPSOps.h"
#include "gps/Dialect/GPS/GPSPasses.h"
#include "gps/Dialect/GPS/GPSSymbols.h"
#include "gps/Runtime/Contract.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/JSON.h"

#include <cmath>

namespace gps {
#define GEN_PASS_DEF_BUILDENTRIESPASS
#include "gps/Dialect/GPS/GPSPasses.h.inc"
} // namespace gps

using namespace mlir;
using namespace gps;

namespace contract = gps::rt::contract;
namespace key = gps::rt::contract::key;

static StringRef str(std::string_view name) {
  return StringRef(name.data(), name.size());
}

// The dialect's enums carry the contract's values (GPSOps.td).
static_assert(static_cast<int32_t>(TermKind::kl_q_normal) ==
              static_cast<int32_t>(contract::Term::KLQNormal));
static_assert(static_cast<int32_t>(InitKind::glorot) ==
              static_cast<int32_t>(contract::Init::Glorot));
static_assert(static_cast<int32_t>(MaskKind::mcar) ==
              static_cast<int32_t>(contract::Mask::Mcar));
static_assert(static_cast<int32_t>(DataKind::bits) ==
              static_cast<int32_t>(contract::Data::Bits));
static_assert(static_cast<int32_t>(Role::guide) ==
              static_cast<int32_t>(contract::Role::Guide));

template <typename Contract, typename Kind>
static std::string spell(Kind kind) {
  return std::string(contract::spelling(static_cast<Contract>(kind)));
}

namespace {
/// Who uses a parameter: the net that reads it (none for a `param`), and
/// the roles of the policies that read it, through a net or directly.
struct ParamUse {
  StringRef net;
  bool byPolicy[contract::kNumRoles] = {false, false};
};
} // namespace

/// The users of each parameter of `model`, by name.
static llvm::StringMap<ParamUse> paramUses(ModelOp model) {
  llvm::StringMap<ParamUse> uses;
  llvm::StringMap<SmallVector<StringRef>> netParams;
  for (NetOp net : model.getBody().getOps<NetOp>())
    net.getBody().walk([&](ReadParamOp read) {
      uses[read.getParam()].net = net.getSymName();
      netParams[net.getSymName()].push_back(read.getParam());
    });
  for (PolicyOp policy : model.getBody().getOps<PolicyOp>()) {
    // The manifest's roles are the trained policies': an imputation policy
    // only runs in evaluation, and training never reaches its parameters.
    if (policy.getRole() == Role::impute)
      continue;
    auto role = static_cast<int32_t>(policy.getRole());
    policy.getBody().walk([&](Operation *op) {
      if (auto read = llvm::dyn_cast<ReadParamOp>(op))
        uses[read.getParam()].byPolicy[role] = true;
      if (auto call = llvm::dyn_cast<CallOp>(op))
        for (StringRef param : netParams.lookup(call.getCallee()))
          uses[param].byPolicy[role] = true;
    });
  }
  return uses;
}

/// The manifest of `model` (format: docs/trainer.md).
static std::string buildManifest(ModelOp model, ArrayAttr terms,
                                 ArrayRef<int64_t> offsets,
                                 int64_t paramCount, uint32_t abi,
                                 TapeType sampleSteps) {
  llvm::json::Object root;
  root[str(key::kAbi)] = abi;
  root[str(key::kModel)] = model.getSymName().str();
  root[str(key::kSteps)] = model.getSteps();
  for (DataOp data : model.getBody().getOps<DataOp>()) {
    llvm::json::Object d;
    d[str(key::kName)] = data.getSymName().str();
    d[str(key::kKind)] = spell<contract::Data>(data.getKind());
    d[str(key::kDim)] = data.getSize();
    if (data.getLo()) {
      d[str(key::kLo)] = data.getLo()->convertToDouble();
      d[str(key::kHi)] = data.getHi()->convertToDouble();
    }
    root[str(key::kData)] = std::move(d);
    break;
  }
  root[str(key::kMask)] = nullptr;
  for (MaskOp mask : model.getBody().getOps<MaskOp>()) {
    llvm::json::Object m;
    m[str(key::kName)] = mask.getSymName().str();
    m[str(key::kKind)] = spell<contract::Mask>(mask.getKind());
    m[str(key::kAmount)] = mask.getAmount().convertToDouble();
    if (auto image = mask.getImage())
      m[str(key::kImage)] = llvm::json::Array(llvm::ArrayRef<int64_t>(*image));
    root[str(key::kMask)] = std::move(m);
    break;
  }
  llvm::json::Array params;
  llvm::StringMap<ParamUse> uses = paramUses(model);
  for (auto [i, param] : llvm::enumerate(model.getBody().getOps<ParamOp>())) {
    llvm::json::Object p;
    p[str(key::kName)] = param.getSymName().str();
    p[str(key::kShape)] = llvm::json::Array(param.getType().getShape());
    p[str(key::kInit)] = spell<contract::Init>(param.getInit());
    p[str(key::kOffset)] = offsets[i];
    ParamUse use = uses.lookup(param.getSymName());
    if (!use.net.empty())
      p[str(key::kNet)] = use.net.str();
    llvm::json::Array roles;
    for (int32_t role = 0; role < contract::kNumRoles; ++role)
      if (use.byPolicy[role])
        roles.push_back(
            std::string(contract::spelling(static_cast<contract::Role>(role))));
    p[str(key::kPolicies)] = std::move(roles);
    params.push_back(std::move(p));
  }
  root[str(key::kParams)] = std::move(params);
  root[str(key::kParamCount)] = paramCount;
  llvm::json::Array names;
  for (TermAttr term : terms.getAsRange<TermAttr>()) {
    auto kind = static_cast<contract::Term>(term.getKind());
    if (!term.isPerStep()) {
      names.push_back(std::string(contract::spelling(kind)));
      continue;
    }
    for (int64_t t = *term.getFirst(); t <= *term.getLast(); ++t)
      names.push_back(
          contract::stepSpelling(kind, term.getSite().getValue().str(), t));
  }
  root[str(key::kTerms)] = std::move(names);
  // What the trained primary and the evaluated policy observe.
  auto observation = [](PolicyOp policy) -> llvm::json::Value {
    ObserveOp observe;
    if (policy)
      policy.getBody().walk([&](ObserveOp op) { observe = op; });
    if (!observe)
      return nullptr;
    llvm::json::Object o;
    o[str(key::kSite)] = observe.getSite().str();
    o[str(key::kDist)] =
        stringifyDistKind(
            llvm::cast<DistType>(observe.getDist().getType()).getKind())
            .str();
    return llvm::json::Value(std::move(o));
  };
  llvm::json::Object observes;
  observes[str(key::kGuided)] = observation(model.getPrimary());
  observes[str(key::kUnguided)] = observation(
      model.getImpute() ? model.getImpute() : model.getPrimary());
  root[str(key::kObserves)] = std::move(observes);
  if (sampleSteps) {
    auto element = llvm::cast<RankedTensorType>(sampleSteps.getElement());
    llvm::json::Object steps;
    steps[str(key::kSteps)] = sampleSteps.getLength();
    steps[str(key::kDim)] = element.getDimSize(1);
    root[str(key::kSampleSteps)] = std::move(steps);
  }
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::json::Value(std::move(root));
  return text;
}

namespace {
struct BuildEntriesPass
    : public gps::impl::BuildEntriesPassBase<BuildEntriesPass> {
  using BuildEntriesPassBase::BuildEntriesPassBase;
  void runOnOperation() override;
  LogicalResult build(ModelOp model, func::FuncOp loss, func::FuncOp grad);
};
} // namespace

namespace {
/// What an entry point writes: terms and gradients (train), terms (eval,
/// eval_primary), a batch of rows (sample), steps x batch rows, step-major
/// (sample_steps), or one value per example (log_weights).
enum class EntryKind { Train, Eval, Sample, SampleSteps, PerExample };
} // namespace

/// A function `name(inputs...)` with the C interface and its entry block,
/// the builder inside it.
static func::FuncOp buildFunction(OpBuilder &b, Location loc, StringRef name,
                                  TypeRange inputs) {
  auto func = func::FuncOp::create(b, loc, name, b.getFunctionType(inputs, {}));
  func->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  b.setInsertionPointToStart(func.addEntryBlock());
  return func;
}

/// Builds `name(x, m, params, [grads,] terms|out, key, stream)` that calls
/// the body of `callee` on views of the flat buffers.
static void buildEntry(OpBuilder &b, Location loc, StringRef name,
                       func::FuncOp callee, StringRef maskName,
                       ArrayRef<int64_t> offsets,
                       unsigned numTerms, EntryKind kind) {
  bool withGrads = kind == EntryKind::Train;
  MLIRContext *ctx = b.getContext();
  Type f32 = b.getF32Type();
  auto dyn = ShapedType::kDynamic;
  auto matrix = MemRefType::get({dyn, dyn}, f32);
  auto vector = MemRefType::get({dyn}, f32);
  SmallVector<Type> inputs{matrix, matrix, vector};
  if (withGrads)
    inputs.push_back(vector);
  bool rowsOut = kind == EntryKind::Sample || kind == EntryKind::SampleSteps;
  inputs.append({rowsOut ? matrix : vector, b.getI64Type(),
                 b.getI64Type()});
  OpBuilder::InsertionGuard guard(b);
  func::FuncOp func = buildFunction(b, loc, name, inputs);
  func->setAttr(GPSDialect::BatchArgAttrHelper::getNameStr(),
                b.getI64IntegerAttr(0));
  Block *entry = &func.front();
  Value x = entry->getArgument(0), mask = entry->getArgument(1);
  Value params = entry->getArgument(2);
  Value grads = withGrads ? entry->getArgument(3) : Value();
  Value terms = entry->getArgument(withGrads ? 4 : 3);
  Value key = entry->getArgument(withGrads ? 5 : 4);
  Value stream = entry->getArgument(withGrads ? 6 : 5);

  // A statically shaped view of the flat vector at `offset`.
  auto view = [&](Value flat, int64_t offset, RankedTensorType type) {
    SmallVector<int64_t> strides(type.getRank(), 1);
    for (int i = type.getRank() - 2; i >= 0; --i)
      strides[i] = strides[i + 1] * type.getDimSize(i + 1);
    auto layout = StridedLayoutAttr::get(ctx, offset, strides);
    auto viewType = MemRefType::get(type.getShape(), f32, layout);
    return memref::ReinterpretCastOp::create(b, loc, viewType, flat, offset,
                                             type.getShape(), strides);
  };
  auto rows = [&](Value m, Type type) -> Value {
    Value t = bufferization::ToTensorOp::create(
        b, loc, RankedTensorType::get({dyn, dyn}, f32), m, /*restrict=*/true);
    return tensor::CastOp::create(b, loc, type, t);
  };

  Block &body = callee.getBody().front();
  IRMapping mapping;
  unsigned param = 0;
  SmallVector<RankedTensorType> paramTypes;
  for (BlockArgument arg : body.getArguments()) {
    unsigned i = arg.getArgNumber();
    if (auto read = callee.getArgAttrOfType<StringAttr>(
            i, GPSDialect::ReadAttrHelper::getNameStr())) {
      // The data input, the mask, or a view x.known = x * m,
      // x.missing = x * (1 - m).
      StringRef name = read.getValue();
      Type type = arg.getType();
      if (name == maskName) {
        mapping.map(arg, rows(mask, type));
        continue;
      }
      Value value = rows(x, type);
      if (name.ends_with(kKnownSuffix) || name.ends_with(kMissingSuffix)) {
        Value m = rows(mask, type);
        if (name.ends_with(kMissingSuffix)) {
          Value one = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(1.0f));
          m = SubOp::create(b, loc, SplatOp::create(b, loc, type, one), m);
        }
        value = MulOp::create(b, loc, value, m);
      }
      mapping.map(arg, value);
      continue;
    }
    if (callee.getArgAttr(i, GPSDialect::ParamAttrHelper::getNameStr())) {
      auto type = llvm::cast<RankedTensorType>(arg.getType());
      paramTypes.push_back(type);
      Value v = view(params, offsets[param++], type);
      mapping.map(arg, bufferization::ToTensorOp::create(b, loc, type, v,
                                                         /*restrict=*/true));
      continue;
    }
    auto rng = callee.getArgAttrOfType<StringAttr>(
        i, GPSDialect::RngAttrHelper::getNameStr());
    mapping.map(arg, rng && rng.getValue() == kRngKey ? key : stream);
  }
  for (Operation &op : body.without_terminator())
    b.clone(op, mapping);
  auto ret = llvm::cast<func::ReturnOp>(body.getTerminator());
  if (kind == EntryKind::PerExample) {
    // tensor<?x1xf32> into the vector of `rows` floats.
    Value flat = tensor::CollapseShapeOp::create(
        b, loc, RankedTensorType::get({dyn}, f32),
        mapping.lookup(ret.getOperand(0)),
        ArrayRef<ReassociationIndices>{{0, 1}});
    bufferization::MaterializeInDestinationOp::create(
        b, loc, TypeRange{}, flat, terms, /*restrict=*/true,
        /*writable=*/true);
    func::ReturnOp::create(b, loc);
    return;
  }
  if (rowsOut) {
    Value result = mapping.lookup(ret.getOperand(0));
    if (kind == EntryKind::SampleSteps) {
      // The tape is a tensor<steps x batch x dim> once lowered
      // (convert-gps-to-linalg, which folds this cast away); its steps x
      // batch rows go out step-major.
      auto tape = llvm::cast<TapeType>(result.getType());
      auto element = llvm::cast<RankedTensorType>(tape.getElement());
      int64_t width = element.getDimSize(1);
      Value stacked = UnrealizedConversionCastOp::create(
                          b, loc,
                          RankedTensorType::get(
                              {tape.getLength(), dyn, width}, f32),
                          result)
                          .getResult(0);
      result = tensor::CollapseShapeOp::create(
          b, loc, RankedTensorType::get({dyn, width}, f32), stacked,
          ArrayRef<ReassociationIndices>{{0, 1}, {2}});
    }
    Value out = tensor::CastOp::create(
        b, loc, RankedTensorType::get({dyn, dyn}, f32), result);
    bufferization::MaterializeInDestinationOp::create(
        b, loc, TypeRange{}, out, terms, /*restrict=*/true,
        /*writable=*/true);
    func::ReturnOp::create(b, loc);
    return;
  }
  // Scalar terms take one slot each; a per-step term one slot per step.
  int64_t slot = 0;
  for (unsigned k = 0; k < numTerms; ++k) {
    Value value = mapping.lookup(ret.getOperand(k));
    if (auto steps = llvm::dyn_cast<RankedTensorType>(value.getType())) {
      int64_t n = steps.getDimSize(0);
      Value dest = memref::SubViewOp::create(
          b, loc, terms, ArrayRef<OpFoldResult>{b.getIndexAttr(slot)},
          ArrayRef<OpFoldResult>{b.getIndexAttr(n)},
          ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
      bufferization::MaterializeInDestinationOp::create(
          b, loc, TypeRange{}, value, dest, /*restrict=*/true,
          /*writable=*/true);
      slot += n;
      continue;
    }
    Value idx = arith::ConstantIndexOp::create(b, loc, slot++);
    memref::StoreOp::create(b, loc, value, terms, idx);
  }
  if (withGrads)
    for (auto [k, type] : llvm::enumerate(paramTypes)) {
      Value g = mapping.lookup(ret.getOperand(numTerms + k));
      bufferization::MaterializeInDestinationOp::create(
          b, loc, TypeRange{}, g, view(grads, offsets[k], type),
          /*restrict=*/true, /*writable=*/true);
    }
  func::ReturnOp::create(b, loc);
}

/// `grad_sumsq(grads, out)`: out[0] = the sum of the squares of `grads`,
/// accumulated in f64 (which cannot overflow for finite floats, so it is
/// finite exactly when every element is).
static void buildGradSumsqEntry(OpBuilder &b, Location loc) {
  OpBuilder::InsertionGuard guard(b);
  Type f32 = b.getF32Type(), f64 = b.getF64Type();
  auto dyn = ShapedType::kDynamic;
  auto grads = MemRefType::get({dyn}, f32);
  auto out = MemRefType::get({1}, f64);
  func::FuncOp func = buildFunction(
      b, loc, str(contract::kGradSumsqEntry), TypeRange{grads, out});
  Value g = bufferization::ToTensorOp::create(
      b, loc, RankedTensorType::get({dyn}, f32), func.getArgument(0),
      /*restrict=*/true);
  Value zero = arith::ConstantOp::create(b, loc, b.getF64FloatAttr(0.0));
  Value init = bufferization::ToTensorOp::create(
      b, loc, RankedTensorType::get({1}, f64), func.getArgument(1),
      /*restrict=*/true, /*writable=*/true);
  Value acc = linalg::FillOp::create(b, loc, zero, init).getResult(0);
  AffineMap id = b.getDimIdentityMap();
  AffineMap first = AffineMap::get(1, 0, b.getAffineConstantExpr(0));
  auto sum = linalg::GenericOp::create(
      b, loc, acc.getType(), ValueRange{g}, ValueRange{acc},
      ArrayRef<AffineMap>{id, first},
      ArrayRef<utils::IteratorType>{utils::IteratorType::reduction},
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value x = arith::ExtFOp::create(nb, nloc, f64, args[0]);
        Value square = arith::MulFOp::create(nb, nloc, x, x);
        Value total = arith::AddFOp::create(nb, nloc, args[1], square);
        linalg::YieldOp::create(nb, nloc, total);
      });
  bufferization::MaterializeInDestinationOp::create(
      b, loc, TypeRange{}, sum.getResult(0), func.getArgument(1),
      /*restrict=*/true, /*writable=*/true);
  func::ReturnOp::create(b, loc);
}

/// `gather(bytes, values, rows, out)`: out[r, d] = values[bytes[rows[r],
/// d]], the batch of the data set's examples `rows` (Dataset::row), from
/// the data set's bytes and the value of each byte; so the data set can
/// stay where the model runs and a batch costs the host only its rows.
static void buildGatherEntry(OpBuilder &b, Location loc) {
  OpBuilder::InsertionGuard guard(b);
  Type f32 = b.getF32Type(), i8 = b.getI8Type(), i64 = b.getI64Type();
  auto dyn = ShapedType::kDynamic;
  auto bytesType = MemRefType::get({dyn, dyn}, i8);
  auto valuesType = MemRefType::get({256}, f32);
  auto rowsType = MemRefType::get({dyn}, i64);
  auto outType = MemRefType::get({dyn, dyn}, f32);
  func::FuncOp func =
      buildFunction(b, loc, str(contract::kGatherEntry),
                    TypeRange{bytesType, valuesType, rowsType, outType});
  // On the buffers themselves: nothing to bufferize, written in place.
  Value bytes = func.getArgument(0), values = func.getArgument(1),
        rows = func.getArgument(2), out = func.getArgument(3);
  MLIRContext *ctx = b.getContext();
  AffineMap id = AffineMap::getMultiDimIdentityMap(2, ctx);
  AffineMap row = AffineMap::get(2, 0, b.getAffineDimExpr(0));
  SmallVector<utils::IteratorType> parallel(2, utils::IteratorType::parallel);
  linalg::GenericOp::create(
      b, loc, TypeRange{}, ValueRange{rows}, ValueRange{out},
      ArrayRef<AffineMap>{row, id}, parallel,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Type index = nb.getIndexType();
        Value example = arith::IndexCastOp::create(nb, nloc, index, args[0]);
        Value column = linalg::IndexOp::create(nb, nloc, 1);
        Value byte = memref::LoadOp::create(nb, nloc, bytes,
                                            ValueRange{example, column});
        Value which = arith::IndexCastUIOp::create(nb, nloc, index, byte);
        Value value =
            memref::LoadOp::create(nb, nloc, values, ValueRange{which});
        linalg::YieldOp::create(nb, nloc, value);
      });
  func::ReturnOp::create(b, loc);
}

/// The [height, width] the trainer takes a mask's data for (Manifest.cpp):
/// the mask's image, else contract::defaultImageShape.
static std::pair<int64_t, int64_t> maskImage(MaskOp mask, int64_t dim) {
  if (auto image = mask.getImage(); image && image->size() == 2)
    return {(*image)[0], (*image)[1]};
  return contract::defaultImageShape(dim);
}

/// `masks(out, corners, key, stream)`: the masks of a training batch, the
/// numbers the trainer's own sampler draws (runtime/lib/Masks.cpp). MCAR:
/// element i of the batch is missing when uniform i of
/// PhiloxStream(key, stream << 32) is below the drop probability
/// (`corners` is not read). MAR: the trainer draws each example's square
/// (its top and left, `corners` [batch, 2]), which is sequential; the
/// entry writes the masks from them.
static void buildMasksEntry(OpBuilder &b, Location loc, MaskOp mask,
                            int64_t dim) {
  OpBuilder::InsertionGuard guard(b);
  Type f32 = b.getF32Type(), i64 = b.getI64Type();
  auto dyn = ShapedType::kDynamic;
  auto outType = MemRefType::get({dyn, dyn}, f32);
  auto cornersType = MemRefType::get({dyn, 2}, i64);
  func::FuncOp func = buildFunction(b, loc, str(contract::kMasksEntry),
                                    TypeRange{outType, cornersType, i64, i64});
  Value out = func.getArgument(0), corners = func.getArgument(1),
        key = func.getArgument(2), stream = func.getArgument(3);
  MLIRContext *ctx = b.getContext();
  AffineMap id = AffineMap::getMultiDimIdentityMap(2, ctx);
  SmallVector<utils::IteratorType> parallel(2, utils::IteratorType::parallel);
  bool mcar = mask.getKind() == MaskKind::mcar;
  double amount = mask.getAmount().convertToDouble();
  int64_t width = maskImage(mask, dim).second;
  SmallVector<Value> ins;
  SmallVector<AffineMap> maps;
  if (!mcar) {
    ins.assign({corners, corners});
    maps.push_back(AffineMap::get(
        2, 0, {b.getAffineDimExpr(0), b.getAffineConstantExpr(0)}, ctx));
    maps.push_back(AffineMap::get(
        2, 0, {b.getAffineDimExpr(0), b.getAffineConstantExpr(1)}, ctx));
  }
  maps.push_back(id);
  linalg::GenericOp::create(
      b, loc, TypeRange{}, ins, ValueRange{out}, maps, parallel,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        auto constant = [&](int64_t v) {
          return arith::ConstantIntOp::create(nb, nloc, i64, v).getResult();
        };
        auto indexOf = [&](unsigned d) {
          return arith::IndexCastOp::create(
                     nb, nloc, i64, linalg::IndexOp::create(nb, nloc, d))
              .getResult();
        };
        Value example = indexOf(0), pixel = indexOf(1);
        Value missing;
        if (mcar) {
          Value index = arith::AddIOp::create(
              nb, nloc, arith::MulIOp::create(nb, nloc, example, constant(dim)),
              pixel);
          // In the kernel: the host passes `stream` on untouched, so that
          // a recording of the entry reads it from memory.
          Value counter = arith::ShLIOp::create(nb, nloc, stream, constant(32));
          Value u = buildPhiloxUniform(nb, nloc, key, counter, index);
          // nextUniform() < dropProbability, compared in double.
          missing = arith::CmpFOp::create(
              nb, nloc, arith::CmpFPredicate::OLT,
              arith::ExtFOp::create(nb, nloc, nb.getF64Type(), u),
              arith::ConstantOp::create(nb, nloc, nb.getF64FloatAttr(amount)));
        } else {
          // (row - top) and (column - left) in [0, size), unsigned.
          auto size = static_cast<int64_t>(amount);
          Value row = arith::DivUIOp::create(nb, nloc, pixel, constant(width));
          Value column =
              arith::RemUIOp::create(nb, nloc, pixel, constant(width));
          auto within = [&](Value at, Value start) {
            return arith::CmpIOp::create(
                       nb, nloc, arith::CmpIPredicate::ult,
                       arith::SubIOp::create(nb, nloc, at, start),
                       constant(size))
                .getResult();
          };
          missing = arith::AndIOp::create(nb, nloc, within(row, args[0]),
                                          within(column, args[1]));
        }
        Value zero =
            arith::ConstantOp::create(nb, nloc, nb.getF32FloatAttr(0.0f));
        Value one =
            arith::ConstantOp::create(nb, nloc, nb.getF32FloatAttr(1.0f));
        linalg::YieldOp::create(
            nb, nloc,
            arith::SelectOp::create(nb, nloc, missing, zero, one).getResult());
      });
  func::ReturnOp::create(b, loc);
}

/// `adam(params, grads, m, v, coefficients, sums, terms, clip)`: one Adam
/// update of `params` and its moments in place, the runtime's operations in
/// the runtime's order (runtime/lib/Adam.cpp), with every per-update number
/// read from memory, so that one recording of the update serves every
/// update (a CUDA Graph). `coefficients` holds the learning rate, beta1,
/// beta2, epsilon and the bias corrections 1 - beta1^t and 1 - beta2^t
/// (contract::AdamCoefficient); `sums` the gradient's sums of squares
/// (grad_sumsq, one per range), whose total gives the norm the gradient is
/// clipped to `clip` by (none for `clip` <= 0). When that total or one of
/// `terms` is not finite, the update leaves everything as it is: the
/// trainer skips it or stops. One elementwise op on the buffers themselves
/// (one kernel): each element computes the few scalars it needs (the
/// total, in order from 0 as the host sums it, the scale, the check).
static void buildAdamEntry(OpBuilder &b, Location loc) {
  OpBuilder::InsertionGuard guard(b);
  Type f32 = b.getF32Type(), f64 = b.getF64Type();
  auto dyn = ShapedType::kDynamic;
  auto numCoefficients = static_cast<int64_t>(contract::AdamCoefficient::Count);
  auto vector = MemRefType::get({dyn}, f32);
  SmallVector<Type> inputs(4, vector);
  inputs.push_back(MemRefType::get({numCoefficients}, f32));
  inputs.push_back(MemRefType::get({dyn}, f64));
  inputs.push_back(vector);
  inputs.push_back(f64);
  func::FuncOp func =
      buildFunction(b, loc, str(contract::kAdamEntry), inputs);
  Value params = func.getArgument(0), grads = func.getArgument(1),
        m = func.getArgument(2), v = func.getArgument(3),
        coefficients = func.getArgument(4), sums = func.getArgument(5),
        terms = func.getArgument(6), clip = func.getArgument(7);
  Value zeroIndex = arith::ConstantIndexOp::create(b, loc, 0);
  Value oneIndex = arith::ConstantIndexOp::create(b, loc, 1);
  Value numSums = memref::DimOp::create(b, loc, sums, zeroIndex);
  Value numTerms = memref::DimOp::create(b, loc, terms, zeroIndex);
  AffineMap id = b.getDimIdentityMap();
  SmallVector<utils::IteratorType> parallel{utils::IteratorType::parallel};
  linalg::GenericOp::create(
      b, loc, TypeRange{}, ValueRange{grads}, ValueRange{params, m, v},
      ArrayRef<AffineMap>{id, id, id, id}, parallel,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        auto constant = [&](double value, Type type) {
          return arith::ConstantOp::create(nb, nloc,
                                           nb.getFloatAttr(type, value))
              .getResult();
        };
        auto finite = [&](Value x) {
          return arith::CmpFOp::create(nb, nloc, arith::CmpFPredicate::OLT,
                                       math::AbsFOp::create(nb, nloc, x),
                                       constant(INFINITY, x.getType()))
              .getResult();
        };
        // The total of the sums, in their order from 0 (the host's).
        auto sumLoop = scf::ForOp::create(
            nb, nloc, zeroIndex, numSums, oneIndex,
            ValueRange{constant(0.0, f64)},
            [&](OpBuilder &lb, Location lloc, Value i, ValueRange acc) {
              Value sum = memref::LoadOp::create(lb, lloc, sums, i);
              scf::YieldOp::create(
                  lb, lloc,
                  ValueRange{arith::AddFOp::create(lb, lloc, acc[0], sum)});
            });
        Value total = sumLoop.getResult(0);
        // Applied when the total and every term are finite.
        auto termLoop = scf::ForOp::create(
            nb, nloc, zeroIndex, numTerms, oneIndex, ValueRange{finite(total)},
            [&](OpBuilder &lb, Location lloc, Value i, ValueRange ok) {
              Value term = memref::LoadOp::create(lb, lloc, terms, i);
              Value termFinite = arith::CmpFOp::create(
                  lb, lloc, arith::CmpFPredicate::OLT,
                  math::AbsFOp::create(lb, lloc, term),
                  arith::ConstantOp::create(lb, lloc,
                                            lb.getF32FloatAttr(INFINITY)));
              scf::YieldOp::create(lb, lloc,
                                   ValueRange{arith::AndIOp::create(
                                       lb, lloc, ok[0], termFinite)});
            });
        Value apply = termLoop.getResult(0);
        // clipGradNorm's scale: clip / norm when the norm exceeds
        // `clip` > 0, else 1.
        Value norm = math::SqrtOp::create(nb, nloc, total);
        Value clipping = arith::AndIOp::create(
            nb, nloc,
            arith::CmpFOp::create(nb, nloc, arith::CmpFPredicate::OGT, clip,
                                  constant(0.0, f64)),
            arith::CmpFOp::create(nb, nloc, arith::CmpFPredicate::OGT, norm,
                                  clip));
        Value scale = arith::SelectOp::create(
            nb, nloc, clipping,
            arith::TruncFOp::create(
                nb, nloc, f32, arith::DivFOp::create(nb, nloc, clip, norm)),
            constant(1.0, f32));
        using contract::AdamCoefficient;
        auto coefficient = [&](AdamCoefficient which) {
          Value at = arith::ConstantIndexOp::create(
              nb, nloc, static_cast<int64_t>(which));
          return memref::LoadOp::create(nb, nloc, coefficients, at).getResult();
        };
        Value lr = coefficient(AdamCoefficient::LearningRate),
              beta1 = coefficient(AdamCoefficient::Beta1),
              beta2 = coefficient(AdamCoefficient::Beta2),
              eps = coefficient(AdamCoefficient::Epsilon),
              c1 = coefficient(AdamCoefficient::Correction1),
              c2 = coefficient(AdamCoefficient::Correction2);
        Value oldParam = args[1], oldM = args[2], oldV = args[3];
        auto mul = [&](Value x, Value y) {
          return arith::MulFOp::create(nb, nloc, x, y).getResult();
        };
        auto add = [&](Value x, Value y) {
          return arith::AddFOp::create(nb, nloc, x, y).getResult();
        };
        auto div = [&](Value x, Value y) {
          return arith::DivFOp::create(nb, nloc, x, y).getResult();
        };
        Value one = constant(1.0, f32);
        auto oneMinus = [&](Value x) {
          return arith::SubFOp::create(nb, nloc, one, x).getResult();
        };
        Value g = mul(args[0], scale);
        Value m1 = add(mul(beta1, oldM), mul(oneMinus(beta1), g));
        Value v1 = add(mul(beta2, oldV), mul(mul(oneMinus(beta2), g), g));
        Value root = math::SqrtOp::create(nb, nloc, div(v1, c2));
        Value step = div(mul(lr, div(m1, c1)), add(root, eps));
        Value p1 = arith::SubFOp::create(nb, nloc, oldParam, step);
        auto pick = [&](Value updated, Value old) {
          return arith::SelectOp::create(nb, nloc, apply, updated, old)
              .getResult();
        };
        linalg::YieldOp::create(
            nb, nloc,
            ValueRange{pick(p1, oldParam), pick(m1, oldM), pick(v1, oldV)});
      });
  func::ReturnOp::create(b, loc);
}

LogicalResult BuildEntriesPass::build(ModelOp model, func::FuncOp loss,
                                      func::FuncOp grad) {
  OpBuilder b(model);
  Location loc = model.getLoc();
  SmallVector<int64_t> offsets;
  int64_t count = 0;
  for (ParamOp param : model.getBody().getOps<ParamOp>()) {
    offsets.push_back(count);
    count += param.getType().getNumElements();
  }
  auto terms = loss->getAttrOfType<ArrayAttr>(
      GPSDialect::TermsAttrHelper::getNameStr());
  if (!terms || !llvm::all_of(terms, llvm::IsaPred<TermAttr>))
    return loss.emitOpError("has no gps.terms naming its results");

  StringRef maskName;
  for (MaskOp mask : model.getBody().getOps<MaskOp>())
    maskName = mask.getSymName();
  buildEntry(b, loc, str(contract::kTrainEntry), grad, maskName, offsets, terms.size(),
             EntryKind::Train);
  buildEntry(b, loc, str(contract::kEvalEntry), loss, maskName, offsets, terms.size(),
             EntryKind::Eval);
  auto module = model->getParentOfType<ModuleOp>();
  if (auto primary = module.lookupSymbol<func::FuncOp>(kPrimaryLossFn)) {
    buildEntry(b, loc, str(contract::kEvalPrimaryEntry), primary, maskName, offsets, 1,
               EntryKind::Eval);
    primary.erase();
  }
  if (auto weights = module.lookupSymbol<func::FuncOp>(kLogWeightsFn)) {
    buildEntry(b, loc, str(contract::kLogWeightsEntry), weights, maskName,
               offsets, 0, EntryKind::PerExample);
    weights.erase();
  }
  if (auto sample = module.lookupSymbol<func::FuncOp>(kSampleFn)) {
    buildEntry(b, loc, str(contract::kSampleEntry), sample, maskName, offsets, 0,
               EntryKind::Sample);
    sample.erase();
  }
  TapeType sampleSteps;
  if (auto steps = module.lookupSymbol<func::FuncOp>(kSampleStepsFn)) {
    auto types = steps.getFunctionType().getResults();
    auto tape = types.size() == 1 ? llvm::dyn_cast<TapeType>(types[0])
                                  : TapeType();
    auto element =
        tape ? llvm::dyn_cast<RankedTensorType>(tape.getElement()) : nullptr;
    if (!element || element.getRank() != 2 || element.isDynamicDim(1))
      return steps.emitOpError("must return a tape of batched rows");
    sampleSteps = tape;
    buildEntry(b, loc, str(contract::kSampleStepsEntry), steps, maskName,
               offsets, 0, EntryKind::SampleSteps);
    steps.erase();
  }

  // The optimizer's, on the flat vectors, and the batch's gather: the same
  // for every model.
  buildGradSumsqEntry(b, loc);
  buildAdamEntry(b, loc);
  buildGatherEntry(b, loc);
  for (MaskOp mask : model.getBody().getOps<MaskOp>()) {
    for (DataOp data : model.getBody().getOps<DataOp>())
      if (data.getSymName() == mask.getData())
        buildMasksEntry(b, loc, mask, data.getSize());
    break;
  }

  // The manifest string and its accessor.
  uint32_t abi = abiVersion ? abiVersion : contract::kAbiVersion;
  std::string text =
      buildManifest(model, terms, offsets, count, abi, sampleSteps);
  text.push_back('\0');
  auto ctx = b.getContext();
  auto arrayType = LLVM::LLVMArrayType::get(IntegerType::get(ctx, 8),
                                            text.size());
  LLVM::GlobalOp::create(b, loc, arrayType, /*isConstant=*/true,
                         LLVM::Linkage::Internal, "gps_manifest",
                         b.getStringAttr(text));
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  auto fn = LLVM::LLVMFuncOp::create(b, loc, str(contract::kManifestFn),
                                     LLVM::LLVMFunctionType::get(ptr, {}));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(fn.addEntryBlock(b));
  Value addr = LLVM::AddressOfOp::create(b, loc, ptr, "gps_manifest");
  LLVM::ReturnOp::create(b, loc, addr);

  // gps_model_check_abi(): hands the runtime the ABI version and magic this
  // code was compiled against; the trainer calls it before anything else.
  b.setInsertionPointAfter(fn);
  auto i32 = b.getI32Type();
  auto voidType = LLVM::LLVMVoidType::get(ctx);
  auto checkType = LLVM::LLVMFunctionType::get(voidType, {i32, i32});
  if (!model->getParentOfType<ModuleOp>().lookupSymbol(
          str(contract::kCheckAbiFn)))
    LLVM::LLVMFuncOp::create(b, loc, str(contract::kCheckAbiFn), checkType);
  auto check = LLVM::LLVMFuncOp::create(b, loc, str(contract::kCheckAbiEntry),
                                        LLVM::LLVMFunctionType::get(voidType, {}));
  b.setInsertionPointToStart(check.addEntryBlock(b));
  Value version = LLVM::ConstantOp::create(
      b, loc, i32, b.getI32IntegerAttr(static_cast<int32_t>(abi)));
  Value magic = LLVM::ConstantOp::create(
      b, loc, i32,
      b.getI32IntegerAttr(static_cast<int32_t>(contract::kAbiMagic)));
  LLVM::CallOp::create(b, loc, checkType,
                       FlatSymbolRefAttr::get(ctx, str(contract::kCheckAbiFn)),
                       ValueRange{version, magic});
  LLVM::ReturnOp::create(b, loc, ValueRange{});
  return success();
}

void BuildEntriesPass::runOnOperation() {
  ModuleOp module = getOperation();
  auto loss = module.lookupSymbol<func::FuncOp>(kLossFn);
  auto grad = module.lookupSymbol<func::FuncOp>(gradientFnName(kLossFn));
  SmallVector<ModelOp> models(module.getOps<ModelOp>());
  if (!loss || !grad || models.size() != 1) {
    module.emitError("gps-build-entries needs one gps.model with @gps_loss "
                     "and @gps_loss_grad (run gps-build-loss and "
                     "gps-autodiff first)");
    return signalPassFailure();
  }
  if (failed(build(models[0], loss, grad)))
    return signalPassFailure();
  loss.erase();
  grad.erase();
  models[0].erase();
}
