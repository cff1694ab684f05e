//===- Metrics.cpp - training metrics log and progress line -----*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/Metrics.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstring>

using namespace gps::rt;
using nlohmann::ordered_json;

Error MetricsWriter::open(const std::string &path, bool append,
                          MetricsWriter &out) {
  std::FILE *f = std::fopen(path.c_str(), append ? "a" : "w");
  if (!f)
    return Error::failure("metrics file '" + path +
                          "': cannot open: " + std::strerror(errno));
  out.file.reset(f);
  out.filePath = path;
  return Error::success();
}

/// `value` as JSON: a number, or null when it is NaN or infinite.
static ordered_json number(double value) {
  if (!std::isfinite(value))
    return nullptr;
  return value;
}

Error MetricsWriter::write(const MetricsRecord &record) {
  if (!file)
    return Error::failure("metrics writer is not open");
  ordered_json object = ordered_json::object();
  object["step"] = record.step;
  object["total_cost"] = number(record.totalCost);
  object["nll_bound"] = number(record.nllBound);
  object["nll_term"] = number(record.nllTerm);
  object["kld_q2p"] = number(record.kldQ2P);
  object["kld_p2q"] = number(record.kldP2Q);
  ordered_json steps = ordered_json::array();
  for (double value : record.kldSteps)
    steps.push_back(number(value));
  object["kld_steps"] = std::move(steps);
  object["examples_per_s"] = number(record.examplesPerSecond);
  for (const auto &[name, value] : record.extra)
    object[name] = number(value);

  // Replace invalid UTF-8 in extra names rather than throwing.
  std::string line =
      object.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
  line += '\n';
  if (std::fwrite(line.data(), 1, line.size(), file.get()) != line.size() ||
      std::fflush(file.get()) != 0)
    return Error::failure("metrics file '" + filePath +
                          "': write failed: " + std::strerror(errno));
  return Error::success();
}

/// `seconds` as `45s`, `3m05s` or `2h03m09s`.
static std::string formatDuration(uint64_t seconds) {
  uint64_t h = seconds / 3600, m = seconds / 60 % 60, s = seconds % 60;
  char buffer[64];
  if (h > 0)
    std::snprintf(buffer, sizeof(buffer),
                  "%" PRIu64 "h%02" PRIu64 "m%02" PRIu64 "s", h, m, s);
  else if (m > 0)
    std::snprintf(buffer, sizeof(buffer), "%" PRIu64 "m%02" PRIu64 "s", m, s);
  else
    std::snprintf(buffer, sizeof(buffer), "%" PRIu64 "s", s);
  return buffer;
}

std::string gps::rt::formatProgress(uint64_t step, uint64_t totalSteps,
                                    double bound, double examplesPerSecond,
                                    double elapsedSeconds) {
  std::string eta = "--";
  if (step > 0 && std::isfinite(elapsedSeconds) && elapsedSeconds >= 0) {
    uint64_t remaining = step < totalSteps ? totalSteps - step : 0;
    double seconds = std::round(static_cast<double>(remaining) *
                                (elapsedSeconds / static_cast<double>(step)));
    // Clamp absurd estimates (about 31,700 years) before the conversion.
    eta = formatDuration(seconds < 1e12 ? static_cast<uint64_t>(seconds)
                                        : UINT64_C(1000000000000));
  }
  char buffer[160];
  std::snprintf(buffer, sizeof(buffer),
                "step %" PRIu64 "/%" PRIu64 "  bound %.2f  %.0f ex/s  ETA %s",
                step, totalSteps, bound, examplesPerSecond, eta.c_str());
  return buffer;
}
