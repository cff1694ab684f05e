//===- GPSOps.h - gps dialect operations ------------------------*- C++ -*-===//
//
// Operations of the gps dialect.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_DIALECT_GPS_GPSOPS_H
#define GPS_DIALECT_GPS_GPSOPS_H

#include "gps/Dialect/GPS/GPSDialect.h"
#include "gps/Dialect/GPS/GPSInterfaces.h"
#include "gps/Dialect/GPS/GPSTypes.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/RegionKindInterface.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "gps/Dialect/GPS/GPSOps.h.inc"

#endif // GPS_DIALECT_GPS_GPSOPS_H
