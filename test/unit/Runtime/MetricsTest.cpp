//===- MetricsTest.cpp - tests of the metrics log and progress line -------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/Metrics.h"

#include "TestUtil.h"

#include "gtest/gtest.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>

using namespace gps::rt;
using namespace gps::rt::test;
using nlohmann::ordered_json;

namespace {

/// The lines of `path`, each parsed as JSON (ordered, to check key order).
std::vector<ordered_json> readLines(const std::string &path) {
  std::vector<uint8_t> bytes = readFileBytes(path);
  std::string text(bytes.begin(), bytes.end());
  EXPECT_TRUE(text.empty() || text.back() == '\n') << text;
  std::vector<ordered_json> lines;
  size_t start = 0, end;
  while ((end = text.find('\n', start)) != std::string::npos) {
    lines.push_back(ordered_json::parse(text.substr(start, end - start),
                                        nullptr, /*allow_exceptions=*/false));
    EXPECT_FALSE(lines.back().is_discarded())
        << text.substr(start, end - start);
    start = end + 1;
  }
  return lines;
}

std::vector<std::string> keysOf(const ordered_json &object) {
  std::vector<std::string> keys;
  for (const auto &item : object.items())
    keys.push_back(item.key());
  return keys;
}

MetricsRecord sampleRecord(uint64_t step) {
  return {step,
          101.25,
          93.4125,
          0.1,
          -2.5e-7,
          3.0,
          {0.5, 1.0 / 3.0, 1e300},
          1834.5,
          {{"zeta", 1.0}, {"alpha", -4.0}, {"lr", 1e-4}}};
}

} // namespace

TEST(MetricsWriter, WritesOneOrderedObjectPerLine) {
  TempDir dir;
  std::string path = dir.file("metrics.jsonl");
  MetricsWriter writer;
  ASSERT_FALSE(MetricsWriter::open(path, /*append=*/false, writer));
  ASSERT_FALSE(writer.write(sampleRecord(7)));
  // Flushed: visible before the writer is closed.
  std::vector<ordered_json> lines = readLines(path);
  ASSERT_EQ(lines.size(), 1u);
  const ordered_json &j = lines[0];
  EXPECT_EQ(keysOf(j), (std::vector<std::string>{
                           "step", "total_cost", "nll_bound", "nll_term",
                           "kld_q2p", "kld_p2q", "kld_steps", "examples_per_s",
                           "zeta", "alpha", "lr"}));
  EXPECT_TRUE(j["step"].is_number_unsigned());
  EXPECT_EQ(j["step"].get<uint64_t>(), 7u);
  const std::vector<double> expected = {101.25, 93.4125, 0.1,  -2.5e-7, 3.0,
                                        1834.5, 1.0,     -4.0, 1e-4};
  std::vector<double> got;
  for (const char *key : {"total_cost", "nll_bound", "nll_term", "kld_q2p",
                          "kld_p2q", "examples_per_s", "zeta", "alpha", "lr"})
    got.push_back(j[key].get<double>());
  EXPECT_EQ(got, expected); // Exact: doubles round-trip.
  EXPECT_EQ(j["kld_steps"].get<std::vector<double>>(),
            (std::vector<double>{0.5, 1.0 / 3.0, 1e300}));

  MetricsRecord empty;
  empty.step = UINT64_MAX;
  ASSERT_FALSE(writer.write(empty));
  lines = readLines(path);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1]["step"].get<uint64_t>(), UINT64_MAX);
  EXPECT_EQ(lines[1]["kld_steps"], ordered_json::array());
  EXPECT_EQ(lines[1].size(), 8u);
}

TEST(MetricsWriter, NonFiniteBecomesNull) {
  TempDir dir;
  std::string path = dir.file("metrics.jsonl");
  MetricsWriter writer;
  ASSERT_FALSE(MetricsWriter::open(path, false, writer));
  double nan = std::numeric_limits<double>::quiet_NaN();
  double inf = std::numeric_limits<double>::infinity();
  MetricsRecord r = sampleRecord(1);
  r.totalCost = nan;
  r.nllBound = inf;
  r.kldP2Q = -inf;
  r.kldSteps = {1.0, nan, -inf};
  r.examplesPerSecond = inf;
  r.extra = {{"x", nan}};
  ASSERT_FALSE(writer.write(r));
  std::vector<ordered_json> lines = readLines(path);
  ASSERT_EQ(lines.size(), 1u);
  const ordered_json &j = lines[0];
  for (const char *key :
       {"total_cost", "nll_bound", "kld_p2q", "examples_per_s", "x"})
    EXPECT_TRUE(j[key].is_null()) << key;
  EXPECT_EQ(j["nll_term"].get<double>(), 0.1);
  EXPECT_EQ(j["kld_steps"], ordered_json::parse("[1.0, null, null]"));
}

TEST(MetricsWriter, AppendKeepsEarlierLines) {
  TempDir dir;
  std::string path = dir.file("metrics.jsonl");
  {
    MetricsWriter writer;
    ASSERT_FALSE(MetricsWriter::open(path, false, writer));
    ASSERT_FALSE(writer.write(sampleRecord(1)));
    ASSERT_FALSE(writer.write(sampleRecord(2)));
  }
  {
    MetricsWriter writer;
    ASSERT_FALSE(MetricsWriter::open(path, /*append=*/true, writer));
    ASSERT_FALSE(writer.write(sampleRecord(3)));
  }
  std::vector<ordered_json> lines = readLines(path);
  ASSERT_EQ(lines.size(), 3u);
  for (uint64_t i = 0; i < 3; ++i)
    EXPECT_EQ(lines[i]["step"].get<uint64_t>(), i + 1);

  MetricsWriter writer; // Without append the file starts over.
  ASSERT_FALSE(MetricsWriter::open(path, false, writer));
  EXPECT_TRUE(readLines(path).empty());
}

TEST(MetricsWriter, MissingDirectoryNamesPath) {
  TempDir dir;
  std::string path = dir.file("no/such/dir/metrics.jsonl");
  MetricsWriter writer;
  Error err = MetricsWriter::open(path, false, writer);
  ASSERT_TRUE(static_cast<bool>(err));
  EXPECT_NE(err.message().find("'" + path + "'"), std::string::npos)
      << err.message();
  EXPECT_FALSE(writer.isOpen());
  EXPECT_TRUE(static_cast<bool>(writer.write(sampleRecord(1))));
}

TEST(MetricsProgress, ExactLines) {
  EXPECT_EQ(formatProgress(0, 5000, 543.2109, 0.0, 0.0),
            "step 0/5000  bound 543.21  0 ex/s  ETA --");
  // 100 steps in 50 s: 900 left at 0.5 s each.
  EXPECT_EQ(formatProgress(100, 1000, 93.414, 1834.4, 50.0),
            "step 100/1000  bound 93.41  1834 ex/s  ETA 7m30s");
  // 10 steps in 30 s: 9990 left at 3 s each = 29970 s.
  EXPECT_EQ(formatProgress(10, 10000, -1.5, 12.6, 30.0),
            "step 10/10000  bound -1.50  13 ex/s  ETA 8h19m30s");
  // Minutes and seconds are zero-padded after the first field.
  EXPECT_EQ(formatProgress(1, 2, 7.0, 5.0, 3605.0),
            "step 1/2  bound 7.00  5 ex/s  ETA 1h00m05s");
  EXPECT_EQ(formatProgress(1, 2, 7.0, 5.0, 65.0),
            "step 1/2  bound 7.00  5 ex/s  ETA 1m05s");
  EXPECT_EQ(formatProgress(990, 1000, 80.0, 2000.0, 99.0),
            "step 990/1000  bound 80.00  2000 ex/s  ETA 1s");
  // Over 100 hours the hours field just grows.
  EXPECT_EQ(formatProgress(1, 1001, 1.0, 1.0, 360.0),
            "step 1/1001  bound 1.00  1 ex/s  ETA 100h00m00s");
  EXPECT_EQ(formatProgress(1000, 1000, 80.0, 2000.0, 99.0),
            "step 1000/1000  bound 80.00  2000 ex/s  ETA 0s");
}
