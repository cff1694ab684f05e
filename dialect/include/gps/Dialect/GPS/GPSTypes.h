//===- GPSTypes.h - gps dialect types and attributes ------------*- C++ -*-===//
//
// Enums, attributes and types of the gps dialect.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_DIALECT_GPS_GPSTYPES_H
#define GPS_DIALECT_GPS_GPSTYPES_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/Types.h"

#include "gps/Dialect/GPS/GPSEnums.h.inc"

#define GET_TYPEDEF_CLASSES
#include "gps/Dialect/GPS/GPSOpsTypes.h.inc"

#define GET_ATTRDEF_CLASSES
#include "gps/Dialect/GPS/GPSAttrs.h.inc"

namespace gps {

/// True for `tensor<?xNxf32>`: a batch (dynamic leading dimension) of
/// vectors with a static number of features N > 0.
bool isBatchTensor(mlir::Type type);

/// True for a statically shaped f32 tensor of rank 1 or 2 with positive
/// dimensions.
bool isParamTensor(mlir::Type type);

/// The batched vector type `tensor<?x`size`xf32>`.
mlir::RankedTensorType getBatchTensorType(mlir::MLIRContext *ctx,
                                          int64_t size);

/// The number of features of a batched tensor type.
int64_t getFeatureSize(mlir::Type batchTensor);

} // namespace gps

#endif // GPS_DIALECT_GPS_GPSTYPES_H
