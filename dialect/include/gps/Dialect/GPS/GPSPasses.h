//===- GPSPasses.h - gps transformation passes ------------------*- C++ -*-===//

#ifndef GPS_DIALECT_GPS_GPSPASSES_H
#define GPS_DIALECT_GPS_GPSPASSES_H

#include "gps/Dialect/GPS/GPSOps.h"

#include "mlir/Pass/Pass.h"

namespace gps {

#define GEN_PASS_DECL
#include "gps/Dialect/GPS/GPSPasses.h.inc"

#define GEN_PASS_REGISTRATION
#include "gps/Dialect/GPS/GPSPasses.h.inc"

} // namespace gps

#endif // GPS_DIALECT_GPS_GPSPASSES_H
