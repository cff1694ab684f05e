//===- Pipelines.h - gps pass pipelines -------------------------*- C++ -*-===//
//
// The pass pipelines of the compiler, shared by gpsc and gps-opt so that lit
// tests run exactly what the driver runs.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_PIPELINES_PIPELINES_H
#define GPS_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"

namespace gps {

/// Pairs the guide and the primary of every model (gps-pair-policies), then
/// shares what both compute: CSE, canonicalisation (which merges equal loop
/// state) and CSE again. Runs on a builtin.module.
void buildPairingPipeline(mlir::OpPassManager &pm);

/// Registers the pipelines with the global pass registry (`gps-opt
/// --gps-pairing-pipeline`).
void registerPipelines();

} // namespace gps

#endif // GPS_PIPELINES_PIPELINES_H
