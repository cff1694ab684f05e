//===- gemm-replay.cpp - a training step's GEMMs alone ---------------------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// gps-gemm-replay TRACE [--threads N] [--repeat R] [--library L]
//
// Reads the products one training step made (GPS_RT_GEMM_TRACE lines
// "transA transB M N K beta"), runs exactly those products on buffers of the
// same shapes in the GEMM library L (onednn: dnnl_sgemm, the trainers'
// default; openblas: cblas_sgemm), and prints the best time of R
// repetitions of the whole list, its FLOPs and rate as JSON: the step's GEMM
// floor, the peer of the step time in bench/run and bench/gpsi_add.sh.
//
//===----------------------------------------------------------------------===//

#include <cblas.h>
#ifdef GPS_HAVE_ONEDNN
#include <oneapi/dnnl/dnnl.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern "C" void openblas_set_num_threads(int numThreads);
#ifdef GPS_HAVE_ONEDNN
extern "C" void omp_set_num_threads(int numThreads);
#endif

namespace {
struct Gemm {
  int transA, transB;
  long long m, n, k;
  float beta;
};
} // namespace

int main(int argc, char **argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help")) {
    std::printf("usage: gps-gemm-replay TRACE [--threads N] [--repeat R] "
                "[--library onednn|openblas]\n");
    return argc < 2 ? 2 : 0;
  }
  int threads = 0, repeat = 5;
#ifdef GPS_HAVE_ONEDNN
  bool onednn = true;
#else
  bool onednn = false;
#endif
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--threads")) {
      threads = std::atoi(argv[i + 1]);
    } else if (!std::strcmp(argv[i], "--repeat")) {
      repeat = std::max(1, std::atoi(argv[i + 1]));
    } else if (!std::strcmp(argv[i], "--library")) {
      onednn = !std::strcmp(argv[i + 1], "onednn");
#ifndef GPS_HAVE_ONEDNN
      if (onednn) {
        std::fprintf(stderr, "gps-gemm-replay: built without oneDNN\n");
        return 2;
      }
#endif
      if (!onednn && std::strcmp(argv[i + 1], "openblas")) {
        std::fprintf(stderr, "gps-gemm-replay: unknown library '%s'\n",
                     argv[i + 1]);
        return 2;
      }
    } else {
      std::fprintf(stderr, "gps-gemm-replay: unknown flag '%s'\n", argv[i]);
      return 2;
    }
  }
  if (threads > 0) {
    openblas_set_num_threads(threads);
#ifdef GPS_HAVE_ONEDNN
    omp_set_num_threads(threads);
#endif
  }
  std::ifstream in(argv[1]);
  if (!in) {
    std::fprintf(stderr, "gps-gemm-replay: cannot read '%s'\n", argv[1]);
    return 1;
  }
  std::vector<Gemm> gemms;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    Gemm g;
    if (fields >> g.transA >> g.transB >> g.m >> g.n >> g.k >> g.beta)
      gemms.push_back(g);
  }
  if (gemms.empty()) {
    std::fprintf(stderr, "gps-gemm-replay: no products in '%s'\n", argv[1]);
    return 1;
  }
  size_t largest = 0;
  double flops = 0;
  for (const Gemm &g : gemms) {
    largest = std::max<size_t>(largest, std::max({g.m * g.k, g.k * g.n, g.m * g.n}));
    flops += 2.0 * g.m * g.n * g.k;
  }
  std::vector<float> a(largest, 0.01f), b(largest, 0.02f), c(largest, 0.0f);
  double best = 1e30;
  for (int r = 0; r < repeat + 1; ++r) {
    auto start = std::chrono::steady_clock::now();
    for (const Gemm &g : gemms) {
      int lda = g.transA ? g.m : g.k, ldb = g.transB ? g.k : g.n;
#ifdef GPS_HAVE_ONEDNN
      if (onednn)
        dnnl_sgemm(g.transA ? 'T' : 'N', g.transB ? 'T' : 'N', g.m, g.n, g.k,
                   1.0f, a.data(), lda, b.data(), ldb, g.beta, c.data(), g.n);
      else
#endif
        cblas_sgemm(CblasRowMajor, g.transA ? CblasTrans : CblasNoTrans,
                    g.transB ? CblasTrans : CblasNoTrans, g.m, g.n, g.k, 1.0f,
                    a.data(), lda, b.data(), ldb, g.beta, c.data(), g.n);
    }
    double seconds = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - start)
                         .count();
    if (r > 0) // The first run warms the caches and the library's threads.
      best = std::min(best, seconds);
  }
  std::printf("{\"library\": \"%s\", \"gemms\": %zu, \"gflop\": %.4f, "
              "\"seconds\": %.6f, \"gflop_per_s\": %.2f}\n",
              onednn ? "onednn" : "openblas", gemms.size(), flops / 1e9, best,
              flops / 1e9 / best);
  return 0;
}
