//===- GemmOneDNN.cpp - the CPU GEMM library: oneDNN ------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// GPSRuntimeOneDNN: the products of generated code through oneDNN's
// dnnl_sgemm, which is faster than OpenBLAS on the shapes of a training step
// (docs/design.md, "The GEMM library"). oneDNN threads with OpenMP (Debian's
// build: libgomp), so the thread count is OpenMP's, set on the calling
// thread; generated code calls from the trainer's main thread.
//
// oneDNN is loaded at the first use, not linked. By default libgomp's idle
// threads spin for a while after each parallel region. A trainer alone
// loses nothing by letting them sleep at once (its products take
// milliseconds; measured on 2 cores: gpsi_add 578 -> 600 and lstm_gen
// 566 -> 593 examples/s), and two trainers on the same cores stop stealing
// each other's cycles (two lstm_gen side by side: 180 -> 340 examples/s
// each). libgomp reads OMP_WAIT_POLICY once, when it is loaded; loading
// oneDNN (and with it libgomp) here lets the runtime set that default first.
// A policy in the environment is left as it is.
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/Blas.h"

#include <oneapi/dnnl/dnnl.h>

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {
/// oneDNN's and OpenMP's functions the runtime calls, or why they could not
/// be loaded.
struct OneDNN {
  decltype(&dnnl_sgemm) sgemm = nullptr;
  decltype(&dnnl_version) version = nullptr;
  void (*setNumThreads)(int) = nullptr;
  int (*getMaxThreads)() = nullptr;
  std::string error; // empty when loaded
};

template <typename T>
T symbol(void *library, const char *name, std::string &error) {
  void *address = library ? dlsym(library, name) : nullptr;
  if (!address && error.empty())
    error = std::string(name) + ": " + dlerror();
  return reinterpret_cast<T>(address);
}

const OneDNN &load() {
  static const OneDNN loaded = [] {
    setenv("OMP_WAIT_POLICY", "passive", /*overwrite=*/0);
    OneDNN f;
    void *dnnl = dlopen(GPS_DNNL_SONAME, RTLD_NOW | RTLD_LOCAL);
    void *omp = dnnl ? dlopen(GPS_GOMP_SONAME, RTLD_NOW | RTLD_LOCAL) : nullptr;
    if (!dnnl || !omp) {
      f.error = dlerror();
      return f;
    }
    f.sgemm = symbol<decltype(&dnnl_sgemm)>(dnnl, "dnnl_sgemm", f.error);
    f.version = symbol<decltype(&dnnl_version)>(dnnl, "dnnl_version", f.error);
    f.setNumThreads =
        symbol<void (*)(int)>(omp, "omp_set_num_threads", f.error);
    f.getMaxThreads = symbol<int (*)()>(omp, "omp_get_max_threads", f.error);
    return f;
  }();
  return loaded;
}

/// The loaded library; a trainer that cannot load it cannot multiply, so it
/// stops with one line.
const OneDNN &oneDNN() {
  const OneDNN &f = load();
  if (!f.error.empty()) {
    std::fprintf(stderr, "gps runtime: error: cannot load oneDNN: %s\n",
                 f.error.c_str());
    std::exit(1);
  }
  return f;
}
} // namespace

void gps::rt::sgemmRowMajor(bool transA, bool transB, int m, int n, int k,
                            float alpha, const float *a, int lda,
                            const float *b, int ldb, float beta, float *c,
                            int ldc) {
  dnnl_status_t status =
      oneDNN().sgemm(transA ? 'T' : 'N', transB ? 'T' : 'N', m, n, k, alpha,
                     a, lda, b, ldb, beta, c, ldc);
  if (status != dnnl_success) {
    // checkGemm has validated the call, so this is a bug of gps or oneDNN.
    std::fprintf(stderr,
                 "gps runtime: gps_rt_sgemm: dnnl_sgemm failed with status %d "
                 "(m %d, n %d, k %d, lda %d, ldb %d, ldc %d)\n",
                 static_cast<int>(status), m, n, k, lda, ldb, ldc);
    std::abort();
  }
}

void gps::rt::setGemmThreads(int numThreads) {
  oneDNN().setNumThreads(numThreads);
}

int gps::rt::getGemmThreads() { return oneDNN().getMaxThreads(); }

std::string gps::rt::gemmLibrary() {
  // Named even when it cannot be loaded: `trainer --help` works anyway.
  if (!load().error.empty())
    return "oneDNN, which cannot be loaded (" + load().error + "),";
  const dnnl_version_t *version = load().version();
  return "oneDNN " + std::to_string(version->major) + "." +
         std::to_string(version->minor) + "." + std::to_string(version->patch);
}
