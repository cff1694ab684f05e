//===- CPU.cpp - native code generation for the host CPU ------------------===//

#include "gps/Target/CPU.h"

#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/IR/PassTimingInfo.h"
#include "llvm/Pass.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Passes/StandardInstrumentations.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"

using namespace mlir;

void gps::registerLLVMTranslations(DialectRegistry &registry) {
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
}

// Compile time. Generated entry points are large (gps_model_train of
// lstm_gen is about 12k LLVM instructions: the forward and the reversed step
// loop, each one loop around hundreds of fused loop nests), and two LLVM
// transformations made their compile time grow without making the trainer
// faster (docs/design.md, "Compile time"):
//  - loop unrolling, which quadrupled the code (52k instructions after O3,
//    21k without it) and so the time of every later pass and of the code
//    generator: the vectoriser still interleaves the hot loops, and the
//    loops it does not vectorise are short or run once per call;
//  - loop strength reduction in the code generator, which took a third of
//    its time on the step loops' hundreds of induction variable uses: x86
//    addressing modes already fold base + index * scale.
// Both are off; the rest of O3 (the vectoriser included) and the
// aggressive code generator stay.

/// The O3 pipeline gpsc runs: without loop unrolling.
static llvm::PipelineTuningOptions hostTuning() {
  llvm::PipelineTuningOptions tuning;
  tuning.LoopUnrolling = false;
  return tuning;
}

/// Turns the code generator's loop strength reduction off, unless the
/// command line set -disable-lsr itself.
static void disableLoopStrengthReduction() {
  auto options = llvm::cl::getRegisteredOptions();
  auto it = options.find("disable-lsr");
  if (it != options.end() && it->second->getNumOccurrences() == 0)
    it->second->addOccurrence(0, "disable-lsr", "true");
}

/// A target machine for the CPU gpsc runs on (the trainer runs there too).
static std::unique_ptr<llvm::TargetMachine> hostMachine(std::string &error) {
  disableLoopStrengthReduction();
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::Triple triple(llvm::sys::getProcessTriple());
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
  std::string features;
  for (const auto &feature : llvm::sys::getHostCPUFeatures())
    features += (feature.second ? "+" : "-") + feature.first().str() + ",";
  llvm::TargetOptions options;
  return std::unique_ptr<llvm::TargetMachine>(target->createTargetMachine(
      triple, llvm::sys::getHostCPUName(), features, options,
      llvm::Reloc::PIC_, std::nullopt, llvm::CodeGenOptLevel::Aggressive));
}

void gps::enableLLVMPassTiming() { llvm::TimePassesIsEnabled = true; }

/// A nested timing scope under `parent`, or an inactive one.
static TimingScope nest(TimingScope *parent, StringRef name) {
  return parent ? parent->nest(name) : TimingScope();
}

std::unique_ptr<llvm::Module>
gps::translateForHost(ModuleOp module, llvm::LLVMContext &llvmContext,
                      TimingScope *timing) {
  TimingScope translation = nest(timing, "Translate to LLVM IR");
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext, "gps");
  translation.stop();
  if (!llvmModule) {
    module.emitError("cannot translate the module to LLVM IR");
    return nullptr;
  }
  std::string error;
  std::unique_ptr<llvm::TargetMachine> machine = hostMachine(error);
  if (!machine) {
    module.emitError("no code generator for the host: ") << error;
    return nullptr;
  }
  llvmModule->setTargetTriple(machine->getTargetTriple());
  llvmModule->setDataLayout(machine->createDataLayout());

  TimingScope optimisation = nest(timing, "LLVM optimisation (O3)");
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassInstrumentationCallbacks callbacks;
  llvm::StandardInstrumentations instrumentations(llvmContext,
                                                  /*DebugLogging=*/false);
  instrumentations.registerCallbacks(callbacks, &mam);
  llvm::PassBuilder builder(machine.get(), hostTuning(), std::nullopt,
                            &callbacks);
  builder.registerModuleAnalyses(mam);
  builder.registerCGSCCAnalyses(cgam);
  builder.registerFunctionAnalyses(fam);
  builder.registerLoopAnalyses(lam);
  builder.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::ModulePassManager mpm =
      builder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3);
  mpm.run(*llvmModule, mam);
  return llvmModule;
}

bool gps::writeObjectFile(llvm::Module &module, const std::string &path,
                          std::string &error, TimingScope *timing) {
  TimingScope codegen = nest(timing, "LLVM code generation");
  std::unique_ptr<llvm::TargetMachine> machine = hostMachine(error);
  if (!machine)
    return false;
  std::error_code ec;
  llvm::ToolOutputFile out(path, ec, llvm::sys::fs::OF_None);
  if (ec) {
    error = "cannot write '" + path + "': " + ec.message();
    return false;
  }
  llvm::legacy::PassManager pm;
  if (machine->addPassesToEmitFile(pm, out.os(), nullptr,
                                   llvm::CodeGenFileType::ObjectFile)) {
    error = "the host target cannot emit object files";
    return false;
  }
  pm.run(module);
  out.keep();
  return true;
}

bool gps::hasCUDATrainer() {
#ifdef GPS_CUDA_TRAINER_LINK
  return true;
#else
  return false;
#endif
}

llvm::StringRef gps::defaultGemmLibrary() { return GPS_DEFAULT_GEMM; }

bool gps::linkTrainer(ArrayRef<std::string> objectPaths,
                      const std::string &outputPath, TrainerKind kind,
                      StringRef gemm, std::string &error) {
  // The GPS_*_LINK macros list the runtime's libraries (build-tree paths)
  // and system libraries, separated by '|': the trainer's, the GEMM
  // library's, then the system's.
  SmallVector<StringRef, 4> parts;
  if (kind == TrainerKind::CUDA) {
#ifdef GPS_CUDA_TRAINER_LINK
    parts.push_back(GPS_CUDA_TRAINER_LINK);
#else
    error = "this gpsc was built without the CUDA runtime";
    return false;
#endif
  } else {
    parts.push_back(GPS_TRAINER_LINK);
  }
  if (gemm.empty())
    gemm = defaultGemmLibrary();
  if (gemm == "openblas") {
    parts.push_back(GPS_TRAINER_LINK_OPENBLAS);
  } else if (gemm == "onednn") {
#ifdef GPS_TRAINER_LINK_ONEDNN
    parts.push_back(GPS_TRAINER_LINK_ONEDNN);
#else
    error = "this gpsc was built without oneDNN; use --gemm=openblas";
    return false;
#endif
  } else {
    error = ("unknown GEMM library '" + gemm +
             "'; expected 'onednn' or 'openblas'")
                .str();
    return false;
  }
  parts.push_back(GPS_TRAINER_LINK_SYSTEM);
#ifdef GPS_CUDA_TRAINER_LINK_SYSTEM
  if (kind == TrainerKind::CUDA)
    parts.push_back(GPS_CUDA_TRAINER_LINK_SYSTEM);
#endif
  llvm::ErrorOr<std::string> driver = llvm::sys::findProgramByName("c++");
  if (!driver) {
    error = "cannot find the C++ compiler driver 'c++' to link the trainer";
    return false;
  }
  SmallVector<std::string> args{*driver};
  args.append(objectPaths.begin(), objectPaths.end());
  args.append({"-o", outputPath});
  for (StringRef part : parts) {
    SmallVector<StringRef> libs;
    part.split(libs, '|', -1, false);
    for (StringRef lib : libs)
      args.push_back(lib.str());
  }
  SmallVector<StringRef> argRefs(args.begin(), args.end());
  std::string message;
  int status = llvm::sys::ExecuteAndWait(*driver, argRefs, std::nullopt, {},
                                         0, 0, &message);
  if (status != 0) {
    error = "linking the trainer failed" +
            (message.empty() ? std::string() : ": " + message);
    return false;
  }
  return true;
}
