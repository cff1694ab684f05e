//===- Metrics.h - training metrics log and progress line -------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// A trainer logs one JSON object per line to metrics.jsonl and prints a short
// progress line to the terminal. Each record is flushed as soon as it is
// written, so an interrupted run keeps every line already logged; a resumed
// run opens the file in append mode.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_RUNTIME_METRICS_H
#define GPS_RUNTIME_METRICS_H

#include "gps/Runtime/Error.h"

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace gps::rt {

/// One line of metrics.jsonl. Written with the keys in this order: step,
/// total_cost, nll_bound, nll_term, kld_q2p, kld_p2q, kld_steps,
/// examples_per_s, then the `extra` scalars in insertion order. Non-finite
/// values are written as JSON null.
struct MetricsRecord {
  uint64_t step = 0;
  double totalCost = 0.0;
  double nllBound = 0.0;
  double nllTerm = 0.0;
  double kldQ2P = 0.0;
  double kldP2Q = 0.0;
  /// The KL term of each step of the trajectory.
  std::vector<double> kldSteps;
  double examplesPerSecond = 0.0;
  /// Further named scalars, written after the fixed keys.
  std::vector<std::pair<std::string, double>> extra;
};

/// Appends MetricsRecords to a JSON Lines file, one object per line.
class MetricsWriter {
public:
  MetricsWriter() = default;

  /// Opens `path` into `out`: truncated, or kept and appended to when
  /// `append` (for resumed runs). Fails, naming the file, when it cannot be
  /// opened.
  static Error open(const std::string &path, bool append, MetricsWriter &out);

  /// Writes `record` as one line and flushes it. Fails when the writer is
  /// not open or the write fails.
  Error write(const MetricsRecord &record);

  bool isOpen() const { return file != nullptr; }

private:
  struct Closer {
    void operator()(std::FILE *f) const { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, Closer> file;
  std::string filePath;
};

/// The terminal progress line for `step` of `totalSteps`, e.g.
///
///   step 1200/5000  bound 93.41  1834 ex/s  ETA 3m25s
///
/// Fields are separated by two spaces: the bound has two decimals, the rate
/// is rounded to a whole number. The ETA is (totalSteps - step) times the
/// average time per step so far (elapsedSeconds / step), rounded to whole
/// seconds and written as `45s`, `3m05s` or `2h03m09s`; it is `0s` once step
/// reaches totalSteps and `--` when step is 0 or elapsedSeconds is not a
/// finite non-negative number.
std::string formatProgress(uint64_t step, uint64_t totalSteps, double bound,
                           double examplesPerSecond, double elapsedSeconds);

} // namespace gps::rt

#endif // GPS_RUNTIME_METRICS_H
