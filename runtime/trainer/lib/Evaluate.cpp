//===- Evaluate.cpp - evaluation; the eval and sample commands --*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "TrainerImpl.h"

#include "gps/Trainer/Files.h"
#include "gps/Trainer/Png.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

using namespace gps::rt;
using namespace gps::rt::impl;
using nlohmann::ordered_json;

//===----------------------------------------------------------------------===//
// Evaluation and metrics records
//===----------------------------------------------------------------------===//

EvalBatches::EvalBatches(const Manifest &manifest, const Dataset &data,
                         const std::vector<uint32_t> &indices, uint64_t batch)
    : manifest(manifest), data(data), indices(indices), batch(batch),
      dim(manifest.data.dim), x(static_cast<size_t>(batch * dim)),
      masks(manifest.mask ? x.size() : 0),
      maskKey(deriveKey(0, kTagEvalMasks)) {}

int64_t EvalBatches::load(uint64_t begin, uint64_t b) {
  auto rows =
      static_cast<int64_t>(std::min<uint64_t>(batch, indices.size() - begin));
  for (int64_t row = 0; row < rows; ++row)
    data.row(indices[begin + row], x.data() + row * dim);
  xRef = matrixRef(x.data(), rows, dim);
  maskRef = xRef;
  if (manifest.mask) {
    PhiloxStream rng(maskKey, b << 32);
    // The manifest was validated, so the mask parameters are valid.
    (void)sampleMasks(manifest, rng, rows, masks.data());
    maskRef = matrixRef(masks.data(), rows, dim);
  }
  prefetchToDevice(x);
  prefetchToDevice(masks);
  return rows;
}

double impl::countMissing(const gps_memref<float, 2> &masks) {
  double missing = 0.0;
  for (int64_t i = 0; i < masks.sizes[0] * masks.sizes[1]; ++i)
    missing += masks.aligned[masks.offset + i] == 0.0f;
  return missing;
}

ordered_json impl::imputationReport(double missingPerExample,
                                    const std::vector<std::pair<std::string,
                                                                double>> &nlls) {
  ordered_json report;
  report["missing_per_example"] = missingPerExample;
  for (const auto &[name, perExample] : nlls) {
    report[name] = perExample;
    report[name + "_per_pixel"] = perExample / missingPerExample;
  }
  return report;
}

EvalResult impl::evaluate(const ModelEntryPoints &model,
                          const Manifest &manifest, const Dataset &data,
                          const std::vector<uint32_t> &indices, uint64_t batch,
                          ParamVector &params, uint64_t seed) {
  auto start = std::chrono::steady_clock::now();
  EvalResult result;
  size_t numTerms = manifest.terms.size();
  result.guided.assign(numTerms, 0.0);
  result.hasUnguided = model.evalPrimary != nullptr;
  EvalBatches batches(manifest, data, indices, batch);
  gps_memref<float, 2> &xRef = batches.xRef, &maskRef = batches.maskRef;
  SharedVector<float> terms(numTerms);
  gps_memref<float, 1> paramsRef =
      vectorRef(params.data(), manifest.paramCount);
  gps_memref<float, 1> termsRef =
      vectorRef(terms.data(), static_cast<int64_t>(numTerms));
  double unguidedSum = 0.0, missing = 0.0;
  for (uint64_t begin = 0, b = 0; begin < indices.size(); begin += batch, ++b) {
    int64_t rows = batches.load(begin, b);
    std::fill(terms.begin(), terms.end(), 0.0f);
    prefetchToDevice(terms);
    model.eval(&xRef, &maskRef, &paramsRef, &termsRef, seed,
               kEvalStreamBase + b);
    gps_rt_arena_reset();
    for (size_t i = 0; i < numTerms; ++i)
      result.guided[i] += double(terms[i]) * double(rows);
    if (model.evalPrimary) {
      std::fill(terms.begin(), terms.end(), 0.0f);
      prefetchToDevice(terms);
      model.evalPrimary(&xRef, &maskRef, &paramsRef, &termsRef, seed,
                        kEvalStreamBase + b);
      gps_rt_arena_reset();
      unguidedSum += double(terms[0]) * double(rows);
    }
    result.examples += static_cast<uint64_t>(rows);
    if (manifest.mask)
      missing += countMissing(maskRef);
  }
  double count = result.examples ? double(result.examples) : NAN;
  for (double &mean : result.guided)
    mean /= count;
  result.unguidedNll = unguidedSum / count;
  result.missingPerExample = manifest.mask ? missing / count : NAN;
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return result;
}

IwResult impl::evaluateIw(const ModelEntryPoints &model,
                          const Manifest &manifest, const Dataset &data,
                          const std::vector<uint32_t> &indices,
                          uint64_t batch, ParamVector &params,
                          uint64_t seed, uint64_t samples) {
  auto start = std::chrono::steady_clock::now();
  IwResult result;
  result.samples = samples;
  EvalBatches batches(manifest, data, indices, batch);
  gps_memref<float, 2> &xRef = batches.xRef, &maskRef = batches.maskRef;
  // logW[k * batch + row]: draw k of the batch's example `row`. Each draw
  // is written to `draw` and copied from there, so that the calls of a
  // batch have the same arguments (on the GPU, one graph replays them).
  std::vector<float> logW(static_cast<size_t>(samples * batch));
  SharedVector<float> draw(static_cast<size_t>(batch));
  gps_memref<float, 1> paramsRef =
      vectorRef(params.data(), manifest.paramCount);
  double boundSum = 0.0, boundSquares = 0.0, meanSum = 0.0, meanSquares = 0.0;
  double varianceSum = 0.0;
  for (uint64_t begin = 0, b = 0; begin < indices.size(); begin += batch, ++b) {
    int64_t rows = batches.load(begin, b);
    gps_memref<float, 1> outRef = vectorRef(draw.data(), rows);
    for (uint64_t k = 0; k < samples; ++k) {
      prefetchToDevice(draw);
      model.logWeights(&xRef, &maskRef, &paramsRef, &outRef, seed,
                       kIwStreamBase + b * kIwMaxSamples + k);
      gps_rt_arena_reset();
      std::copy(draw.begin(), draw.begin() + rows, logW.begin() + k * batch);
    }
    for (int64_t row = 0; row < rows; ++row) {
      double largest = -HUGE_VAL, sum = 0.0, meanNeg = 0.0, squares = 0.0;
      for (uint64_t k = 0; k < samples; ++k)
        largest = std::max(largest, double(logW[k * batch + row]));
      for (uint64_t k = 0; k < samples; ++k) {
        double value = logW[k * batch + row];
        sum += std::exp(value - largest);
        meanNeg -= value;
        squares += value * value;
      }
      meanNeg /= double(samples);
      if (samples > 1)
        varianceSum += std::max(0.0, (squares - double(samples) * meanNeg *
                                                   meanNeg) /
                                         double(samples - 1));
      // A row whose weights are all zero (log w = -inf) has an infinite
      // bound, and one with a NaN a NaN bound; both show in the result.
      double negBound = std::isfinite(largest)
                            ? -(largest + std::log(sum / double(samples)))
                            : -largest;
      boundSum += negBound;
      boundSquares += negBound * negBound;
      meanSum += meanNeg;
      meanSquares += meanNeg * meanNeg;
    }
    result.examples += static_cast<uint64_t>(rows);
  }
  double n = result.examples ? double(result.examples) : NAN;
  auto stderrOf = [&](double sum, double squares) -> double {
    if (result.examples < 2)
      return NAN;
    double mean = sum / n;
    double variance = std::max(0.0, (squares - n * mean * mean) / (n - 1));
    return std::sqrt(variance / n);
  };
  result.bound = boundSum / n;
  result.boundStderr = stderrOf(boundSum, boundSquares);
  result.meanNegLogW = meanSum / n;
  result.meanNegLogWStderr = stderrOf(meanSum, meanSquares);
  result.drawSd = samples > 1 ? std::sqrt(varianceSum / n) : NAN;
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return result;
}

MetricsRecord impl::makeRecord(const Manifest &manifest, uint64_t step,
                               const std::vector<double> &means) {
  MetricsRecord record;
  record.step = step;
  record.totalCost = means[0];
  using contract::Term;
  auto term = [&](Term which) {
    int index = manifest.termIndex(which);
    return index < 0 ? NAN : means[index];
  };
  record.nllTerm = term(Term::Nll);
  record.kldQ2P = term(Term::KLQP);
  record.kldP2Q = term(Term::KLPQ);
  record.nllBound = record.nllTerm + record.kldQ2P;
  // kl(q||p)[site,t] summed over the sites of each step, in step order:
  // the per-step KL column.
  std::map<int64_t, double> steps;
  for (size_t i = 1; i < manifest.terms.size(); ++i) {
    const contract::TermName &name = manifest.termNames[i];
    if (name.term == Term::KLQP && name.step)
      steps[*name.step] += means[i];
    else if (name.term != Term::Nll && name.term != Term::KLQP &&
             name.term != Term::KLPQ)
      record.extra.emplace_back(manifest.terms[i], means[i]);
  }
  for (const auto &[step, value] : steps)
    record.kldSteps.push_back(value);
  return record;
}

//===----------------------------------------------------------------------===//
// Shared by eval and sample
//===----------------------------------------------------------------------===//

/// The checkpoint a command reads: --checkpoint, else DIR/last.safetensors
/// with DIR from --out or the default run directory.
static std::string checkpointPathOf(const FlagSet &flags,
                                    const Manifest &manifest) {
  if (flags.has("checkpoint"))
    return flags.value("checkpoint");
  return (flags.has("out") ? flags.value("out") : defaultRunDir(manifest)) +
         "/last.safetensors";
}

void impl::addEvalSplitFlags(FlagSet &flags, const Manifest &manifest,
                             const std::string &verb) {
  flags.add("checkpoint", "FILE", "checkpoint (default DIR/last.safetensors)");
  flags.add("out", "DIR",
            "run directory (default runs/" + manifest.model + ")");
  flags.add("data", "NAME|PATH", "data set (default: the checkpoint's)");
  flags.add("split", "test|train|all",
            "examples to " + verb + " (default test)");
  flags.add("test-fraction", "F",
            "test split fraction (default: the checkpoint's)");
}

Error impl::loadEvalSplit(const FlagSet &flags, const Manifest &manifest,
                          const std::string &split, EvalSplit &out) {
  out.checkpointPath = checkpointPathOf(flags, manifest);
  if (Error err = loadCheckpoint(out.checkpointPath, manifest,
                                 /*withMoments=*/false, out.checkpoint))
    return err;
  double testFraction = out.checkpoint.config.testFraction;
  if (flags.has("test-fraction"))
    if (Error err = flags.getDouble("test-fraction", testFraction, 0.0, 0.99))
      return err;
  std::string dataSpec =
      flags.has("data") ? flags.value("data") : out.checkpoint.config.data;
  if (Error err = loadDataset(dataSpec, manifest, out.data))
    return err;
  if (Error err = splitDataset(out.data, testFraction, out.train, out.test))
    return err;
  if (split == "train") {
    out.indices = out.train;
  } else if (split == "test") {
    out.indices = out.test;
  } else {
    out.indices.resize(out.data.count);
    for (uint64_t i = 0; i < out.data.count; ++i)
      out.indices[i] = static_cast<uint32_t>(i);
  }
  if (out.indices.empty())
    return Error::failure("data file '" + out.data.path + "': the " + split +
                          " split is empty");
  return Error::success();
}

//===----------------------------------------------------------------------===//
// eval
//===----------------------------------------------------------------------===//

int impl::evalCommand(const std::vector<std::string> &args,
                      const ModelEntryPoints &halves, const Manifest &manifest,
                      const Console &console) {
  ModelEntryPoints model = halves;
  FlagSet flags(console.program + " eval [flags]",
                "Prints the mean terms of a checkpoint of model '" +
                    manifest.model +
                    "' over a data split as JSON:\n\"guided\" from the eval "
                    "entry point and, when the model has it, \"unguided\"\n"
                    "(-log p(x.missing | known) of the primary alone).");
  addEvalSplitFlags(flags, manifest, "evaluate");
  flags.add("batch", "N", "examples per call (default 100)");
  flags.add("json", "FILE", "also write the JSON to FILE");
  addThreadsFlag(flags);
  addDeviceFlag(flags, model);
  flags.add("iw", "K",
            "also the importance-weighted bound with K guide samples per "
            "example (\"iw\")");
  if (Error err = flags.parse(args, 2))
    return console.usage("eval", err.message());
  if (flags.helpRequested()) {
    console.out << flags.usage();
    return kExitSuccess;
  }
  uint64_t batch = 100, iwSamples = 0;
  std::string split = "test";
  double testFraction = 0.0;
  Error err;
  if ((err = flags.getUnsigned("batch", batch, 1, UINT32_MAX)) ||
      (err = flags.getUnsigned("iw", iwSamples, 1, kIwMaxSamples)) ||
      (err = applyThreadsFlag(flags)) ||
      (err = applyDeviceFlag(flags, model)) ||
      (err = flags.getChoice("split", {"test", "train", "all"}, split)) ||
      (err = flags.getDouble("test-fraction", testFraction, 0.0, 0.99)))
    return console.usage("eval", err.message());
  if (Error err = checkDevice(model))
    return console.fail(err.message());
  if (!model.eval)
    return console.fail("model '" + manifest.model +
                        "' lacks the eval entry point");
  if (iwSamples && !model.logWeights)
    return console.fail("--iw: model '" + manifest.model +
                        "' has no log_weights entry point (gpsc builds it "
                        "for a model that observes its data; compile the "
                        "model with this gps)");

  EvalSplit in;
  if (Error err = loadEvalSplit(flags, manifest, split, in))
    return console.fail(err.message());
  const Dataset &data = in.data;
  const std::vector<uint32_t> &indices = in.indices;
  Checkpoint &checkpoint = in.checkpoint;
  const std::string &checkpointPath = in.checkpointPath;

  EvalResult result = evaluate(model, manifest, data, indices, batch,
                               checkpoint.params, checkpoint.config.seed);
  ordered_json report;
  report["model"] = manifest.model;
  report["checkpoint"] = checkpointPath;
  report["step"] = checkpoint.step;
  report["data"] = data.path;
  report["split"] = split;
  report["examples"] = result.examples;
  ordered_json guided = ordered_json::object();
  for (size_t i = 0; i < manifest.terms.size(); ++i)
    guided[manifest.terms[i]] = result.guided[i];
  report["guided"] = guided;
  if (result.hasUnguided)
    report["unguided"] = {{"nll_missing", result.unguidedNll}};
  if (manifest.mask) {
    // The imputation measures of the paper: the NLL of the missing values,
    // per example and per missing element.
    // Only the NLLs of policies that observe x.missing are about the
    // missing values (a VAE-imp's primary observes the whole of x).
    std::vector<std::pair<std::string, double>> nlls;
    int nll = manifest.termIndex(contract::Term::Nll);
    int kl = manifest.termIndex(contract::Term::KLQP);
    auto missingOnly = [](const std::optional<Observation> &observation) {
      return observation && observation->missingOnly;
    };
    if (nll >= 0 && kl >= 0 && missingOnly(manifest.guidedObservation))
      nlls.emplace_back("guided_bound", result.guided[nll] + result.guided[kl]);
    if (result.hasUnguided && missingOnly(manifest.unguidedObservation))
      nlls.emplace_back("unguided_nll", result.unguidedNll);
    if (!nlls.empty())
      report["imputation"] = imputationReport(result.missingPerExample, nlls);
  }
  if (iwSamples) {
    IwResult iw = evaluateIw(model, manifest, data, indices, batch,
                             checkpoint.params, checkpoint.config.seed,
                             iwSamples);
    ordered_json entry;
    entry["k"] = iw.samples;
    entry["bound"] = iw.bound;
    entry["bound_stderr"] = iw.boundStderr;
    entry["mean_neg_log_w"] = iw.meanNegLogW;
    entry["mean_neg_log_w_stderr"] = iw.meanNegLogWStderr;
    entry["draw_sd"] = iw.drawSd;
    entry["seconds"] = iw.seconds;
    report["iw"] = entry;
  }
  std::string text =
      report.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
  if (flags.has("json"))
    if (Error err = writeFileAtomic(flags.value("json"), text))
      return console.fail(err.message());
  console.out << text;
  return kExitSuccess;
}

//===----------------------------------------------------------------------===//
// sample
//===----------------------------------------------------------------------===//

/// The per-step grid: images kGridGap apart, kGridPad around the whole.
constexpr int64_t kGridGap = 1, kGridPad = 2;

namespace {
/// An image grid of `n` cells, each `panels` images of height x width side
/// by side.
struct Grid {
  int64_t height, width, panels, columns;
  static constexpr int64_t kGap = 1, kPad = 2;
  Image image;

  Grid(int64_t n, int64_t height, int64_t width, int64_t panels)
      : height(height), width(width), panels(panels) {
    columns = std::max<int64_t>(
        1, static_cast<int64_t>(std::ceil(std::sqrt(double(n)))));
    // Keep strips of wide cells roughly square.
    if (panels > 1)
      columns = std::max<int64_t>(1, columns * 2 / 3);
    int64_t rows = (n + columns - 1) / columns;
    int64_t cellWidth = panels * width + (panels - 1) * kGap;
    image = Image(columns * (cellWidth + kPad) + kPad,
                  rows * (height + kPad) + kPad, 3, 48);
  }

  /// The top-left pixel of panel `panel` of cell `cell`.
  void origin(int64_t cell, int64_t panel, int64_t &x, int64_t &y) const {
    int64_t cellWidth = panels * width + (panels - 1) * kGap;
    x = kPad + (cell % columns) * (cellWidth + kPad) + panel * (width + kGap);
    y = kPad + (cell / columns) * (height + kPad);
  }
};
} // namespace

/// A value in [lo, hi] as a byte.
static uint8_t toByte(float value, double lo, double hi) {
  double unit = (double(value) - lo) / (hi - lo);
  if (!(unit > 0.0))
    return 0;
  if (unit >= 1.0)
    return 255;
  return static_cast<uint8_t>(std::lround(unit * 255.0));
}

/// Paints `values` (dim of them, row-major, `width` a row) at (left, top)
/// as gray levels of [lo, hi]. With `mask`: missing pixels (mask 0) red
/// when `markMissing`, and known pixels from `known` when it is given.
static void paint(Image &image, int64_t left, int64_t top, int64_t width,
                  int64_t dim, const float *values, double lo, double hi,
                  const float *mask = nullptr, const float *known = nullptr,
                  bool markMissing = false) {
  for (int64_t i = 0; i < dim; ++i) {
    uint8_t *pixel = image.at(left + i % width, top + i / width);
    bool isKnown = mask && mask[i] != 0.0f;
    if (mask && markMissing && !isKnown) {
      pixel[0] = 160;
      pixel[1] = 32;
      pixel[2] = 32;
      continue;
    }
    float value = isKnown && known ? known[i] : values[i];
    pixel[0] = pixel[1] = pixel[2] = toByte(value, lo, hi);
  }
}

int impl::sampleCommand(const std::vector<std::string> &args,
                        const ModelEntryPoints &halves,
                        const Manifest &manifest, const Console &console) {
  ModelEntryPoints model = halves;
  bool perStep = model.sampleSteps && manifest.sampleSteps > 0;
  FlagSet flags(
      console.program + " sample [flags]",
      "Rolls out the primary of model '" + manifest.model +
          "' and writes the means of the observed\nsite as a PNG grid. " +
          (perStep
               ? "Each row is one rollout, its columns the mean after each "
                 "of the\n" +
                     std::to_string(manifest.sampleSteps) +
                     " steps" +
                     (manifest.mask
                          ? ", between the input (missing pixels red) and "
                            "the original;\ntwo rollouts per test example."
                          : ".") +
                     "\nWith --final, one cell per rollout with its final "
                     "mean."
               : std::string("One cell per rollout.")) +
          (manifest.mask ? "\nModels with a mask impute test examples (known "
                           "pixels kept)."
                         : ""));
  flags.add("checkpoint", "FILE", "checkpoint (default DIR/last.safetensors)");
  flags.add("out", "DIR",
            "run directory (default runs/" + manifest.model + ")");
  flags.add("n", "N",
            std::string(manifest.mask ? "test examples to impute"
                                      : "rollouts") +
                " (default 8; 64 with --final)");
  flags.add("png", "FILE",
            "output image (default samples.png next to the checkpoint)");
  flags.add("final", "",
            "only the final means: one cell per rollout (the grid of a "
            "model without a step loop)");
  flags.add("data", "NAME|PATH",
            "data to impute (masked models; default: the checkpoint's)");
  flags.add("seed", "N", "random seed (default: the checkpoint's)");
  addThreadsFlag(flags);
  addDeviceFlag(flags, model);
  if (Error err = flags.parse(args, 2))
    return console.usage("sample", err.message());
  if (flags.helpRequested()) {
    console.out << flags.usage();
    return kExitSuccess;
  }
  perStep = perStep && !flags.has("final");
  uint64_t n = perStep ? 8 : 64, seed = 0;
  Error err;
  if ((err = flags.getUnsigned("n", n, 1, 100000)) ||
      (err = applyThreadsFlag(flags)) ||
      (err = applyDeviceFlag(flags, model)) ||
      (err = flags.getUnsigned("seed", seed)))
    return console.usage("sample", err.message());
  if (Error err = checkDevice(model))
    return console.fail(err.message());
  if (!model.sample)
    return console.fail("model '" + manifest.model +
                        "' has no sample entry point");

  std::string checkpointPath = checkpointPathOf(flags, manifest);
  Checkpoint checkpoint;
  if (Error err = loadCheckpoint(checkpointPath, manifest,
                                 /*withMoments=*/false, checkpoint))
    return console.fail(err.message());
  if (!flags.has("seed"))
    seed = checkpoint.config.seed;
  std::string pngPath;
  if (flags.has("png")) {
    pngPath = flags.value("png");
  } else {
    size_t slash = checkpointPath.rfind('/');
    pngPath =
        (slash == std::string::npos ? std::string()
                                    : checkpointPath.substr(0, slash + 1)) +
        "samples.png";
  }

  int64_t dim = manifest.data.dim;
  SharedVector<float> x, masks;
  if (manifest.mask) {
    std::string dataSpec =
        flags.has("data") ? flags.value("data") : checkpoint.config.data;
    Dataset data;
    if (Error err = loadDataset(dataSpec, manifest, data))
      return console.fail(err.message());
    std::vector<uint32_t> train, test;
    if (Error err =
            splitDataset(data, checkpoint.config.testFraction, train, test))
      return console.fail(err.message());
    const std::vector<uint32_t> &source = test.empty() ? train : test;
    n = std::min<uint64_t>(n, source.size());
    x.resize(static_cast<size_t>(n * dim));
    masks.resize(x.size());
    // N examples spread evenly over the split, so that a data file sorted
    // by class (MNIST-10k) shows more than its first class.
    for (uint64_t row = 0; row < n; ++row)
      data.row(source[row * source.size() / n], x.data() + row * dim);
    PhiloxStream rng(deriveKey(seed, kTagSampleMasks));
    if (Error err =
            sampleMasks(manifest, rng, static_cast<int64_t>(n), masks.data()))
      return console.fail(err.message());
  } else {
    x.assign(static_cast<size_t>(n * dim), 0.0f);
  }
  auto inputs = static_cast<int64_t>(n);
  int64_t height, width;
  manifest.imageShape(height, width);
  double lo = manifest.data.lo, hi = manifest.data.hi;
  gps_memref<float, 1> paramsRef =
      vectorRef(checkpoint.params.data(), manifest.paramCount);

  if (perStep) {
    // Two rollouts of each example of a masked model: the batch holds the
    // examples twice, rollout r of example i in row r * n + i (the first
    // rollout is the one --final draws).
    int64_t rollouts = manifest.mask ? 2 : 1;
    int64_t rows = rollouts * inputs, steps = manifest.sampleSteps;
    SharedVector<float> batchX, batchMasks, out;
    for (int64_t r = 0; r < rollouts; ++r) {
      batchX.insert(batchX.end(), x.begin(), x.end());
      batchMasks.insert(batchMasks.end(), masks.begin(), masks.end());
    }
    if (Error err = allocateFloats(out, uint64_t(steps * rows) * dim,
                                   "the per-step means (" +
                                       std::to_string(steps) + " steps x " +
                                       std::to_string(rows) + " rollouts x " +
                                       std::to_string(dim) + ")"))
      return console.fail(err.message());
    gps_memref<float, 2> xRef = matrixRef(batchX.data(), rows, dim);
    gps_memref<float, 2> maskRef =
        manifest.mask ? matrixRef(batchMasks.data(), rows, dim) : xRef;
    gps_memref<float, 2> outRef = matrixRef(out.data(), steps * rows, dim);
    prefetchToDevice(batchX);
    prefetchToDevice(batchMasks);
    prefetchToDevice(out);
    model.sampleSteps(&xRef, &maskRef, &paramsRef, &outRef, seed,
                      kSampleStream);
    gps_rt_arena_reset();

    // Grid row 2i + r: rollout r of example i (masked), else row i.
    int64_t columns = steps + (manifest.mask ? 2 : 0);
    int64_t first = manifest.mask ? 1 : 0;
    Image image(kGridPad * 2 + columns * (width + kGridGap) - kGridGap,
                kGridPad * 2 + rows * (height + kGridGap) - kGridGap, 3, 48);
    for (int64_t i = 0; i < inputs; ++i) {
      const float *original = x.data() + i * dim;
      const float *mask = manifest.mask ? masks.data() + i * dim : nullptr;
      for (int64_t r = 0; r < rollouts; ++r) {
        int64_t gridRow = i * rollouts + r, batchRow = r * inputs + i;
        int64_t top = kGridPad + gridRow * (height + kGridGap);
        auto left = [&](int64_t column) {
          return kGridPad + column * (width + kGridGap);
        };
        if (mask) {
          paint(image, left(0), top, width, dim, original, lo, hi, mask,
                original, /*markMissing=*/true);
          paint(image, left(columns - 1), top, width, dim, original, lo, hi);
        }
        for (int64_t t = 0; t < steps; ++t)
          paint(image, left(first + t), top, width, dim,
                out.data() + (t * rows + batchRow) * dim, lo, hi, mask,
                original);
      }
    }
    if (Error err = writePng(pngPath, image))
      return console.fail(err.message());
    console.out << "wrote " << rows << " rollouts x " << steps
                << " steps of model '" << manifest.model << "' to '"
                << pngPath << "'\n";
    return kExitSuccess;
  }

  auto rows = inputs;
  SharedVector<float> out(x.size(), 0.0f);
  gps_memref<float, 2> xRef = matrixRef(x.data(), rows, dim);
  gps_memref<float, 2> maskRef =
      manifest.mask ? matrixRef(masks.data(), rows, dim) : xRef;
  gps_memref<float, 2> outRef = matrixRef(out.data(), rows, dim);
  prefetchToDevice(x);
  prefetchToDevice(masks);
  prefetchToDevice(out);
  model.sample(&xRef, &maskRef, &paramsRef, &outRef, seed, kSampleStream);
  gps_rt_arena_reset();

  Grid grid(rows, height, width, manifest.mask ? 3 : 1);
  for (int64_t cell = 0; cell < rows; ++cell) {
    const float *sample = out.data() + cell * dim;
    const float *original = x.data() + cell * dim;
    const float *mask = manifest.mask ? masks.data() + cell * dim : nullptr;
    int64_t left, top;
    // Panel 0: the sample or the known pixels (missing ones red); 1: the
    // imputation; 2: the original.
    grid.origin(cell, 0, left, top);
    paint(grid.image, left, top, width, dim, sample, lo, hi, mask, original,
          /*markMissing=*/true);
    if (!mask)
      continue;
    grid.origin(cell, 1, left, top);
    paint(grid.image, left, top, width, dim, sample, lo, hi, mask, original);
    grid.origin(cell, 2, left, top);
    paint(grid.image, left, top, width, dim, original, lo, hi);
  }
  if (Error err = writePng(pngPath, grid.image))
    return console.fail(err.message());
  console.out << "wrote " << rows
              << (manifest.mask ? " imputations" : " samples") << " of model '"
              << manifest.model << "' to '" << pngPath << "'\n";
  return kExitSuccess;
}
