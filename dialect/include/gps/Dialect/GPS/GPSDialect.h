//===- GPSDialect.h - gps dialect -------------------------------*- C++ -*-===//
//
// The gps dialect: generative models trained by guided policy search.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_DIALECT_GPS_GPSDIALECT_H
#define GPS_DIALECT_GPS_GPSDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Dialect.h"

#include "gps/Dialect/GPS/GPSOpsDialect.h.inc"

#endif // GPS_DIALECT_GPS_GPSDIALECT_H
