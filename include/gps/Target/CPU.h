//===- CPU.h - native code generation for the host CPU ----------*- C++ -*-===//
//
// The last steps of `gpsc`: the LLVM dialect to LLVM IR optimised for the
// host CPU, an object file, and a trainer executable linked with the
// runtime.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_TARGET_CPU_H
#define GPS_TARGET_CPU_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/Timing.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"

#include <memory>
#include <string>

namespace gps {

/// Registers the translations from the dialects left after the CPU codegen
/// pipeline to LLVM IR.
void registerLLVMTranslations(mlir::DialectRegistry &registry);

/// Translates `module` (LLVM dialect) to LLVM IR for the host CPU and runs
/// LLVM's O3 pipeline on it (vectorising the fused loops; without loop
/// unrolling, and the code generator without loop strength reduction, for
/// compile time). Returns null
/// after reporting an error on the module. The translation and the
/// optimisation are timed under `timing` (see gpsc --mlir-timing).
std::unique_ptr<llvm::Module>
translateForHost(mlir::ModuleOp module, llvm::LLVMContext &llvmContext,
                 mlir::TimingScope *timing = nullptr);

/// Writes `module` as a relocatable object file for the host CPU to `path`.
/// On failure returns false and sets `error`. Code generation is timed
/// under `timing`.
bool writeObjectFile(llvm::Module &module, const std::string &path,
                     std::string &error, mlir::TimingScope *timing = nullptr);

/// Makes the LLVM optimisation and code generation above time each of their
/// passes and print the times (LLVM's -time-passes report) to standard
/// error when the process ends.
void enableLLVMPassTiming();

/// What a trainer's generated code runs on: it decides the runtime
/// libraries the trainer links.
enum class TrainerKind { CPU, CUDA };

/// Links `objectPaths` (the model's object files: a CUDA trainer has one
/// for each half) with the runtime's trainer into the executable
/// `outputPath`, calling the system C++ compiler driver; a CUDA trainer also
/// links the CUDA runtime (runtime/cuda/), cuBLAS and the driver. `gemm`
/// names the CPU GEMM library ("onednn" or "openblas"; empty: this build's
/// default, defaultGemmLibrary()). On failure returns false and sets
/// `error`.
bool linkTrainer(llvm::ArrayRef<std::string> objectPaths,
                 const std::string &outputPath, TrainerKind kind,
                 llvm::StringRef gemm, std::string &error);

/// The CPU GEMM library trainers link unless told otherwise (CMake's
/// GPS_GEMM).
llvm::StringRef defaultGemmLibrary();

/// True when this build has the CUDA runtime to link CUDA trainers with.
bool hasCUDATrainer();

} // namespace gps

#endif // GPS_TARGET_CPU_H
