//===- RobustnessTest.cpp - the trainer under kills, signals, full disks --===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// Runs the fake trainer executable (FakeTrainerMain.cpp) as a child, kills
// it at random moments or in the middle of a checkpoint write, interrupts
// it, or caps the size of the files it may write, and checks that the
// checkpoint always loads and that a resumed run's metrics, evaluations
// and parameters equal an uninterrupted run's, bit for bit (the timing
// column aside).
//
//===----------------------------------------------------------------------===//

#include "Subprocess.h"
#include "TestUtil.h"

#include "gps/Runtime/Idx.h"
#include "gps/Runtime/Safetensors.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

using namespace gps::rt;
using namespace gps::rt::test;
using nlohmann::json;

namespace {

/// Runs the fake trainer executable with `args`, doing `harm` to it.
Outcome runTrainer(const std::vector<std::string> &args, const TempDir &dir,
                   const Harm &harm = {}) {
  return runChild(GPS_FAKE_TRAINER, args, dir, harm);
}

/// The records of a .jsonl file without the timing column; every line must
/// be a whole JSON object.
std::vector<json> readRecords(const std::string &path) {
  std::vector<json> records;
  std::vector<uint8_t> bytes = readFileBytes(path);
  std::string text(bytes.begin(), bytes.end());
  EXPECT_TRUE(text.empty() || text.back() == '\n') << path << " is torn";
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    json record = json::parse(line, nullptr, /*allow_exceptions=*/false);
    EXPECT_TRUE(record.is_object()) << path << ": " << line;
    if (!record.is_object())
      continue;
    record.erase("examples_per_s");
    records.push_back(record);
  }
  return records;
}

/// The checkpoint's step; fails the test when it does not load.
uint64_t checkpointStep(const std::string &path) {
  SafetensorsFile file;
  Error err = readSafetensors(path, file);
  EXPECT_FALSE(static_cast<bool>(err)) << err.message();
  return err ? 0 : std::stoull(file.metadata["step"]);
}

void expectSameTensors(const std::string &a, const std::string &b) {
  SafetensorsFile fa, fb;
  ASSERT_FALSE(static_cast<bool>(readSafetensors(a, fa)));
  ASSERT_FALSE(static_cast<bool>(readSafetensors(b, fb)));
  ASSERT_EQ(fa.tensors.size(), fb.tensors.size());
  for (size_t i = 0; i < fa.tensors.size(); ++i)
    EXPECT_TRUE(fa.tensors[i].bytes == fb.tensors[i].bytes)
        << fa.tensors[i].name;
}

class RobustnessTest : public ::testing::Test {
protected:
  void SetUp() override {
    IdxArray images;
    images.dims = {200, 4, 4};
    for (uint32_t i = 0; i < 200 * 16; ++i)
      images.data.push_back(static_cast<uint8_t>((i * 37 + i / 16 * 11) % 256));
    data = dir.file("images.idx");
    ASSERT_FALSE(static_cast<bool>(writeIdx(data, images)));
  }

  /// A fresh run into `out` until `updates`.
  std::vector<std::string> trainArgs(const std::string &out,
                                     uint64_t updates) const {
    return {"train",           "--data",       data,
            "--out",           dir.file(out),  "--batch",
            "10",              "--updates",    std::to_string(updates),
            "--log-every",     "3",            "--eval-every",
            "20",              "--checkpoint-every", "25"};
  }
  std::vector<std::string> resumeArgs(const std::string &out) const {
    return {"train", "--out", dir.file(out), "--resume"};
  }

  /// Expects run `out` to equal run `whole`: records and parameters.
  void expectSameRun(const std::string &whole, const std::string &out) {
    EXPECT_EQ(readRecords(dir.file(whole + "/metrics.jsonl")),
              readRecords(dir.file(out + "/metrics.jsonl")));
    EXPECT_EQ(readRecords(dir.file(whole + "/eval.jsonl")),
              readRecords(dir.file(out + "/eval.jsonl")));
    expectSameTensors(dir.file(whole + "/last.safetensors"),
                      dir.file(out + "/last.safetensors"));
  }

  TempDir dir;
  std::string data;
};

/// The names in directory `path`.
std::vector<std::string> listDirectory(const std::string &path) {
  std::vector<std::string> names;
  std::string command = "ls -A '" + path + "'";
  if (std::FILE *pipe = ::popen(command.c_str(), "r")) {
    char line[4096];
    while (std::fgets(line, sizeof(line), pipe)) {
      std::string name = line;
      if (!name.empty() && name.back() == '\n')
        name.pop_back();
      names.push_back(name);
    }
    ::pclose(pipe);
  }
  return names;
}

TEST_F(RobustnessTest, KilledDuringACheckpointWriteResumesExactly) {
  ASSERT_EQ(runTrainer(trainArgs("whole", 120), dir).exitCode, 0);
  // Killed at the third checkpoint (update 75), between writing the new
  // file and renaming it over the old one.
  Outcome killed = runTrainer(trainArgs("run", 120), dir,
                              {"GPS_FAKE_KILL_AT_RENAME=3"});
  ASSERT_EQ(killed.signal, SIGKILL) << killed.err;
  std::vector<std::string> files = listDirectory(dir.file("run"));
  ASSERT_EQ(files.size(), 4u); // the temporary file is complete, not renamed
  EXPECT_EQ(checkpointStep(dir.file("run/last.safetensors")), 50u);
  EXPECT_EQ(readRecords(dir.file("run/metrics.jsonl")).back()["step"], 75);

  Outcome resumed = runTrainer(resumeArgs("run"), dir);
  ASSERT_EQ(resumed.exitCode, 0) << resumed.err;
  expectSameRun("whole", "run");
  EXPECT_EQ(listDirectory(dir.file("run")),
            (std::vector<std::string>{"eval.jsonl", "last.safetensors",
                                      "metrics.jsonl"}));
}

TEST_F(RobustnessTest, RandomKillsThenResumeRepeatTheUninterruptedRun) {
  const uint64_t updates = 3000;
  auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(runTrainer(trainArgs("whole", updates), dir).exitCode, 0);
  long wholeMicros = static_cast<long>(
      std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::steady_clock::now() - start)
          .count());
  // The first 20 attempts are killed at a random moment in their first
  // 25 ms, a small part of a whole run (which checkpoints 120 times), so
  // that most are killed before they finish; the rest run to the end.
  std::mt19937 random(14);
  std::uniform_int_distribution<long> when(1000, 25000);
  int kills = 0, attempts = 0;
  bool started = false;
  for (; attempts < 60; ++attempts) {
    std::vector<std::string> args =
        started ? resumeArgs("run") : trainArgs("run", updates);
    Outcome outcome =
        runTrainer(args, dir, {"", 0, attempts < 20 ? when(random) : 0});
    std::string checkpoint = dir.file("run/last.safetensors");
    if (outcome.signal == SIGKILL) {
      ++kills;
      // Whatever the moment, the checkpoint is whole.
      if (readFileBytes(checkpoint).empty())
        continue;
      started = true;
      EXPECT_LE(checkpointStep(checkpoint), updates);
      continue;
    }
    if (outcome.exitCode != 0 && !started) {
      // Killed before the first checkpoint: a fresh run refuses the
      // directory that holds its metrics; start over.
      EXPECT_NE(outcome.err.find("already holds a run"), std::string::npos)
          << outcome.err;
      std::system(("rm -rf '" + dir.file("run") + "'").c_str());
      continue;
    }
    ASSERT_EQ(outcome.exitCode, 0) << outcome.err;
    break;
  }
  ASSERT_LT(attempts, 60) << "the run never finished";
  EXPECT_GE(kills, 8) << "an uninterrupted run took " << wholeMicros << " us";
  expectSameRun("whole", "run");
  EXPECT_EQ(listDirectory(dir.file("run")).size(), 3u);
}

TEST_F(RobustnessTest, SigintFinishesTheUpdateCheckpointsAndExits130) {
  ASSERT_EQ(runTrainer(trainArgs("whole", 3000), dir).exitCode, 0);
  // Interrupted once the first record is written: status 130, and the
  // checkpoint holds the update the record count shows.
  Outcome stopped = runTrainer(trainArgs("run", 3000), dir,
                               {"", 0, 0, dir.file("run/metrics.jsonl"),
                                {SIGINT}});
  ASSERT_EQ(stopped.exitCode, 130) << stopped.err;
  uint64_t step = checkpointStep(dir.file("run/last.safetensors"));
  EXPECT_GE(step, 3u);
  EXPECT_LT(step, 3000u);
  EXPECT_NE(stopped.err.find("interrupted (SIGINT) at update " +
                             std::to_string(step) + "; checkpoint '" +
                             dir.file("run/last.safetensors") + "' written"),
            std::string::npos)
      << stopped.err;
  std::vector<json> records = readRecords(dir.file("run/metrics.jsonl"));
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.back()["step"], step / 3 * 3);

  Outcome resumed = runTrainer(resumeArgs("run"), dir);
  ASSERT_EQ(resumed.exitCode, 0) << resumed.err;
  expectSameRun("whole", "run");

  // A second SIGINT does not wait for the checkpoint: the trainer exits
  // 130 with one, or dies of the signal; either way what is on disk loads
  // and resumes.
  Outcome twice = runTrainer(trainArgs("twice", 3000), dir,
                             {"", 0, 0, dir.file("twice/metrics.jsonl"),
                              {SIGINT, SIGINT}});
  EXPECT_TRUE(twice.exitCode == 130 || twice.signal == SIGINT)
      << twice.exitCode << " " << twice.signal << " " << twice.err;
  if (!readFileBytes(dir.file("twice/last.safetensors")).empty()) {
    checkpointStep(dir.file("twice/last.safetensors"));
    ASSERT_EQ(runTrainer(resumeArgs("twice"), dir).exitCode, 0);
    expectSameRun("whole", "twice");
  }
}

TEST_F(RobustnessTest, AFullMetricsFileIsCutAndRewrittenOnResume) {
  ASSERT_EQ(runTrainer(trainArgs("whole", 200), dir).exitCode, 0);
  ASSERT_EQ(runTrainer(trainArgs("run", 100), dir).exitCode, 0);
  std::string checkpoint = dir.file("run/last.safetensors");
  std::vector<uint8_t> saved = readFileBytes(checkpoint);

  // Files may not grow beyond what the metrics hold plus one and a half
  // records: the second record after the checkpoint at update 100 is cut
  // in the middle (the kernel fails a write past the limit as it fails one
  // on a full disk, with EFBIG instead of ENOSPC).
  uint64_t metricsSize = readFileBytes(dir.file("run/metrics.jsonl")).size();
  uint64_t recordSize = metricsSize / 33;
  std::vector<std::string> resume = resumeArgs("run");
  resume.insert(resume.end(), {"--updates", "200"});
  Outcome full = runTrainer(resume, dir, {"", metricsSize + recordSize * 3 / 2});
  EXPECT_EQ(full.exitCode, 1) << full.err;
  EXPECT_NE(full.err.find("error: metrics file '" +
                          dir.file("run/metrics.jsonl") +
                          "': write failed: File too large"),
            std::string::npos)
      << full.err;
  EXPECT_EQ(readFileBytes(checkpoint), saved);
  std::vector<uint8_t> metrics = readFileBytes(dir.file("run/metrics.jsonl"));
  ASSERT_FALSE(metrics.empty());
  EXPECT_NE(metrics.back(), '\n') << "the record was not cut";

  // With room again the run resumes from update 100 as if nothing happened:
  // the cut record is dropped, not continued.
  Outcome resumed = runTrainer(resume, dir);
  ASSERT_EQ(resumed.exitCode, 0) << resumed.err;
  expectSameRun("whole", "run");
}

TEST_F(RobustnessTest, AFullDiskNamesTheCheckpointAndKeepsTheOldOne) {
  // Checkpoints every 10 updates, no records: only the checkpoint grows.
  auto args = [&](const std::string &out, const char *updates) {
    return std::vector<std::string>{
        "train",        "--data",       data,  "--out", dir.file(out),
        "--batch",      "10",           "--updates", updates,
        "--log-every",  "1000",         "--eval-every", "0",
        "--checkpoint-every", "10"};
  };
  ASSERT_EQ(runTrainer(args("whole", "30"), dir).exitCode, 0);
  ASSERT_EQ(runTrainer(args("run", "10"), dir).exitCode, 0);
  std::string checkpoint = dir.file("run/last.safetensors");
  std::vector<uint8_t> saved = readFileBytes(checkpoint);
  ASSERT_FALSE(saved.empty());

  Outcome full = runTrainer(
      {"train", "--out", dir.file("run"), "--resume", "--updates", "30"}, dir,
      {"", saved.size() / 2});
  EXPECT_EQ(full.exitCode, 1) << full.err;
  EXPECT_NE(full.err.find("error: checkpoint not saved: cannot write '" +
                          checkpoint + "': write failed: File too large"),
            std::string::npos)
      << full.err;
  EXPECT_EQ(readFileBytes(checkpoint), saved);
  EXPECT_EQ(checkpointStep(checkpoint), 10u);
  EXPECT_EQ(listDirectory(dir.file("run")).size(), 3u);

  Outcome resumed = runTrainer(
      {"train", "--out", dir.file("run"), "--resume", "--updates", "30"}, dir);
  ASSERT_EQ(resumed.exitCode, 0) << resumed.err;
  expectSameRun("whole", "run");
}

} // namespace
