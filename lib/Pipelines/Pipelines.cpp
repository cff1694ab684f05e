//===- Pipelines.cpp - gps pass pipelines ---------------------------------===//

#include "gps/Pipelines/Pipelines.h"
#include "gps/Dialect/GPS/GPSOps.h"
#include "gps/Dialect/GPS/GPSPasses.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void gps::buildPairingPipeline(OpPassManager &pm) {
  pm.addNestedPass<ModelOp>(createPairPoliciesPass());
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void gps::registerPipelines() {
  PassPipelineRegistration<>(
      "gps-pairing-pipeline",
      "Pair the policies and share what both compute (gpsc "
      "--emit=mlir-paired)",
      [](OpPassManager &pm) { buildPairingPipeline(pm); });
}
