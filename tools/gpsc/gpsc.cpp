//===- gpsc.cpp - the gps compiler driver ---------------------------------===//
//
// gpsc model.gps -o trainer
// gpsc model.gps --emit=ast|mlir|mlir-paired|mlir-grad|mlir-lowered|llvm|obj
// gpsc model.gps --target=cuda -o trainer
// gpsc model.gps --target=cuda --emit=mlir-gpu|ptx|llvm|obj [--report=launches]
//
// Parses a .gps model, checks it, builds the gps dialect and runs the
// pipelines: pairing, KL expansion, the loss and its gradient, lowering to
// linalg, bufferization and BLAS calls, the LLVM dialect, LLVM IR, an object
// file, and a trainer executable linked with the runtime. For
// --target=cuda, the loop nests become GPU kernels compiled to PTX, embedded
// in host code that launches them through the CUDA runtime (runtime/cuda/),
// and the trainer also holds the model compiled for the CPU (--device).
//
//===----------------------------------------------------------------------===//

#include "gps/Dialect/GPS/GPSDialect.h"
#include "gps/Frontend/Diagnostics.h"
#include "gps/Frontend/MLIRGen.h"
#include "gps/Frontend/Parser.h"
#include "gps/Frontend/Sema.h"
#include "gps/Pipelines/Pipelines.h"
#include "gps/Target/CPU.h"
#include "gps/Target/CUDA.h"
#include "gps/Target/MemoryReport.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

#ifndef GPS_VERSION
#define GPS_VERSION "unknown"
#endif

namespace cl = llvm::cl;

namespace {
enum class Emit {
  Default,
  AST,
  MLIR,
  MLIRPaired,
  MLIRGrad,
  MLIRLowered,
  MLIRGPU,
  PTX,
  LLVM,
  Obj,
  Exe
};
} // namespace

static cl::OptionCategory gpscCategory("gpsc options");

static cl::opt<std::string> inputFilename(cl::Positional,
                                          cl::desc("<model.gps>"),
                                          cl::init("-"), cl::cat(gpscCategory));

static cl::opt<std::string> outputFilename("o", cl::desc("Output file"),
                                           cl::value_desc("filename"),
                                           cl::init("-"),
                                           cl::cat(gpscCategory));

static cl::opt<Emit> emitAction(
    "emit",
    cl::desc("The stage to emit (default: exe with -o FILE, else mlir)"),
    cl::init(Emit::Default),
    cl::values(clEnumValN(Emit::AST, "ast", "the checked syntax tree"),
               clEnumValN(Emit::MLIR, "mlir", "the gps dialect"),
               clEnumValN(Emit::MLIRPaired, "mlir-paired",
                          "after pairing the guide and the primary"),
               clEnumValN(Emit::MLIRGrad, "mlir-grad",
                          "the loss function and its gradient"),
               clEnumValN(Emit::MLIRLowered, "mlir-lowered",
                          "entry points on buffers, fused loops, BLAS calls"),
               clEnumValN(Emit::MLIRGPU, "mlir-gpu",
                          "GPU kernels and the host code launching them "
                          "(--target=cuda)"),
               clEnumValN(Emit::PTX, "ptx",
                          "the PTX of the kernels (--target=cuda)"),
               clEnumValN(Emit::LLVM, "llvm", "optimised LLVM IR"),
               clEnumValN(Emit::Obj, "obj", "an object file for the host"),
               clEnumValN(Emit::Exe, "exe", "a trainer executable (needs -o)")),
    cl::cat(gpscCategory));

namespace {
enum class KLEstimator { ClosedForm, MonteCarlo };
} // namespace

static cl::opt<KLEstimator> klEstimator(
    "kl", cl::desc("How kl(q || p) is computed at Gaussian sites"),
    cl::init(KLEstimator::ClosedForm),
    cl::values(clEnumValN(KLEstimator::ClosedForm, "closed-form",
                          "the analytic KL per site and step (default)"),
               clEnumValN(KLEstimator::MonteCarlo, "monte-carlo",
                          "log q(z) - log p(z) at the guide's sample")),
    cl::cat(gpscCategory));

namespace {
enum class Target { CPU, CUDA };
enum class Report { None, Launches, Memory };
} // namespace

static cl::opt<Target> target(
    "target", cl::desc("What the trainer runs on"), cl::init(Target::CPU),
    cl::values(clEnumValN(Target::CPU, "cpu", "the host CPU (default)"),
               clEnumValN(Target::CUDA, "cuda",
                          "an NVIDIA GPU: kernels in PTX, GEMMs in cuBLAS; "
                          "the trainer holds the CPU code too (--device)")),
    cl::cat(gpscCategory));

namespace {
enum class GemmLibrary { Default, OneDNN, OpenBLAS };
} // namespace

static cl::opt<GemmLibrary> gemmLibrary(
    "gemm",
    cl::desc("The CPU GEMM library the trainer links (default: this "
             "build's, see --version)"),
    cl::init(GemmLibrary::Default),
    cl::values(clEnumValN(GemmLibrary::OneDNN, "onednn", "oneDNN's dnnl_sgemm"),
               clEnumValN(GemmLibrary::OpenBLAS, "openblas",
                          "OpenBLAS's cblas_sgemm")),
    cl::cat(gpscCategory));

namespace {
enum class Noise { Default, Runtime, Inline };
} // namespace

static cl::opt<Noise> noise(
    "noise",
    cl::desc("Where the sample sites' noise is drawn (default: runtime on "
             "the CPU, inline on the GPU); both give the same numbers"),
    cl::init(Noise::Default),
    cl::values(clEnumValN(Noise::Runtime, "runtime",
                          "one call of the runtime's generator per draw"),
               clEnumValN(Noise::Inline, "inline",
                          "computed element by element in the generated "
                          "code (in the kernels on the GPU)")),
    cl::cat(gpscCategory));

static cl::opt<bool>
    tf32("tf32",
         cl::desc("Let cuBLAS round the matrix products' inputs to TF32 on "
                  "tensor cores (--target=cuda; default FP32)"),
         cl::init(false), cl::cat(gpscCategory));

static cl::opt<bool> cudaGraphs(
    "cuda-graphs",
    cl::desc("Let the GPU runtime record an entry point's work in a CUDA "
             "Graph and replay it on later calls (--target=cuda; default "
             "on; GPS_CUDA_GRAPHS=0 turns it off when the trainer runs)"),
    cl::init(true), cl::cat(gpscCategory));

static cl::opt<bool> emulateGPU(
    "emulate-gpu",
    cl::desc("With --target=cuda, build a CPU trainer that runs the GPU "
             "kernels as host loops, checking each access's bounds and "
             "each launch for data races (gps-emulate-gpu): a check of the "
             "GPU lowering where there is no GPU"),
    cl::init(false), cl::Hidden, cl::cat(gpscCategory));

static cl::opt<std::string>
    gpuArch("gpu-arch",
            cl::desc("The GPU the kernels are compiled for (--target=cuda)"),
            cl::value_desc("sm_XY"), cl::init("sm_90"), cl::cat(gpscCategory));

static cl::opt<std::string>
    cudaPath("cuda-path",
             cl::desc("The CUDA toolkit, for the libdevice math library of the "
                      "kernels (default: $CUDA_PATH, else /usr/local/cuda)"),
             cl::value_desc("dir"), cl::cat(gpscCategory));

/// The CUDA toolkit --cuda-path or the environment names.
static std::string cudaToolkit() {
  if (cudaPath.getNumOccurrences())
    return cudaPath;
  if (const char *env = std::getenv("CUDA_PATH"); env && *env)
    return env;
  return "/usr/local/cuda";
}

static cl::opt<Report> report(
    "report", cl::desc("Print a report on standard output"),
    cl::init(Report::None),
    cl::values(clEnumValN(Report::Launches, "launches",
                          "kernel launches, sgemm calls, noise draws and "
                          "copies (gpu.memcpy) of one call of each entry "
                          "point (--target=cuda)"),
               clEnumValN(Report::Memory, "memory",
                          "the peak of the runtime's arena during one call "
                          "of each entry point at --batch examples (the CPU "
                          "target)")),
    cl::cat(gpscCategory));

static cl::opt<int64_t>
    reportBatch("batch",
                cl::desc("The batch size of --report=memory (default 100, the "
                         "trainer's)"),
                cl::value_desc("N"), cl::init(100), cl::cat(gpscCategory));

static cl::opt<bool> timeLLVM(
    "time-llvm",
    cl::desc("Print the time of each LLVM optimisation and code generation "
             "pass on standard error (with --mlir-timing for the phases)"),
    cl::init(false), cl::cat(gpscCategory));

static cl::opt<bool> foldCopies(
    "fold-copies",
    cl::desc("Compute values where they are copied to (gps-fold-copies); "
             "off only to check that it changes no number"),
    cl::init(true), cl::Hidden, cl::cat(gpscCategory));

static cl::opt<bool> mergeSiblings(
    "merge-siblings",
    cl::desc("Run neighbouring loop nests over the same points as one "
             "(gps-merge-siblings); off only to check that it changes no "
             "number"),
    cl::init(true), cl::Hidden, cl::cat(gpscCategory));

static cl::opt<unsigned> abiVersion(
    "abi-version",
    cl::desc("ABI version the generated code announces (default: the "
             "runtime's); for testing the trainer's start-up check"),
    cl::init(0), cl::Hidden, cl::cat(gpscCategory));

/// The options of the pipelines both halves of a trainer share.
static gps::GradientOptions gradientOptions() {
  gps::GradientOptions gradient;
  gradient.monteCarloKL = klEstimator == KLEstimator::MonteCarlo;
  return gradient;
}

static gps::LoweringOptions loweringOptions(bool cuda) {
  gps::LoweringOptions lowering;
  lowering.abiVersion = abiVersion;
  lowering.foldCopies = foldCopies;
  lowering.mergeSiblings = mergeSiblings;
  lowering.inlineNoise =
      noise == Noise::Inline || (noise == Noise::Default && cuda);
  return lowering;
}

/// Compiles `model` again for the host CPU, the CPU half of a --target=cuda
/// trainer (`trainer --device cpu`), into the object file `path`. Returns
/// false after reporting an error.
static bool writeCPUHalf(mlir::MLIRContext &context, llvm::SourceMgr &srcMgr,
                         const gps::ast::Model &model, const std::string &path,
                         mlir::TimingScope &timing) {
  mlir::TimingScope scope = timing.nest("Compile the CPU half");
  mlir::OwningOpRef<mlir::ModuleOp> module =
      gps::mlirGen(context, srcMgr, model);
  if (!module)
    return false;
  mlir::PassManager pm(&context);
  if (failed(mlir::applyPassManagerCLOptions(pm)))
    return false;
  pm.enableTiming(scope);
  gps::buildPairingPipeline(pm);
  gps::buildGradientPipeline(pm, gradientOptions());
  gps::buildLoweringPipeline(pm, loweringOptions(/*cuda=*/false));
  gps::buildCPUCodegenPipeline(pm);
  if (failed(pm.run(*module)))
    return false;
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      gps::translateForHost(*module, llvmContext, &scope);
  if (!llvmModule)
    return false;
  std::string error;
  if (!gps::writeObjectFile(*llvmModule, path, error, &scope)) {
    llvm::WithColor::error(llvm::errs(), "gpsc") << error << "\n";
    return false;
  }
  return true;
}

static int run() {
  // --mlir-timing: the MLIR passes, then the LLVM phases, on one report.
  mlir::DefaultTimingManager timingManager;
  mlir::applyDefaultTimingManagerCLOptions(timingManager);
  mlir::TimingScope timing = timingManager.getRootScope();
  if (timeLLVM)
    gps::enableLLVMPassTiming();
  mlir::TimingScope frontend = timing.nest("Parse and check the model");
  std::string errorMessage;
  std::unique_ptr<llvm::MemoryBuffer> input =
      mlir::openInputFile(inputFilename, &errorMessage);
  if (!input) {
    llvm::WithColor::error(llvm::errs(), "gpsc") << errorMessage << "\n";
    return 1;
  }

  llvm::SourceMgr srcMgr;
  srcMgr.AddNewSourceBuffer(std::move(input), llvm::SMLoc());
  gps::DiagEngine diag(srcMgr, llvm::errs());

  std::unique_ptr<gps::ast::Model> model = gps::parseModel(diag);
  if (!model || diag.getNumErrors())
    return 1;
  if (!gps::checkModel(*model, diag))
    return 1;
  frontend.stop();

  bool cuda = target == Target::CUDA;
  if (emitAction == Emit::MLIRGPU || emitAction == Emit::PTX ||
      report == Report::Launches) {
    if (target.getNumOccurrences() && !cuda) {
      llvm::WithColor::error(llvm::errs(), "gpsc")
          << "GPU kernels need --target=cuda\n";
      return 1;
    }
    cuda = true;
  }
  if (cudaGraphs.getNumOccurrences() && !cuda) {
    llvm::WithColor::error(llvm::errs(), "gpsc")
        << "--cuda-graphs is for --target=cuda\n";
    return 1;
  }
  if (tf32 && !cuda) {
    llvm::WithColor::error(llvm::errs(), "gpsc")
        << "--tf32 is for --target=cuda (the CPU computes in FP32)\n";
    return 1;
  }
  bool emulate = emulateGPU;
  if (emulate && (target != Target::CUDA || report != Report::None || tf32 ||
                  (emitAction.getNumOccurrences() &&
                   (emitAction < Emit::MLIRGPU || emitAction == Emit::PTX)))) {
    llvm::WithColor::error(llvm::errs(), "gpsc")
        << "--emulate-gpu builds a CPU trainer from --target=cuda's kernels "
           "(--emit=mlir-gpu shows them emulated): it takes no --report, "
           "--tf32 or --emit before mlir-gpu or of ptx\n";
    return 1;
  }
  if (report == Report::Memory && cuda) {
    llvm::WithColor::error(llvm::errs(), "gpsc")
        << "--report=memory is for the CPU target (the runtime's arena)\n";
    return 1;
  }
  if (reportBatch < 1) {
    llvm::WithColor::error(llvm::errs(), "gpsc")
        << "--batch must be at least 1\n";
    return 1;
  }
  // A report alone stops where it is computed.
  if (emitAction == Emit::Default && report == Report::Launches)
    emitAction = Emit::MLIRGPU;
  else if (emitAction == Emit::Default && report == Report::Memory)
    emitAction = Emit::MLIRLowered;
  if (report == Report::Memory && emitAction < Emit::MLIRLowered) {
    llvm::WithColor::error(llvm::errs(), "gpsc")
        << "--report=memory reads the lowered IR: it needs --emit=mlir-lowered "
           "or a later stage\n";
    return 1;
  } else if (emitAction == Emit::Default)
    emitAction = outputFilename == "-" ? Emit::MLIR : Emit::Exe;
  if (cuda && !emulate && emitAction == Emit::Exe && !gps::hasCUDATrainer()) {
    llvm::WithColor::error(llvm::errs(), "gpsc")
        << "this gpsc was built without the CUDA runtime (runtime/cuda/ needs "
           "the CUDA toolkit when gps is configured); --target=cuda can emit "
           "up to --emit=obj\n";
    return 1;
  }
  if (emitAction == Emit::Exe && outputFilename == "-") {
    llvm::WithColor::error(llvm::errs(), "gpsc")
        << "--emit=exe needs -o FILE\n";
    return 1;
  }
  // Objects and executables are written by the code generator and linker.
  auto output = mlir::openOutputFile(
      emitAction >= Emit::Obj ? std::string("-") : std::string(outputFilename),
      &errorMessage);
  if (!output) {
    llvm::WithColor::error(llvm::errs(), "gpsc") << errorMessage << "\n";
    return 1;
  }

  if (emitAction == Emit::AST) {
    gps::ast::dump(*model, output->os());
    output->keep();
    return 0;
  }

  mlir::DialectRegistry registry;
  gps::registerDialects(registry);
  gps::registerLLVMTranslations(registry);
  gps::registerCUDATranslations(registry);
  mlir::MLIRContext context(registry);
  mlir::SourceMgrDiagnosticHandler handler(srcMgr, &context);
  mlir::TimingScope generation = timing.nest("Build the gps dialect");
  mlir::OwningOpRef<mlir::ModuleOp> module =
      gps::mlirGen(context, srcMgr, *model);
  if (!module)
    return 1;
  generation.stop();
  Emit emit = emitAction;
  mlir::PassManager pm(&context);
  if (failed(mlir::applyPassManagerCLOptions(pm)))
    return 1;
  pm.enableTiming(timing);
  if (emit >= Emit::MLIRPaired)
    gps::buildPairingPipeline(pm);
  if (emit >= Emit::MLIRGrad)
    gps::buildGradientPipeline(pm, gradientOptions());
  if (emit >= Emit::MLIRLowered)
    gps::buildLoweringPipeline(pm, loweringOptions(cuda));
  // The memory report reads the lowered IR, before the LLVM dialect.
  if (report == Report::Memory) {
    if (failed(pm.run(*module)) ||
        failed(gps::printMemoryReport(*module, reportBatch, llvm::outs())))
      return 1;
    if (!emitAction.getNumOccurrences())
      return 0;
    pm.clear();
  }
  if (cuda && emit >= Emit::MLIRGPU) {
    gps::GPUOptions kernels;
    kernels.tf32 = tf32;
    kernels.graphs = cudaGraphs;
    gps::buildGPUKernelPipeline(pm, kernels);
    if (emulate) {
      gps::buildGPUEmulationPipeline(pm);
      // From here on, a CPU trainer.
      cuda = false;
    }
  }
  if (!cuda && emit >= Emit::LLVM)
    gps::buildCPUCodegenPipeline(pm);
  if (failed(pm.run(*module)))
    return 1;
  if (report == Report::Launches &&
      failed(gps::printLaunchCounts(*module, llvm::outs())))
    return 1;
  if (report == Report::Launches && !emitAction.getNumOccurrences())
    return 0;
  if (cuda && emit >= Emit::PTX) {
    // The kernels to PTX, then (past --emit=ptx) the host code to LLVM.
    mlir::PassManager codegen(&context);
    if (failed(mlir::applyPassManagerCLOptions(codegen)))
      return 1;
    codegen.enableTiming(timing);
    gps::GPUOptions gpu;
    gpu.chip = gpuArch;
    gpu.toolkitPath = cudaToolkit();
    llvm::SmallString<128> libdevice(gpu.toolkitPath);
    llvm::sys::path::append(libdevice, "nvvm", "libdevice", "libdevice.10.bc");
    if (!llvm::sys::fs::exists(libdevice)) {
      llvm::WithColor::error(llvm::errs(), "gpsc")
          << "--target=cuda needs the CUDA toolkit's libdevice, not found at '"
          << libdevice << "' (set --cuda-path or CUDA_PATH)\n";
      return 1;
    }
    gps::buildNVVMCodegenPipeline(codegen, gpu);
    if (emit > Emit::PTX)
      gps::buildCUDAHostCodegenPipeline(codegen);
    if (failed(codegen.run(*module)))
      return 1;
    if (emit == Emit::PTX) {
      std::optional<std::string> ptx = gps::getKernelPTX(*module);
      if (!ptx)
        return 1;
      output->os() << *ptx;
      output->keep();
      return 0;
    }
  }
  if (emit <= Emit::MLIRGPU) {
    module->print(output->os());
    output->os() << "\n";
    output->keep();
    return 0;
  }

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      gps::translateForHost(*module, llvmContext, &timing);
  if (!llvmModule)
    return 1;
  if (emit == Emit::LLVM) {
    llvmModule->print(output->os(), nullptr);
    output->keep();
    return 0;
  }
  std::string error;
  if (emit == Emit::Obj) {
    if (outputFilename == "-") {
      llvm::WithColor::error(llvm::errs(), "gpsc")
          << "--emit=obj needs -o FILE\n";
      return 1;
    }
    if (!gps::writeObjectFile(*llvmModule, outputFilename, error, &timing)) {
      llvm::WithColor::error(llvm::errs(), "gpsc") << error << "\n";
      return 1;
    }
    return 0;
  }
  // The executable: objects in temporary files, linked with the runtime. A
  // CUDA trainer holds both halves: the GPU code under the entry points'
  // cuda names and the model compiled again for the CPU (--device).
  llvm::SmallString<128> objectPath, cpuObjectPath;
  for (llvm::SmallString<128> *path : {&objectPath, &cpuObjectPath}) {
    if (std::error_code ec =
            llvm::sys::fs::createTemporaryFile("gps-model", "o", *path)) {
      llvm::WithColor::error(llvm::errs(), "gpsc")
          << "cannot create a temporary object file: " << ec.message() << "\n";
      return 1;
    }
  }
  llvm::FileRemover removeObject(objectPath);
  llvm::FileRemover removeCPUObject(cpuObjectPath);
  if (cuda)
    gps::renameCUDAEntryPoints(*llvmModule);
  if (!gps::writeObjectFile(*llvmModule, objectPath.str().str(), error,
                            &timing)) {
    llvm::WithColor::error(llvm::errs(), "gpsc") << error << "\n";
    return 1;
  }
  llvm::SmallVector<std::string, 2> objects{objectPath.str().str()};
  if (cuda) {
    if (!writeCPUHalf(context, srcMgr, *model, cpuObjectPath.str().str(),
                      timing))
      return 1;
    objects.push_back(cpuObjectPath.str().str());
  }
  mlir::TimingScope linking = timing.nest("Link the trainer");
  if (!gps::linkTrainer(objects, outputFilename,
                        cuda ? gps::TrainerKind::CUDA : gps::TrainerKind::CPU,
                        gemmLibrary == GemmLibrary::OneDNN     ? "onednn"
                        : gemmLibrary == GemmLibrary::OpenBLAS ? "openblas"
                                                               : "",
                        error)) {
    llvm::WithColor::error(llvm::errs(), "gpsc") << error << "\n";
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM y(argc, argv);
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  mlir::registerPassManagerCLOptions();
  mlir::registerDefaultTimingManagerCLOptions();
  cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << "gpsc " << GPS_VERSION << " (LLVM/MLIR " << LLVM_VERSION_STRING
       << "); trainers multiply with " << gps::defaultGemmLibrary()
       << " unless --gemm says otherwise\n";
  });
  // MLIR's timing report is a gpsc option too (shown in --help).
  for (const char *name : {"mlir-timing", "mlir-timing-display"})
    if (cl::Option *option = cl::getRegisteredOptions().lookup(name))
      option->addCategory(gpscCategory);
  cl::HideUnrelatedOptions(gpscCategory);
  cl::ParseCommandLineOptions(
      argc, argv,
      "gpsc: compile a .gps generative model (guided policy search)\n");
  return run();
}
