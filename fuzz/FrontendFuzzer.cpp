//===- FrontendFuzzer.cpp - the .gps front end and gradient pipeline ------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// libFuzzer target for everything gpsc does up to --emit=mlir-grad: lexer,
// parser, Sema, MLIRGen, the pairing pipeline and the gradient pipeline.
//
// The contract it checks: a program that the parser or Sema refuses is fine
// (their errors are located by construction); a program that Sema accepts
// must come out of the gradient pipeline, or fail with an error located at a
// line and column of the source. Anything else aborts, so libFuzzer keeps
// the input:
//   - a crash, an assertion, a sanitizer report (the build's ASan/UBSan);
//   - an error without a FileLineColLoc;
//   - an error that names an op ("'gps.sample' op ...") or comes with the
//     IR ("see current operation"): a pass or verifier failure that the
//     user cannot act on;
//   - a failure with no error at all.
//
// The KL estimator is chosen by the input: closed form, or Monte Carlo when
// the input's length is odd, so that both versions of gps-expand-kl run.
// GPS_FUZZ_VERBOSE=1 prints the diagnostics of each input (for replaying a
// crash: `gps-frontend-fuzzer crash-...`).
//
//===----------------------------------------------------------------------===//

#include "gps/Frontend/Diagnostics.h"
#include "gps/Frontend/MLIRGen.h"
#include "gps/Frontend/Parser.h"
#include "gps/Frontend/Sema.h"
#include "gps/Pipelines/Pipelines.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>
#include <cstdlib>
#include <string>

using namespace mlir;

/// LLVM's BumpPtrAllocator poisons and unpoisons its slabs when the code
/// that includes it is built with ASan. Debian's libMLIR is not, and the
/// allocator's templates are instantiated both there and here: a slab
/// poisoned by an instantiation of ours is then written by libMLIR's
/// uninstrumented Allocate (a false use-after-poison in the type uniquer).
/// Manual poisoning is therefore off; ASan's own checks stay on.
extern "C" const char *__asan_default_options() {
  return "allow_user_poisoning=0";
}

/// Inputs larger than this are skipped: the front end is linear in the
/// input, and large inputs only slow the search.
static constexpr size_t kMaxInput = 16 * 1024;

static bool verbose() {
  static bool on = [] {
    const char *v = std::getenv("GPS_FUZZ_VERBOSE");
    return v && *v && *v != '0';
  }();
  return on;
}

namespace {
/// How far the inputs got, printed at exit: a run in which Sema accepts
/// almost nothing tests only the parser.
struct Counts {
  unsigned long inputs = 0, accepted = 0, generated = 0, differentiated = 0;
  ~Counts() {
    std::fprintf(stderr,
                 "gps-frontend-fuzzer: %lu inputs, %lu accepted by Sema, %lu "
                 "through MLIRGen, %lu through the gradient pipeline\n",
                 inputs, accepted, generated, differentiated);
  }
};
Counts counts;
} // namespace

/// Reports a broken contract and aborts, so that libFuzzer saves the input.
[[noreturn]] static void finding(const std::string &what,
                                 const std::string &diagnostics) {
  std::fprintf(stderr, "==gps-frontend-fuzzer== FINDING: %s\n%s\n",
               what.c_str(), diagnostics.c_str());
  std::abort();
}

/// True when `message` is an op error ("'gps.sample' op ..."), which only a
/// pass or a verifier emits.
static bool isOpError(llvm::StringRef message) {
  if (!message.starts_with("'"))
    return false;
  size_t close = message.find('\'', 1);
  return close != llvm::StringRef::npos &&
         message.substr(close).starts_with("' op ");
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > kMaxInput)
    return 0;
  ++counts.inputs;
  llvm::SourceMgr srcMgr;
  srcMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(
          llvm::StringRef(reinterpret_cast<const char *>(data), size),
          "fuzz.gps"),
      llvm::SMLoc());

  // The parser's and Sema's errors.
  std::string frontText;
  llvm::raw_string_ostream frontOs(frontText);
  bool accepted;
  unsigned parseErrors = 0;
  std::unique_ptr<gps::ast::Model> model;
  {
    gps::DiagEngine diag(srcMgr, frontOs);
    model = gps::parseModel(diag);
    parseErrors = diag.getNumErrors();
    accepted = model && !diag.getNumErrors() && gps::checkModel(*model, diag);
    if (!accepted && model && !diag.getNumErrors())
      finding("Sema failed without an error", frontText);
    if (!model && !diag.getNumErrors())
      finding("the parser failed without an error", frontText);
  }
  if (verbose())
    llvm::errs() << frontText;
  // Inputs that do not parse still run, but are kept out of the corpus
  // (-1): mutants of parseable programs reach Sema and the pipelines far
  // more often than mutants of syntax errors do.
  if (!model || parseErrors)
    return -1;
  if (!accepted)
    return 0;
  ++counts.accepted;

  // From here on every error must be located in the source.
  static DialectRegistry *registry = [] {
    auto *r = new DialectRegistry();
    gps::registerDialects(*r);
    return r;
  }();
  MLIRContext context(*registry);
  context.disableMultithreading();
  std::string diagText;
  llvm::raw_string_ostream diagOs(diagText);
  unsigned numErrors = 0;
  std::string problem;
  context.getDiagEngine().registerHandler([&](Diagnostic &d) {
    diagOs << d.getLocation() << ": " << d.str() << "\n";
    for (Diagnostic &note : d.getNotes())
      diagOs << "  note: " << note.getLocation() << ": " << note.str() << "\n";
    if (d.getSeverity() != DiagnosticSeverity::Error)
      return success();
    ++numErrors;
    if (!problem.empty())
      return success();
    if (!d.getLocation()->findInstanceOf<FileLineColLoc>())
      problem = "an error without a source location";
    else if (isOpError(d.str()))
      problem = "an op error (a pass or verifier failure)";
    for (Diagnostic &note : d.getNotes())
      if (problem.empty() &&
          llvm::StringRef(note.str()).contains("see current operation"))
        problem = "an error that shows the IR";
    return success();
  });

  OwningOpRef<ModuleOp> module = gps::mlirGen(context, srcMgr, *model);
  bool ok = static_cast<bool>(module);
  if (ok) {
    ++counts.generated;
    PassManager pm(&context);
    gps::buildPairingPipeline(pm);
    gps::GradientOptions gradient;
    gradient.monteCarloKL = size % 2 == 1;
    gps::buildGradientPipeline(pm, gradient);
    ok = succeeded(pm.run(*module));
    counts.differentiated += ok;
  }
  if (verbose())
    llvm::errs() << diagText;
  if (!problem.empty())
    finding(problem, diagText);
  if (!ok && numErrors == 0)
    finding(module ? "the pipeline failed without an error"
                   : "MLIRGen failed without an error",
            diagText);
  if (ok && numErrors != 0)
    finding("an error, yet the pipeline succeeded", diagText);
  return 0;
}
