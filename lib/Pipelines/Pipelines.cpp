//===- Pipelines.cpp - gps pass pipelines ---------------------------------===//

#include "gps/Pipelines/Pipelines.h"
#include "gps/Dialect/GPS/GPSOps.h"
#include "gps/Dialect/GPS/GPSPasses.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/GPUCommon/GPUCommonPass.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/NVVMToLLVM/NVVMToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/FuncBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Linalg/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/RuntimeOpVerification.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/CommandLine.h"

using namespace mlir;

void gps::buildPairingPipeline(OpPassManager &pm) {
  pm.addNestedPass<ModelOp>(createPairPoliciesPass());
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void gps::buildGradientPipeline(OpPassManager &pm,
                                const GradientOptions &options) {
  ExpandKLPassOptions expand;
  expand.monteCarlo = options.monteCarloKL;
  // The per-example log w of the importance-weighted bound (trainer eval --iw).
  expand.logWeights = true;
  pm.addNestedPass<ModelOp>(createExpandKLPass(expand));
  pm.addPass(createBuildLossPass());
  pm.addNestedPass<func::FuncOp>(createDecomposePass());
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createAutodiffPass());
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
}

void gps::buildLoweringPipeline(OpPassManager &pm,
                                const LoweringOptions &options) {
  BuildEntriesPassOptions entries;
  entries.abiVersion = options.abiVersion;
  pm.addPass(createBuildEntriesPass(entries));
  ConvertGPSToLinalgPassOptions linalg;
  linalg.inlineNoise = options.inlineNoise;
  pm.addPass(createConvertGPSToLinalgPass(linalg));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // After CSE, which would merge the zero fills gps-fuse gives each product.
  pm.addNestedPass<func::FuncOp>(createFusePass());
  pm.addPass(createCanonicalizerPass());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = false;
  // Loop state is updated out of place; the arena makes that cheap.
  bufferize.allowReturnAllocsFromLoops = true;
  // Not eliminate-empty-tensors: computing taped values in their tape
  // slots broke the gradient of GPSI-add's c0 (test/Integration/gradcheck),
  // for no measurable gain.
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  pm.addPass(createConvertLinalgToBlasPass());
  pm.addPass(createCanonicalizerPass());
  // Values computed where they are copied to (tape slots, gradients).
  if (options.foldCopies)
    pm.addNestedPass<func::FuncOp>(createFoldCopiesPass());
  // The copies of a view onto itself that in-place updates leave go
  // (they would keep gps-merge-siblings' nests apart); then nests over the
  // same points run as one (a kernel fewer each).
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
  if (options.mergeSiblings)
    pm.addNestedPass<func::FuncOp>(createMergeSiblingsPass());
  // Free each buffer after its last use, so that a step loop reuses its
  // temporaries (the arena keeps freed blocks for the next allocation of
  // their size) and memory grows with the number of steps by the tapes
  // only.
  bufferization::buildBufferDeallocationPipeline(
      pm, bufferization::BufferDeallocationPipelineOptions());
  pm.addPass(createCanonicalizerPass());
}

/// Host code to the LLVM dialect; `gpu` adds the lowering of kernel
/// launches and device buffers to the GPU runtime's calls.
static void buildHostToLLVM(OpPassManager &pm, bool gpu) {
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createConvertMathToLLVMPass());
  FinalizeMemRefToLLVMConversionPassOptions memrefOptions;
  // Buffers come from the runtime's arena (Interface.h).
  memrefOptions.useGenericFunctions = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefOptions));
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  // Kernel launches, device buffers and copies, on LLVM's memref
  // descriptors.
  if (gpu)
    pm.addPass(createGpuToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void gps::buildCPUCodegenPipeline(OpPassManager &pm) {
  // exp, log1p and tanh of elementwise loops as arithmetic, which LLVM
  // vectorises, rather than a libm call per element.
  pm.addNestedPass<func::FuncOp>(createApproximateMathPass());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  buildHostToLLVM(pm, /*gpu=*/false);
}

void gps::buildCUDAHostCodegenPipeline(OpPassManager &pm) {
  // Launches, allocations and copies become asynchronous on one stream,
  // synchronised at the end of each entry point.
  pm.addNestedPass<func::FuncOp>(createGpuAsyncRegionPass());
  // One stream orders all of it: the host waits only where it reads what
  // the GPU wrote, at the end of each entry point.
  pm.addNestedPass<func::FuncOp>(createElideHostWaitsPass());
  buildHostToLLVM(pm, /*gpu=*/true);
}

void gps::buildGPUKernelPipeline(OpPassManager &pm, const GPUOptions &options) {
  pm.addPass(createConvertLinalgToGPUPass());
  DeviceBuffersPassOptions buffers;
  buffers.tf32 = options.tf32;
  buffers.inPlaceArguments = options.inPlaceArguments;
  pm.addPass(createDeviceBuffersPass(buffers));
  if (options.graphs && options.inPlaceArguments)
    pm.addPass(createCaptureEntriesPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void gps::buildGPUEmulationPipeline(OpPassManager &pm) {
  // Every access of a kernel checks its indices against the buffer's
  // sizes (on a GPU, one out of bounds is silent), and every view the host
  // code makes of a buffer its bounds.
  pm.addPass(createGenerateRuntimeVerificationPass());
  pm.addPass(createEmulateGPUPass());
  pm.addPass(createCanonicalizerPass());
}

/// Makes libdevice's sqrtf the correctly rounded square root
/// (__CUDA_PREC_SQRT, which NVVMReflect otherwise reads as 0: the
/// approximation), as the CPU's is, so that the compiled Adam update (and
/// any other square root) rounds alike on both; unless the command line
/// set -nvvm-reflect-add itself.
static void preciseSquareRoot() {
  auto options = llvm::cl::getRegisteredOptions();
  auto it = options.find("nvvm-reflect-add");
  if (it != options.end() && it->second->getNumOccurrences() == 0)
    it->second->addOccurrence(0, "nvvm-reflect-add", "__CUDA_PREC_SQRT=1");
}

void gps::buildNVVMCodegenPipeline(OpPassManager &pm,
                                   const GPUOptions &options) {
  preciseSquareRoot();
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  GpuNVVMAttachTargetOptions target;
  target.chip = options.chip;
  target.optLevel = 3;
  pm.addPass(createGpuNVVMAttachTarget(target));
  OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
  kernels.addPass(createConvertGpuOpsToNVVMOps());
  kernels.addPass(createCanonicalizerPass());
  kernels.addPass(createReconcileUnrealizedCastsPass());
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = "isa";
  binary.toolkitPath = options.toolkitPath;
  pm.addPass(createGpuModuleToBinaryPass(binary));
}

void gps::registerDialects(DialectRegistry &registry) {
  registry.insert<GPSDialect, arith::ArithDialect,
                  bufferization::BufferizationDialect, func::FuncDialect,
                  linalg::LinalgDialect, LLVM::LLVMDialect, gpu::GPUDialect,
                  math::MathDialect, memref::MemRefDialect, NVVM::NVVMDialect,
                  scf::SCFDialect, tensor::TensorDialect>();
  registerArithAdjoints(registry);
  arith::registerBufferizableOpInterfaceExternalModels(registry);
  bufferization::func_ext::registerBufferizableOpInterfaceExternalModels(
      registry);
  linalg::registerBufferizableOpInterfaceExternalModels(registry);
  // The GPU emulation's bounds checks.
  memref::registerRuntimeVerifiableOpInterfaceExternalModels(registry);
  scf::registerBufferizableOpInterfaceExternalModels(registry);
  tensor::registerBufferizableOpInterfaceExternalModels(registry);
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  // gpu-module-to-binary translates the kernels to LLVM IR.
  registerBuiltinDialectTranslation(registry);
  registerGPUDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerNVVMDialectTranslation(registry);
  gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(registry);
  // convert-gpu-to-nvvm lowers the kernels' ops through these interfaces
  // of the dialects they are in.
  arith::registerConvertArithToLLVMInterface(registry);
  cf::registerConvertControlFlowToLLVMInterface(registry);
  index::registerConvertIndexToLLVMInterface(registry);
  registerConvertFuncToLLVMInterface(registry);
  registerConvertMathToLLVMInterface(registry);
  registerConvertMemRefToLLVMInterface(registry);
  registerConvertNVVMToLLVMInterface(registry);
}

void gps::registerPipelines() {
  PassPipelineRegistration<>(
      "gps-lowering-pipeline",
      "Build the entry points, lower to linalg, fuse, bufferize and call BLAS "
      "(gpsc --emit=mlir-lowered, after the gradient pipeline)",
      [](OpPassManager &pm) { buildLoweringPipeline(pm); });
  PassPipelineRegistration<>(
      "gps-cpu-codegen-pipeline",
      "Lower buffers, loops and calls to the LLVM dialect (gpsc --emit=llvm "
      "translates the result)",
      [](OpPassManager &pm) { buildCPUCodegenPipeline(pm); });
  PassPipelineRegistration<>(
      "gps-gpu-kernel-pipeline",
      "Outline the loop nests of bufferized code into GPU kernels (gpsc "
      "--target=cuda --emit=mlir-gpu, after the lowering pipeline)",
      [](OpPassManager &pm) { buildGPUKernelPipeline(pm); });
  PassPipelineRegistration<>(
      "gps-nvvm-codegen-pipeline",
      "Compile the kernels to PTX for sm_90 (gpsc --emit=ptx)",
      [](OpPassManager &pm) { buildNVVMCodegenPipeline(pm); });
  PassPipelineRegistration<>(
      "gps-cuda-host-codegen-pipeline",
      "Lower the host code launching kernels to the LLVM dialect, kernel "
      "launches to GPU runtime calls (after the NVVM codegen pipeline)",
      [](OpPassManager &pm) { buildCUDAHostCodegenPipeline(pm); });
  PassPipelineRegistration<>(
      "gps-gradient-pipeline",
      "Expand the terms, build the loss and differentiate it (gpsc "
      "--emit=mlir-grad, after the pairing pipeline)",
      [](OpPassManager &pm) { buildGradientPipeline(pm); });
  PassPipelineRegistration<>(
      "gps-pairing-pipeline",
      "Pair the policies and share what both compute (gpsc "
      "--emit=mlir-paired)",
      [](OpPassManager &pm) { buildPairingPipeline(pm); });
}
