//===- Train.cpp - the train command ----------------------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// `train` runs Adam on the model's train entry point. A run directory holds
// last.safetensors (the checkpoint), metrics.jsonl (one record per
// --log-every updates, averaged over them) and eval.jsonl (the test split,
// every --eval-every updates). A resumed run repeats the uninterrupted one
// bit for bit (the examples_per_s column aside): every random draw is a
// function of the seed and the update (TrainerImpl.h), and the checkpoint
// keeps the Adam moments, the minibatch position and the updates not yet
// logged.
//
//===----------------------------------------------------------------------===//

#include "TrainerImpl.h"

#include "gps/Runtime/Adam.h"
#include "gps/Runtime/Masks.h"
#include "gps/Runtime/Safetensors.h"
#include "gps/Trainer/Files.h"
#include "gps/Trainer/Preset.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <sstream>

using namespace gps::rt;
using namespace gps::rt::impl;

//===----------------------------------------------------------------------===//
// Interrupts
//===----------------------------------------------------------------------===//

static volatile std::sig_atomic_t interruptSignal = 0;

extern "C" {
static void onInterrupt(int signal) { interruptSignal = signal; }
}

namespace {

/// Catches SIGINT and SIGTERM while it lives: the signal is recorded and the
/// training loop stops after the current update. A second signal gets the
/// default action (SA_RESETHAND), so a stuck run can still be killed.
class InterruptScope {
public:
  InterruptScope() {
    interruptSignal = 0;
    struct sigaction action;
    std::memset(&action, 0, sizeof(action));
    action.sa_handler = onInterrupt;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &action, &oldInt);
    sigaction(SIGTERM, &action, &oldTerm);
  }
  ~InterruptScope() {
    sigaction(SIGINT, &oldInt, nullptr);
    sigaction(SIGTERM, &oldTerm, nullptr);
  }
  InterruptScope(const InterruptScope &) = delete;
  InterruptScope &operator=(const InterruptScope &) = delete;

  /// The signal received, or 0.
  int signal() const { return interruptSignal; }

private:
  struct sigaction oldInt;
  struct sigaction oldTerm;
};

/// The progress line on stderr: rewritten in place at most ten times a
/// second on a terminal, one line per metrics record otherwise.
class Progress {
public:
  explicit Progress(const Console &console) : console(console) {}
  ~Progress() { endLine(); }

  /// Shows `text` as the live line (terminals only), at most ten times a
  /// second unless `force`.
  void live(const std::string &text, bool force) {
    if (!console.errIsTerminal)
      return;
    auto now = std::chrono::steady_clock::now();
    if (!force && lineOpen && now - lastShown < std::chrono::milliseconds(100))
      return;
    lastShown = now;
    console.err << "\r\033[K" << text << std::flush;
    lineOpen = true;
  }
  /// Prints `text` as a line of its own (non-terminals only).
  void record(const std::string &text) {
    if (console.errIsTerminal)
      return;
    console.err << text << "\n" << std::flush;
  }
  /// Prints a message line, ending the live line first.
  void message(const std::string &text) {
    endLine();
    console.err << text << "\n" << std::flush;
  }
  void endLine() {
    if (lineOpen)
      console.err << "\n" << std::flush;
    lineOpen = false;
  }

private:
  const Console &console;
  bool lineOpen = false;
  std::chrono::steady_clock::time_point lastShown;
};

} // namespace

//===----------------------------------------------------------------------===//
// Flags
//===----------------------------------------------------------------------===//

static FlagSet trainFlags(const std::string &program, const Manifest &m,
                          const ModelEntryPoints &model) {
  FlagSet flags(program + " train [flags]",
                "Trains model '" + m.model +
                    "' with Adam. The run directory gets last.safetensors "
                    "(checkpoint),\nmetrics.jsonl (training terms) and "
                    "eval.jsonl (test split). A resumed run\nkeeps the "
                    "settings of its checkpoint unless flags change them.");
  flags.add("data", "NAME|PATH",
            "fashion-mnist (default), fashion-mnist-test, mnist10k, or an "
            "IDX(.gz) file");
  flags.add("batch", "N", "examples per update (default 100)");
  flags.add("updates", "N", "train until update N (default 1000)");
  flags.add("lr", "RATE", "Adam learning rate (default 2e-4)");
  flags.add("beta1", "B", "Adam beta1 (default 0.9)");
  flags.add("beta2", "B", "Adam beta2 (default 0.999)");
  flags.add("lr-decay", "FACTOR",
            "multiply the learning rate by FACTOR every --lr-decay-every "
            "updates");
  flags.add("lr-decay-every", "N", "updates between decays (default 0: off)");
  flags.add("clip", "NORM", "clip the global gradient norm to NORM");
  flags.add("seed", "N", "random seed (default 1)");
  addThreadsFlag(flags);
  addDeviceFlag(flags, model);
  flags.add("adam", "runtime|compiled",
            "what applies the update: the runtime's loops over the "
            "parameter vector, or the model's compiled entry points "
            "(recorded with the step on the GPU, its default); the same "
            "numbers");
  flags.add("gather", "host|compiled",
            "what gathers a batch: the host, or the model's compiled entry "
            "point from a copy of the data set where the model runs (the "
            "GPU's default); the same numbers");
  if (m.mask)
    flags.add("masks", "host|compiled",
              "what draws a batch's masks: the host, or the model's compiled "
              "entry point where the model runs (the GPU's default; MAR's "
              "squares are still placed by the host); the same numbers");
  flags.add("out", "DIR", "run directory (default runs/" + m.model + ")");
  flags.add("resume", "", "continue from DIR/last.safetensors");
  flags.add("eval-every", "N",
            "evaluate on the test split every N updates (default 1000; 0: "
            "never)");
  flags.add("checkpoint-every", "N",
            "checkpoint every N updates (default 1000; 0: only at the end)");
  flags.add("log-every", "N",
            "write a metrics record every N updates (default 10)");
  flags.add("on-nan", "stop|skip",
            "on a non-finite term or gradient: stop (default) or skip the "
            "update");
  flags.add("test-fraction", "F",
            "fraction of the data held out as the test split (default 0.1)");
  flags.add("only", "guide|primary|all",
            "train only the parameters that only this policy reads (shared "
            "ones stay fixed; default all)");
  flags.addList("freeze", "NET[,NET...]",
                "keep these nets' (or params') parameters fixed; repeatable; "
                "'none' clears a resumed run's list");
  flags.add("init-from", "FILE",
            "a fresh run starts from this checkpoint's parameters (not its "
            "Adam moments or counters)");
  flags.add("plot", "",
            "draw the learning curves to DIR/curves.png at every checkpoint "
            "(as 'plot')");
  flags.add("preset", "FILE",
            "read flags from a JSON preset written for this model (e.g. "
            "examples/presets/); flags given override its values");
  return flags;
}

/// The flags a preset may set: those of the experiment, not of where or how
/// this run executes (--out, --resume, --init-from, --threads).
static const PresetKeys &presetKeys() {
  static const PresetKeys keys = {
      {"data", PresetType::String},
      {"batch", PresetType::Integer},
      {"updates", PresetType::Integer},
      {"lr", PresetType::Number},
      {"beta1", PresetType::Number},
      {"beta2", PresetType::Number},
      {"lr-decay", PresetType::Number},
      {"lr-decay-every", PresetType::Integer},
      {"clip", PresetType::Number},
      {"seed", PresetType::Integer},
      {"eval-every", PresetType::Integer},
      {"checkpoint-every", PresetType::Integer},
      {"log-every", PresetType::Integer},
      {"on-nan", PresetType::String},
      {"test-fraction", PresetType::Number},
      {"only", PresetType::String},
      {"freeze", PresetType::List},
      {"plot", PresetType::Bool},
  };
  return keys;
}

/// Reads the flags that set TrainConfig fields into `config`.
static Error readConfigFlags(const FlagSet &flags, TrainConfig &config) {
  if (flags.has("data"))
    config.data = flags.value("data");
  Error err;
  if ((err = flags.getUnsigned("batch", config.batch, 1, UINT32_MAX)) ||
      (err = flags.getUnsigned("updates", config.updates, 0,
                               uint64_t(1) << 40)) ||
      (err = flags.getUnsigned("seed", config.seed)) ||
      (err = flags.getDouble("lr", config.learningRate, 0.0, HUGE_VAL,
                             /*loOpen=*/true)) ||
      (err = flags.getDouble("beta1", config.beta1, 0.0, 0.999999)) ||
      (err = flags.getDouble("beta2", config.beta2, 0.0, 0.999999999)) ||
      (err = flags.getDouble("lr-decay", config.lrDecay, 0.0, 1.0,
                             /*loOpen=*/true)) ||
      (err = flags.getUnsigned("lr-decay-every", config.lrDecayEvery)) ||
      (err = flags.getDouble("clip", config.clip, 0.0, HUGE_VAL,
                             /*loOpen=*/true)) ||
      (err = flags.getUnsigned("eval-every", config.evalEvery)) ||
      (err = flags.getUnsigned("checkpoint-every", config.checkpointEvery)) ||
      (err = flags.getUnsigned("log-every", config.logEvery, 1)) ||
      (err = flags.getChoice("on-nan", {"stop", "skip"}, config.onNan)) ||
      (err = flags.getDouble("test-fraction", config.testFraction, 0.0, 0.99)) ||
      (err = flags.getChoice("only", {"all", "guide", "primary"}, config.only)) ||
      (err = flags.getList("freeze", config.freeze)))
    return err;
  if (config.freeze.size() == 1 && config.freeze[0] == "none")
    config.freeze.clear();
  return Error::success();
}

/// The element ranges of the parameters that train under --only and
/// --freeze, and the names of the frozen nets (and params) for the
/// message. Fails, as a usage error, on a name the model does not have.
static Error trainableRanges(const Manifest &manifest,
                             const TrainConfig &config,
                             std::vector<std::pair<size_t, size_t>> &ranges,
                             std::vector<std::string> &frozenOwners) {
  std::vector<std::string> owners;
  for (const ParamSpec &param : manifest.params)
    if (std::find(owners.begin(), owners.end(), param.owner()) == owners.end())
      owners.push_back(param.owner());
  for (const std::string &name : config.freeze)
    if (std::find(owners.begin(), owners.end(), name) == owners.end()) {
      std::string known;
      for (const std::string &owner : owners)
        known += (known.empty() ? "" : ", ") + owner;
      return Error::failure("flag '--freeze': model '" + manifest.model +
                            "' has no net or parameter '" + name +
                            "' (it has: " + known + ")");
    }
  if (config.only != "all" && !manifest.recordsPolicies)
    return Error::failure("flag '--only': the manifest of model '" +
                          manifest.model +
                          "' does not record which policy reads each "
                          "parameter; compile the model with this gps");
  ranges.clear();
  frozenOwners.clear();
  auto primary = static_cast<int32_t>(contract::Role::Primary);
  auto guide = static_cast<int32_t>(contract::Role::Guide);
  for (const ParamSpec &param : manifest.params) {
    bool trains = true;
    if (config.only == "guide")
      trains = param.usedBy[guide] && !param.usedBy[primary];
    else if (config.only == "primary")
      trains = param.usedBy[primary] && !param.usedBy[guide];
    if (std::find(config.freeze.begin(), config.freeze.end(),
                  param.owner()) != config.freeze.end())
      trains = false;
    if (trains) {
      ranges.emplace_back(size_t(param.offset),
                          size_t(param.offset + param.numElements));
      continue;
    }
    if (std::find(frozenOwners.begin(), frozenOwners.end(), param.owner()) ==
        frozenOwners.end())
      frozenOwners.push_back(param.owner());
  }
  if (ranges.empty() && !manifest.params.empty())
    return Error::failure("--only " + config.only + " and --freeze leave no "
                          "parameter of model '" + manifest.model +
                          "' to train");
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Checks
//===----------------------------------------------------------------------===//

/// `value` written briefly ("0.1").
static std::string numberText(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

static std::string describe(float value) {
  if (std::isnan(value))
    return "nan";
  return value > 0 ? "inf" : "-inf";
}

/// Names the first non-finite term or gradient element, or returns "".
/// A model with a step loop reports kl(q||p) of each sample site at each
/// step as the terms "kl(q||p)[site,t]"; the earliest step with a
/// non-finite one, and its first such site in the order the step draws
/// them, name where the trajectory broke.
static std::string firstNonFinite(const Manifest &manifest,
                                  const SharedVector<float> &terms,
                                  const ParamVector &grads) {
  std::optional<size_t> first;
  for (size_t i = 0; i < terms.size(); ++i) {
    const contract::TermName &name = manifest.termNames[i];
    if (name.term == contract::Term::KLQP && name.step &&
        !std::isfinite(terms[i]) &&
        (!first || *name.step < *manifest.termNames[*first].step))
      first = i;
  }
  if (first) {
    const contract::TermName &name = manifest.termNames[*first];
    return std::string(contract::spelling(name.term)) + " of site '" +
           name.site + "' at step " + std::to_string(*name.step) +
           " (term '" + manifest.terms[*first] + "') is " +
           describe(terms[*first]) +
           ", the first site and step where a value is not finite";
  }
  for (size_t i = 0; i < terms.size(); ++i)
    if (!std::isfinite(terms[i]))
      return "term '" + manifest.terms[i] + "' is " + describe(terms[i]);
  for (const ParamSpec &param : manifest.params)
    for (int64_t i = 0; i < param.numElements; ++i) {
      float g = grads[static_cast<size_t>(param.offset + i)];
      if (!std::isfinite(g))
        return "the gradient of parameter '" + param.name + "' is " +
               describe(g) + " (element " + std::to_string(i) + ")";
    }
  return "";
}

//===----------------------------------------------------------------------===//
// The update dump
//===----------------------------------------------------------------------===//

/// With GPS_TRAINER_DUMP_UPDATE=FILE in the environment, the first update
/// a run makes writes its inputs and outputs to FILE (safetensors): `x` and
/// `mask` (the batch and its masks as the model saw them), `param.<name>`
/// (before the Adam step), `grad.<name>` (the compiled gradient, before
/// --freeze zeroes any of it) and `terms` (in the manifest's order, named
/// by the metadata `terms`), with the metadata `model`, `seed` and `stream`
/// of the train call. bench/peers/ reads it to check that a PyTorch peer
/// computes the same objective and gradient (bench/run). Not a user
/// feature: the file's layout may change with the benchmark.
static Error
dumpUpdate(const std::string &path, const Manifest &manifest, int64_t batch,
           const SharedVector<float> &x, const SharedVector<float> &masks,
           const std::vector<float> &params, const ParamVector &grads,
           const SharedVector<float> &terms, uint64_t seed, uint64_t stream) {
  int64_t dim = manifest.data.dim;
  std::vector<TensorRef> tensors = {{"x", DType::F32, {batch, dim}, x.data()}};
  if (manifest.mask)
    tensors.push_back({"mask", DType::F32, {batch, dim}, masks.data()});
  for (const ParamSpec &param : manifest.params)
    tensors.push_back({"param." + param.name, DType::F32, param.shape,
                       params.data() + param.offset});
  for (const ParamSpec &param : manifest.params)
    tensors.push_back({"grad." + param.name, DType::F32, param.shape,
                       grads.data() + param.offset});
  tensors.push_back({"terms", DType::F32,
                     {static_cast<int64_t>(terms.size())}, terms.data()});
  std::map<std::string, std::string> metadata = {
      {"model", manifest.model},
      {"seed", std::to_string(seed)},
      {"stream", std::to_string(stream)},
      {"terms", nlohmann::json(manifest.terms).dump()},
  };
  if (Error err = writeSafetensors(path, tensors, metadata))
    return Error::failure("GPS_TRAINER_DUMP_UPDATE: " + err.message());
  return Error::success();
}

//===----------------------------------------------------------------------===//
// The run
//===----------------------------------------------------------------------===//

namespace {

/// One `train` command, step by step: readSettings, loadData,
/// restoreOrInitialise, openRunDirectory, updateLoop (one update, its
/// metrics record, evaluation and checkpoint at a time) and finish. A step
/// that ends the command returns its exit status; std::nullopt goes on.
class TrainRun {
public:
  TrainRun(const ModelEntryPoints &model, const Manifest &manifest,
           const Console &console)
      : model(model), manifest(manifest), console(console),
        numTerms(manifest.terms.size()) {}

  /// Flags, the checkpoint of a resumed run and the checks that need
  /// nothing else: nothing is written before all the inputs have been read
  /// and checked.
  std::optional<int> readSettings(const std::vector<std::string> &args);
  /// The data and its train/test split.
  std::optional<int> loadData();
  /// The parameters, gradient and Adam moments (initialised, or taken over
  /// from the checkpoint), and the minibatch order.
  std::optional<int> restoreOrInitialise();
  /// Creates the run directory, drops the records a crashed run wrote after
  /// its last checkpoint, and opens metrics.jsonl and eval.jsonl.
  std::optional<int> openRunDirectory();
  /// Trains until the last update or a signal.
  std::optional<int> updateLoop();
  /// The last checkpoint and the closing message.
  int finish();

private:
  /// Runs update `update` on the next minibatch; fails on a non-finite
  /// value with --on-nan=stop.
  std::optional<int> runUpdate(uint64_t update);
  /// Writes the metrics record of the updates since the last one.
  std::optional<int> logRecord(double elapsed);
  /// Writes the test split's record to eval.jsonl.
  std::optional<int> evaluateTestSplit();
  /// Writes the checkpoint, lending it the Adam moments.
  std::optional<int> saveCheckpoint();
  /// The ranges of the parameter vector the update applies to.
  std::vector<std::pair<size_t, size_t>> updatedRanges() const {
    if (frozen.empty())
      return {{size_t(0), size_t(manifest.paramCount)}};
    std::vector<std::pair<size_t, size_t>> ranges;
    for (auto range : trainable)
      if (range.first < range.second)
        ranges.push_back(range);
    return ranges;
  }
  /// The model's compiled update of the updated ranges: grad_sumsq of
  /// each into `sumSquaresOut`, then adam on each, which clips by their
  /// total and changes nothing when it or a term is not finite. The host
  /// reads nothing in between, so the GPU half can replay the whole step
  /// from one recording.
  void compiledUpdate() {
    std::vector<std::pair<size_t, size_t>> ranges = updatedRanges();
    for (size_t i = 0; i < ranges.size(); ++i) {
      auto [begin, end] = ranges[i];
      // A view by its pointer: the entry's memref type has offset 0.
      double *sum = sumSquaresOut.data() + i;
      gps_memref<double, 1> out{sum, sum, 0, {1}, {1}};
      gps_memref<float, 1> g =
          vectorRef(grads.data() + begin, static_cast<int64_t>(end - begin));
      model.gradSumsq(&g, &out);
      gps_rt_arena_reset();
    }
    gps_memref<double, 1> sums{sumSquaresOut.data(),
                               sumSquaresOut.data(),
                               0,
                               {static_cast<int64_t>(ranges.size())},
                               {1}};
    gps_memref<float, 1> coefficients = vectorRef(
        adamCoefficients.data(), static_cast<int64_t>(adamCoefficients.size()));
    gps_memref<float, 1> termsRef =
        vectorRef(terms.data(), static_cast<int64_t>(numTerms));
    for (auto [begin, end] : ranges) {
      auto n = static_cast<int64_t>(end - begin);
      gps_memref<float, 1> p = vectorRef(state.params.data() + begin, n);
      gps_memref<float, 1> g = vectorRef(grads.data() + begin, n);
      gps_memref<float, 1> m =
          vectorRef(adam->getFirstMoment().data() + begin, n);
      gps_memref<float, 1> v =
          vectorRef(adam->getSecondMoment().data() + begin, n);
      model.adam(&p, &g, &m, &v, &coefficients, &sums, &termsRef, config.clip);
      gps_rt_arena_reset();
    }
  }
  /// What identifies the work of a step for the GPU half's recording of
  /// it: every buffer, size and scalar the step's calls get, but the
  /// update number, which the recording reads from memory.
  uint64_t stepSignature() {
    uint64_t hash = 0xcbf29ce484222325ull;
    auto mix = [&](uint64_t value) {
      hash = (hash ^ value) * 0x100000001b3ull;
    };
    for (const void *buffer :
         {static_cast<const void *>(x.data()),
          static_cast<const void *>(masks.data()),
          static_cast<const void *>(state.params.data()),
          static_cast<const void *>(grads.data()),
          static_cast<const void *>(terms.data()),
          static_cast<const void *>(adam->getFirstMoment().data()),
          static_cast<const void *>(adam->getSecondMoment().data()),
          static_cast<const void *>(adamCoefficients.data()),
          static_cast<const void *>(sumSquaresOut.data()),
          static_cast<const void *>(dataBytes.data()),
          static_cast<const void *>(byteValues.data()),
          static_cast<const void *>(batchRows.data()),
          static_cast<const void *>(maskCorners.data())})
      mix(reinterpret_cast<uintptr_t>(buffer));
    mix(config.batch);
    mix(data.count);
    mix(config.seed);
    uint64_t clipBits;
    std::memcpy(&clipBits, &config.clip, sizeof(clipBits));
    mix(clipBits);
    for (auto [begin, end] : updatedRanges()) {
      mix(begin);
      mix(end);
    }
    return hash;
  }
  /// Reports `err` below the progress line; kExitFailure.
  int fail(const Error &err);
  /// Reads --preset FILE and sets the flags it holds that were not given.
  std::optional<int> applyPreset();

  /// Both halves until readSettings applies --device, then the one it names.
  ModelEntryPoints model;
  const Manifest &manifest;
  const Console &console;
  size_t numTerms;

  // readSettings
  FlagSet flags{"", ""};
  TrainConfig config;
  bool resume = false;
  /// --plot: the learning curves at every checkpoint.
  bool plot = false;
  std::string dir, checkpointPath, metricsPath, evalPath;
  /// Everything a checkpoint holds; the parameters live here.
  Checkpoint state;
  /// The elements Adam updates ([begin, end) of the parameter vector), and
  /// the frozen ones, whose gradient is zeroed before the checks and the
  /// norm.
  std::vector<std::pair<size_t, size_t>> trainable, frozen;
  /// --adam compiled: the model's grad_sumsq and adam entry points check,
  /// measure and apply the gradient instead of the runtime's loops.
  bool compiledAdam = false;
  /// --gather compiled: the model's gather entry point takes each batch
  /// from a copy of the data set's bytes (the host writes only the rows).
  bool compiledGather = false;
  /// --masks compiled: the model's masks entry point draws each batch's
  /// masks (the host only places MAR's squares).
  bool compiledMasks = false;

  // loadData
  Dataset data;
  std::vector<uint32_t> trainIndices, testIndices;

  // restoreOrInitialise
  ParamVector grads;
  std::optional<Adam> adam;
  std::optional<Minibatcher> batcher;

  // openRunDirectory
  MetricsWriter metrics, evalMetrics;

  // updateLoop
  std::optional<Progress> progress;
  /// The batch, its masks and the terms: what an update hands the model
  /// besides the parameter-sized buffers.
  SharedVector<float> x, masks, terms;
  /// --adam compiled: what grad_sumsq writes (one sum per updated range),
  /// and the coefficients of the update (contract::AdamCoefficient).
  SharedVector<double> sumSquaresOut;
  SharedVector<float> adamCoefficients;
  /// --gather compiled: the data set's bytes and the value of each byte,
  /// copied once, and the batch's rows.
  SharedVector<uint8_t> dataBytes;
  SharedVector<float> byteValues;
  SharedVector<int64_t> batchRows;
  /// --masks compiled: the top and left of each example's MAR square.
  SharedVector<int64_t> maskCorners;
  std::vector<uint32_t> batch;
  using Clock = std::chrono::steady_clock;
  Clock::time_point runStart, windowStart;
  uint64_t firstStep = 0, savedStep = 0, windowRunUpdates = 0;
  double lastBound = NAN;
  /// Whether GPS_TRAINER_DUMP_UPDATE has been written.
  bool dumped = false;
  /// Catches SIGINT and SIGTERM from the first update to the end of
  /// finish(), the final checkpoint included.
  std::optional<InterruptScope> interrupts;
};

} // namespace

std::optional<int> TrainRun::readSettings(const std::vector<std::string> &args) {
  flags = trainFlags(console.program, manifest, model);
  if (Error err = flags.parse(args, 2))
    return console.usage("train", err.message());
  if (flags.helpRequested()) {
    console.out << flags.usage();
    return kExitSuccess;
  }
  if (flags.has("preset"))
    if (std::optional<int> status = applyPreset())
      return status;
  if (Error err = readConfigFlags(flags, config))
    return console.usage("train", err.message());
  if (Error err = applyThreadsFlag(flags))
    return console.usage("train", err.message());
  if (Error err = applyDeviceFlag(flags, model))
    return console.usage("train", err.message());
  // `--FLAG OTHER|compiled`: whether the model's compiled entry points do
  // the work, by default where the GPU half runs (with `available`); a
  // usage error names `what` the model lacks.
  auto chooseCompiled = [&](const std::string &flag, const std::string &other,
                            bool available, const std::string &what,
                            bool &compiled) -> std::optional<int> {
    std::string code = model.sharedMemory && available ? "compiled" : other;
    if (Error err = flags.getChoice(flag, {other, "compiled"}, code))
      return console.usage("train", err.message());
    compiled = code == "compiled";
    if (compiled && !available)
      return console.usage("train", "flag '--" + flag + " compiled': model '" +
                                        manifest.model + "' has no compiled " +
                                        what + " (compile it with this gpsc)");
    return std::nullopt;
  };
  // On the GPU the parameter-sized buffers stay in the memory it shares
  // with the host, which the runtime's loops would pull back every update;
  // the data set is copied there once, and a batch costs the host only its
  // rows; the masks are drawn there.
  if (std::optional<int> status =
          chooseCompiled("adam", "runtime", model.adam && model.gradSumsq,
                         "Adam update", compiledAdam))
    return status;
  if (std::optional<int> status = chooseCompiled(
          "gather", "host", model.gather != nullptr, "gather", compiledGather))
    return status;
  if (manifest.mask)
    if (std::optional<int> status = chooseCompiled(
            "masks", "host", model.masks != nullptr, "masks", compiledMasks))
      return status;
  if (Error err = checkDevice(model))
    return console.fail(err.message());
  dir = flags.has("out") ? flags.value("out") : defaultRunDir(manifest);
  resume = flags.has("resume");
  plot = flags.has("plot");
  if (resume && flags.has("init-from"))
    return console.usage("train", "flag '--init-from' starts a fresh run; "
                                  "a resumed run continues its checkpoint");
  checkpointPath = dir + "/last.safetensors";
  metricsPath = dir + "/metrics.jsonl";
  evalPath = dir + "/eval.jsonl";

  if (resume) {
    if (!pathExists(checkpointPath))
      return console.fail("--resume: no checkpoint '" + checkpointPath +
                          "' to resume from");
    if (Error err = loadCheckpoint(checkpointPath, manifest,
                                   /*withMoments=*/true, state))
      return console.fail(err.message());
    // Flags given now override the checkpoint's settings, except those
    // that fix the data order.
    TrainConfig saved = state.config;
    config = saved;
    if (Error err = readConfigFlags(flags, config))
      return console.usage("train", err.message());
    std::string conflict;
    if (config.batch != saved.batch)
      conflict = "--batch " + std::to_string(config.batch) + " differs from " +
                 std::to_string(saved.batch);
    else if (config.seed != saved.seed)
      conflict = "--seed " + std::to_string(config.seed) + " differs from " +
                 std::to_string(saved.seed);
    else if (config.testFraction != saved.testFraction)
      conflict = "--test-fraction " + flags.value("test-fraction") +
                 " differs from " + numberText(saved.testFraction);
    if (!conflict.empty())
      return console.fail("checkpoint '" + checkpointPath + "': " + conflict +
                          "; a resumed run keeps its batch size, seed and "
                          "test split");
  } else if (pathExists(checkpointPath) || pathExists(metricsPath)) {
    return console.fail("run directory '" + dir +
                        "' already holds a run; pass --resume to continue "
                        "it, or choose another --out");
  }
  if (config.lrDecay != 1.0 && config.lrDecayEvery == 0)
    return console.usage("train",
                         "flag '--lr-decay' needs '--lr-decay-every N'");
  if (flags.has("init-from"))
    config.initFrom = flags.value("init-from");
  std::vector<std::string> frozenOwners;
  if (Error err = trainableRanges(manifest, config, trainable, frozenOwners))
    return console.usage("train", err.message());
  if (!frozenOwners.empty()) {
    size_t end = 0, values = 0;
    for (auto [begin, stop] : trainable) {
      if (begin > end)
        frozen.emplace_back(end, begin);
      end = stop;
      values += stop - begin;
    }
    if (end < size_t(manifest.paramCount))
      frozen.emplace_back(end, size_t(manifest.paramCount));
    std::string names;
    for (const std::string &owner : frozenOwners)
      names += (names.empty() ? "" : ", ") + owner;
    console.err << console.program << ": training " << values << " of "
                << manifest.paramCount << " parameter values; fixed: " << names
                << "\n";
  }
  if (model.train == nullptr || model.eval == nullptr)
    return console.fail("model '" + manifest.model +
                        "' lacks the train or eval entry point");
  return std::nullopt;
}

std::optional<int> TrainRun::applyPreset() {
  const std::string &path = flags.value("preset");
  std::map<std::string, std::string> values;
  bool unreadable = false;
  if (Error err = readPreset(path, manifest.model, presetKeys(), values,
                             unreadable))
    return unreadable ? console.fail(err.message())
                      : console.usage("train", err.message());
  // The preset's values pass the flags' own checks on their own first, so
  // that a value out of range is reported as the preset's, by key.
  FlagSet presetOnly = trainFlags(console.program, manifest, model);
  for (const auto &[name, value] : values)
    presetOnly.setDefault(name, value);
  TrainConfig scratch;
  if (Error err = readConfigFlags(presetOnly, scratch)) {
    std::string message = err.message();
    const std::string prefix = "flag '--";
    size_t close = message.find("'", prefix.size());
    if (message.compare(0, prefix.size(), prefix) == 0 &&
        close != std::string::npos)
      message = "key '" + message.substr(prefix.size(), close - prefix.size()) +
                message.substr(close);
    return console.usage("train", "preset '" + path + "': " + message);
  }
  for (const auto &[name, value] : values)
    flags.setDefault(name, value);
  return std::nullopt;
}

std::optional<int> TrainRun::loadData() {
  if (Error err = loadDataset(config.data, manifest, data))
    return console.fail(err.message());
  if (resume && data.count != state.examples)
    return console.fail("data file '" + data.path + "' holds " +
                        std::to_string(data.count) + " examples, but " +
                        "checkpoint '" + checkpointPath + "' was trained on " +
                        std::to_string(state.examples));
  if (Error err =
          splitDataset(data, config.testFraction, trainIndices, testIndices))
    return console.fail(err.message());
  if (trainIndices.empty())
    return console.fail("data file '" + data.path + "': the training split "
                        "is empty (" + std::to_string(data.count) +
                        " examples, --test-fraction " +
                        numberText(config.testFraction) + ")");
  if (config.batch > trainIndices.size())
    return console.fail("data file '" + data.path + "': --batch " +
                        std::to_string(config.batch) + " exceeds its " +
                        std::to_string(trainIndices.size()) +
                        " training examples");
  return std::nullopt;
}

std::optional<int> TrainRun::restoreOrInitialise() {
  AdamOptions adamOptions;
  adamOptions.learningRate = static_cast<float>(config.learningRate);
  adamOptions.beta1 = static_cast<float>(config.beta1);
  adamOptions.beta2 = static_cast<float>(config.beta2);
  adamOptions.decayFactor = static_cast<float>(config.lrDecay);
  adamOptions.decayEvery = static_cast<int64_t>(config.lrDecayEvery);
  // The large buffers, each allocated once (a failure names it and its
  // size): the parameters, the gradient and the Adam moments. A resumed
  // run moves the moments over from the checkpoint, and saveCheckpoint
  // lends them back to it, so checkpoints allocate nothing.
  if (Error err = checkParamMemory(
          manifest, 4,
          "training's parameters, gradient and two Adam moments"))
    return console.fail(err.message());
  if (!resume && !config.initFrom.empty()) {
    Checkpoint initial;
    if (Error err = loadCheckpoint(config.initFrom, manifest,
                                   /*withMoments=*/false, initial))
      return console.fail("--init-from: " + err.message());
    state.params.swap(initial.params);
  } else if (!resume) {
    if (Error err = initParamsChecked(manifest, config.seed, state.params))
      return console.fail(err.message());
  }
  if (Error err = allocateParamFloats(manifest, grads, "the gradient"))
    return console.fail(err.message());
  adam.emplace(0, adamOptions);
  if (resume) {
    adam->getFirstMoment().swap(state.firstMoment);
    adam->getSecondMoment().swap(state.secondMoment);
    adam->setNumSteps(state.adamSteps);
  } else {
    Error err = allocateParamFloats(manifest, adam->getFirstMoment(),
                                    "the Adam moments");
    if (!err)
      err = allocateParamFloats(manifest, adam->getSecondMoment(),
                                "the Adam moments");
    if (err)
      return console.fail(err.message());
  }
  batcher.emplace(trainIndices, config.batch, config.seed);
  if (resume) {
    if (Error err = batcher->restore(state.batches))
      return console.fail("checkpoint '" + checkpointPath +
                          "': " + err.message());
  } else {
    state.window.clear(numTerms);
    state.examples = data.count;
  }
  state.config = config;
  if (resume && state.step >= config.updates) {
    console.out << "checkpoint '" << checkpointPath << "' is at update "
                << state.step << " of " << config.updates
                << "; nothing to do\n";
    return kExitSuccess;
  }
  return std::nullopt;
}

std::optional<int> TrainRun::openRunDirectory() {
  // Records a crashed run wrote after its last checkpoint are dropped, so
  // that they are not repeated, and so are the temporary files of a
  // checkpoint it was writing.
  if (Error err = makeDirectories(dir))
    return console.fail(err.message());
  if (resume) {
    for (const std::string *path : {&checkpointPath, &metricsPath, &evalPath})
      removeStaleTemporaries(*path);
    if (Error err = dropRecordsAfter(metricsPath, state.step))
      return console.fail(err.message());
    if (Error err = dropRecordsAfter(evalPath, state.step))
      return console.fail(err.message());
  }
  if (Error err = MetricsWriter::open(metricsPath, resume, metrics))
    return console.fail(err.message());
  if (Error err = MetricsWriter::open(evalPath, resume, evalMetrics))
    return console.fail(err.message());
  return std::nullopt;
}

int TrainRun::fail(const Error &err) {
  progress->message(console.program + ": error: " + err.message());
  return kExitFailure;
}

std::optional<int> TrainRun::saveCheckpoint() {
  state.firstMoment.swap(adam->getFirstMoment());
  state.secondMoment.swap(adam->getSecondMoment());
  state.adamSteps = adam->numSteps();
  state.batches = batcher->state();
  Error err = impl::saveCheckpoint(checkpointPath, manifest, state);
  state.firstMoment.swap(adam->getFirstMoment());
  state.secondMoment.swap(adam->getSecondMoment());
  if (err)
    return fail(err);
  savedStep = state.step;
  // The curves are a view of the records: failing to draw them (no record
  // yet, a full disk) is reported and does not stop training.
  if (plot)
    if (Error err = plotRun(dir, dir + "/curves.png", {}, kPlotWidth,
                            kPlotHeight))
      progress->message(console.program +
                        ": warning: learning curves not drawn: " +
                        err.message());
  return std::nullopt;
}

std::optional<int> TrainRun::runUpdate(uint64_t update) {
  int64_t dim = manifest.data.dim;
  auto batchSize = static_cast<int64_t>(config.batch);
  batcher->next(batch);
  if (compiledGather)
    std::copy(batch.begin(), batch.end(), batchRows.begin());
  else
    for (int64_t row = 0; row < batchSize; ++row)
      data.row(batch[row], x.data() + row * dim);
  uint64_t maskKey = deriveKey(config.seed, kTagTrainMasks);
  if (manifest.mask) {
    PhiloxStream rng(maskKey, update << 32);
    Error err = Error::success();
    if (!compiledMasks)
      err = sampleMasks(manifest, rng, batchSize, masks.data());
    else if (manifest.mask->kind == MaskKind::Mar)
      err = drawMarCorners(rng, static_cast<int64_t>(manifest.mask->amount),
                           manifest.mask->height, manifest.mask->width,
                           batchSize, maskCorners.data());
    if (err)
      return console.fail(err.message());
  }
  gps_memref<float, 2> xRef = matrixRef(x.data(), batchSize, dim);
  gps_memref<float, 2> maskRef =
      manifest.mask ? matrixRef(masks.data(), batchSize, dim) : xRef;
  gps_memref<float, 1> paramsRef =
      vectorRef(state.params.data(), manifest.paramCount);
  gps_memref<float, 1> gradsRef = vectorRef(grads.data(), manifest.paramCount);
  gps_memref<float, 1> termsRef =
      vectorRef(terms.data(), static_cast<int64_t>(numTerms));
  std::fill(terms.begin(), terms.end(), 0.0f);
  if (compiledAdam) {
    AdamCoefficients c = adam->nextCoefficients();
    using contract::AdamCoefficient;
    auto set = [&](AdamCoefficient which, float value) {
      adamCoefficients[static_cast<size_t>(which)] = value;
    };
    set(AdamCoefficient::LearningRate, c.lr);
    set(AdamCoefficient::Beta1, c.beta1);
    set(AdamCoefficient::Beta2, c.beta2);
    set(AdamCoefficient::Epsilon, c.eps);
    set(AdamCoefficient::Correction1, c.correction1);
    set(AdamCoefficient::Correction2, c.correction2);
    prefetchToDevice(adamCoefficients);
  }
  if (compiledGather)
    prefetchToDevice(batchRows);
  else
    prefetchToDevice(x);
  if (compiledMasks)
    prefetchToDevice(maskCorners);
  else
    prefetchToDevice(masks);
  prefetchToDevice(terms);
  // With the compiled update, the GPU half may record the step's calls
  // (the gather, the masks, the gradient, its sums of squares and the
  // update) once and replay them: the host reads nothing until the step
  // has ended.
  bool recordable = compiledAdam && model.stepBegin && model.stepEnd;
  // GPS_TRAINER_DUMP_UPDATE=FILE: the first update's inputs, gradient and
  // terms, with the parameters before the update (which the compiled
  // update applies within the step).
  const char *dumpPath = std::getenv("GPS_TRAINER_DUMP_UPDATE");
  bool dumpThis = dumpPath && *dumpPath && !dumped;
  std::vector<float> paramsBefore;
  if (dumpThis)
    paramsBefore.assign(state.params.begin(), state.params.end());
  if (recordable)
    model.stepBegin(stepSignature());
  if (compiledGather) {
    gps_memref<uint8_t, 2> bytesRef{dataBytes.data(),
                                    dataBytes.data(),
                                    0,
                                    {static_cast<int64_t>(data.count), dim},
                                    {dim, 1}};
    gps_memref<float, 1> valuesRef =
        vectorRef(byteValues.data(), static_cast<int64_t>(byteValues.size()));
    gps_memref<int64_t, 1> rowsRef{
        batchRows.data(), batchRows.data(), 0, {batchSize}, {1}};
    model.gather(&bytesRef, &valuesRef, &rowsRef, &xRef);
    gps_rt_arena_reset();
  }
  if (compiledMasks) {
    gps_memref<int64_t, 2> cornersRef{
        maskCorners.data(), maskCorners.data(), 0, {batchSize, 2}, {2, 1}};
    model.masks(&maskRef, &cornersRef, maskKey, update);
    gps_rt_arena_reset();
  }
  model.train(&xRef, &maskRef, &paramsRef, &gradsRef, &termsRef, config.seed,
              update);
  // GPS_TRAINER_ARENA_PEAK=FILE: the arena's high-water mark so far, in
  // bytes (what gpsc --report=memory predicts for one update).
  if (const char *peakPath = std::getenv("GPS_TRAINER_ARENA_PEAK");
      peakPath && *peakPath)
    if (FILE *peakFile = std::fopen(peakPath, "w")) {
      std::fprintf(peakFile, "%zu\n", gps_rt_arena_peak());
      std::fclose(peakFile);
    }
  gps_rt_arena_reset();
  if (compiledAdam)
    compiledUpdate();
  if (recordable)
    model.stepEnd();
  if (dumpThis) {
    dumped = true;
    if (Error err = dumpUpdate(dumpPath, manifest, batchSize, x, masks,
                               paramsBefore, grads, terms, config.seed, update))
      return fail(err);
  }
  // Frozen parameters: their gradient is dropped, so it neither stops the
  // run nor counts in the norm and the clipping. The compiled update only
  // sees the trainable ranges, and the host reads the gradient only to name
  // a value that is not finite.
  double sumSquares = 0.0;
  for (double sum : sumSquaresOut)
    sumSquares += sum;
  bool checkOnHost =
      !compiledAdam || !std::isfinite(sumSquares) ||
      std::any_of(terms.begin(), terms.end(),
                  [](float t) { return !std::isfinite(t); });
  if (checkOnHost)
    for (auto [begin, end] : frozen)
      std::fill(grads.begin() + std::ptrdiff_t(begin),
                grads.begin() + std::ptrdiff_t(end), 0.0f);
  std::string bad =
      checkOnHost ? firstNonFinite(manifest, terms, grads) : std::string();
  // The compiled update has left everything as it was exactly when the
  // host checks.
  if (compiledAdam && checkOnHost && bad.empty())
    bad = "the gradient's sum of squares is not finite";
  if (!bad.empty() && config.onNan != "skip") {
    progress->message(console.program + ": error: update " +
                      std::to_string(update) + ": " + bad +
                      "; stopped (--on-nan=stop), the last checkpoint is "
                      "kept");
    return kExitFailure;
  }
  if (!bad.empty()) {
    progress->message(console.program + ": warning: update " +
                      std::to_string(update) + ": " + bad +
                      "; update skipped (--on-nan=skip)");
    ++state.skipped;
  } else {
    double norm;
    state.window.lastLearningRate = adam->currentLearningRate();
    if (compiledAdam) {
      // Applied above; counted now.
      norm = std::sqrt(sumSquares);
      adam->beginStep();
    } else {
      std::vector<GradBuffer> gradBuffers = {{grads.data(), grads.size()}};
      norm = config.clip > 0 ? clipGradNorm(gradBuffers, config.clip)
                             : globalGradNorm(gradBuffers);
      if (frozen.empty())
        adam->step(state.params.data(), grads.data());
      else
        adam->step(state.params.data(), grads.data(), trainable);
    }
    for (size_t i = 0; i < numTerms; ++i)
      state.window.termSums[i] += terms[i];
    state.window.gradNormSum += norm;
    ++state.window.applied;
  }
  ++state.window.updates;
  ++windowRunUpdates;
  state.step = update;
  return std::nullopt;
}

/// The bound the progress line shows: nll + kl(q||p) when the model has
/// both, else the objective.
static double boundOf(const Manifest &manifest,
                      const std::vector<double> &means) {
  int nllIndex = manifest.termIndex(contract::Term::Nll);
  int klIndex = manifest.termIndex(contract::Term::KLQP);
  if (nllIndex < 0 || klIndex < 0)
    return means[0];
  return means[nllIndex] + means[klIndex];
}

std::optional<int> TrainRun::logRecord(double elapsed) {
  LogWindow &window = state.window;
  std::vector<double> means(numTerms, NAN);
  if (window.applied > 0)
    for (size_t i = 0; i < numTerms; ++i)
      means[i] = window.termSums[i] / double(window.applied);
  MetricsRecord record = makeRecord(manifest, state.step, means);
  double seconds =
      std::chrono::duration<double>(Clock::now() - windowStart).count();
  record.examplesPerSecond =
      seconds > 0 ? double(windowRunUpdates) * double(config.batch) / seconds
                  : 0.0;
  record.extra.emplace_back(
      "grad_norm",
      window.applied ? window.gradNormSum / double(window.applied) : NAN);
  record.extra.emplace_back("lr",
                            window.applied ? window.lastLearningRate : NAN);
  record.extra.emplace_back("skipped", double(state.skipped));
  if (Error err = metrics.write(record))
    return fail(err);
  progress->record(formatProgress(
      state.step, config.updates, lastBound, record.examplesPerSecond,
      elapsed * double(state.step) / double(state.step - firstStep)));
  window.clear(numTerms);
  windowStart = Clock::now();
  windowRunUpdates = 0;
  return std::nullopt;
}

std::optional<int> TrainRun::evaluateTestSplit() {
  EvalResult result = evaluate(model, manifest, data, testIndices,
                               config.batch, state.params, config.seed);
  MetricsRecord record = makeRecord(manifest, state.step, result.guided);
  record.examplesPerSecond =
      result.seconds > 0 ? double(result.examples) / result.seconds : 0.0;
  if (result.hasUnguided)
    record.extra.emplace_back("unguided_nll_missing", result.unguidedNll);
  record.extra.emplace_back("examples", double(result.examples));
  if (Error err = evalMetrics.write(record))
    return fail(err);
  return std::nullopt;
}

std::optional<int> TrainRun::updateLoop() {
  int64_t dim = manifest.data.dim;
  auto batchSize = static_cast<int64_t>(config.batch);
  terms.assign(numTerms, 0.0f);
  std::string batchText = "a batch (" + std::to_string(batchSize) + " x " +
                          std::to_string(dim) + ")";
  if (Error err = allocateFloats(x, uint64_t(batchSize * dim), batchText))
    return console.fail(err.message());
  if (manifest.mask)
    if (Error err = allocateFloats(masks, x.size(), "the masks of " + batchText))
      return console.fail(err.message());
  if (compiledGather) {
    if (Error err = allocateBytes(dataBytes, data.bytes.size(),
                                  "a copy of the data set"))
      return console.fail(err.message());
    std::copy(data.bytes.begin(), data.bytes.end(), dataBytes.begin());
    byteValues.assign(data.values.begin(), data.values.end());
    batchRows.assign(static_cast<size_t>(batchSize), 0);
    prefetchToDevice(dataBytes);
    prefetchToDevice(byteValues);
  }
  if (compiledMasks)
    maskCorners.assign(static_cast<size_t>(2 * batchSize), 0);
  if (compiledAdam) {
    sumSquaresOut.assign(updatedRanges().size(), 0.0);
    adamCoefficients.assign(
        static_cast<size_t>(contract::AdamCoefficient::Count), 0.0f);
  }

  progress.emplace(console);
  interrupts.emplace();
  runStart = windowStart = Clock::now();
  firstStep = savedStep = state.step;
  while (state.step < config.updates && !interrupts->signal()) {
    if (std::optional<int> status = runUpdate(state.step + 1))
      return status;

    double elapsed =
        std::chrono::duration<double>(Clock::now() - runStart).count();
    double runRate = elapsed > 0 ? double(state.step - firstStep) *
                                       double(batchSize) / elapsed
                                 : 0.0;
    if (state.window.applied > 0) {
      std::vector<double> means(numTerms);
      for (size_t i = 0; i < numTerms; ++i)
        means[i] = state.window.termSums[i] / double(state.window.applied);
      lastBound = boundOf(manifest, means);
    }
    if (state.step % config.logEvery == 0)
      if (std::optional<int> status = logRecord(elapsed))
        return status;
    progress->live(formatProgress(state.step, config.updates, lastBound,
                                  runRate,
                                  elapsed * double(state.step) /
                                      double(state.step - firstStep)),
                   /*force=*/state.step == config.updates);

    if (config.evalEvery && state.step % config.evalEvery == 0 &&
        !testIndices.empty())
      if (std::optional<int> status = evaluateTestSplit())
        return status;
    if (config.checkpointEvery && state.step % config.checkpointEvery == 0)
      if (std::optional<int> status = saveCheckpoint())
        return status;
  }
  return std::nullopt;
}

int TrainRun::finish() {
  if (state.step != savedStep || !pathExists(checkpointPath))
    if (std::optional<int> status = saveCheckpoint())
      return *status;
  if (int signal = interrupts->signal()) {
    progress->message(console.program + ": interrupted (" +
                      (signal == SIGINT ? "SIGINT" : "SIGTERM") +
                      ") at update " + std::to_string(state.step) +
                      "; checkpoint '" + checkpointPath + "' written");
    return 128 + signal;
  }
  progress->endLine();
  console.out << "trained model '" << manifest.model << "' to update "
              << state.step;
  if (state.skipped)
    console.out << " (" << state.skipped << " skipped)";
  console.out << "; checkpoint '" << checkpointPath << "'\n";
  return kExitSuccess;
}

//===----------------------------------------------------------------------===//
// The command
//===----------------------------------------------------------------------===//

int impl::trainCommand(const std::vector<std::string> &args,
                       const ModelEntryPoints &model, const Manifest &manifest,
                       const Console &console) {
  TrainRun run(model, manifest, console);
  std::optional<int> status;
  if ((status = run.readSettings(args)) || (status = run.loadData()) ||
      (status = run.restoreOrInitialise()) ||
      (status = run.openRunDirectory()) || (status = run.updateLoop()))
    return *status;
  return run.finish();
}
