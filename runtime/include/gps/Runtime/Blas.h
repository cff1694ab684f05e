//===- Blas.h - BLAS settings for the trainer -------------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// The GEMMs of generated code go through _mlir_ciface_gps_rt_sgemm
// (Interface.h) to OpenBLAS, or on the GPU through gps_rt_cuda_sgemm to
// cuBLAS. This header holds the check both make of a call and what the
// trainer itself sets.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_RUNTIME_BLAS_H
#define GPS_RUNTIME_BLAS_H

#include "gps/Runtime/Interface.h"

#include <cstdint>

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

/// Sets the number of threads OpenBLAS uses (openblas_set_num_threads), and
/// the runtime's own pool (Parallel.h).
void setBlasThreads(int numThreads);

/// The number of threads OpenBLAS currently uses.
int getBlasThreads();

} // namespace gps::rt

#endif // GPS_RUNTIME_BLAS_H
