//===- GPSPasses.h - gps transformation passes ------------------*- C++ -*-===//

#ifndef GPS_DIALECT_GPS_GPSPASSES_H
#define GPS_DIALECT_GPS_GPSPASSES_H

#include "gps/Dialect/GPS/GPSOps.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace gps {

#define GEN_PASS_DECL
#include "gps/Dialect/GPS/GPSPasses.h.inc"

#define GEN_PASS_REGISTRATION
#include "gps/Dialect/GPS/GPSPasses.h.inc"

} // namespace gps

#endif // GPS_DIALECT_GPS_GPSPASSES_H
