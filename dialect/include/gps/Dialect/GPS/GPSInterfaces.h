//===- GPSInterfaces.h - gps op interfaces ----------------------*- C++ -*-===//
//
// DifferentiableOpInterface, and the external models that make upstream
// arith ops on f32 scalars differentiable.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_DIALECT_GPS_GPSINTERFACES_H
#define GPS_DIALECT_GPS_GPSINTERFACES_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/OpDefinition.h"

#include "gps/Dialect/GPS/GPSInterfaces.h.inc"

namespace gps {

/// Attaches DifferentiableOpInterface to arith.addf, subf, mulf, divf,
/// negf and constant (the scalar arithmetic of an objective).
void registerArithAdjoints(mlir::DialectRegistry &registry);

} // namespace gps

#endif // GPS_DIALECT_GPS_GPSINTERFACES_H
