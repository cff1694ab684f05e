//===- Fuse.cpp - the gps-fuse pass ---------------------------------------===//
//
// Fuses elementwise linalg.generic producers into their only consumer, so
// each chain of elementwise work runs as one loop nest.
//
//===----------------------------------------------------------------------===//

#include "gps/Dialect/GPS/GPSPasses.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace gps {
#define GEN_PASS_DEF_FUSEPASS
#include "gps/Dialect/GPS/GPSPasses.h.inc"
} // namespace gps

using namespace mlir;

namespace {
struct FusePass : public gps::impl::FusePassBase<FusePass> {
  void runOnOperation() override;
};
} // namespace

void FusePass::runOnOperation() {
  RewritePatternSet patterns(&getContext());
  // Fuse only a producer with a single user: fusing one with several users
  // would recompute it in each.
  linalg::ControlFusionFn control = [](OpOperand *fused) {
    Operation *producer = fused->get().getDefiningOp();
    return producer && producer->hasOneUse();
  };
  linalg::populateElementwiseOpsFusionPatterns(patterns, control);
  if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
    signalPassFailure();
}
