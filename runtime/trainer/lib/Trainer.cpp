//===- Trainer.cpp - command dispatch of the trainer ------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/Blas.h"
#include "gps/Trainer/Trainer.h"

#include "TrainerImpl.h"

#include <unistd.h>

#include <csignal>
#include <iostream>
#include <new>
#include <stdexcept>

using namespace gps::rt;
using namespace gps::rt::impl;

int Console::fail(const std::string &message) const {
  err << program << ": error: " << message << "\n" << std::flush;
  return kExitFailure;
}

int Console::usage(const std::string &command,
                   const std::string &message) const {
  err << program << " " << command << ": error: " << message << "\n"
      << "Run '" << program << " " << command << " --help' for usage.\n"
      << std::flush;
  return kExitUsage;
}

void impl::addThreadsFlag(FlagSet &flags) {
  flags.add("threads", "N",
            "threads of the GEMM library and the runtime (default: the "
            "library's, the number of CPUs)");
}

Error impl::applyThreadsFlag(const FlagSet &flags) {
  uint64_t threads = 0;
  if (Error err = flags.getUnsigned("threads", threads, 1, 1024))
    return err;
  if (threads)
    setBlasThreads(static_cast<int>(threads));
  return Error::success();
}

void impl::addDeviceFlag(FlagSet &flags, const ModelEntryPoints &model) {
  flags.add("device", "cpu|cuda",
            model.cuda ? "where the model runs (default cuda; this trainer "
                         "also holds the model compiled for the CPU)"
                       : "where the model runs (this trainer holds the CPU "
                         "code only: gpsc --target=cuda adds the GPU's)");
}

Error impl::applyDeviceFlag(const FlagSet &flags, ModelEntryPoints &model) {
  std::string device = model.cuda ? "cuda" : "cpu";
  if (Error err = flags.getChoice("device", {"cpu", "cuda"}, device))
    return err;
  if (device == "cuda" && !model.cuda)
    return Error::failure("flag '--device cuda': this trainer holds no GPU "
                          "code (compile the model with gpsc --target=cuda)");
  if (device == "cuda") {
    ModelManifestFn manifest = model.manifest;
    model = *model.cuda;
    model.manifest = manifest;
  }
  model.cuda = nullptr;
  return Error::success();
}

Error impl::checkDevice(const ModelEntryPoints &model) {
  const char *problem = model.unavailable ? model.unavailable() : nullptr;
  if (problem)
    return Error::failure(problem);
  setParamMemory(model.sharedMemory);
  return Error::success();
}

/// The top-level help.
static std::string mainUsage(const std::string &program,
                             const std::string &model) {
  return "Usage: " + program +
         " <command> [flags]\n\n"
         "The trainer of the gps model '" +
         model + "'. Its matrix products go through " +
         gps::rt::gemmLibrary() +
         " (gpsc --gemm).\n\n"
         "Commands:\n"
         "  train     train the model with Adam (checkpoints, metrics.jsonl, "
         "eval.jsonl)\n"
         "  eval      mean terms of a checkpoint over a data split, as JSON\n"
         "  sample    samples (or imputations) of a checkpoint as a PNG grid, "
         "step by step\n"
         "  plot      the learning curves of a run as a PNG\n"
         "  gradcheck the gradient against finite differences of the "
         "objective\n"
         "  baseline  template matching imputation on eval's masks (masked "
         "models)\n"
         "\n"
         "Run '" +
         program + " <command> --help' for the flags of a command.\n";
}

/// Parses the manifest and runs the command of args[1].
static int dispatch(const std::vector<std::string> &args,
                    const ModelEntryPoints &model, const Console &console) {
  const std::string &program = console.program;
  std::ostream &out = console.out;
  std::ostream &err = console.err;
  if (!model.manifest)
    return console.fail("the model defines no manifest");
  const char *text = model.manifest();
  Manifest manifest;
  if (Error failure = parseManifest(text ? text : "", manifest))
    return console.fail(failure.message());

  if (args.size() < 2) {
    err << mainUsage(program, manifest.model);
    return kExitUsage;
  }
  const std::string &command = args[1];
  if (command == "--help" || command == "-h" || command == "help") {
    out << mainUsage(program, manifest.model);
    return kExitSuccess;
  }
  if (command == "train")
    return trainCommand(args, model, manifest, console);
  if (command == "eval")
    return evalCommand(args, model, manifest, console);
  if (command == "sample")
    return sampleCommand(args, model, manifest, console);
  if (command == "plot")
    return plotCommand(args, model, manifest, console);
  if (command == "gradcheck")
    return gradcheckCommand(args, model, manifest, console);
  if (command == "baseline")
    return baselineCommand(args, model, manifest, console);
  err << program << ": error: unknown command '" << command
      << "' (train, eval, sample, plot, gradcheck or baseline)\n"
      << "Run '" << program << " --help' for usage.\n";
  return kExitUsage;
}

int gps::rt::runTrainer(const std::vector<std::string> &args,
                        const ModelEntryPoints &model, std::ostream &out,
                        std::ostream &err, bool errIsTerminal) {
  std::string program = args.empty() ? "trainer" : args[0];
  size_t slash = program.rfind('/');
  if (slash != std::string::npos)
    program = program.substr(slash + 1);
  Console console{out, err, errIsTerminal, program};
  // The large buffers are allocated through Memory.cpp, whose failures
  // name the buffer; anything else that runs out of memory ends here, as
  // an error rather than an uncaught exception.
  try {
    return dispatch(args, model, console);
  } catch (const std::bad_alloc &) {
    return console.fail(
        "out of memory" +
        std::string(args.size() > 1 ? " in command '" + args[1] + "'" : "") +
        " (std::bad_alloc); the model or the flags ask for more memory "
        "than the system gives");
  } catch (const std::length_error &) {
    return console.fail(
        "out of memory" +
        std::string(args.size() > 1 ? " in command '" + args[1] + "'" : "") +
        " (a buffer larger than the address space)");
  }
}

int gps::rt::trainerMain(int argc, char **argv, const ModelEntryPoints &model) {
  // A file size limit (ulimit -f) then fails a write with EFBIG, reported
  // like a full disk with the file's name, instead of killing the trainer.
  std::signal(SIGXFSZ, SIG_IGN);
  std::vector<std::string> args(argv, argv + argc);
  return runTrainer(args, model, std::cout, std::cerr,
                    ::isatty(STDERR_FILENO) != 0);
}
