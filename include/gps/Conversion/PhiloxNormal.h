//===- PhiloxNormal.h - the runtime's noise as generated code ---*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// Builds, in arith and math, the standard normals the runtime's
// gps_rt_normal draws (runtime/lib/Philox.cpp): Philox4x32-10 keyed by
// gps_rt_noise_key(seed, site, step), counter {block, stream}, uniforms from
// the top 23 bits, Box-Muller in double precision. Each number is computed
// on its own from its index, so a loop nest (or a GPU thread per element)
// reproduces the runtime's stream number for number. The uniforms of a
// PhiloxStream (the trainer's mask draws) likewise.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_CONVERSION_PHILOXNORMAL_H
#define GPS_CONVERSION_PHILOXNORMAL_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"

namespace gps {

/// gps_rt_noise_key(seed, site, step): the i64 key of a site's draw at a
/// step. All three are i64.
mlir::Value buildNoiseKey(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value seed, mlir::Value site, mlir::Value step);

/// The f32 standard normal number `index` (i64) of the stream `stream` (i64)
/// under `key` (i64): element `index` of gps_rt_philox_normal_stream_f32.
mlir::Value buildPhiloxNormal(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::Value key, mlir::Value stream,
                              mlir::Value index);

/// The f32 uniform number `index` (i64) of the runtime's PhiloxStream(key,
/// counter) (all i64): word index % 4 of the block at counter + index / 4,
/// as its nextUniform returns them one after another.
mlir::Value buildPhiloxUniform(mlir::OpBuilder &b, mlir::Location loc,
                               mlir::Value key, mlir::Value counter,
                               mlir::Value index);

} // namespace gps

#endif // GPS_CONVERSION_PHILOXNORMAL_H
