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
#include "gps/Runtime/GraphCalls.h"

#include <cuda_runtime_api.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

void gps::rt::cuda::check(int result, const char *what) {
  if (result == cudaSuccess)
    return;
  auto error = static_cast<cudaError_t>(result);
  std::fprintf(stderr, "gps runtime: error: CUDA: %s: %s (%s)%s\n", what,
               cudaGetErrorString(error), cudaGetErrorName(error),
               gps::rt::cuda::recording()
                   ? ", while recording a CUDA Graph; GPS_CUDA_GRAPHS=0 "
                     "runs without graphs"
                   : "");
  std::exit(1);
}

using gps::rt::GraphCalls;
using gps::rt::GraphMode;
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

//===----------------------------------------------------------------------===//
// CUDA Graphs of entry points (gps-capture-entries)
//===----------------------------------------------------------------------===//

namespace {
/// A call's `stream`, which its kernels read from `device`: each call
/// writes it to `pinned`, and the copy to `device` is the first node of the
/// call's work in a graph.
struct StreamScalar {
  int64_t *device = nullptr;
  int64_t *pinned = nullptr;

  /// Allocates the two on first use.
  void make() {
    if (device)
      return;
    check(cudaMalloc(reinterpret_cast<void **>(&device), sizeof(int64_t)),
          "allocating an entry point's stream number");
    check(cudaMallocHost(reinterpret_cast<void **>(&pinned), sizeof(int64_t)),
          "allocating an entry point's stream number");
  }
};

/// An entry point's graph and its stream number.
struct EntryGraph {
  cudaGraphExec_t exec = nullptr;
  StreamScalar scalar;
};

/// The graph of a group of calls (a training step) and the stream number
/// of each call in it, by position: two calls of one entry in a step have
/// two.
struct StepGraph {
  cudaGraphExec_t exec = nullptr;
  std::vector<StreamScalar> scalars;
};

/// GPS_CUDA_GRAPHS=0 turns the graphs off (every call runs as enqueued).
bool graphsEnabled() {
  const char *value = std::getenv("GPS_CUDA_GRAPHS");
  return !value || std::strcmp(value, "0") != 0;
}

/// GPS_CUDA_GRAPH_STATS=FILE: at exit, one line per entry number of the
/// calls that ran as usual, were recorded and were replayed (for
/// bench/gpu-check.sh, which checks that the graphs are used).
void writeGraphStats();

GraphCalls &calls() {
  static GraphCalls instance(graphsEnabled());
  static const bool registered = std::atexit(writeGraphStats) == 0;
  (void)registered;
  return instance;
}

void writeGraphStats() {
  const char *path = std::getenv("GPS_CUDA_GRAPH_STATS");
  if (!path || !*path)
    return;
  FILE *file = std::fopen(path, "w");
  if (!file)
    return;
  const std::vector<GraphCalls::Counts> &counts = calls().counts();
  for (size_t entry = 0; entry < counts.size(); ++entry)
    std::fprintf(file, "entry %zu eager %llu record %llu replay %llu\n", entry,
                 static_cast<unsigned long long>(counts[entry].eager),
                 static_cast<unsigned long long>(counts[entry].record),
                 static_cast<unsigned long long>(counts[entry].replay));
  const GraphCalls::Counts &steps = calls().groupCounts();
  if (steps.eager + steps.record + steps.replay)
    std::fprintf(file, "step eager %llu record %llu replay %llu\n",
                 static_cast<unsigned long long>(steps.eager),
                 static_cast<unsigned long long>(steps.record),
                 static_cast<unsigned long long>(steps.replay));
  std::fclose(file);
}

std::vector<EntryGraph> &entryGraphs() {
  static std::vector<EntryGraph> graphs;
  return graphs;
}

StepGraph &stepGraph() {
  static StepGraph graph;
  return graph;
}

/// Exits with one line when the calls of a step recorded or replayed are
/// not the ones of the step it repeats.
void checkConsistent() {
  if (calls().consistent())
    return;
  std::fprintf(stderr,
               "gps runtime: error: the calls of a training step differ from "
               "those its CUDA Graph repeats (the step's signature misses "
               "what changed); GPS_CUDA_GRAPHS=0 runs without graphs\n");
  std::exit(1);
}

/// Ends a capture on `s` and makes its graph `exec` (replacing the one
/// before).
void instantiateCapture(cudaStream_t s, cudaGraphExec_t &exec,
                        const char *what) {
  cudaGraph_t recorded = nullptr;
  cudaError_t result = cudaStreamEndCapture(s, &recorded);
  if (result != cudaSuccess) {
    std::fprintf(stderr,
                 "gps runtime: error: CUDA: recording %s in a CUDA Graph: %s "
                 "(%s); GPS_CUDA_GRAPHS=0 runs without graphs\n",
                 what, cudaGetErrorString(result), cudaGetErrorName(result));
    std::exit(1);
  }
  if (exec)
    check(cudaGraphExecDestroy(exec), "cudaGraphExecDestroy");
  exec = nullptr;
  check(cudaGraphInstantiate(&exec, recorded, 0), "instantiating a CUDA Graph");
  check(cudaGraphDestroy(recorded), "cudaGraphDestroy");
}
} // namespace

bool gps::rt::cuda::replaying() { return calls().mode() == GraphMode::Replay; }

bool gps::rt::cuda::recording() { return calls().mode() == GraphMode::Record; }

extern "C" void
_mlir_ciface_gps_rt_cuda_graph_begin(gps_memref<int64_t, 1> *scalar,
                                     int32_t entry, int64_t signature,
                                     int64_t streamValue) {
  auto s = static_cast<cudaStream_t>(gps::rt::cuda::stream());
  if (entry < 0) {
    std::fprintf(stderr, "gps runtime: error: entry point number %d\n",
                 static_cast<int>(entry));
    std::exit(1);
  }
  GraphCalls &state = calls();
  GraphMode mode = state.begin(entry, static_cast<uint64_t>(signature));
  StreamScalar *slot;
  if (state.inGroup()) {
    checkConsistent();
    std::vector<StreamScalar> &scalars = stepGraph().scalars;
    if (state.groupPosition() >= scalars.size())
      scalars.resize(state.groupPosition() + 1);
    slot = &scalars[state.groupPosition()];
  } else {
    std::vector<EntryGraph> &graphs = entryGraphs();
    if (static_cast<size_t>(entry) >= graphs.size())
      graphs.resize(static_cast<size_t>(entry) + 1);
    slot = &graphs[static_cast<size_t>(entry)].scalar;
  }
  // Made by a call that is not recorded: an entry's first, a step's first.
  slot->make();
  if (!state.inGroup() && mode == GraphMode::Record)
    check(cudaStreamBeginCapture(s, cudaStreamCaptureModeRelaxed),
          "recording an entry point in a CUDA Graph (cudaStreamBeginCapture)");
  // The previous call synchronised before it returned: nothing reads it now.
  *slot->pinned = streamValue;
  if (mode != GraphMode::Replay)
    check(cudaMemcpyAsync(slot->device, slot->pinned, sizeof(int64_t),
                          cudaMemcpyHostToDevice, s),
          "copying an entry point's stream number");
  *scalar = {slot->device, slot->device, 0, {1}, {1}};
}

/// Ends the call in progress at its synchronisation: a recording becomes
/// the entry's graph, which a recorded or replayed call then launches. In
/// a step, the step's end does that. False when the caller must not
/// synchronise (the stream is being recorded, or its work is not
/// enqueued).
static bool endCall(cudaStream_t s) {
  GraphCalls &state = calls();
  GraphMode mode = state.mode();
  if (state.inGroup()) {
    if (state.entry() < 0 && !state.uncapturedCall()) {
      std::fprintf(stderr, "gps runtime: error: an entry point that cannot be "
                           "recorded ran in a training step being recorded or "
                           "replayed; GPS_CUDA_GRAPHS=0 runs without graphs\n");
      std::exit(1);
    }
    state.end();
    return mode == GraphMode::Eager;
  }
  if (mode == GraphMode::Eager) {
    state.end();
    return true;
  }
  EntryGraph &graph = entryGraphs()[static_cast<size_t>(state.entry())];
  if (mode == GraphMode::Record)
    instantiateCapture(s, graph.exec, "an entry point");
  state.end();
  check(cudaGraphLaunch(graph.exec, s), "cudaGraphLaunch");
  return true;
}

extern "C" void gps_rt_cuda_step_begin(uint64_t signature) {
  auto s = static_cast<cudaStream_t>(gps::rt::cuda::stream());
  if (calls().inGroup()) {
    std::fprintf(stderr, "gps runtime: error: a training step began inside "
                         "another\n");
    std::exit(1);
  }
  if (calls().beginGroup(signature) == GraphMode::Record)
    check(cudaStreamBeginCapture(s, cudaStreamCaptureModeRelaxed),
          "recording a training step in a CUDA Graph "
          "(cudaStreamBeginCapture)");
}

extern "C" void gps_rt_cuda_step_end() {
  auto s = static_cast<cudaStream_t>(gps::rt::cuda::stream());
  GraphCalls &state = calls();
  if (!state.inGroup()) {
    std::fprintf(stderr, "gps runtime: error: a training step ended that "
                         "had not begun\n");
    std::exit(1);
  }
  GraphMode mode = state.endGroup();
  checkConsistent();
  StepGraph &graph = stepGraph();
  if (mode == GraphMode::Record)
    instantiateCapture(s, graph.exec, "a training step");
  if (mode != GraphMode::Eager)
    check(cudaGraphLaunch(graph.exec, s), "cudaGraphLaunch");
  check(cudaStreamSynchronize(s), "cudaStreamSynchronize");
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
  if (gps::rt::cuda::replaying())
    return;
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
  if (endCall(static_cast<cudaStream_t>(stream)))
    check(cudaStreamSynchronize(static_cast<cudaStream_t>(stream)),
          "cudaStreamSynchronize");
}

extern "C" void *mgpuMemAlloc(uint64_t sizeBytes, void *stream,
                              bool isHostShared) {
  if (sizeBytes == 0)
    return nullptr;
  // A replayed call's buffers are the graph's: the host code only passes
  // this on to launches and frees that do nothing.
  static char replayed;
  if (gps::rt::cuda::replaying())
    return &replayed;
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
  if (!ptr || gps::rt::cuda::replaying())
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

extern "C" void gps_rt_cuda_prefetch_shared(const void *pointer, size_t bytes) {
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
  if (sizeBytes == 0 || gps::rt::cuda::replaying())
    return;
  // A recording takes copies and launches only.
  if (!gps::rt::cuda::recording()) {
    prefetchIfManaged(src, sizeBytes, static_cast<cudaStream_t>(stream));
    prefetchIfManaged(dst, sizeBytes, static_cast<cudaStream_t>(stream));
  }
  // With unified addressing the runtime tells host from device pointers.
  check(cudaMemcpyAsync(dst, src, sizeBytes, cudaMemcpyDefault,
                        static_cast<cudaStream_t>(stream)),
        "cudaMemcpyAsync");
}
