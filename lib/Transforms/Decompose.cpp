//===- Decompose.cpp - the gps-decompose pass -----------------------------===//
//
// Rewrites distributions and compound math ops into the primitives that
// gps-autodiff differentiates: gemm, elementwise ops, sums, slices, noise.
//
//===----------------------------------------------------------------------===//

#include "gps/Dialect/GPS/GPSOps.h"
#include "gps/Dialect/GPS/GPSPasses.h"
#include "gps/Dialect/GPS/GPSSymbols.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace gps {
#define GEN_PASS_DEF_DECOMPOSEPASS
#include "gps/Dialect/GPS/GPSPasses.h.inc"
} // namespace gps

using namespace mlir;
using namespace gps;

namespace {

/// Emits primitives at one location. Callers name intermediate values so
/// that the ops come out in source order whatever order the C++ compiler
/// evaluates function arguments in.
struct Emitter {
  PatternRewriter &b;
  Location loc;

  MLIRContext *ctx() { return b.getContext(); }
  Value splat(Type type, float value) {
    Value c = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
    return SplatOp::create(b, loc, type, c);
  }
  Value zeros(Type type) { return ZerosOp::create(b, loc, type); }
  Value add(Value x, Value y) { return AddOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return SubOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return MulOp::create(b, loc, x, y); }
  Value exp(Value x) { return ExpOp::create(b, loc, x); }
  Value sum(Value x) {
    return SumOp::create(b, loc, getBatchTensorType(ctx(), 1), x);
  }
  Value gemm(Value x, Value w) {
    auto xt = llvm::cast<RankedTensorType>(x.getType());
    auto wt = llvm::cast<RankedTensorType>(w.getType());
    auto type = RankedTensorType::get({xt.getDimSize(0), wt.getDimSize(1)},
                                      xt.getElementType());
    return GemmOp::create(b, loc, type, x, w);
  }
  Value slice(Value x, int64_t offset, int64_t size) {
    return SliceOp::create(b, loc, getBatchTensorType(ctx(), size), x, offset,
                           size);
  }
  Value broadcast(Value v, Type type) {
    return BroadcastOp::create(b, loc, type, v);
  }
};

/// The mean and log-variance of a Gaussian or standard normal distribution
/// value; a null part is zero (the standard normal).
struct GaussianParts {
  Value mean, logvar;
};

static FailureOr<GaussianParts> gaussianParts(Value dist) {
  if (auto g = dist.getDefiningOp<GaussianOp>())
    return GaussianParts{g.getMean(), g.getLogvar()};
  if (dist.getDefiningOp<StdNormalOp>())
    return GaussianParts{};
  return failure();
}

/// The tensor type of a distribution's events.
static Type eventType(Value dist) {
  return getBatchTensorType(dist.getContext(),
                            llvm::cast<DistType>(dist.getType()).getSize());
}

/// `part` or zeros where it is null.
static Value orZeros(Emitter &e, Value part, Type type) {
  return part ? part : e.zeros(type);
}

struct AffinePattern : OpRewritePattern<AffineOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AffineOp op,
                                PatternRewriter &rewriter) const override {
    Emitter e{rewriter, op.getLoc()};
    Value y = e.gemm(op.getInput(), op.getWeight());
    rewriter.replaceOp(op, e.add(y, e.broadcast(op.getBias(), op.getType())));
    return success();
  }
};

struct MatmulPattern : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatmulOp op,
                                PatternRewriter &rewriter) const override {
    Emitter e{rewriter, op.getLoc()};
    rewriter.replaceOp(op, e.gemm(op.getLhs(), op.getRhs()));
    return success();
  }
};

struct FillPattern : OpRewritePattern<FillOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(FillOp op,
                                PatternRewriter &rewriter) const override {
    // m * known + (1 - m) * guess.
    Emitter e{rewriter, op.getLoc()};
    Value m = op.getMask();
    Value unknown = e.sub(e.splat(m.getType(), 1.0f), m);
    Value known = e.mul(m, op.getKnown());
    rewriter.replaceOp(op, e.add(known, e.mul(unknown, op.getGuess())));
    return success();
  }
};

struct SamplePattern : OpRewritePattern<SampleOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SampleOp op,
                                PatternRewriter &rewriter) const override {
    FailureOr<GaussianParts> parts = gaussianParts(op.getDist());
    if (failed(parts))
      return rewriter.notifyMatchFailure(op, "not a Gaussian");
    auto func = op->getParentOfType<func::FuncOp>();
    Value key, stream;
    for (BlockArgument arg : func.getArguments())
      if (auto rng = func.getArgAttrOfType<StringAttr>(
              arg.getArgNumber(), GPSDialect::RngAttrHelper::getNameStr()))
        (rng.getValue() == kRngKey ? key : stream) = arg;
    if (!key || !stream)
      return rewriter.notifyMatchFailure(op, "no gps.rng arguments");
    Emitter e{rewriter, op.getLoc()};
    Value eps = NoiseOp::create(rewriter, op.getLoc(), op.getType(),
                                op.getSiteAttr(), op.getStep(), key, stream);
    if (!parts->mean && !parts->logvar) {
      rewriter.replaceOp(op, eps);
      return success();
    }
    Value sd = e.exp(e.mul(parts->logvar, e.splat(op.getType(), 0.5f)));
    rewriter.replaceOp(op, e.add(parts->mean, e.mul(sd, eps)));
    return success();
  }
};

struct KLDivPattern : OpRewritePattern<KLDivOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(KLDivOp op,
                                PatternRewriter &rewriter) const override {
    FailureOr<GaussianParts> from = gaussianParts(op.getFrom());
    FailureOr<GaussianParts> to = gaussianParts(op.getTo());
    if (failed(from) || failed(to))
      return rewriter.notifyMatchFailure(op, "not between Gaussians");
    // 0.5 * sum(l2 - l1 + exp(l1 - l2) + (m1 - m2)^2 * exp(-l2) - 1).
    Emitter e{rewriter, op.getLoc()};
    Type type = eventType(op.getFrom());
    Value l1 = orZeros(e, from->logvar, type);
    Value l2 = orZeros(e, to->logvar, type);
    Value m1 = orZeros(e, from->mean, type);
    Value dm = e.sub(m1, orZeros(e, to->mean, type));
    Value dl = e.sub(l2, l1);
    Value ratio = e.exp(e.sub(l1, l2));
    Value dm2 = e.mul(dm, dm);
    Value scaled = e.mul(dm2, e.exp(e.sub(e.zeros(type), l2)));
    Value sum = e.add(e.add(dl, ratio), scaled);
    Value elem = e.sub(sum, e.splat(type, 1.0f));
    rewriter.replaceOp(op, e.sum(e.mul(elem, e.splat(type, 0.5f))));
    return success();
  }
};

struct LogProbPattern : OpRewritePattern<LogProbOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LogProbOp op,
                                PatternRewriter &rewriter) const override {
    Emitter e{rewriter, op.getLoc()};
    Value x = op.getValue();
    Type type = x.getType();
    Value elem;
    if (auto bern = op.getDist().getDefiningOp<BernoulliOp>()) {
      // log sigmoid(c) * x + log sigmoid(-c) * (1 - x) = x * c - softplus(c).
      Value c = bern.getLogits();
      Value xc = e.mul(x, c);
      elem = e.sub(xc, SoftplusOp::create(rewriter, op.getLoc(), c));
    } else {
      FailureOr<GaussianParts> parts = gaussianParts(op.getDist());
      if (failed(parts))
        return rewriter.notifyMatchFailure(op, "unknown distribution");
      // -0.5 * (log(2 pi) + l + (x - m)^2 * exp(-l)).
      Value l = orZeros(e, parts->logvar, type);
      Value d = e.sub(x, orZeros(e, parts->mean, type));
      Value d2 = e.mul(d, d);
      Value sq = e.mul(d2, e.exp(e.sub(e.zeros(type), l)));
      Value inner = e.add(e.add(e.splat(type, std::log(2.0 * M_PI)), l), sq);
      elem = e.mul(inner, e.splat(type, -0.5f));
    }
    if (Value m = op.getMissing())
      elem = e.mul(elem, e.sub(e.splat(type, 1.0f), m));
    rewriter.replaceOp(op, e.sum(elem));
    return success();
  }
};

struct LSTMCellPattern : OpRewritePattern<LSTMCellOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LSTMCellOp op,
                                PatternRewriter &rewriter) const override {
    Emitter e{rewriter, op.getLoc()};
    Location loc = op.getLoc();
    int64_t h = getFeatureSize(op.getH().getType());
    Value ax = e.gemm(op.getInput(), op.getWx());
    Value a = e.add(ax, e.gemm(op.getH(), op.getWh()));
    a = e.add(a, e.broadcast(op.getBias(), a.getType()));
    auto sigmoid = [&](Value v) -> Value {
      return SigmoidOp::create(rewriter, loc, v);
    };
    auto tanh = [&](Value v) -> Value { return TanhOp::create(rewriter, loc, v); };
    // Gate pre-activations, with the peephole term p_k * c where present.
    Type hType = op.getH().getType();
    auto gate = [&](int64_t k, Value cell, int64_t row) -> Value {
      Value pre = e.slice(a, k * h, h);
      if (Value peephole = op.getPeephole()) {
        auto rowType = RankedTensorType::get({h}, rewriter.getF32Type());
        Value p = RowOp::create(rewriter, loc, rowType, peephole, row);
        pre = e.add(pre, e.mul(e.broadcast(p, hType), cell));
      }
      return pre;
    };
    Value i = sigmoid(gate(0, op.getC(), 0));
    Value f = sigmoid(gate(1, op.getC(), 1));
    Value g = tanh(e.slice(a, 2 * h, h));
    Value fc = e.mul(f, op.getC());
    Value c = e.add(fc, e.mul(i, g));
    Value o = sigmoid(gate(3, c, 2));
    rewriter.replaceOp(op, {e.mul(o, tanh(c)), c});
    return success();
  }
};

struct DecomposePass : public gps::impl::DecomposePassBase<DecomposePass> {
  void runOnOperation() override;
};
} // namespace

void DecomposePass::runOnOperation() {
  func::FuncOp func = getOperation();
  RewritePatternSet patterns(&getContext());
  patterns.add<AffinePattern, MatmulPattern, FillPattern, SamplePattern,
               KLDivPattern, LogProbPattern, LSTMCellPattern>(&getContext());
  if (failed(applyPatternsGreedily(func, std::move(patterns))))
    return signalPassFailure();
  // What is left is an error the user can act on.
  WalkResult walk = func.walk([&](Operation *op) {
    if (auto sample = llvm::dyn_cast<SampleOp>(op)) {
      sample.emitOpError("draws from a distribution that cannot be "
                         "reparameterised (only Gaussian sites train by "
                         "reparameterisation)");
      return WalkResult::interrupt();
    }
    if (llvm::isa<AffineOp, MatmulOp, FillOp, KLDivOp, LogProbOp, LSTMCellOp>(
            op)) {
      op->emitOpError("could not be decomposed into gps primitives");
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    signalPassFailure();
}
