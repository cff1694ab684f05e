//===- GPSToLinalg.h - gps primitives to linalg, tensor, scf ----*- C++ -*-===//
//
// The patterns of convert-gps-to-linalg, for passes that lower gps
// primitives as part of another conversion (a GPU lowering, say).
//
//===----------------------------------------------------------------------===//

#ifndef GPS_CONVERSION_GPSTOLINALG_H
#define GPS_CONVERSION_GPSTOLINALG_H

#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/Value.h"
#include "mlir/Transforms/DialectConversion.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

namespace gps {

/// What the patterns need to know beyond the op: the batch size of each
/// function (a value at its entry) and the number of each sample site.
struct GPSToLinalgState {
  llvm::DenseMap<mlir::Operation *, mlir::Value> batch;
  llvm::StringMap<int64_t> siteIds;
  /// Noise computed in the generated code (PhiloxNormal.h) rather than by a
  /// call to the runtime's gps_rt_normal.
  bool inlineNoise = false;

  /// The batch size of the function around `op`, or null.
  mlir::Value batchOf(mlir::Operation *op) const;
};

/// `!gps.tape<T x tensor<?xN>>` becomes `tensor<Tx?xN>`; other types stay.
void populateGPSToLinalgTypeConversions(mlir::TypeConverter &converter);

/// The patterns lowering every gps primitive. `state` must outlive them.
void populateGPSToLinalgConversionPatterns(
    const mlir::TypeConverter &converter, mlir::RewritePatternSet &patterns,
    const GPSToLinalgState &state);

} // namespace gps

#endif // GPS_CONVERSION_GPSTOLINALG_H
