//===- Trainer.h - the trainer executable of a compiled model ---*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// The command line trainer that `gpsc` links with a compiled model: `train`,
// `eval`, `sample`, `plot` and `gradcheck` (docs/trainer.md). The library never names the model's
// symbols; the executable's main (GPSTrainerMain) passes them in a
// ModelEntryPoints, so tests can drive the trainer with a fake model.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_TRAINER_TRAINER_H
#define GPS_TRAINER_TRAINER_H

#include "gps/Runtime/Interface.h"
#include "gps/Runtime/ParamMemory.h"

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace gps::rt {

using ModelManifestFn = const char *(*)();
using ModelTrainFn = void (*)(gps_memref<float, 2> *x,
                              gps_memref<float, 2> *mask,
                              gps_memref<float, 1> *params,
                              gps_memref<float, 1> *grads,
                              gps_memref<float, 1> *terms, uint64_t key,
                              uint64_t stream);
using ModelEvalFn = void (*)(gps_memref<float, 2> *x,
                             gps_memref<float, 2> *mask,
                             gps_memref<float, 1> *params,
                             gps_memref<float, 1> *terms, uint64_t key,
                             uint64_t stream);
using ModelSampleFn = void (*)(gps_memref<float, 2> *x,
                               gps_memref<float, 2> *mask,
                               gps_memref<float, 1> *params,
                               gps_memref<float, 2> *out, uint64_t key,
                               uint64_t stream);

using ModelGradSumsqFn = void (*)(gps_memref<float, 1> *grads,
                                  gps_memref<double, 1> *out);
using ModelAdamFn = void (*)(gps_memref<float, 1> *params,
                             gps_memref<float, 1> *grads,
                             gps_memref<float, 1> *m, gps_memref<float, 1> *v,
                             gps_memref<float, 1> *coefficients,
                             gps_memref<double, 1> *sums,
                             gps_memref<float, 1> *terms, double clip);

using ModelGatherFn = void (*)(gps_memref<uint8_t, 2> *bytes,
                               gps_memref<float, 1> *values,
                               gps_memref<int64_t, 1> *rows,
                               gps_memref<float, 2> *out);

using ModelMasksFn = void (*)(gps_memref<float, 2> *out,
                              gps_memref<int64_t, 2> *corners, uint64_t key,
                              uint64_t stream);

/// The entry points of a compiled model (Interface.h). `evalPrimary`,
/// `sample`, `sampleSteps` and `logWeights` are optional (null when the
/// model does not define them). `logWeights` writes one value per example
/// into its vector; `sampleSteps` T x batch rows, step-major.
struct ModelEntryPoints {
  ModelManifestFn manifest = nullptr;
  ModelTrainFn train = nullptr;
  ModelEvalFn eval = nullptr;
  ModelEvalFn evalPrimary = nullptr;
  ModelSampleFn sample = nullptr;
  ModelSampleFn sampleSteps = nullptr;
  ModelEvalFn logWeights = nullptr;
  /// The compiled optimizer (`train --adam compiled`); null in a model
  /// compiled before it existed.
  ModelGradSumsqFn gradSumsq = nullptr;
  ModelAdamFn adam = nullptr;
  /// The batch's gather from the data set's bytes (`train --gather
  /// compiled`); null in a model compiled before it existed.
  ModelGatherFn gather = nullptr;
  /// The masks of a training batch (`train --masks compiled`); null in a
  /// model without a mask or compiled before it existed.
  ModelMasksFn masks = nullptr;
  /// Where the parameter-sized buffers go when these entry points run (the
  /// GPU half: memory it shares with the host); null: the heap.
  const SharedMemory *sharedMemory = nullptr;
  /// Optional (the GPU half): bracket the calls of one training step
  /// (train, grad_sumsq and adam), which then may be recorded once and
  /// replayed as one (gps_rt_cuda_step_begin, Cuda.h). `signature`
  /// identifies the step's buffers and sizes: a recording is replayed for
  /// the same signature only. Between the two the host reads nothing the
  /// calls write.
  void (*stepBegin)(uint64_t signature) = nullptr;
  void (*stepEnd)() = nullptr;
  /// Null when the entry points can run here, else why not (the GPU half:
  /// no GPU); may be null itself.
  const char *(*unavailable)() = nullptr;
  /// The GPU half of a trainer compiled with --target=cuda (the same entry
  /// points, running on the GPU), or null; `--device` chooses.
  const ModelEntryPoints *cuda = nullptr;
};

/// Exit statuses of the trainer.
enum TrainerExit : int {
  kExitSuccess = 0,
  /// A runtime error: bad data, checkpoint, non-finite values, I/O.
  kExitFailure = 1,
  /// A usage error: unknown command or flag, bad flag value.
  kExitUsage = 2,
  /// Stopped by SIGINT or SIGTERM after writing a checkpoint (128 + signal).
  kExitSigInt = 130,
  kExitSigTerm = 143,
};

/// Runs the trainer on `args` (args[0] is the program name), writing
/// results to `out` and messages and progress to `err`. `errIsTerminal`
/// selects the live progress line (rewritten with '\r'). Returns the exit
/// status.
int runTrainer(const std::vector<std::string> &args,
               const ModelEntryPoints &model, std::ostream &out,
               std::ostream &err, bool errIsTerminal = false);

/// runTrainer on the process's arguments, stdout and stderr.
int trainerMain(int argc, char **argv, const ModelEntryPoints &model);

} // namespace gps::rt

#endif // GPS_TRAINER_TRAINER_H
