//===- ApproximateMath.cpp - the gps-approximate-math pass ----------------===//
//
// Replaces the f32 transcendental functions of elementwise loops by MLIR's
// polynomial approximations, so that LLVM vectorises the loops instead of
// calling libm once per element.
//
//===----------------------------------------------------------------------===//

#include "gps/Dialect/GPS/GPSPasses.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/ADT/STLExtras.h"

namespace gps {
#define GEN_PASS_DEF_APPROXIMATEMATHPASS
#include "gps/Dialect/GPS/GPSPasses.h.inc"
} // namespace gps

using namespace mlir;

#define DEBUG_TYPE "gps-approximate-math"

namespace {

/// The functions approximated, in f32 only (the f64 ones of the generated
/// noise must stay libm's, as the runtime's are): those the models use. Each was measured
/// against libm (ApproximateMathTest); log2, atan, sin and cos are left to
/// libm (no model uses them).
bool isApproximated(StringRef name) {
  name.consume_front("math.");
  static const StringRef approximated[] = {"exp", "log", "log1p", "tanh"};
  return llvm::is_contained(approximated, name);
}

/// True when `op` is in the body of a linalg.generic whose innermost loop is
/// parallel: the loop LLVM vectorises. An innermost reduction into a float
/// stays scalar (vectorising it would reorder the sum), and there one call
/// to libm (expf; logf, as MathToLLVM lowers log1p(x) to log(1 + x)) is
/// faster than the approximation's arithmetic.
bool inVectorizableLoop(Operation *op) {
  auto generic = op->getParentOfType<linalg::GenericOp>();
  if (!generic || generic.getNumLoops() == 0)
    return false;
  return generic.getIteratorTypesArray().back() ==
         utils::IteratorType::parallel;
}

struct ApproximateMathPass
    : gps::impl::ApproximateMathPassBase<ApproximateMathPass> {
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation()->walk([&](Operation *op) {
      if (op->getDialect() &&
          op->getDialect()->getNamespace() ==
              math::MathDialect::getDialectNamespace() &&
          isApproximated(op->getName().getStringRef()) &&
          op->getNumResults() == 1 && op->getResult(0).getType().isF32() &&
          inVectorizableLoop(op))
        ops.push_back(op);
    });
    if (ops.empty())
      return;
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns, isApproximated);
    // Only the selected operations and what their rewrites create.
    GreedyRewriteConfig config;
    config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
    if (failed(applyOpPatternsGreedily(ops, std::move(patterns), config)))
      signalPassFailure();
  }
};

} // namespace
