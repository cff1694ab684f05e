//===- gps-opt.cpp - gps optimizer driver ---------------------------------===//
//
// MlirOptMain with the gps dialect, its passes and pipelines, and the
// upstream dialects and passes they use.
//
//===----------------------------------------------------------------------===//

#include "gps/Dialect/GPS/GPSDialect.h"
#include "gps/Dialect/GPS/GPSPasses.h"
#include "gps/Pipelines/Pipelines.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::registerInlinerPass();
  mlir::registerSymbolDCEPass();
  // What gps-stream-ordered-calls follows, for its tests.
  mlir::registerGpuAsyncRegionPass();
  // The bounds checks the GPU emulation adds to the kernels, for its tests.
  mlir::registerGenerateRuntimeVerification();
  gps::registerGPSPasses();
  gps::registerPipelines();

  mlir::DialectRegistry registry;
  gps::registerDialects(registry);
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "gps optimizer driver\n", registry));
}
