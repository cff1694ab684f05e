//===- TrainerImpl.h - shared pieces of the trainer commands ----*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// Private to runtime/trainer/lib: the data set, the run configuration kept
// in checkpoints, checkpoints themselves, evaluation and the command
// functions that Trainer.cpp dispatches to.
//
// Randomness. Every draw is a function of the seed and where it is used, so
// a resumed run repeats an uninterrupted one exactly:
//   - parameters: deriveKey(seed, kTagInit);
//   - the training masks of update u: deriveKey(seed, kTagTrainMasks),
//     counter u * 2^32;
//   - minibatch order: the Minibatcher keyed by the seed;
//   - the model: key = seed, stream = u for update u (1-based), 2^62 + b for
//     evaluation batch b, 2^63 for sampling, 3 * 2^62 + b * 2^20 + k for
//     draw k of the importance-weighted bound on evaluation batch b.
// The train/test split (kSplitSeed), the evaluation masks and the
// binarisation of `bits` data do not depend on the seed, so test numbers of
// runs with different seeds are comparable.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_TRAINER_LIB_TRAINERIMPL_H
#define GPS_TRAINER_LIB_TRAINERIMPL_H

#include "gps/Runtime/Data.h"
#include "gps/Runtime/Error.h"
#include "gps/Runtime/Metrics.h"
#include "gps/Trainer/Cli.h"
#include "gps/Trainer/Manifest.h"
#include "gps/Trainer/Trainer.h"

#include <nlohmann/json.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace gps::rt::impl {

// Tags for deriveKey (kTagInit = 1 is used by initParams).
constexpr uint64_t kTagInit = 1;
constexpr uint64_t kTagTrainMasks = 2;
constexpr uint64_t kTagEvalMasks = 3;
constexpr uint64_t kTagBinarize = 4;
constexpr uint64_t kTagSampleMasks = 5;
/// The seed of the train/test split.
constexpr uint64_t kSplitSeed = 0;
/// Model streams of evaluation batches and of sampling.
constexpr uint64_t kEvalStreamBase = uint64_t(1) << 62;
constexpr uint64_t kSampleStream = uint64_t(1) << 63;
/// Model streams of the importance-weighted bound: draw k of evaluation
/// batch b uses kIwStreamBase + b * 2^20 + k (k < kIwMaxSamples).
constexpr uint64_t kIwStreamBase = uint64_t(3) << 62;
constexpr uint64_t kIwMaxSamples = uint64_t(1) << 20;

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

/// `bytes` for messages: "12 bytes", "1.5 MiB", "16.0 GiB".
std::string formatBytes(double bytes);
/// A shape for messages: "65536 x 65536 floats".
std::string shapeFloats(const std::vector<int64_t> &shape);

/// Sizes `buffer` to `count` zeros. Fails, instead of throwing, with
/// "cannot allocate <what> (<count> floats, <size>)".
Error allocateFloats(SharedVector<float> &buffer, uint64_t count,
                     const std::string &what);
Error allocateBytes(std::vector<uint8_t> &buffer, uint64_t count,
                    const std::string &what);
Error allocateBytes(SharedVector<uint8_t> &buffer, uint64_t count,
                    const std::string &what);
/// Sizes `buffer` to the manifest's paramCount zeros; `what` is "the
/// parameters", "the gradient", ... A failure names the largest parameter
/// and its shape: "cannot allocate parameter 'f.l0.w' (65536 x 65536
/// floats, 16.0 GiB)" for the parameters themselves when one of them is
/// most of them.
Error allocateParamFloats(const Manifest &manifest, ParamVector &buffer,
                          const std::string &what);
/// Fails like allocateParamFloats(.., "the parameters") when `buffers`
/// parameter-sized buffers (named by `uses`) would exceed the system's
/// memory and swap, before any is allocated: the kernel would grant them
/// and kill the process when it touches them.
Error checkParamMemory(const Manifest &manifest, unsigned buffers,
                       const std::string &uses);
/// initParams after allocateParamFloats(.., "the parameters").
Error initParamsChecked(const Manifest &manifest, uint64_t seed,
                        ParamVector &params);

//===----------------------------------------------------------------------===//
// Data
//===----------------------------------------------------------------------===//

/// The examples of an IDX file as the model sees them.
struct Dataset {
  std::string path;
  uint64_t count = 0;
  int64_t dim = 0;
  DataKind kind = DataKind::Real;
  double lo = 0.0, hi = 1.0;
  /// count x dim bytes: pixels 0..255 (real) or 0/1 (bits).
  std::vector<uint8_t> bytes;
  /// The value of each byte: lo + (hi - lo) * byte / 255 (real data) or
  /// the byte (bits).
  std::array<float, 256> values{};

  /// Writes example `index` as `dim` floats in [lo, hi].
  void row(uint32_t index, float *out) const;
};

/// The file a --data value names: `fashion-mnist`, `fashion-mnist-test`,
/// `mnist10k`, or a path.
std::string resolveDataPath(const std::string &spec);

/// Loads the data set `spec` for `manifest`: checks the size of an example
/// against data.dim, and binarises `bits` data by Bernoulli sampling with a
/// fixed key. Failures name the file.
Error loadDataset(const std::string &spec, const Manifest &manifest,
                  Dataset &out);

/// Splits `data` into train and test example indices.
Error splitDataset(const Dataset &data, double testFraction,
                   std::vector<uint32_t> &train, std::vector<uint32_t> &test);

/// Fills `rows` masks of data.dim floats from `rng` as the manifest's mask
/// prescribes.
Error sampleMasks(const Manifest &manifest, PhiloxStream &rng, int64_t rows,
                  float *masks);

//===----------------------------------------------------------------------===//
// Run configuration and checkpoints
//===----------------------------------------------------------------------===//

/// The settings of a training run; stored in its checkpoints so that
/// `train --resume`, `eval` and `sample` can reuse them.
struct TrainConfig {
  std::string data = "fashion-mnist";
  uint64_t batch = 100;
  uint64_t updates = 1000;
  uint64_t seed = 1;
  double learningRate = 2e-4;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double lrDecay = 1.0;
  uint64_t lrDecayEvery = 0;
  /// Global gradient-norm clip; 0 disables clipping.
  double clip = 0.0;
  uint64_t evalEvery = 1000;
  uint64_t checkpointEvery = 1000;
  uint64_t logEvery = 10;
  /// "stop" or "skip".
  std::string onNan = "stop";
  double testFraction = 0.1;
  /// Which parameters train: "all", or those only the "guide" (or only the
  /// "primary") reads; shared ones stay fixed.
  std::string only = "all";
  /// Nets (or `param`s) whose parameters stay fixed.
  std::vector<std::string> freeze;
  /// The checkpoint a fresh run took its initial parameters from, or "".
  std::string initFrom;

  nlohmann::json toJson() const;
  /// Reads the fields present in `json`; fails on a wrong type.
  Error fromJson(const nlohmann::json &json);
};

/// Averages of the updates since the last metrics record.
struct LogWindow {
  /// Sums of each term over the applied updates.
  std::vector<double> termSums;
  double gradNormSum = 0.0;
  /// Updates applied, and all updates (skipped ones too), in the window.
  uint64_t applied = 0;
  uint64_t updates = 0;
  /// The learning rate of the last applied update.
  double lastLearningRate = 0.0;

  void clear(size_t numTerms);
  nlohmann::json toJson() const;
  Error fromJson(const nlohmann::json &json, size_t numTerms);
};

/// Everything a checkpoint holds.
struct Checkpoint {
  ParamVector params;
  ParamVector firstMoment;
  ParamVector secondMoment;
  uint64_t step = 0;
  uint64_t skipped = 0;
  int64_t adamSteps = 0;
  MinibatchState batches;
  uint64_t examples = 0;
  TrainConfig config;
  LogWindow window;
};

/// Writes `checkpoint` to `path` atomically: every parameter by its
/// manifest name, the Adam moments as adam.m.<name> and adam.v.<name>, and
/// the rest as metadata.
Error saveCheckpoint(const std::string &path, const Manifest &manifest,
                     const Checkpoint &checkpoint);

/// Reads a checkpoint written for `manifest`. Fails, naming the file, when
/// it is missing, unreadable, not a trainer checkpoint, from another model
/// (or another build of it), or lacks a parameter; the Adam moments are
/// read too when `withMoments`.
Error loadCheckpoint(const std::string &path, const Manifest &manifest,
                     bool withMoments, Checkpoint &out);

//===----------------------------------------------------------------------===//
// Evaluation
//===----------------------------------------------------------------------===//

/// The evaluation batches of a split: batch number b holds the examples
/// indices[b * batch ...] and, for a model with a mask, masks drawn from a
/// fixed key and b, so that every evaluation of a split (eval, its --iw
/// bound, the baselines) sees the same ones.
class EvalBatches {
public:
  EvalBatches(const Manifest &manifest, const Dataset &data,
              const std::vector<uint32_t> &indices, uint64_t batch);

  /// Loads the batch that starts at example `begin` (batch number `b`) and
  /// returns its number of rows.
  int64_t load(uint64_t begin, uint64_t b);

  /// The loaded batch and its masks (the batch again without a mask).
  gps_memref<float, 2> xRef{}, maskRef{};

private:
  const Manifest &manifest;
  const Dataset &data;
  const std::vector<uint32_t> &indices;
  uint64_t batch;
  int64_t dim;
  SharedVector<float> x, masks;
  uint64_t maskKey;
};

/// What eval and baseline read: the checkpoint (--checkpoint, else
/// DIR/last.safetensors), its data (or --data) split as in training (or
/// with --test-fraction), and the examples of the split asked for.
struct EvalSplit {
  std::string checkpointPath;
  Checkpoint checkpoint;
  Dataset data;
  std::vector<uint32_t> train, test;
  /// The examples of the split: "test", "train" or "all".
  std::vector<uint32_t> indices;
};

/// Declares --threads, which every command that runs the model takes.
void addThreadsFlag(FlagSet &flags);

/// Reads --threads (1 to 1024) and, when it is given, sets the threads of
/// the GEMM library and of the runtime's pool (setBlasThreads).
Error applyThreadsFlag(const FlagSet &flags);

/// Declares --device, which every command that runs the model takes.
void addDeviceFlag(FlagSet &flags, const ModelEntryPoints &model);

/// Reads --device and replaces `model` by the half it names: the CPU entry
/// points, or the GPU half of a trainer compiled with --target=cuda (its
/// default). Fails for cuda in a trainer that has no GPU half.
Error applyDeviceFlag(const FlagSet &flags, ModelEntryPoints &model);

/// Fails, saying why, when the half applyDeviceFlag chose cannot run here
/// (the GPU half on a machine without a GPU); else puts the parameter-sized
/// buffers allocated from now on where that half wants them.
Error checkDevice(const ModelEntryPoints &model);

/// Declares the flags loadEvalSplit reads: --checkpoint, --out, --data,
/// --split (whose help says "examples to <verb>") and --test-fraction.
void addEvalSplitFlags(FlagSet &flags, const Manifest &manifest,
                       const std::string &verb);

/// Loads an EvalSplit; fails naming the file, or when the split is empty.
Error loadEvalSplit(const FlagSet &flags, const Manifest &manifest,
                    const std::string &split, EvalSplit &out);

/// Mean terms of the model over some examples.
struct EvalResult {
  uint64_t examples = 0;
  /// eval: the mean of each term.
  std::vector<double> guided;
  /// eval_primary: the mean of terms[0] (-log p(x.missing | known)); only
  /// when the model has that entry point.
  bool hasUnguided = false;
  double unguidedNll = 0.0;
  /// The mean number of missing elements of an example under the
  /// evaluation masks; NaN without a mask.
  double missingPerExample = NAN;
  double seconds = 0.0;
};

/// The number of zeros (missing elements) of a batch of masks.
double countMissing(const gps_memref<float, 2> &masks);

/// eval's and baseline's "imputation" object: missing_per_example, then
/// for each (name, mean NLL of the missing values per example) the value
/// and name_per_pixel, the value over missing_per_example.
nlohmann::ordered_json
imputationReport(double missingPerExample,
                 const std::vector<std::pair<std::string, double>> &nlls);

/// Evaluates `params` on the examples `indices` of `data` in batches of at
/// most `batch` (the last one may be smaller), weighting each batch by its
/// size. Batch b uses evaluation masks with counter b * 2^32 and model
/// stream kEvalStreamBase + b.
EvalResult evaluate(const ModelEntryPoints &model, const Manifest &manifest,
                    const Dataset &data, const std::vector<uint32_t> &indices,
                    uint64_t batch, ParamVector &params, uint64_t seed);

/// The importance-weighted bound with `samples` draws per example.
struct IwResult {
  uint64_t examples = 0;
  uint64_t samples = 0;
  /// The mean over examples of -log (1/K sum_k w_k), and its standard error.
  double bound = 0.0, boundStderr = 0.0;
  /// The mean of -log w over examples and draws (the K = 1 bound, the
  /// Monte Carlo estimate of nll + kl(q||p)), and its standard error (over
  /// examples, of each example's mean over draws).
  double meanNegLogW = 0.0, meanNegLogWStderr = 0.0;
  /// The spread of log w over the draws of one example: the root of the
  /// mean over examples of its sample variance (NaN for K = 1). The Monte
  /// Carlo error of meanNegLogW alone is drawSd / sqrt(examples * K).
  double drawSd = NAN;
  double seconds = 0.0;
};

/// Calls the log_weights entry point `samples` times on each batch (the
/// batches, masks and key of evaluate(); draw k of batch b on model stream
/// kIwStreamBase + b * 2^20 + k) and averages per example in double:
/// log (1/K sum_k w_k) = m + log (1/K sum_k exp(log w_k - m)), m the
/// largest log w_k.
IwResult evaluateIw(const ModelEntryPoints &model, const Manifest &manifest,
                    const Dataset &data, const std::vector<uint32_t> &indices,
                    uint64_t batch, ParamVector &params, uint64_t seed,
                    uint64_t samples);

/// A metrics record of `means` (one per term): total_cost is terms[0],
/// nll_term "nll", kld_q2p "kl(q||p)", kld_p2q "kl(p||q)", nll_bound their
/// sum nll + kl(q||p) when both exist (else null); other terms are extra
/// columns under their own names.
MetricsRecord makeRecord(const Manifest &manifest, uint64_t step,
                         const std::vector<double> &means);

//===----------------------------------------------------------------------===//
// Commands
//===----------------------------------------------------------------------===//

/// Where a command writes.
struct Console {
  std::ostream &out;
  std::ostream &err;
  bool errIsTerminal;
  /// The program name, for messages.
  std::string program;

  /// Prints "<program>: error: <message>" and returns kExitFailure.
  int fail(const std::string &message) const;
  /// Prints a usage error for `command` and returns kExitUsage.
  int usage(const std::string &command, const std::string &message) const;
};

int trainCommand(const std::vector<std::string> &args,
                 const ModelEntryPoints &model, const Manifest &manifest,
                 const Console &console);
int evalCommand(const std::vector<std::string> &args,
                const ModelEntryPoints &model, const Manifest &manifest,
                const Console &console);
int sampleCommand(const std::vector<std::string> &args,
                  const ModelEntryPoints &model, const Manifest &manifest,
                  const Console &console);
int plotCommand(const std::vector<std::string> &args,
                const ModelEntryPoints &model, const Manifest &manifest,
                const Console &console);
int gradcheckCommand(const std::vector<std::string> &args,
                     const ModelEntryPoints &model, const Manifest &manifest,
                     const Console &console);
int baselineCommand(const std::vector<std::string> &args,
                    const ModelEntryPoints &model, const Manifest &manifest,
                    const Console &console);

/// The default size of the learning curves' image.
constexpr uint64_t kPlotWidth = 640, kPlotHeight = 400;

/// Draws the learning curves of `metrics` (empty: defaultPlotMetrics) from
/// DIR/metrics.jsonl and DIR/eval.jsonl into the PNG `pngPath` (Plot.h).
Error plotRun(const std::string &dir, const std::string &pngPath,
              std::vector<std::string> metrics, int64_t width, int64_t height);

/// Memref descriptors of contiguous buffers.
inline gps_memref<float, 2> matrixRef(float *data, int64_t rows, int64_t cols) {
  return {data, data, 0, {rows, cols}, {cols, 1}};
}
inline gps_memref<float, 1> vectorRef(float *data, int64_t size) {
  return {data, data, 0, {size}, {1}};
}

/// The default run directory of a model: runs/<model>.
inline std::string defaultRunDir(const Manifest &manifest) {
  return "runs/" + manifest.model;
}

} // namespace gps::rt::impl

#endif // GPS_TRAINER_LIB_TRAINERIMPL_H
