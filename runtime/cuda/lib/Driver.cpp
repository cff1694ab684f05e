//===- Driver.cpp - kernels, buffers and copies through the CUDA runtime --===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// The GPU runtime ABI of MLIR's gpu-to-llvm lowering (Cuda.h) over the CUDA
// runtime API, which finds the driver when first called (so a trainer
// starts, and reports a missing GPU in one line, on a machine without the
// driver): device 0, one stream, the device's stream-ordered memory pool,
// and the model's PTX loaded as a library at the first launch.
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/Cuda.h"

#include <cuda_runtime_api.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <unordered_map>

void gps::rt::cuda::check(int result, const char *what) {
  if (result == cudaSuccess)
    return;
  auto error = static_cast<cudaError_t>(result);
  std::fprintf(stderr, "gps runtime: error: CUDA: %s: %s (%s)\n", what,
               cudaGetErrorString(error), cudaGetErrorName(error));
  std::exit(1);
}

using gps::rt::cuda::check;

namespace {
/// Why there is no GPU to run on: null when device 0 is there, else the
/// message (a static buffer).
const char *noDevice() {
  static char message[256];
  int count = 0;
  cudaError_t found = cudaGetDeviceCount(&count);
  if (found == cudaSuccess && count > 0)
    return nullptr;
  std::snprintf(message, sizeof(message),
                "no CUDA device (%s); --device cpu runs the model's CPU code",
                found != cudaSuccess ? cudaGetErrorString(found)
                                     : "none found");
  return message;
}

/// The process's CUDA state, made at the first call that needs the GPU.
struct Device {
  cudaStream_t stream = nullptr;

  Device() {
    if (const char *problem = noDevice()) {
      std::fprintf(stderr, "gps runtime: error: %s\n", problem);
      std::exit(1);
    }
    check(cudaSetDevice(0), "cudaSetDevice");
    check(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking),
          "cudaStreamCreateWithFlags");
    // Keep freed pool memory for the next step rather than returning it to
    // the driver at each synchronisation.
    cudaMemPool_t pool;
    check(cudaDeviceGetDefaultMemPool(&pool, 0), "cudaDeviceGetDefaultMemPool");
    uint64_t keep = ~uint64_t(0);
    check(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold,
                                  &keep),
          "cudaMemPoolSetAttribute");
  }
};

Device &device() {
  static Device instance;
  return instance;
}

/// The model's kernels: PTX recorded by the generated constructor, loaded
/// as a library at the first launch.
struct Module {
  const char *ptx;
  int optLevel;
  cudaLibrary_t library = nullptr;
  std::mutex mutex;
  std::unordered_map<const char *, cudaKernel_t> kernels;

  void load() {
    cudaJitOption options[] = {cudaJitOptimizationLevel, cudaJitErrorLogBuffer,
                               cudaJitErrorLogBufferSizeBytes};
    char log[4096] = {0};
    void *values[] = {
        reinterpret_cast<void *>(static_cast<intptr_t>(optLevel)), log,
        reinterpret_cast<void *>(static_cast<intptr_t>(sizeof(log)))};
    cudaError_t result = cudaLibraryLoadData(&library, ptx, options, values,
                                             3, nullptr, nullptr, 0);
    if (result != cudaSuccess && log[0])
      std::fprintf(stderr, "gps runtime: the PTX JIT says: %s\n", log);
    check(result, "loading the model's kernels (cudaLibraryLoadData)");
  }
};
} // namespace

void *gps::rt::cuda::stream() { return device().stream; }

extern "C" const char *gps_rt_cuda_device_error() {
  if (const char *problem = noDevice())
    return problem;
  device();
  return nullptr;
}

extern "C" void *gps_rt_cuda_alloc_shared(size_t bytes) {
  device();
  void *pointer = nullptr;
  if (cudaMallocManaged(&pointer, bytes, cudaMemAttachGlobal) != cudaSuccess) {
    // Out of memory: the caller reports it; clear the sticky-free error.
    cudaGetLastError();
    return nullptr;
  }
  return pointer;
}

extern "C" void gps_rt_cuda_free_shared(void *pointer) {
  check(cudaFree(pointer), "cudaFree");
}

extern "C" void *mgpuModuleLoadJIT(void *ptx, int optLevel) {
  auto *module = new Module();
  module->ptx = static_cast<const char *>(ptx);
  module->optLevel = optLevel < 0 ? 0 : optLevel > 4 ? 4 : optLevel;
  return module;
}

extern "C" void mgpuModuleUnload(void *handle) {
  // At exit: the CUDA runtime releases its libraries itself.
  delete static_cast<Module *>(handle);
}

extern "C" void *mgpuModuleGetFunction(void *handle, const char *name) {
  auto *module = static_cast<Module *>(handle);
  gps::rt::cuda::stream();
  std::lock_guard<std::mutex> lock(module->mutex);
  if (!module->library)
    module->load();
  auto [it, inserted] = module->kernels.try_emplace(name, nullptr);
  if (inserted)
    check(cudaLibraryGetKernel(&it->second, module->library, name),
          (std::string("cudaLibraryGetKernel of kernel '") + name + "'")
              .c_str());
  return reinterpret_cast<void *>(it->second);
}

extern "C" void mgpuLaunchKernel(void *function, intptr_t gridX,
                                 intptr_t gridY, intptr_t gridZ,
                                 intptr_t blockX, intptr_t blockY,
                                 intptr_t blockZ, int32_t sharedMemBytes,
                                 void *stream, void **params, void ** /*extra*/,
                                 size_t /*paramsCount*/) {
  if (gridX > 0x7FFFFFFF || gridY > 65535 || gridZ > 65535) {
    std::fprintf(stderr,
                 "gps runtime: error: a kernel launch of %lld x %lld x %lld "
                 "blocks exceeds the GPU's grid\n",
                 static_cast<long long>(gridX), static_cast<long long>(gridY),
                 static_cast<long long>(gridZ));
    std::exit(1);
  }
  dim3 grid(static_cast<unsigned>(gridX), static_cast<unsigned>(gridY),
            static_cast<unsigned>(gridZ));
  dim3 block(static_cast<unsigned>(blockX), static_cast<unsigned>(blockY),
             static_cast<unsigned>(blockZ));
  // A kernel handle of a library is launched through its handle.
  check(cudaLaunchKernel(function, grid, block, params,
                         static_cast<size_t>(sharedMemBytes),
                         static_cast<cudaStream_t>(stream)),
        "cudaLaunchKernel");
}

extern "C" void *mgpuStreamCreate() { return gps::rt::cuda::stream(); }

extern "C" void mgpuStreamDestroy(void *) {}

extern "C" void mgpuStreamSynchronize(void *stream) {
  check(cudaStreamSynchronize(static_cast<cudaStream_t>(stream)),
        "cudaStreamSynchronize");
}

extern "C" void *mgpuMemAlloc(uint64_t sizeBytes, void *stream,
                              bool isHostShared) {
  if (sizeBytes == 0)
    return nullptr;
  gps::rt::cuda::stream();
  void *ptr = nullptr;
  cudaError_t result =
      isHostShared
          ? cudaMallocManaged(&ptr, sizeBytes, cudaMemAttachGlobal)
          : cudaMallocAsync(&ptr, sizeBytes, static_cast<cudaStream_t>(stream));
  // The message is built only on failure: this runs for every buffer.
  if (result != cudaSuccess)
    check(result, ("allocating " + std::to_string(sizeBytes) +
                   " bytes of device memory")
                      .c_str());
  return ptr;
}

extern "C" void mgpuMemFree(void *ptr, void *stream) {
  if (!ptr)
    return;
  check(cudaFreeAsync(ptr, static_cast<cudaStream_t>(stream)), "cudaFreeAsync");
}

/// Moves the pages of managed memory [pointer, pointer + bytes) to the GPU,
/// in stream order.
static void prefetchToGpu(const void *pointer, size_t bytes,
                          cudaStream_t stream) {
#if CUDART_VERSION >= 13000
  cudaMemLocation gpu;
  gpu.type = cudaMemLocationTypeDevice;
  gpu.id = 0;
  check(cudaMemPrefetchAsync(pointer, bytes, gpu, 0, stream),
        "cudaMemPrefetchAsync");
#else
  check(cudaMemPrefetchAsync(pointer, bytes, 0, stream),
        "cudaMemPrefetchAsync");
#endif
}

extern "C" void gps_rt_cuda_prefetch_shared(const void *pointer,
                                            size_t bytes) {
  if (bytes)
    prefetchToGpu(pointer, bytes,
                  static_cast<cudaStream_t>(gps::rt::cuda::stream()));
}

/// prefetchToGpu when [pointer, pointer + bytes) is managed memory (a view
/// of the trainer's buffers, gps_rt_cuda_alloc_shared): a copy does not
/// fault pages in as a kernel does, so without this a copy of pages the
/// host last touched would cross the bus at every step.
static void prefetchIfManaged(const void *pointer, size_t bytes,
                              cudaStream_t stream) {
  cudaPointerAttributes attributes;
  if (cudaPointerGetAttributes(&attributes, pointer) != cudaSuccess) {
    cudaGetLastError();
    return;
  }
  if (attributes.type == cudaMemoryTypeManaged)
    prefetchToGpu(pointer, bytes, stream);
}

extern "C" void mgpuMemcpy(void *dst, void *src, size_t sizeBytes,
                           void *stream) {
  if (sizeBytes == 0)
    return;
  prefetchIfManaged(src, sizeBytes, static_cast<cudaStream_t>(stream));
  prefetchIfManaged(dst, sizeBytes, static_cast<cudaStream_t>(stream));
  // With unified addressing the runtime tells host from device pointers.
  check(cudaMemcpyAsync(dst, src, sizeBytes, cudaMemcpyDefault,
                        static_cast<cudaStream_t>(stream)),
        "cudaMemcpyAsync");
}
