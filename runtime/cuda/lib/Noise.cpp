//===- Noise.cpp - the sample sites' noise on the GPU ---------------------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// gps_rt_cuda_normal draws the site's normals with the CPU's own generator
// (gps_rt_normal: Philox4x32-10, the same key and counters) into host
// memory and copies them to the device buffer in stream order, so a model
// sees bit for bit the noise it sees on the CPU.
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/Cuda.h"

#include <cuda_runtime_api.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

extern "C" void _mlir_ciface_gps_rt_cuda_normal(gps_memref<float, 2> *out,
                                                uint64_t seed, uint64_t stream,
                                                uint64_t site, uint64_t step) {
  int64_t rows = out->sizes[0], cols = out->sizes[1];
  if (rows <= 0 || cols <= 0)
    return;
  if (cols > 1 && out->strides[1] != 1) {
    std::fprintf(stderr, "gps runtime: gps_rt_cuda_normal: the rows of the "
                         "output must be contiguous\n");
    std::abort();
  }
  std::vector<float> host(static_cast<size_t>(rows * cols));
  gps_memref<float, 2> staging{host.data(), host.data(), 0, {rows, cols},
                               {cols, 1}};
  _mlir_ciface_gps_rt_normal(&staging, seed, stream, site, step);
  size_t width = static_cast<size_t>(cols) * sizeof(float);
  size_t pitch =
      static_cast<size_t>(rows > 1 ? out->strides[0] : cols) * sizeof(float);
  // From pageable memory the copy has read `host` when this returns.
  gps::rt::cuda::check(
      cudaMemcpy2DAsync(out->aligned + out->offset, pitch, host.data(), width,
                        width, static_cast<size_t>(rows),
                        cudaMemcpyHostToDevice,
                        static_cast<cudaStream_t>(gps::rt::cuda::stream())),
      "copying noise to the device (cudaMemcpy2DAsync)");
}
