//===- gpsc.cpp - the gps compiler driver ---------------------------------===//
//
// gpsc model.gps [--emit=ast|mlir|mlir-paired] [-o out]
//
// Parses a .gps model, checks it and builds the gps dialect. Later stages
// (pairing, KL expansion, differentiation, lowering, the trainer) extend
// --emit.
//
//===----------------------------------------------------------------------===//

#include "gps/Dialect/GPS/GPSDialect.h"
#include "gps/Frontend/Diagnostics.h"
#include "gps/Frontend/MLIRGen.h"
#include "gps/Frontend/Parser.h"
#include "gps/Frontend/Sema.h"
#include "gps/Pipelines/Pipelines.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#ifndef GPS_VERSION
#define GPS_VERSION "unknown"
#endif

namespace cl = llvm::cl;

namespace {
enum class Emit { AST, MLIR, MLIRPaired };
} // namespace

static cl::OptionCategory gpscCategory("gpsc options");

static cl::opt<std::string> inputFilename(cl::Positional,
                                          cl::desc("<model.gps>"),
                                          cl::init("-"),
                                          cl::cat(gpscCategory));

static cl::opt<std::string> outputFilename("o", cl::desc("Output file"),
                                           cl::value_desc("filename"),
                                           cl::init("-"),
                                           cl::cat(gpscCategory));

static cl::opt<Emit> emitAction(
    "emit", cl::desc("The stage to emit"), cl::init(Emit::MLIR),
    cl::values(clEnumValN(Emit::AST, "ast", "the checked syntax tree"),
               clEnumValN(Emit::MLIR, "mlir", "the gps dialect"),
               clEnumValN(Emit::MLIRPaired, "mlir-paired",
                          "after pairing the guide and the primary")),
    cl::cat(gpscCategory));

static int run() {
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

  auto output = mlir::openOutputFile(outputFilename, &errorMessage);
  if (!output) {
    llvm::WithColor::error(llvm::errs(), "gpsc") << errorMessage << "\n";
    return 1;
  }

  if (emitAction == Emit::AST) {
    gps::ast::dump(*model, output->os());
    output->keep();
    return 0;
  }

  mlir::MLIRContext context;
  mlir::SourceMgrDiagnosticHandler handler(srcMgr, &context);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      gps::mlirGen(context, srcMgr, *model);
  if (!module)
    return 1;
  if (emitAction >= Emit::MLIRPaired) {
    mlir::PassManager pm(&context);
    if (failed(mlir::applyPassManagerCLOptions(pm)))
      return 1;
    gps::buildPairingPipeline(pm);
    if (failed(pm.run(*module)))
      return 1;
  }
  module->print(output->os());
  output->os() << "\n";
  output->keep();
  return 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM y(argc, argv);
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  mlir::registerPassManagerCLOptions();
  cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << "gpsc " << GPS_VERSION << " (LLVM/MLIR " << LLVM_VERSION_STRING
       << ")\n";
  });
  cl::HideUnrelatedOptions(gpscCategory);
  cl::ParseCommandLineOptions(
      argc, argv,
      "gpsc: compile a .gps generative model (guided policy search)\n");
  return run();
}
