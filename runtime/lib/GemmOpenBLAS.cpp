//===- GemmOpenBLAS.cpp - the CPU GEMM library: OpenBLAS --------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// GPSRuntimeOpenBLAS: the products of generated code through cblas_sgemm.
// Trainers link it with `gpsc --gemm=openblas`, and where gps is built
// without oneDNN (docs/design.md, "The GEMM library").
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/Blas.h"

#include <cblas.h>

// Declared by OpenBLAS's cblas.h, but not by other CBLAS headers that the
// cblas.h alternative may point to.
extern "C" void openblas_set_num_threads(int numThreads);
extern "C" int openblas_get_num_threads(void);
extern "C" char *openblas_get_config(void);

void gps::rt::sgemmRowMajor(bool transA, bool transB, int m, int n, int k,
                            float alpha, const float *a, int lda,
                            const float *b, int ldb, float beta, float *c,
                            int ldc) {
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
              transB ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b,
              ldb, beta, c, ldc);
}

void gps::rt::setGemmThreads(int numThreads) {
  openblas_set_num_threads(numThreads);
}

int gps::rt::getGemmThreads() { return openblas_get_num_threads(); }

std::string gps::rt::gemmLibrary() {
  // "OpenBLAS 0.3.21 DYNAMIC_ARCH ...": the name and version.
  std::string config = openblas_get_config();
  size_t end = config.find(' ', config.find(' ') + 1);
  return config.substr(0, end);
}
