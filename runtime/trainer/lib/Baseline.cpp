//===- Baseline.cpp - the baseline command: template matching ---*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// The imputation baselines of Bachman & Precup (2015), Sec. 4: template
// matching. For each evaluated example, the K training examples nearest to
// it are its templates, and each missing element's probability is the
// templates' mean, smoothed as (sum + 1) / (K + 2), so that no probability
// is 0 or 1. Honest matching measures the distance on the known elements
// only; oracular matching on every element, the missing ones included,
// which no imputation model can see. The score is the NLL of the missing
// values under these Bernoulli probabilities (the cross-entropy of the
// model's nll for data in [0, 1]), on the evaluation batches and masks of
// `eval`.
//
// Squared distances come from two products per block of templates:
//   honest:  sum_i m_i (x_i - y_i)^2 = sum_i m_i x_i^2 - 2 (m x) . y
//                                      + m . (y * y)
//   oracular: |x|^2 - 2 x . y + |y|^2
//
//===----------------------------------------------------------------------===//

#include "TrainerImpl.h"

#include "gps/Trainer/Files.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <queue>

using namespace gps::rt;
using namespace gps::rt::impl;
using nlohmann::ordered_json;

namespace {

/// Templates are compared in blocks of this many training examples.
constexpr int64_t kBlock = 2048;

/// The K nearest templates of one example: a max-heap of (distance, index).
using Nearest = std::priority_queue<std::pair<float, uint32_t>>;

void keepNearest(Nearest &nearest, uint64_t k, float distance,
                 uint32_t index) {
  if (nearest.size() < k) {
    nearest.push({distance, index});
  } else if (distance < nearest.top().first) {
    nearest.pop();
    nearest.push({distance, index});
  }
}

/// C = A B^T for row-major A (m x k) and B (n x k); A and B are only read.
void gemmNT(const float *a, const float *b, float *c, int64_t m, int64_t n,
            int64_t k) {
  gps_memref<float, 2> aRef = matrixRef(const_cast<float *>(a), m, k),
                       bRef = matrixRef(const_cast<float *>(b), n, k),
                       cRef = matrixRef(c, m, n);
  _mlir_ciface_gps_rt_sgemm(0, 1, 1.0f, &aRef, &bRef, 0.0f, &cRef);
}

struct TemplateScores {
  double honest = 0.0, oracle = 0.0;
};

/// Scores one evaluation batch (the data set's examples `examples`, loaded
/// as x with masks m: rows x dim, in [0, 1]) against the training examples
/// `train` in blocks, leaving out each example itself; returns the sums
/// over the batch of each example's NLL of its missing elements.
TemplateScores scoreBatch(const Dataset &data,
                          const std::vector<uint32_t> &train, uint64_t k,
                          const uint32_t *examples, const float *x,
                          const float *m, int64_t rows, int64_t dim) {
  std::vector<float> mx(rows * dim), xNorm(rows), xKnownNorm(rows);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < dim; ++i) {
      float v = x[r * dim + i], w = m[r * dim + i];
      mx[r * dim + i] = w * v;
      xNorm[r] += v * v;
      xKnownNorm[r] += w * v * v;
    }
  std::vector<Nearest> honest(rows), oracle(rows);
  std::vector<float> y(kBlock * dim), ySquared(kBlock * dim), yNorm(kBlock);
  std::vector<float> cross(rows * kBlock), crossKnown(rows * kBlock),
      known(rows * kBlock);
  for (size_t begin = 0; begin < train.size(); begin += kBlock) {
    auto n = static_cast<int64_t>(
        std::min<size_t>(kBlock, train.size() - begin));
    for (int64_t c = 0; c < n; ++c) {
      data.row(train[begin + c], y.data() + c * dim);
      float norm = 0.0f;
      for (int64_t i = 0; i < dim; ++i) {
        float v = y[c * dim + i];
        ySquared[c * dim + i] = v * v;
        norm += v * v;
      }
      yNorm[c] = norm;
    }
    gemmNT(x, y.data(), cross.data(), rows, n, dim);
    gemmNT(mx.data(), y.data(), crossKnown.data(), rows, n, dim);
    gemmNT(m, ySquared.data(), known.data(), rows, n, dim);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < n; ++c) {
        // An example of the training split is not its own template.
        if (train[begin + c] == examples[r])
          continue;
        auto index = static_cast<uint32_t>(begin + c);
        keepNearest(honest[r], k,
                    xKnownNorm[r] - 2.0f * crossKnown[r * n + c] +
                        known[r * n + c],
                    index);
        keepNearest(oracle[r], k,
                    xNorm[r] - 2.0f * cross[r * n + c] + yNorm[c], index);
      }
  }

  // The NLL of each example's missing elements under its templates' mean.
  std::vector<float> sum(dim), row(dim);
  auto score = [&](Nearest nearest, int64_t r) {
    std::fill(sum.begin(), sum.end(), 0.0f);
    double count = double(nearest.size());
    for (; !nearest.empty(); nearest.pop()) {
      data.row(train[nearest.top().second], row.data());
      for (int64_t i = 0; i < dim; ++i)
        sum[i] += row[i];
    }
    double nll = 0.0;
    for (int64_t i = 0; i < dim; ++i) {
      if (m[r * dim + i] != 0.0f)
        continue;
      double p = (double(sum[i]) + 1.0) / (count + 2.0);
      double v = x[r * dim + i];
      nll -= v * std::log(p) + (1.0 - v) * std::log1p(-p);
    }
    return nll;
  };
  TemplateScores scores;
  for (int64_t r = 0; r < rows; ++r) {
    scores.honest += score(honest[r], r);
    scores.oracle += score(oracle[r], r);
  }
  return scores;
}

} // namespace

int impl::baselineCommand(const std::vector<std::string> &args,
                          const ModelEntryPoints &model,
                          const Manifest &manifest, const Console &console) {
  FlagSet flags(
      console.program + " baseline [flags]",
      "Template matching (Bachman & Precup 2015, Sec. 4) on the evaluation "
      "batches and\nmasks of 'eval': the NLL of the missing values under "
      "the mean of the K nearest\ntraining examples, smoothed as (sum + 1) "
      "/ (K + 2). \"honest\" finds them by the\nknown values, \"oracle\" by "
      "every value. Prints JSON shaped like eval's \"imputation\".");
  addEvalSplitFlags(flags, manifest, "impute");
  flags.add("k", "K", "templates per example (default 10)");
  flags.add("batch", "N",
            "examples per block; the masks are eval's with the same --batch "
            "(default 100, eval's default)");
  flags.add("json", "FILE", "also write the JSON to FILE");
  addThreadsFlag(flags);
  if (Error err = flags.parse(args, 2))
    return console.usage("baseline", err.message());
  if (flags.helpRequested()) {
    console.out << flags.usage();
    return kExitSuccess;
  }
  uint64_t k = 10, batch = 100;
  std::string split = "test";
  double testFraction = 0.0;
  Error err;
  if ((err = flags.getUnsigned("k", k, 1, 100000)) ||
      (err = flags.getUnsigned("batch", batch, 1, 100000)) ||
      (err = applyThreadsFlag(flags)) ||
      (err = flags.getChoice("split", {"test", "train", "all"}, split)) ||
      (err = flags.getDouble("test-fraction", testFraction, 0.0, 0.99)))
    return console.usage("baseline", err.message());
  if (!manifest.mask)
    return console.fail("model '" + manifest.model +
                        "' has no mask: template matching imputes missing "
                        "values");
  for (const std::optional<Observation> &observation :
       {manifest.guidedObservation, manifest.unguidedObservation})
    if (observation && !observation->bernoulli)
      return console.fail("template matching scores Bernoulli "
                          "probabilities, but model '" + manifest.model +
                          "' observes its data through a Gaussian, whose "
                          "NLL is not comparable");
  if (manifest.data.lo < 0.0 || manifest.data.hi > 1.0)
    return console.fail("template matching scores Bernoulli probabilities; "
                        "the data of model '" + manifest.model +
                        "' are not in [0, 1]");
  (void)model;

  EvalSplit in;
  if (Error err = loadEvalSplit(flags, manifest, split, in))
    return console.fail(err.message());
  const Dataset &data = in.data;
  const std::vector<uint32_t> &train = in.train, &indices = in.indices;
  if (train.empty())
    return console.fail("data file '" + data.path +
                        "': the train split, the templates, is empty");

  auto start = std::chrono::steady_clock::now();
  EvalBatches batches(manifest, data, indices, batch);
  TemplateScores sums;
  double missing = 0.0;
  uint64_t examples = 0;
  for (uint64_t begin = 0, b = 0; begin < indices.size(); begin += batch, ++b) {
    int64_t rows = batches.load(begin, b);
    const gps_memref<float, 2> &x = batches.xRef, &m = batches.maskRef;
    TemplateScores scores =
        scoreBatch(data, train, k, indices.data() + begin,
                   x.aligned + x.offset, m.aligned + m.offset, rows,
                   manifest.data.dim);
    sums.honest += scores.honest;
    sums.oracle += scores.oracle;
    missing += countMissing(m);
    examples += static_cast<uint64_t>(rows);
  }
  double n = double(examples);
  ordered_json report;
  report["model"] = manifest.model;
  report["data"] = data.path;
  report["split"] = split;
  report["examples"] = examples;
  report["templates"] = train.size();
  report["k"] = k;
  report["honest"] =
      imputationReport(missing / n, {{"nll", sums.honest / n}});
  report["oracle"] =
      imputationReport(missing / n, {{"nll", sums.oracle / n}});
  report["seconds"] =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  std::string text =
      report.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
  if (flags.has("json"))
    if (Error err = writeFileAtomic(flags.value("json"), text))
      return console.fail(err.message());
  console.out << text;
  return kExitSuccess;
}
