//===- Cuda.h - the CUDA runtime of generated code --------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// Code compiled with `gpsc --target=cuda` calls two sets of functions,
// defined by GPSRuntimeCUDA (runtime/cuda/):
//
// - the GPU runtime ABI that MLIR's gpu-to-llvm lowering emits (`mgpu*`:
//   module loading, kernel launches, device buffers, copies, streams), over
//   the CUDA runtime API;
// - the device counterparts of the runtime's own functions
//   (`gps_rt_cuda_sgemm` through cuBLAS, `gps_rt_cuda_normal`), with the
//   signatures of their host versions in Interface.h.
//
// Everything runs on one stream of device 0, created at the first call that
// needs the GPU: a trainer that never reaches the GPU (`--help`) needs no
// driver, and one on a machine without a GPU stops at that call with one
// line naming the CUDA error (status 1). Device buffers
// come from the device's stream-ordered memory pool, which keeps freed
// memory for the next step.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_RUNTIME_CUDA_H
#define GPS_RUNTIME_CUDA_H

#include "gps/Runtime/Interface.h"

#include <cstdint>

extern "C" {

//===----------------------------------------------------------------------===//
// The GPU runtime ABI of MLIR's gpu-to-llvm lowering
//===----------------------------------------------------------------------===//

/// Records the kernels' PTX (NUL-terminated) for loading at the first
/// launch, JIT-compiled at `optLevel`; called by a constructor of the
/// generated code.
GPS_RT_EXPORT void *mgpuModuleLoadJIT(void *ptx, int optLevel);
GPS_RT_EXPORT void mgpuModuleUnload(void *module);
/// The kernel `name` of `module`, loading the module on first use.
GPS_RT_EXPORT void *mgpuModuleGetFunction(void *module, const char *name);
GPS_RT_EXPORT void mgpuLaunchKernel(void *function, intptr_t gridX,
                                    intptr_t gridY, intptr_t gridZ,
                                    intptr_t blockX, intptr_t blockY,
                                    intptr_t blockZ, int32_t sharedMemBytes,
                                    void *stream, void **params, void **extra,
                                    size_t paramsCount);
/// The one stream; destroying it is a no-op.
GPS_RT_EXPORT void *mgpuStreamCreate();
GPS_RT_EXPORT void mgpuStreamDestroy(void *stream);
GPS_RT_EXPORT void mgpuStreamSynchronize(void *stream);
/// A device buffer from the stream-ordered pool (managed memory when
/// `isHostShared`); `sizeBytes` 0 gives null.
GPS_RT_EXPORT void *mgpuMemAlloc(uint64_t sizeBytes, void *stream,
                                 bool isHostShared);
GPS_RT_EXPORT void mgpuMemFree(void *ptr, void *stream);
/// Copies between any two of host and device memory, in stream order.
GPS_RT_EXPORT void mgpuMemcpy(void *dst, void *src, size_t sizeBytes,
                              void *stream);

/// Null when there is a GPU to run on (and then sets it up), else why not,
/// in one line; the trainer asks before it runs the GPU half (`--device
/// cuda`).
GPS_RT_EXPORT const char *gps_rt_cuda_device_error();

/// Memory the host and the GPU share (CUDA managed memory), where the
/// trainer keeps every buffer it hands the GPU half's entry points (the
/// parameters, the gradient, the Adam moments, a batch, the terms;
/// ParamMemory.h): the pages move to the GPU when it uses them and back
/// when the host does. Null when out of memory.
GPS_RT_EXPORT void *gps_rt_cuda_alloc_shared(size_t bytes);
GPS_RT_EXPORT void gps_rt_cuda_free_shared(void *pointer);
/// Moves [pointer, pointer + bytes) of that memory, which the host has just
/// written (a batch), to the GPU on the one stream, ahead of the kernels
/// that read it.
GPS_RT_EXPORT void gps_rt_cuda_prefetch_shared(const void *pointer,
                                               size_t bytes);

//===----------------------------------------------------------------------===//
// The runtime's functions on device buffers
//===----------------------------------------------------------------------===//

/// _mlir_ciface_gps_rt_sgemm (Interface.h) on device buffers, through
/// cuBLAS in FP32 (no TF32).
GPS_RT_EXPORT void
_mlir_ciface_gps_rt_cuda_sgemm(int32_t transA, int32_t transB, float alpha,
                               gps_memref<float, 2> *a, gps_memref<float, 2> *b,
                               float beta, gps_memref<float, 2> *c);

/// _mlir_ciface_gps_rt_cuda_sgemm with TF32 tensor cores allowed: cuBLAS
/// may round A and B to TF32 (10-bit mantissa), accumulating in FP32
/// (gpsc --tf32).
GPS_RT_EXPORT void _mlir_ciface_gps_rt_cuda_sgemm_tf32(
    int32_t transA, int32_t transB, float alpha, gps_memref<float, 2> *a,
    gps_memref<float, 2> *b, float beta, gps_memref<float, 2> *c);

/// _mlir_ciface_gps_rt_normal (Interface.h) into a device buffer whose rows
/// are contiguous: exactly the CPU's normals, drawn on the host and copied.
GPS_RT_EXPORT void
_mlir_ciface_gps_rt_cuda_normal(gps_memref<float, 2> *out, uint64_t seed,
                                uint64_t stream, uint64_t site, uint64_t step);

/// Called first by an entry point gps-capture-entries prepared: `entry`
/// numbers it in its module, `signature` hashes its arguments' addresses
/// and sizes and its key. Sets `scalar` to the device buffer its kernels
/// read `stream` from, and decides (GraphCalls.h) whether the work the call
/// enqueues runs as usual, is recorded in the entry's CUDA Graph (the first
/// call of a signature seen twice in a row), or is ignored in favour of
/// replaying the graph recorded for this signature; the graph is launched
/// at the call's synchronisation (mgpuStreamSynchronize).
/// GPS_CUDA_GRAPHS=0 runs every call as usual.
GPS_RT_EXPORT void
_mlir_ciface_gps_rt_cuda_graph_begin(gps_memref<int64_t, 1> *scalar,
                                     int32_t entry, int64_t signature,
                                     int64_t stream);

/// Bracket the entry point calls of one training step (the trainer's
/// train, grad_sumsq and adam), which are then recorded and replayed as one
/// CUDA Graph: the calls take the step's mode, their synchronisations wait
/// for nothing, and the step's end launches the graph and waits for it.
/// `signature` identifies the step's buffers and sizes (GraphCalls.h:
/// Record for a signature seen twice in a row, Replay for the recorded
/// one); a step with a call that cannot be recorded always runs as usual,
/// and a recorded or replayed step whose calls differ from the step it
/// repeats stops the program. The host must read nothing the calls write
/// before the step's end.
GPS_RT_EXPORT void gps_rt_cuda_step_begin(uint64_t signature);
GPS_RT_EXPORT void gps_rt_cuda_step_end();
}

namespace gps::rt::cuda {

/// The stream every launch, copy and cuBLAS call runs on, creating the
/// context first; exits with one line when there is no usable GPU.
void *stream();

/// Exits with "gps runtime: error: CUDA: <what>: <the runtime's message>"
/// (status 1) unless `result` is cudaSuccess (0).
void check(int result, const char *what);

/// Whether the call in progress is replaying its entry's graph (its host
/// code enqueues nothing) or recording it.
bool replaying();
bool recording();

} // namespace gps::rt::cuda

#endif // GPS_RUNTIME_CUDA_H
