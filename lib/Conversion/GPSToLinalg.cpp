//===- GPSToLinalg.cpp - the convert-gps-to-linalg pass -------------------===//
//
// Lowers the gps primitives left after gps-autodiff to linalg, tensor, scf,
// math and arith on tensors, with the batch size made explicit.
//
//===----------------------------------------------------------------------===//

#include "gps/Conversion/GPSToLinalg.h"
#include "gps/Conversion/PhiloxNormal.h"
#include "gps/Dialect/GPS/GPSOps.h"
#include "gps/Dialect/GPS/GPSPasses.h"
#include "gps/Runtime/Contract.h"

#include "mlir/IR/AffineMap.h"
#include "mlir/Transforms/DialectConversion.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/TypeSwitch.h"

namespace gps {
#define GEN_PASS_DEF_CONVERTGPSTOLINALGPASS
#include "gps/Dialect/GPS/GPSPasses.h.inc"
} // namespace gps

using namespace mlir;
using namespace gps;

/// The runtime's normal generator (Contract.h, Interface.h).
static const StringRef kNormalFn(gps::rt::contract::kNormalFn.data(),
                                 gps::rt::contract::kNormalFn.size());

namespace {

using LoweringState = GPSToLinalgState;

/// tensor.empty of `type`, its dynamic dimensions the batch size.
static Value empty(OpBuilder &b, Location loc, RankedTensorType type,
                   Value batch) {
  SmallVector<Value> dyn(type.getNumDynamicDims(), batch);
  return tensor::EmptyOp::create(b, loc, type.getShape(),
                                 type.getElementType(), dyn);
}

static Value constantF32(OpBuilder &b, Location loc, float v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}

static Value filled(OpBuilder &b, Location loc, RankedTensorType type,
                    Value batch, Value scalar) {
  return linalg::FillOp::create(b, loc, scalar, empty(b, loc, type, batch))
      .getResult(0);
}

/// A parallel linalg.generic over the result's iteration space.
static Value generic(OpBuilder &b, Location loc, RankedTensorType type,
                     Value batch, ValueRange inputs, ArrayRef<AffineMap> maps,
                     function_ref<Value(OpBuilder &, Location, ValueRange)> fn) {
  SmallVector<AffineMap> all(maps);
  all.push_back(b.getMultiDimIdentityMap(type.getRank()));
  SmallVector<utils::IteratorType> iters(type.getRank(),
                                         utils::IteratorType::parallel);
  auto op = linalg::GenericOp::create(
      b, loc, type, inputs, ValueRange{empty(b, loc, type, batch)}, all, iters,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        linalg::YieldOp::create(nb, nl, fn(nb, nl, args.drop_back()));
      });
  return op.getResult(0);
}

/// An elementwise generic on operands of the result's shape.
static Value elementwise(OpBuilder &b, Location loc, RankedTensorType type,
                         Value batch, ValueRange inputs,
                         function_ref<Value(OpBuilder &, Location, ValueRange)> fn) {
  SmallVector<AffineMap> maps(inputs.size(),
                              b.getMultiDimIdentityMap(type.getRank()));
  return generic(b, loc, type, batch, inputs, maps, fn);
}

template <typename SourceOp>
struct GPSPattern : OpConversionPattern<SourceOp> {
  GPSPattern(const TypeConverter &converter, MLIRContext *ctx,
             const LoweringState &state, PatternBenefit benefit = 1)
      : OpConversionPattern<SourceOp>(converter, ctx, benefit), state(state) {}
  const LoweringState &state;
};

/// The scalar body of each elementwise op.
static Value scalarBody(Operation *op, OpBuilder &b, Location loc,
                        ValueRange a) {
  Value zero = constantF32(b, loc, 0.0f);
  return llvm::TypeSwitch<Operation *, Value>(op)
      .Case<AddOp>([&](auto) { return arith::AddFOp::create(b, loc, a[0], a[1]); })
      .Case<SubOp>([&](auto) { return arith::SubFOp::create(b, loc, a[0], a[1]); })
      .Case<MulOp>([&](auto) { return arith::MulFOp::create(b, loc, a[0], a[1]); })
      .Case<DivOp>([&](auto) { return arith::DivFOp::create(b, loc, a[0], a[1]); })
      .Case<ExpOp>([&](auto) { return math::ExpOp::create(b, loc, a[0]); })
      .Case<LogOp>([&](auto) { return math::LogOp::create(b, loc, a[0]); })
      .Case<TanhOp>([&](auto) { return math::TanhOp::create(b, loc, a[0]); })
      .Case<ReluOp>([&](auto) {
        return arith::MaximumFOp::create(b, loc, a[0], zero);
      })
      .Case<SigmoidOp>([&](auto) -> Value {
        Value one = constantF32(b, loc, 1.0f);
        Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, a[0]));
        return arith::DivFOp::create(b, loc, one,
                                     arith::AddFOp::create(b, loc, one, e));
      })
      .Case<SoftplusOp>([&](auto) -> Value {
        // max(x, 0) + log1p(exp(-|x|)): no overflow for large |x|.
        Value pos = arith::MaximumFOp::create(b, loc, a[0], zero);
        Value absx = math::AbsFOp::create(b, loc, a[0]);
        Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, absx));
        return arith::AddFOp::create(b, loc, pos, math::Log1pOp::create(b, loc, e));
      })
      .Case<ReluGradOp>([&](auto) -> Value {
        Value positive = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                               a[0], zero);
        return arith::SelectOp::create(b, loc, positive, a[1], zero);
      })
      .Default([](Operation *) -> Value { return {}; });
}

template <typename SourceOp>
struct ElementwisePattern : GPSPattern<SourceOp> {
  using GPSPattern<SourceOp>::GPSPattern;
  LogicalResult
  matchAndRewrite(SourceOp op, typename SourceOp::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = llvm::cast<RankedTensorType>(op.getType());
    Operation *raw = op.getOperation();
    Value result = elementwise(
        rewriter, op.getLoc(), type, this->state.batchOf(op),
        adaptor.getOperands(),
        [&](OpBuilder &b, Location loc, ValueRange args) {
          return scalarBody(raw, b, loc, args);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct ZerosPattern : GPSPattern<ZerosOp> {
  using GPSPattern::GPSPattern;
  LogicalResult
  matchAndRewrite(ZerosOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    rewriter.replaceOp(op, filled(rewriter, loc,
                                  llvm::cast<RankedTensorType>(op.getType()),
                                  state.batchOf(op),
                                  constantF32(rewriter, loc, 0.0f)));
    return success();
  }
};

struct SplatPattern : GPSPattern<SplatOp> {
  using GPSPattern::GPSPattern;
  LogicalResult
  matchAndRewrite(SplatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, filled(rewriter, op.getLoc(), op.getType(),
                                  state.batchOf(op), adaptor.getValue()));
    return success();
  }
};

struct BroadcastPattern : GPSPattern<BroadcastOp> {
  using GPSPattern::GPSPattern;
  LogicalResult
  matchAndRewrite(BroadcastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    MLIRContext *ctx = op.getContext();
    AffineMap row = AffineMap::get(2, 0, {getAffineDimExpr(1, ctx)}, ctx);
    rewriter.replaceOp(
        op, generic(rewriter, op.getLoc(), op.getType(), state.batchOf(op),
                    adaptor.getInput(), {row},
                    [](OpBuilder &, Location, ValueRange a) { return a[0]; }));
    return success();
  }
};

struct ExpandPattern : GPSPattern<ExpandOp> {
  using GPSPattern::GPSPattern;
  LogicalResult
  matchAndRewrite(ExpandOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    MLIRContext *ctx = op.getContext();
    AffineMap col = AffineMap::get(
        2, 0, {getAffineDimExpr(0, ctx), getAffineConstantExpr(0, ctx)}, ctx);
    rewriter.replaceOp(
        op, generic(rewriter, op.getLoc(), op.getType(), state.batchOf(op),
                    adaptor.getInput(), {col},
                    [](OpBuilder &, Location, ValueRange a) { return a[0]; }));
    return success();
  }
};

/// A sum of `input` (batch x N) into `init` along the reduced dimensions;
/// `outMap` maps (b, n) to the result's index.
static Value reduceSum(OpBuilder &b, Location loc, Value input, Value init,
                       AffineMap outMap,
                       ArrayRef<utils::IteratorType> iters) {
  auto op = linalg::GenericOp::create(
      b, loc, init.getType(), ValueRange{input}, ValueRange{init},
      {b.getMultiDimIdentityMap(2), outMap}, iters,
      [](OpBuilder &nb, Location nl, ValueRange args) {
        linalg::YieldOp::create(
            nb, nl, ValueRange{arith::AddFOp::create(nb, nl, args[0], args[1])});
      });
  return op.getResult(0);
}

struct SumPattern : GPSPattern<SumOp> {
  using GPSPattern::GPSPattern;
  LogicalResult
  matchAndRewrite(SumOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    Value init = filled(rewriter, loc, op.getType(), state.batchOf(op),
                        constantF32(rewriter, loc, 0.0f));
    AffineMap out = AffineMap::get(
        2, 0, {getAffineDimExpr(0, ctx), getAffineConstantExpr(0, ctx)}, ctx);
    rewriter.replaceOp(op, reduceSum(rewriter, loc, adaptor.getInput(), init, out,
                                     {utils::IteratorType::parallel,
                                      utils::IteratorType::reduction}));
    return success();
  }
};

struct ColSumPattern : GPSPattern<ColSumOp> {
  using GPSPattern::GPSPattern;
  LogicalResult
  matchAndRewrite(ColSumOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    Value init = filled(rewriter, loc, op.getType(), state.batchOf(op),
                        constantF32(rewriter, loc, 0.0f));
    AffineMap out = AffineMap::get(2, 0, {getAffineDimExpr(1, ctx)}, ctx);
    rewriter.replaceOp(op, reduceSum(rewriter, loc, adaptor.getInput(), init, out,
                                     {utils::IteratorType::reduction,
                                      utils::IteratorType::parallel}));
    return success();
  }
};

/// The batch size as an f32.
static Value batchAsFloat(OpBuilder &b, Location loc, Value batch) {
  Value i = arith::IndexCastOp::create(b, loc, b.getI64Type(), batch);
  return arith::SIToFPOp::create(b, loc, b.getF32Type(), i);
}

struct MeanPattern : GPSPattern<MeanOp> {
  using GPSPattern::GPSPattern;
  LogicalResult
  matchAndRewrite(MeanOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    auto scalarType = RankedTensorType::get({}, rewriter.getF32Type());
    Value init = filled(rewriter, loc, scalarType, Value(),
                        constantF32(rewriter, loc, 0.0f));
    AffineMap out = AffineMap::get(2, 0, {}, ctx);
    Value total = reduceSum(rewriter, loc, adaptor.getInput(), init, out,
                            {utils::IteratorType::reduction,
                             utils::IteratorType::reduction});
    Value sum = tensor::ExtractOp::create(rewriter, loc, total, ValueRange{});
    rewriter.replaceOp(op, arith::DivFOp::create(
                               rewriter, loc, sum,
                               batchAsFloat(rewriter, loc, state.batchOf(op))));
    return success();
  }
};

struct BatchSizePattern : GPSPattern<BatchSizeOp> {
  using GPSPattern::GPSPattern;
  LogicalResult
  matchAndRewrite(BatchSizeOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op,
                       batchAsFloat(rewriter, op.getLoc(), state.batchOf(op)));
    return success();
  }
};

struct GemmPattern : GPSPattern<GemmOp> {
  using GPSPattern::GPSPattern;
  LogicalResult
  matchAndRewrite(GemmOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    Value init = filled(rewriter, loc, op.getType(), state.batchOf(op),
                        constantF32(rewriter, loc, 0.0f));
    AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
               k = getAffineDimExpr(2, ctx);
    auto map = [&](AffineExpr a, AffineExpr b) {
      return AffineMap::get(3, 0, {a, b}, ctx);
    };
    SmallVector<Attribute> maps{
        AffineMapAttr::get(op.getTransposeLhs() ? map(k, m) : map(m, k)),
        AffineMapAttr::get(op.getTransposeRhs() ? map(n, k) : map(k, n)),
        AffineMapAttr::get(map(m, n))};
    auto matmul = linalg::MatmulOp::create(
        rewriter, loc, TypeRange{op.getType()},
        ValueRange{adaptor.getLhs(), adaptor.getRhs()}, ValueRange{init},
        {rewriter.getNamedAttr("indexing_maps", rewriter.getArrayAttr(maps))});
    rewriter.replaceOp(op, matmul.getResult(0));
    return success();
  }
};

struct ConcatPattern : GPSPattern<ConcatOp> {
  using GPSPattern::GPSPattern;
  LogicalResult
  matchAndRewrite(ConcatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value batch = state.batchOf(op);
    Value result = empty(rewriter, loc, op.getType(), batch);
    int64_t offset = 0;
    for (Value input : adaptor.getInputs()) {
      int64_t n = getFeatureSize(input.getType());
      SmallVector<OpFoldResult> offsets{rewriter.getIndexAttr(0),
                                        rewriter.getIndexAttr(offset)};
      SmallVector<OpFoldResult> sizes{batch, rewriter.getIndexAttr(n)};
      SmallVector<OpFoldResult> strides(2, rewriter.getIndexAttr(1));
      result = tensor::InsertSliceOp::create(rewriter, loc, input, result,
                                             offsets, sizes, strides);
      offset += n;
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct SlicePattern : GPSPattern<SliceOp> {
  using GPSPattern::GPSPattern;
  LogicalResult
  matchAndRewrite(SliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    SmallVector<OpFoldResult> offsets{rewriter.getIndexAttr(0),
                                      rewriter.getIndexAttr(op.getOffset())};
    SmallVector<OpFoldResult> sizes{state.batchOf(op),
                                    rewriter.getIndexAttr(op.getSize())};
    SmallVector<OpFoldResult> strides(2, rewriter.getIndexAttr(1));
    rewriter.replaceOp(op, tensor::ExtractSliceOp::create(
                               rewriter, op.getLoc(), op.getType(),
                               adaptor.getInput(), offsets, sizes, strides));
    return success();
  }
};

/// The slice of row `index` of a matrix with `cols` columns, seen as a
/// vector (rank-reduced).
struct MatrixRow {
  MatrixRow(OpBuilder &b, int64_t index, int64_t cols)
      : offsets{b.getIndexAttr(index), b.getIndexAttr(0)},
        sizes{b.getIndexAttr(1), b.getIndexAttr(cols)},
        strides(2, b.getIndexAttr(1)) {}
  SmallVector<OpFoldResult> offsets, sizes, strides;
};

struct RowPattern : GPSPattern<RowOp> {
  using GPSPattern::GPSPattern;
  LogicalResult
  matchAndRewrite(RowOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    MatrixRow row(rewriter, op.getIndex(), op.getType().getDimSize(0));
    rewriter.replaceOp(op, tensor::ExtractSliceOp::create(
                               rewriter, op.getLoc(), op.getType(),
                               adaptor.getInput(), row.offsets, row.sizes,
                               row.strides));
    return success();
  }
};

/// One elementwise generic over the matrix: each element is its row's input
/// or zero. No fill and no copy, and it fuses with the sum it feeds (a
/// parameter's gradient).
struct PutRowsPattern : GPSPattern<PutRowsOp> {
  using GPSPattern::GPSPattern;
  LogicalResult
  matchAndRewrite(PutRowsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ArrayRef<int64_t> indices = op.getIndices();
    // Input k is a row vector, read at column j of every row.
    AffineMap column = AffineMap::get(2, 0, rewriter.getAffineDimExpr(1));
    SmallVector<AffineMap> maps(indices.size(), column);
    rewriter.replaceOp(
        op, generic(rewriter, op.getLoc(), op.getType(), Value(),
                    adaptor.getInputs(), maps,
                    [&](OpBuilder &b, Location l, ValueRange args) {
                      Value row = linalg::IndexOp::create(b, l, 0);
                      Value value = constantF32(b, l, 0.0f);
                      for (auto [arg, index] : llvm::zip_equal(args, indices)) {
                        Value here = arith::CmpIOp::create(
                            b, l, arith::CmpIPredicate::eq, row,
                            arith::ConstantIndexOp::create(b, l, index));
                        value = arith::SelectOp::create(b, l, here, arg, value);
                      }
                      return value;
                    }));
    return success();
  }
};

/// `acc + put_rows(r_0, .., r_k at i_0, .., i_k)` (a parameter's gradient
/// summed over the steps, read by rows) is `acc` with row `i_j` incremented
/// by `r_j`: per row, an extract_slice of `acc`, an add and an insert_slice
/// back. gps-fuse then sums each row into its slice of `acc` (a column sum
/// starting from the slice rather than from a zero fill) and bufferization
/// updates the rows in place: no fill, no matrix-wide pass.
struct AddPutRowsPattern : GPSPattern<AddOp> {
  AddPutRowsPattern(const TypeConverter &converter, MLIRContext *ctx,
                    const LoweringState &state)
      : GPSPattern(converter, ctx, state, /*benefit=*/2) {}
  LogicalResult
  matchAndRewrite(AddOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    for (unsigned k = 0; k < 2; ++k) {
      auto rows = op->getOperand(k).getDefiningOp<PutRowsOp>();
      if (!rows || !rows->hasOneUse())
        continue;
      Location loc = op.getLoc();
      auto type = llvm::cast<RankedTensorType>(op.getType());
      auto rowType =
          RankedTensorType::get({type.getDimSize(1)}, type.getElementType());
      Value acc = adaptor.getOperands()[1 - k];
      for (auto [input, index] :
           llvm::zip_equal(rows.getInputs(), rows.getIndices())) {
        MatrixRow row(rewriter, index, type.getDimSize(1));
        Value slice = tensor::ExtractSliceOp::create(
            rewriter, loc, rowType, acc, row.offsets, row.sizes, row.strides);
        Value sum =
            elementwise(rewriter, loc, rowType, Value(),
                        {slice, rewriter.getRemappedValue(input)},
                        [](OpBuilder &b, Location l, ValueRange args) -> Value {
                          return arith::AddFOp::create(b, l, args[0], args[1]);
                        });
        acc = tensor::InsertSliceOp::create(
            rewriter, loc, sum, acc, row.offsets, row.sizes, row.strides);
      }
      rewriter.replaceOp(op, acc);
      return success();
    }
    return failure();
  }
};

struct NoisePattern : GPSPattern<NoiseOp> {
  using GPSPattern::GPSPattern;
  LogicalResult
  matchAndRewrite(NoiseOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type i64 = rewriter.getI64Type();
    // Each (site, step) draws with its own key, which the runtime derives
    // (gps_rt_noise_key), on the caller's stream: the whole 64-bit stream
    // stays free for the trainer.
    auto c = [&](int64_t v) -> Value {
      return arith::ConstantOp::create(rewriter, loc,
                                       rewriter.getI64IntegerAttr(v));
    };
    Value site = c(state.siteIds.lookup(op.getSite()));
    Value step = adaptor.getStep()
                     ? arith::IndexCastOp::create(rewriter, loc, i64,
                                                  adaptor.getStep())
                           .getResult()
                     : c(0);
    Value key = adaptor.getKey();
    Value stream = adaptor.getStream();
    auto type = op.getType();
    if (state.inlineNoise) {
      // Element (r, c) is number r * cols + c of the site's stream, as in
      // gps_rt_normal, computed where it is needed.
      Value siteKey = buildNoiseKey(rewriter, loc, key, site, step);
      Value cols = c(type.getDimSize(1));
      rewriter.replaceOp(
          op, generic(rewriter, loc, type, state.batchOf(op), ValueRange{}, {},
                      [&](OpBuilder &b, Location l, ValueRange) {
                        auto index = [&](unsigned dim) -> Value {
                          return arith::IndexCastOp::create(
                              b, l, b.getI64Type(),
                              linalg::IndexOp::create(b, l, dim));
                        };
                        Value row = index(0), col = index(1);
                        Value number = arith::AddIOp::create(
                            b, l, arith::MulIOp::create(b, l, row, cols), col);
                        return buildPhiloxNormal(b, l, siteKey, stream,
                                                 number);
                      }));
      return success();
    }
    auto bufType = MemRefType::get(type.getShape(), type.getElementType());
    Value buf = memref::AllocOp::create(rewriter, loc, bufType,
                                        ValueRange{state.batchOf(op)});
    auto anyType = MemRefType::get({ShapedType::kDynamic, ShapedType::kDynamic},
                                   type.getElementType());
    Value any = memref::CastOp::create(rewriter, loc, anyType, buf);
    func::CallOp::create(rewriter, loc, kNormalFn, TypeRange{},
                         ValueRange{any, key, stream, site, step});
    rewriter.replaceOp(op, bufferization::ToTensorOp::create(
                               rewriter, loc, type, buf, /*restrict=*/true,
                               /*writable=*/true));
    return success();
  }
};

struct TapeNewPattern : GPSPattern<TapeNewOp> {
  using GPSPattern::GPSPattern;
  LogicalResult
  matchAndRewrite(TapeNewOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = llvm::cast<RankedTensorType>(
        getTypeConverter()->convertType(op.getType()));
    rewriter.replaceOp(op, empty(rewriter, op.getLoc(), type, state.batchOf(op)));
    return success();
  }
};

/// Offsets, sizes and strides of tape slot `index` holding `element`.
static void tapeSlot(OpBuilder &b, Value index, RankedTensorType element,
                     Value batch, SmallVectorImpl<OpFoldResult> &offsets,
                     SmallVectorImpl<OpFoldResult> &sizes,
                     SmallVectorImpl<OpFoldResult> &strides) {
  offsets.push_back(index);
  sizes.push_back(b.getIndexAttr(1));
  for (int64_t d : element.getShape()) {
    offsets.push_back(b.getIndexAttr(0));
    sizes.push_back(ShapedType::isDynamic(d) ? OpFoldResult(batch)
                                             : OpFoldResult(b.getIndexAttr(d)));
  }
  strides.assign(element.getRank() + 1, b.getIndexAttr(1));
}

struct TapePushPattern : GPSPattern<TapePushOp> {
  using GPSPattern::GPSPattern;
  LogicalResult
  matchAndRewrite(TapePushOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    SmallVector<OpFoldResult> offsets, sizes, strides;
    tapeSlot(rewriter, adaptor.getIndex(),
             llvm::cast<RankedTensorType>(op.getValue().getType()),
             state.batchOf(op), offsets, sizes, strides);
    rewriter.replaceOp(op, tensor::InsertSliceOp::create(
                               rewriter, op.getLoc(), adaptor.getValue(),
                               adaptor.getTape(), offsets, sizes, strides));
    return success();
  }
};

struct TapeGetPattern : GPSPattern<TapeGetOp> {
  using GPSPattern::GPSPattern;
  LogicalResult
  matchAndRewrite(TapeGetOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    SmallVector<OpFoldResult> offsets, sizes, strides;
    auto type = llvm::cast<RankedTensorType>(op.getType());
    tapeSlot(rewriter, adaptor.getIndex(), type, state.batchOf(op), offsets,
             sizes, strides);
    rewriter.replaceOp(op, tensor::ExtractSliceOp::create(
                               rewriter, op.getLoc(), type, adaptor.getTape(),
                               offsets, sizes, strides));
    return success();
  }
};

struct ForPattern : GPSPattern<ForOp> {
  using GPSPattern::GPSPattern;
  LogicalResult
  matchAndRewrite(ForOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int64_t lower = op.getLower(), upper = op.getUpper();
    auto idx = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(rewriter, loc, v);
    };
    auto loop = scf::ForOp::create(rewriter, loc, idx(0),
                                   idx(std::max<int64_t>(upper - lower + 1, 0)),
                                   idx(1), adaptor.getInits());
    Block *newBody = loop.getBody();
    rewriter.setInsertionPointToStart(newBody);
    Value iv = loop.getInductionVar();
    Value t = op.getReverse()
                  ? Value(arith::SubIOp::create(rewriter, loc, idx(upper), iv))
                  : Value(arith::AddIOp::create(rewriter, loc, idx(lower), iv));
    SmallVector<Value> args{t};
    llvm::append_range(args, loop.getRegionIterArgs());
    Block &oldBody = op.getBody().front();
    // The old block's arguments take the new values (converting types).
    TypeConverter::SignatureConversion sig(oldBody.getNumArguments());
    for (auto [i, arg] : llvm::enumerate(oldBody.getArguments()))
      sig.addInputs(i, args[i].getType());
    Block *converted =
        rewriter.applySignatureConversion(&oldBody, sig, getTypeConverter());
    // A loop without state gets a default yield; the old body brings one.
    if (!newBody->empty() && newBody->back().hasTrait<OpTrait::IsTerminator>())
      rewriter.eraseOp(&newBody->back());
    rewriter.inlineBlockBefore(converted, newBody, newBody->end(), args);
    rewriter.replaceOp(op, loop.getResults());
    return success();
  }
};

struct YieldPattern : GPSPattern<YieldOp> {
  using GPSPattern::GPSPattern;
  LogicalResult
  matchAndRewrite(YieldOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<scf::YieldOp>(op, adaptor.getValues());
    return success();
  }
};

struct ConvertGPSToLinalgPass
    : public gps::impl::ConvertGPSToLinalgPassBase<ConvertGPSToLinalgPass> {
  using Base::Base;
  void runOnOperation() override;
};
} // namespace

Value GPSToLinalgState::batchOf(Operation *op) const {
  auto func = op->getParentOfType<func::FuncOp>();
  return func ? batch.lookup(func) : Value();
}

void gps::populateGPSToLinalgTypeConversions(TypeConverter &converter) {
  converter.addConversion([](Type t) { return t; });
  converter.addConversion([](TapeType t) -> Type {
    auto element = llvm::cast<RankedTensorType>(t.getElement());
    SmallVector<int64_t> shape{t.getLength()};
    llvm::append_range(shape, element.getShape());
    return RankedTensorType::get(shape, element.getElementType());
  });
  auto materialize = [](OpBuilder &b, Type type, ValueRange inputs,
                        Location loc) -> Value {
    return UnrealizedConversionCastOp::create(b, loc, type, inputs).getResult(0);
  };
  converter.addSourceMaterialization(materialize);
  converter.addTargetMaterialization(materialize);

}

void gps::populateGPSToLinalgConversionPatterns(
    const TypeConverter &converter, RewritePatternSet &patterns,
    const GPSToLinalgState &state) {
  patterns.add<ElementwisePattern<AddOp>, ElementwisePattern<SubOp>,
               ElementwisePattern<MulOp>, ElementwisePattern<DivOp>,
               ElementwisePattern<ExpOp>, ElementwisePattern<LogOp>,
               ElementwisePattern<TanhOp>, ElementwisePattern<ReluOp>,
               ElementwisePattern<SigmoidOp>, ElementwisePattern<SoftplusOp>,
               ElementwisePattern<ReluGradOp>, ZerosPattern, SplatPattern,
               BroadcastPattern, ExpandPattern, SumPattern, ColSumPattern,
               MeanPattern, BatchSizePattern, GemmPattern, ConcatPattern,
               SlicePattern, RowPattern, PutRowsPattern, AddPutRowsPattern,
               NoisePattern, TapeNewPattern, TapePushPattern, TapeGetPattern,
               ForPattern, YieldPattern>(converter, patterns.getContext(),
                                         state);
}

void ConvertGPSToLinalgPass::runOnOperation() {
  ModuleOp module = getOperation();
  MLIRContext *ctx = &getContext();
  LoweringState state;

  // Batch sizes, read once at each function's entry.
  module.walk([&](func::FuncOp func) {
    auto attr = func->getAttrOfType<IntegerAttr>(
        GPSDialect::BatchArgAttrHelper::getNameStr());
    if (!attr || func.isExternal())
      return;
    OpBuilder b = OpBuilder::atBlockBegin(&func.getBody().front());
    Value arg = func.getArgument(attr.getInt());
    Value zero = arith::ConstantIndexOp::create(b, func.getLoc(), 0);
    Value batch = llvm::isa<MemRefType>(arg.getType())
                      ? Value(memref::DimOp::create(b, func.getLoc(), arg, zero))
                      : Value(tensor::DimOp::create(b, func.getLoc(), arg, zero));
    state.batch[func] = batch;
  });
  WalkResult missing = module.walk([&](Operation *op) {
    if (op->getDialect() && llvm::isa<GPSDialect>(op->getDialect()) &&
        !state.batchOf(op)) {
      op->emitOpError("is not in a function with a gps.batch_arg; run "
                      "gps-build-entries first");
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (missing.wasInterrupted())
    return signalPassFailure();

  // Sites numbered by sorted name (gps_rt_noise_key has 32 bits for them).
  std::vector<std::string> sites;
  module.walk([&](NoiseOp op) { sites.push_back(op.getSite().str()); });
  llvm::sort(sites);
  sites.erase(std::unique(sites.begin(), sites.end()), sites.end());
  for (auto [i, s] : llvm::enumerate(sites))
    state.siteIds[s] = i;
  state.inlineNoise = inlineNoise;
  if (!sites.empty() && !inlineNoise && !module.lookupSymbol(kNormalFn)) {
    OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
    auto f32 = b.getF32Type();
    auto anyType = MemRefType::get({ShapedType::kDynamic, ShapedType::kDynamic}, f32);
    auto fn = func::FuncOp::create(
        b, module.getLoc(), kNormalFn,
        b.getFunctionType({anyType, b.getI64Type(), b.getI64Type(),
                            b.getI64Type(), b.getI64Type()},
                           {}));
    fn.setPrivate();
    fn->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  }

  TypeConverter converter;
  populateGPSToLinalgTypeConversions(converter);
  RewritePatternSet patterns(ctx);
  populateGPSToLinalgConversionPatterns(converter, patterns, state);

  ConversionTarget target(*ctx);
  target.addIllegalDialect<GPSDialect>();
  target.addLegalDialect<arith::ArithDialect, bufferization::BufferizationDialect,
                         func::FuncDialect, linalg::LinalgDialect,
                         math::MathDialect, memref::MemRefDialect,
                         scf::SCFDialect, tensor::TensorDialect>();
  target.addLegalOp<UnrealizedConversionCastOp>();
  if (failed(applyPartialConversion(module, target, std::move(patterns))))
    signalPassFailure();
}
