//===- BufferAliases.h - which buffers may share memory ---------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// What the buffer-level passes (gps-fold-copies, gps-merge-siblings) know
// of the memory two memrefs of one function may share: their roots
// (allocations and arguments), the spans their types give, and subviews
// apart in some dimension.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_TRANSFORMS_BUFFERALIASES_H
#define GPS_TRANSFORMS_BUFFERALIASES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Value.h"

#include <cstdint>
#include <optional>
#include <utility>

namespace gps {

/// The buffer a view (subview, cast, reinterpret_cast, ...) is of.
mlir::Value rootOf(mlir::Value value);

/// False only where the two roots are provably different buffers: two
/// distinct allocations, an allocation and an argument of the function, two
/// arguments of an entry point (gps.batch_arg) one of which it writes (the
/// root of a copy's target is; Interface.h: the buffers an entry point
/// writes are distinct from all its other arguments), or one of those that
/// stays put (staysPut) and any block argument.
bool mayAlias(mlir::Value a, mlir::Value b);

/// The elements [begin, end) of its root a view can reach, when its type
/// (or that of the value it casts) says (static shape, offset and strides)
/// and the root starts at offset 0 (an identity layout): the gradient's
/// slices, say.
std::optional<std::pair<int64_t, int64_t>> staticSpan(mlir::Value view);

/// True when `operand` may reach the memory of `target` (whose root is
/// `root`): its root may be the same buffer, and if it is, their static
/// spans (staticSpan) are not provably apart, nor are they subviews apart
/// in some dimension (disjointSubviews).
bool mayOverlap(mlir::Value operand, mlir::Value target, mlir::Value root);

/// `op` when it is a call of the runtime's sgemm, gps_rt_sgemm(transA,
/// transB, alpha, a, b, beta, c), which reads a, b and c and writes c; null
/// otherwise.
mlir::func::CallOp sgemmCall(mlir::Operation *op);

} // namespace gps

#endif // GPS_TRANSFORMS_BUFFERALIASES_H
