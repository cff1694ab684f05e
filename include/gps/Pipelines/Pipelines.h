//===- Pipelines.h - gps pass pipelines -------------------------*- C++ -*-===//
//
// The pass pipelines of the compiler, shared by gpsc and gps-opt so that lit
// tests run exactly what the driver runs.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_PIPELINES_PIPELINES_H
#define GPS_PIPELINES_PIPELINES_H

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"

#include <string>

namespace gps {

/// Pairs the guide and the primary of every model (gps-pair-policies), then
/// shares what both compute: CSE, canonicalisation (which merges equal loop
/// state) and CSE again. Runs on a builtin.module.
void buildPairingPipeline(mlir::OpPassManager &pm);

/// Registers the pipelines with the global pass registry (`gps-opt
/// --gps-pairing-pipeline`).
void registerPipelines();

/// Choices of the gradient stages.
struct GradientOptions {
  /// Estimate kl(q||p) by Monte Carlo even where a closed form exists.
  bool monteCarloKL = false;
};

/// The gradient stages (gpsc --emit=mlir-grad): the expanded terms, the loss
/// function, its decomposition into primitives, and its reverse-mode
/// derivative.
void buildGradientPipeline(mlir::OpPassManager &pm,
                           const GradientOptions &options = {});

/// Choices of the lowering stages.
struct LoweringOptions {
  /// The ABI version the generated code announces; 0 for the runtime's own
  /// (anything else only to test the trainer's start-up check).
  unsigned abiVersion = 0;
  /// The noise computed in the generated code rather than by the runtime
  /// (convert-gps-to-linalg's inline-noise): what a GPU kernel can draw.
  bool inlineNoise = false;
  /// gps-fold-copies (off only to check that it changes no number).
  bool foldCopies = true;
  /// gps-merge-siblings (off only to check that it changes no number).
  bool mergeSiblings = true;
};

/// From the gradient to bufferized code calling BLAS (gpsc
/// --emit=mlir-lowered): entry points, linalg, fusion, bufferization.
void buildLoweringPipeline(mlir::OpPassManager &pm,
                           const LoweringOptions &options = {});

/// From bufferized code to the LLVM dialect, for the CPU.
void buildCPUCodegenPipeline(mlir::OpPassManager &pm);

/// Choices of the GPU stages.
struct GPUOptions {
  /// The GPU the kernels are compiled for (an NVIDIA compute capability).
  std::string chip = "sm_90";
  /// The CUDA toolkit whose libdevice (nvvm/libdevice/libdevice.10.bc)
  /// provides the kernels' math functions (expf, log1pf, tanhf, ...).
  std::string toolkitPath = "/usr/local/cuda";
  /// cuBLAS may round the products' inputs to TF32 (tensor cores); FP32
  /// otherwise.
  bool tf32 = false;
  /// The entry points use their memref arguments in place, as the trainer
  /// passes them (memory the GPU shares with the host); otherwise they copy
  /// them from and back to host memory (gps-device-buffers).
  bool inPlaceArguments = true;
  /// The runtime may record the model entry points' work in CUDA Graphs and
  /// replay it (gps-capture-entries; needs inPlaceArguments).
  bool graphs = true;
};

/// From bufferized code to kernels (gpsc --target=cuda --emit=mlir-gpu):
/// every loop nest becomes a kernel of one gpu.module, launched by the host
/// code, which keeps the step loop, allocations and runtime calls.
void buildGPUKernelPipeline(mlir::OpPassManager &pm,
                            const GPUOptions &options = {});

/// From kernels to PTX (gpsc --emit=ptx): the kernels to the NVVM dialect,
/// then, through LLVM's NVPTX back end in process, to one PTX module held by
/// a gpu.binary.
void buildNVVMCodegenPipeline(mlir::OpPassManager &pm,
                              const GPUOptions &options = {});

/// From the host code of --target=cuda, once its kernels are compiled, to
/// the LLVM dialect: launches and device buffers become calls of the GPU
/// runtime (`mgpuLaunchKernel`, `mgpuMemAlloc`, ...; runtime/cuda/), and
/// the PTX is embedded, loaded by a constructor.
void buildCUDAHostCodegenPipeline(mlir::OpPassManager &pm);

/// From kernels back to host code (gpsc --target=cuda --emulate-gpu), a
/// test harness for machines without a GPU: each launch becomes loops over
/// its blocks and threads, every kernel access checked against its
/// buffer's bounds and reported to the runtime's race check, and device
/// buffers host buffers; buildCPUCodegenPipeline takes it from there. Needs
/// buildGPUKernelPipeline without graphs.
void buildGPUEmulationPipeline(mlir::OpPassManager &pm);

/// Every dialect and external interface model the gps pipelines use.
void registerDialects(mlir::DialectRegistry &registry);

} // namespace gps

#endif // GPS_PIPELINES_PIPELINES_H
