//===- CUDA.cpp - code generation for NVIDIA GPUs -------------------------===//

#include "gps/Target/CUDA.h"
#include "gps/Dialect/GPS/GPSDialect.h"
#include "gps/Runtime/Contract.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "llvm/Support/Format.h"

using namespace mlir;

void gps::registerCUDATranslations(DialectRegistry &registry) {
  registerGPUDialectTranslation(registry);
  registerNVVMDialectTranslation(registry);
  // The host side: gpu.binary embedded and loaded, gpu.launch_func called.
  gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(registry);
}

std::optional<std::string> gps::getKernelPTX(ModuleOp module) {
  std::string ptx;
  unsigned binaries = 0;
  module.walk([&](gpu::BinaryOp binary) {
    ++binaries;
    for (Attribute attr : binary.getObjects())
      if (auto object = llvm::dyn_cast<gpu::ObjectAttr>(attr))
        ptx += object.getObject().getValue().str();
  });
  if (binaries == 0) {
    module.emitError("the module has no compiled kernels (gpu.binary)");
    return std::nullopt;
  }
  return ptx;
}

namespace {
/// What one call of an entry point launches.
struct LaunchCounts {
  uint64_t kernels = 0, sgemms = 0, normals = 0, copies = 0;
};
} // namespace

/// Adds what `block` launches, `times` over, to `counts`.
static LogicalResult countBlock(Block &block, uint64_t times,
                                LaunchCounts &counts) {
  namespace contract = gps::rt::contract;
  auto is = [](StringRef callee, std::string_view symbol) {
    return callee == StringRef(symbol.data(), symbol.size());
  };
  for (Operation &op : block) {
    if (llvm::isa<gpu::LaunchFuncOp>(op)) {
      counts.kernels += times;
      continue;
    }
    if (llvm::isa<gpu::MemcpyOp>(op)) {
      counts.copies += times;
      continue;
    }
    if (auto call = llvm::dyn_cast<func::CallOp>(op)) {
      StringRef callee = call.getCallee();
      if (is(callee, contract::kSgemmFn) ||
          is(callee, contract::kCudaSgemmFn) ||
          is(callee, contract::kCudaSgemmTF32Fn))
        counts.sgemms += times;
      else if (is(callee, contract::kNormalFn) ||
               is(callee, contract::kCudaNormalFn))
        counts.normals += times;
      continue;
    }
    uint64_t inner = times;
    if (auto loop = llvm::dyn_cast<scf::ForOp>(op)) {
      std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound());
      std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound());
      std::optional<int64_t> step = getConstantIntValue(loop.getStep());
      if (!lb || !ub || !step || *step <= 0)
        return loop.emitError("the launch count needs a constant trip count");
      inner *= *ub > *lb ? (*ub - *lb + *step - 1) / *step : 0;
    }
    for (Region &region : op.getRegions())
      for (Block &nested : region)
        if (failed(countBlock(nested, inner, counts)))
          return failure();
  }
  return success();
}

/// One row of the launch report.
static void printRow(llvm::raw_ostream &os, llvm::StringRef name,
                     const LaunchCounts &counts, bool graph) {
  os << llvm::format("%-26s %8llu %8llu %8llu %8llu %6s\n", name.str().c_str(),
                     static_cast<unsigned long long>(counts.kernels),
                     static_cast<unsigned long long>(counts.sgemms),
                     static_cast<unsigned long long>(counts.normals),
                     static_cast<unsigned long long>(counts.copies),
                     graph ? "yes" : "-");
}

LogicalResult gps::printLaunchCounts(ModuleOp module, llvm::raw_ostream &os) {
  namespace contract = gps::rt::contract;
  os << llvm::format("%-26s %8s %8s %8s %8s %6s\n", "entry", "kernels", "sgemm",
                     "normal", "copies", "graph");
  // A training step of the trainer on the GPU: these entries, once each
  // (one trainable range), recorded as one graph when each may be.
  LaunchCounts step;
  bool stepGraph = true;
  for (auto fn : module.getOps<func::FuncOp>()) {
    if (fn.isDeclaration() || fn.isPrivate())
      continue;
    LaunchCounts counts;
    if (failed(countBlock(fn.getBody().front(), 1, counts)))
      return failure();
    // Whether the runtime may replay the entry's work from a CUDA Graph
    // (gps-capture-entries).
    bool graph = fn->hasAttr(gps::GPSDialect::GraphAttrHelper::getNameStr());
    printRow(os, fn.getName(), counts, graph);
    for (std::string_view entry :
         {contract::kGatherEntry, contract::kMasksEntry, contract::kTrainEntry,
          contract::kGradSumsqEntry, contract::kAdamEntry})
      if (fn.getName() == llvm::StringRef(entry.data(), entry.size())) {
        step.kernels += counts.kernels;
        step.sgemms += counts.sgemms;
        step.normals += counts.normals;
        step.copies += counts.copies;
        stepGraph = stepGraph && graph;
      }
  }
  printRow(os, "(training step)", step, stepGraph);
  return success();
}

void gps::renameCUDAEntryPoints(llvm::Module &module) {
  namespace contract = gps::rt::contract;
  llvm::StringRef from(contract::kEntryPrefix.data(),
                       contract::kEntryPrefix.size());
  llvm::StringRef to(contract::kCudaEntryPrefix.data(),
                     contract::kCudaEntryPrefix.size());
  for (llvm::Function &fn : module) {
    if (fn.isDeclaration() || !fn.hasExternalLinkage())
      continue;
    llvm::StringRef name = fn.getName();
    llvm::StringRef wrapper =
        name.consume_front("_mlir_ciface_") ? "_mlir_ciface_" : "";
    if (!name.starts_with(from)) {
      // A helper of the lowering (the deallocation's dealloc_helper): the
      // CPU half defines its own.
      fn.setLinkage(llvm::GlobalValue::InternalLinkage);
      continue;
    }
    fn.setName(wrapper.str() + to.str() + name.drop_front(from.size()).str());
  }
  for (llvm::GlobalVariable &global : module.globals())
    if (!global.isDeclaration() && global.hasExternalLinkage())
      global.setLinkage(llvm::GlobalValue::InternalLinkage);
}
