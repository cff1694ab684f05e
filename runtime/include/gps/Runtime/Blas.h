//===- Blas.h - BLAS settings for the trainer -------------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// The GEMMs of generated code go through _mlir_ciface_gps_rt_sgemm
// (Interface.h) to the CPU GEMM library the trainer was linked with (oneDNN
// or OpenBLAS: `gpsc --gemm`, docs/design.md), or on the GPU through
// gps_rt_cuda_sgemm to cuBLAS. This header holds the check both make of a
// call, the interface each CPU GEMM library implements, and what the
// trainer itself sets.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_RUNTIME_BLAS_H
#define GPS_RUNTIME_BLAS_H

#include "gps/Runtime/Interface.h"

#include <cstdint>
#include <string>

namespace gps::rt {

/// The BLAS view of a call `C = alpha op(A) op(B) + beta C` on row-major
/// strided rank-2 memrefs: op(A) is m x k, op(B) k x n, C m x n, each with
/// its leading dimension (strides[0]).
struct GemmShape {
  int64_t m, n, k;
  int lda, ldb, ldc;
};

/// Checks the operands of an sgemm call of generated code and returns its
/// BLAS view. A malformed call is a compiler bug: it aborts with a message
/// that names `function` and the operand.
GemmShape checkGemm(const char *function, int32_t transA, int32_t transB,
                    const gps_memref<float, 2> &a,
                    const gps_memref<float, 2> &b,
                    const gps_memref<float, 2> &c);

/// Sets the number of threads the GEMM library uses (setGemmThreads), and
/// the runtime's own pool (Parallel.h).
void setBlasThreads(int numThreads);

/// The number of threads the GEMM library currently uses.
int getBlasThreads();

// --- The CPU GEMM library ---------------------------------------------------
// Exactly one of runtime/lib/GemmOneDNN.cpp (library GPSRuntimeOneDNN) and
// runtime/lib/GemmOpenBLAS.cpp (GPSRuntimeOpenBLAS) is linked into a
// trainer; each defines these.

/// C = alpha op(A) op(B) + beta C on row-major matrices with leading
/// dimensions lda, ldb, ldc; m, n, k > 0. With beta = 0, C is not read.
void sgemmRowMajor(bool transA, bool transB, int m, int n, int k, float alpha,
                   const float *a, int lda, const float *b, int ldb,
                   float beta, float *c, int ldc);

/// Sets the number of threads the library's products use (calls from this
/// thread; generated code calls from the trainer's main thread).
void setGemmThreads(int numThreads);

/// The number of threads the library's products use.
int getGemmThreads();

/// The library's name and version, e.g. "oneDNN 2.6.3", for logs and
/// benchmarks.
std::string gemmLibrary();

} // namespace gps::rt

#endif // GPS_RUNTIME_BLAS_H
