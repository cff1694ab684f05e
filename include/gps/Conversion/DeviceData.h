//===- DeviceData.h - which buffers the GPU path keeps on the device -*- C++
//-*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_CONVERSION_DEVICEDATA_H
#define GPS_CONVERSION_DEVICEDATA_H

#include "mlir/IR/BuiltinTypes.h"

namespace gps {

/// True for a buffer of float elements: the model's data, which
/// gps-device-buffers puts on the device and the host code then never
/// touches (gps-elide-host-waits relies on it). Index and i1 buffers are the
/// buffer deallocation's bookkeeping and stay on the host.
inline bool isDeviceData(mlir::Type type) {
  auto memref = llvm::dyn_cast<mlir::MemRefType>(type);
  return memref && llvm::isa<mlir::FloatType>(memref.getElementType());
}

} // namespace gps

#endif // GPS_CONVERSION_DEVICEDATA_H
