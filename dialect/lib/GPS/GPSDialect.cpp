//===- GPSDialect.cpp - gps dialect ---------------------------------------===//
//
// Registration of the gps dialect's types, attributes and operations.
//
//===----------------------------------------------------------------------===//

#include "gps/Dialect/GPS/GPSDialect.h"
#include "gps/Dialect/GPS/GPSOps.h"
#include "gps/Dialect/GPS/GPSTypes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace gps;

#include "gps/Dialect/GPS/GPSOpsDialect.cpp.inc"

void GPSDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "gps/Dialect/GPS/GPSOps.cpp.inc"
      >();
  registerTypes();
  registerAttributes();
}
