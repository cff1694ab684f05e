//===- Fuse.cpp - the gps-fuse pass ---------------------------------------===//
//
// Fuses elementwise linalg.generic producers into their only consumer (a
// cheap one into each of its consumers), so each chain of elementwise work
// runs as one loop nest.
//
//===----------------------------------------------------------------------===//

#include "gps/Dialect/GPS/GPSPasses.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/Dominance.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace gps {
#define GEN_PASS_DEF_FUSEPASS
#include "gps/Dialect/GPS/GPSPasses.h.inc"
} // namespace gps

using namespace mlir;

namespace {

/// True when `op` adds its inputs into its output: linalg.matmul, or a
/// linalg.generic whose body is `yield addf(input, output)` (a sum).
static bool accumulatesIntoInit(Operation *op) {
  if (llvm::isa<linalg::MatmulOp>(op))
    return true;
  auto generic = llvm::dyn_cast<linalg::GenericOp>(op);
  if (!generic || generic.getNumDpsInputs() != 1 ||
      generic.getNumDpsInits() != 1 || generic.getNumReductionLoops() == 0)
    return false;
  Block &body = generic.getRegion().front();
  auto yield = llvm::cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getValues()[0].getDefiningOp<arith::AddFOp>();
  if (!add || add->getBlock() != &body || body.getOperations().size() != 2)
    return false;
  Value in = body.getArgument(0), out = body.getArgument(1);
  return (add.getLhs() == in && add.getRhs() == out) ||
         (add.getLhs() == out && add.getRhs() == in);
}

/// True when `generic` is an elementwise `a + b` of two operands of its
/// result's shape.
static bool isElementwiseAdd(linalg::GenericOp generic) {
  if (generic.getNumDpsInputs() != 2 || generic.getNumDpsInits() != 1 ||
      generic.getNumParallelLoops() != generic.getNumLoops() ||
      !llvm::all_of(generic.getIndexingMapsArray(),
                    [](AffineMap m) { return m.isIdentity(); }))
    return false;
  Block &body = generic.getRegion().front();
  auto yield = llvm::cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getValues()[0].getDefiningOp<arith::AddFOp>();
  if (!add || body.getOperations().size() != 2)
    return false;
  Value a = body.getArgument(0), b = body.getArgument(1);
  return (add.getLhs() == a && add.getRhs() == b) ||
         (add.getLhs() == b && add.getRhs() == a);
}

/// `acc + P(init = 0)`, with P a matmul or a sum, becomes `P(init = acc)`:
/// a gradient accumulated over the steps is updated in place (BLAS beta = 1)
/// instead of being summed into a new tensor.
struct AccumulateIntoInit : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp add,
                                PatternRewriter &rewriter) const override {
    if (!isElementwiseAdd(add))
      return failure();
    for (unsigned k = 0; k < 2; ++k) {
      Value term = add.getDpsInputs()[k], acc = add.getDpsInputs()[1 - k];
      Operation *producer = term.getDefiningOp();
      if (!producer || !producer->hasOneUse() ||
          producer->getNumResults() != 1 || !accumulatesIntoInit(producer) ||
          acc.getType() != term.getType())
        continue;
      auto dps = llvm::cast<DestinationStyleOpInterface>(producer);
      // The zero fill may be shared with other products (after CSE).
      auto fill = dps.getDpsInits()[0].getDefiningOp<linalg::FillOp>();
      if (!fill || !matchPattern(fill.getInputs()[0], m_AnyZeroFloat()))
        continue;
      // The accumulator must be available where the producer runs (not
      // defined after it, nor the state of a loop the producer is outside).
      // A producer in the sum's block whose accumulator is a slice taken
      // after it (a row of a gradient read by rows, sliced where the rows
      // are summed) moves down to the sum, its only user. Not for any
      // other accumulator: one computed after the product (a broadcast
      // bias) is better fused with what reads the sum.
      bool moveDown = !DominanceInfo().properlyDominates(acc, producer);
      if (moveDown && (producer->getBlock() != add->getBlock() ||
                       !acc.getDefiningOp<tensor::ExtractSliceOp>()))
        continue;
      if (moveDown)
        rewriter.moveOpBefore(producer, add);
      rewriter.modifyOpInPlace(producer, [&] {
        dps.getDpsInitsMutable()[0].assign(acc);
      });
      rewriter.replaceOp(add, producer->getResult(0));
      if (fill->use_empty())
        rewriter.eraseOp(fill);
      return success();
    }
    return failure();
  }
};

/// True when `op` is an elementwise generic cheap enough to compute again
/// in each of its consumers rather than once into memory: a few adds,
/// multiplies, comparisons and selects (a bias add, a ReLU, the mask of its
/// derivative), nothing that costs more than a load.
static bool isCheapToRecompute(Operation *op) {
  auto generic = llvm::dyn_cast<linalg::GenericOp>(op);
  if (!generic || generic.getNumParallelLoops() != generic.getNumLoops() ||
      generic.getNumDpsInits() != 1)
    return false;
  Block &body = generic.getRegion().front();
  if (body.getOperations().size() > 4)
    return false;
  return llvm::all_of(body.without_terminator(), [](Operation &inner) {
    return llvm::isa<arith::AddFOp, arith::SubFOp, arith::MulFOp,
                     arith::NegFOp, arith::MaximumFOp, arith::MinimumFOp,
                     arith::CmpFOp, arith::SelectOp, arith::ConstantOp>(inner);
  });
}

/// True when the upstream patterns fuse `producer` (see the control function
/// in runOnOperation): it has one user, or it is cheap and every user is a
/// linalg.generic that computes it again.
static bool isFusedUpstream(Operation *producer) {
  if (producer->hasOneUse())
    return true;
  return isCheapToRecompute(producer) &&
         llvm::all_of(producer->getUsers(), [](Operation *user) {
           return llvm::isa<linalg::GenericOp>(user);
         });
}

/// An elementwise producer with several users, which is too costly to
/// compute again in each, is fused into its first user, an elementwise
/// consumer over the same points, as one op with two outputs: the consumer's
/// and the producer's own, which its other users (a tape slot, a later step
/// of the chain, a product) read. An LSTM's gates and cell update, each also
/// kept for the backward pass, so run as one loop nest instead of one per
/// gate. The users after the first one see the fused op before them, so the
/// producer's result is replaced everywhere and nothing is computed twice.
struct FuseIntoFirstUser : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp consumer,
                                PatternRewriter &rewriter) const override {
    if (consumer.getNumParallelLoops() != consumer.getNumLoops() ||
        !consumer.hasPureTensorSemantics())
      return failure();
    for (OpOperand *operand : consumer.getDpsInputOperands()) {
      auto producer = operand->get().getDefiningOp<linalg::GenericOp>();
      if (!producer || producer->getBlock() != consumer->getBlock() ||
          isFusedUpstream(producer) ||
          !linalg::areElementwiseOpsFusable(operand))
        continue;
      // The consumer reads every point of the producer's result once, so
      // the fused op writes all of it.
      if (!consumer.getMatchingIndexingMap(operand).isPermutation())
        continue;
      // Every other use comes after the consumer: the fused op, where the
      // consumer was, dominates it.
      Block *block = consumer->getBlock();
      bool firstUser = llvm::all_of(producer->getUses(), [&](OpOperand &use) {
        if (use.getOwner() == consumer)
          return &use == operand;
        Operation *user = block->findAncestorOpInBlock(*use.getOwner());
        return user && consumer->isBeforeInBlock(user);
      });
      if (!firstUser)
        continue;
      FailureOr<linalg::ElementwiseOpFusionResult> fused =
          linalg::fuseElementwiseOps(rewriter, operand);
      if (failed(fused))
        return failure();
      for (auto [value, replacement] : fused->replacements)
        rewriter.replaceUsesWithIf(value, replacement, [&](OpOperand &use) {
          return use.getOwner() != consumer.getOperation();
        });
      rewriter.eraseOp(consumer);
      rewriter.eraseOp(producer);
      return success();
    }
    return failure();
  }
};

struct FusePass : public gps::impl::FusePassBase<FusePass> {
  void runOnOperation() override;
};
} // namespace

void FusePass::runOnOperation() {
  // First accumulate sums into their accumulators, then fuse what is left.
  RewritePatternSet accumulate(&getContext());
  accumulate.add<AccumulateIntoInit>(&getContext());
  if (failed(applyPatternsGreedily(getOperation(), std::move(accumulate))))
    return signalPassFailure();
  RewritePatternSet patterns(&getContext());
  // Fuse a producer with a single user, and a cheap one with several: it is
  // computed again in each (reading its inputs instead of its result), and
  // its own pass over memory goes once every user has taken it in.
  linalg::ControlFusionFn control = [](OpOperand *fused) {
    Operation *producer = fused->get().getDefiningOp();
    return producer && isFusedUpstream(producer);
  };
  linalg::populateElementwiseOpsFusionPatterns(patterns, control);
  patterns.add<FuseIntoFirstUser>(&getContext());
  if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
    return signalPassFailure();

  // An output that CSE shared between ops (one tensor.empty, or one fill of
  // it, for every op of its shape in the function) would become one buffer
  // allocated outside the loop the op runs in, which gps-fold-copies cannot
  // compute in place, or one filled buffer that bufferization copies from.
  // Such an op gets its own, next to it: a fresh buffer in its block; a
  // product's zero fill then folds into beta = 0 (convert-linalg-to-blas).
  // An empty tensor shared in the op's own block stays shared: buffers are
  // freed at the end of their block, so reusing a dead value's buffer
  // there keeps the peak lower (vae's training step, at batch 250: 7.7 MiB
  // against 9.7 MiB).
  getOperation().walk([](DestinationStyleOpInterface op) {
    for (OpOperand &init : op.getDpsInitsMutable()) {
      Operation *storage = init.get().getDefiningOp();
      auto fill = llvm::dyn_cast_or_null<linalg::FillOp>(storage);
      if (fill && fill.hasPureTensorSemantics())
        storage = fill.getDpsInits()[0].getDefiningOp();
      auto empty = llvm::dyn_cast_or_null<tensor::EmptyOp>(storage);
      Operation *owner = fill ? fill.getOperation() : storage;
      if (!empty || (owner->getBlock() == op->getBlock() &&
                     (!fill || (fill->hasOneUse() && empty->hasOneUse()))))
        continue;
      OpBuilder b(op);
      IRMapping mapping;
      Operation *copy = b.clone(*empty, mapping);
      if (fill)
        copy = b.clone(*fill, mapping);
      init.set(copy->getResult(0));
    }
  });
}
