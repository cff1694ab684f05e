//===- Blas.cpp - GEMM for generated code -----------------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// Generated code passes row-major strided rank-2 memrefs; each maps to a
// BLAS matrix with the leading dimension strides[0]. A malformed call is a
// compiler bug, so it aborts with a message naming the operand rather than
// returning an error. The product itself is the GEMM library's that the
// trainer was linked with (sgemmRowMajor: GemmOneDNN.cpp or
// GemmOpenBLAS.cpp, chosen by `gpsc --gemm`).
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/Blas.h"
#include "gps/Runtime/Interface.h"
#include "gps/Runtime/Parallel.h"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <string>

using gps_memref_2d = gps_memref<float, 2>;

/// "[rows, cols]" for messages.
static std::string shapeText(const gps_memref_2d &m) {
  return "[" + std::to_string(m.sizes[0]) + ", " + std::to_string(m.sizes[1]) +
         "]";
}

namespace {
/// Reports malformed calls of one sgemm function.
struct GemmChecker {
  const char *function;

  [[noreturn]] void fail(const std::string &message) const {
    std::fprintf(stderr, "gps runtime: %s: %s\n", function, message.c_str());
    std::abort();
  }

  /// The BLAS leading dimension of `m` as a row-major matrix: strides[0],
  /// which must be at least the number of columns. Strides that address
  /// nothing (of a dimension of extent 1, or of an empty matrix) are
  /// ignored. Aborts on a layout BLAS cannot take.
  int leadingDim(const gps_memref_2d &m, const char *name) const {
    int64_t rows = m.sizes[0], cols = m.sizes[1];
    if (rows < 0 || cols < 0)
      fail(std::string("operand ") + name + " has negative sizes " +
           shapeText(m));
    if (cols > 1 && m.strides[1] != 1)
      fail(std::string("operand ") + name + " " + shapeText(m) +
           " has strides [" + std::to_string(m.strides[0]) + ", " +
           std::to_string(m.strides[1]) + "]; the last stride must be 1");
    int64_t minLd = std::max<int64_t>(cols, 1);
    int64_t ld = rows > 1 && cols > 0 ? m.strides[0] : minLd;
    if (ld < minLd || ld > INT_MAX)
      fail(std::string("operand ") + name + " " + shapeText(m) +
           " has row stride " + std::to_string(m.strides[0]) +
           ", outside [" + std::to_string(minLd) + ", INT_MAX]");
    return static_cast<int>(ld);
  }
};
} // namespace

gps::rt::GemmShape gps::rt::checkGemm(const char *function, int32_t transA,
                                      int32_t transB, const gps_memref_2d &a,
                                      const gps_memref_2d &b,
                                      const gps_memref_2d &c) {
  GemmChecker check{function};
  GemmShape shape;
  shape.lda = check.leadingDim(a, "A");
  shape.ldb = check.leadingDim(b, "B");
  shape.ldc = check.leadingDim(c, "C");
  shape.m = transA ? a.sizes[1] : a.sizes[0];
  shape.k = transA ? a.sizes[0] : a.sizes[1];
  int64_t kb = transB ? b.sizes[1] : b.sizes[0];
  shape.n = transB ? b.sizes[0] : b.sizes[1];
  if (shape.k != kb || c.sizes[0] != shape.m || c.sizes[1] != shape.n)
    check.fail(std::string("shape mismatch: op(A) of A ") + shapeText(a) +
               (transA ? " transposed" : "") + " is " +
               std::to_string(shape.m) + "x" + std::to_string(shape.k) +
               ", op(B) of B " + shapeText(b) +
               (transB ? " transposed" : "") + " is " + std::to_string(kb) +
               "x" + std::to_string(shape.n) + ", C is " + shapeText(c) +
               "; need op(A) MxK, op(B) KxN, C MxN");
  if (shape.m > INT_MAX || shape.n > INT_MAX || shape.k > INT_MAX)
    check.fail("dimensions exceed INT_MAX");
  return shape;
}

/// With GPS_RT_GEMM_TRACE=FILE in the environment, every product appends
/// "transA transB M N K beta" to FILE: bench/ replays a step's GEMMs
/// alone to measure the step's GEMM floor (gps-gemm-replay).
static std::FILE *gemmTrace() {
  static std::FILE *trace = [] {
    const char *path = std::getenv("GPS_RT_GEMM_TRACE");
    return path && *path ? std::fopen(path, "a") : nullptr;
  }();
  return trace;
}

extern "C" void _mlir_ciface_gps_rt_sgemm(int32_t transA, int32_t transB,
                                          float alpha, gps_memref_2d *a,
                                          gps_memref_2d *b, float beta,
                                          gps_memref_2d *c) {
  gps::rt::GemmShape shape =
      gps::rt::checkGemm("gps_rt_sgemm", transA, transB, *a, *b, *c);
  int64_t m = shape.m, n = shape.n, k = shape.k;
  int lda = shape.lda, ldb = shape.ldb, ldc = shape.ldc;
  if (m == 0 || n == 0)
    return;
  float *cData = c->aligned + c->offset;
  if (k == 0) {
    // C = beta * C; with beta = 0 old values (even NaN) are not read, as
    // in BLAS.
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        float &value = cData[i * ldc + j];
        value = beta == 0.0f ? 0.0f : beta * value;
      }
    return;
  }
  if (std::FILE *trace = gemmTrace())
    std::fprintf(trace, "%d %d %lld %lld %lld %g\n", transA != 0, transB != 0,
                 static_cast<long long>(m), static_cast<long long>(n),
                 static_cast<long long>(k), static_cast<double>(beta));
  gps::rt::sgemmRowMajor(transA != 0, transB != 0, static_cast<int>(m),
                         static_cast<int>(n), static_cast<int>(k), alpha,
                         a->aligned + a->offset, lda, b->aligned + b->offset,
                         ldb, beta, cData, ldc);
}

void gps::rt::setBlasThreads(int numThreads) {
  setGemmThreads(numThreads);
  // The runtime's own elementwise work uses as many threads.
  setParallelThreads(numThreads);
}

int gps::rt::getBlasThreads() { return getGemmThreads(); }
