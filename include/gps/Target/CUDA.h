//===- CUDA.h - code generation for NVIDIA GPUs -----------------*- C++ -*-===//
//
// The last steps of `gpsc --target=cuda`: the PTX of a model's kernels and
// the count of the launches a training step makes.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_TARGET_CUDA_H
#define GPS_TARGET_CUDA_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>

namespace gps {

/// Registers the translations the NVVM code generator needs (the GPU and
/// NVVM dialects to LLVM IR).
void registerCUDATranslations(mlir::DialectRegistry &registry);

/// The PTX of the model's kernels: the gpu.binary the NVVM codegen pipeline
/// leaves. Reports an error on the module and returns nothing when there is
/// none.
std::optional<std::string> getKernelPTX(mlir::ModuleOp module);

/// Prints, for each entry point of `module` after the GPU kernel pipeline,
/// how many kernel launches, sgemm calls (cuBLAS on the GPU), noise draws
/// and copies between host and device one call makes: each op counts once per iteration of the loops
/// around it, whose trip counts are constants. Returns failure, with an
/// error on the loop, for a loop whose trip count is not a constant.
mlir::LogicalResult printLaunchCounts(mlir::ModuleOp module,
                                      llvm::raw_ostream &os);

/// Renames the entry points `module` defines (gps_model_*, and their
/// _mlir_ciface_ wrappers) to the GPU half's names (gps_model_cuda_*) and
/// makes every other definition internal, so that one trainer can link the
/// module next to the CPU half's.
void renameCUDAEntryPoints(llvm::Module &module);

} // namespace gps

#endif // GPS_TARGET_CUDA_H
