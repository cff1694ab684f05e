//===- MemoryReport.h - the arena memory of one call, at compile time -*- C++ -*-===//
//
// `gpsc --report=memory --batch N`: the peak of the runtime arena
// (runtime/lib/Arena.cpp) during one call of each entry point, computed from
// the lowered IR (after the ownership-based deallocation of the lowering
// pipeline) by running its allocations, deallocations and the control flow
// that decides them at batch N.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_TARGET_MEMORYREPORT_H
#define GPS_TARGET_MEMORYREPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>

namespace gps {

/// What the arena holds during one call of an entry point.
struct EntryMemory {
  std::string entry;
  /// The largest sum of live buffers, in the arena's accounting: the bytes
  /// each allocation asks for (an aligned memref.alloc asks for its size
  /// plus the alignment).
  uint64_t peakBytes = 0;
  /// The part of the peak in tapes: buffers of the step loops' values,
  /// memref<T x ? x ...> (T steps, the batch, the value's shape).
  uint64_t tapeBytesAtPeak = 0;
  /// Allocations made, and those still live when the call returns (the
  /// trainer's arena reset frees them).
  uint64_t allocations = 0, liveAtReturn = 0;
};

/// Runs the memory operations of `entry` (a function of `module`, on
/// buffers: --emit=mlir-lowered or later, before the LLVM dialect) with a
/// batch of `batch` examples. The loops and conditions that decide
/// allocations and deallocations must be computable from constants and the
/// batch; otherwise an error is reported on the operation and failure
/// returned.
mlir::FailureOr<EntryMemory> computeEntryMemory(mlir::ModuleOp module,
                                                llvm::StringRef entry,
                                                int64_t batch);

/// Prints the arena peak of one call of each public entry point at batch
/// `batch` (gpsc --report=memory).
mlir::LogicalResult printMemoryReport(mlir::ModuleOp module, int64_t batch,
                                      llvm::raw_ostream &os);

} // namespace gps

#endif // GPS_TARGET_MEMORYREPORT_H
