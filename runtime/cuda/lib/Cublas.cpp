//===- Cublas.cpp - GEMM of generated code on the GPU through cuBLAS ------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// gps_rt_cuda_sgemm: the operands are row-major strided rank-2 memrefs of
// device memory, checked like the CPU's (Blas.h). cuBLAS is column-major,
// so the row-major product C = op(A) op(B) is computed as the column-major
// C^T = op(B)^T op(A)^T: B and A swap places, with the same transposes.
// FP32 throughout, unless the model was compiled with --tf32
// (gps_rt_cuda_sgemm_tf32).
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/Blas.h"
#include "gps/Runtime/Cuda.h"

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <cstdio>
#include <cstdlib>

/// A cuBLAS handle on the runtime's stream with math mode `mode`.
static cublasHandle_t createHandle(cublasMath_t mode) {
  void *stream = gps::rt::cuda::stream();
  cublasHandle_t h = nullptr;
  cublasStatus_t status = cublasCreate(&h);
  if (status == CUBLAS_STATUS_SUCCESS)
    status = cublasSetStream(h, static_cast<cudaStream_t>(stream));
  if (status == CUBLAS_STATUS_SUCCESS)
    status = cublasSetMathMode(h, mode);
  // A workspace of its own (32 MiB, what cuBLAS advises for Hopper), so
  // that a product recorded in a CUDA Graph allocates nothing.
  constexpr size_t kWorkspaceBytes = size_t(32) << 20;
  void *workspace = nullptr;
  gps::rt::cuda::check(cudaMalloc(&workspace, kWorkspaceBytes),
                       "allocating cuBLAS's workspace");
  if (status == CUBLAS_STATUS_SUCCESS)
    status = cublasSetWorkspace(h, workspace, kWorkspaceBytes);
  if (status != CUBLAS_STATUS_SUCCESS) {
    std::fprintf(stderr, "gps runtime: error: cuBLAS: cannot set up: %s\n",
                 cublasGetStatusString(status));
    std::exit(1);
  }
  return h;
}

/// C = alpha op(A) op(B) + beta C through `handle`.
static void sgemm(cublasHandle_t handle, const char *name, int32_t transA,
                  int32_t transB, float alpha, gps_memref<float, 2> *a,
                  gps_memref<float, 2> *b, float beta,
                  gps_memref<float, 2> *c) {
  gps::rt::GemmShape shape =
      gps::rt::checkGemm(name, transA, transB, *a, *b, *c);
  if (shape.m == 0 || shape.n == 0 || gps::rt::cuda::replaying())
    return;
  // k = 0 is C = beta C in cuBLAS as in BLAS.
  cublasStatus_t status =
      cublasSgemm(handle, transB ? CUBLAS_OP_T : CUBLAS_OP_N,
                  transA ? CUBLAS_OP_T : CUBLAS_OP_N, static_cast<int>(shape.n),
                  static_cast<int>(shape.m), static_cast<int>(shape.k), &alpha,
                  b->aligned + b->offset, shape.ldb, a->aligned + a->offset,
                  shape.lda, &beta, c->aligned + c->offset, shape.ldc);
  if (status != CUBLAS_STATUS_SUCCESS) {
    std::fprintf(stderr, "gps runtime: error: cuBLAS: cublasSgemm: %s\n",
                 cublasGetStatusString(status));
    std::exit(1);
  }
}

extern "C" void
_mlir_ciface_gps_rt_cuda_sgemm(int32_t transA, int32_t transB, float alpha,
                               gps_memref<float, 2> *a, gps_memref<float, 2> *b,
                               float beta, gps_memref<float, 2> *c) {
  // FP32 throughout: pedantic math keeps TF32 (and reduced-precision
  // reductions) off.
  static cublasHandle_t handle = createHandle(CUBLAS_PEDANTIC_MATH);
  sgemm(handle, "gps_rt_cuda_sgemm", transA, transB, alpha, a, b, beta, c);
}

extern "C" void _mlir_ciface_gps_rt_cuda_sgemm_tf32(
    int32_t transA, int32_t transB, float alpha, gps_memref<float, 2> *a,
    gps_memref<float, 2> *b, float beta, gps_memref<float, 2> *c) {
  static cublasHandle_t handle = createHandle(CUBLAS_TF32_TENSOR_OP_MATH);
  sgemm(handle, "gps_rt_cuda_sgemm_tf32", transA, transB, alpha, a, b, beta, c);
}
