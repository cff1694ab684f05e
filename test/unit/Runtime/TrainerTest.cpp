//===- TrainerTest.cpp - tests of the trainer commands --------------------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// Drives runTrainer with the fake model of FakeModel.h on small IDX files,
// and the fake trainer executable (GPSTrainerMain) as a child process.
//
//===----------------------------------------------------------------------===//

#include "FakeModel.h"
#include "Subprocess.h"
#include "TestUtil.h"

#include "gps/Runtime/Idx.h"
#include "gps/Runtime/Safetensors.h"
#include "gps/Trainer/Manifest.h"
#include "gps/Trainer/Plot.h"
#include "gps/Trainer/Png.h"
#include "gps/Trainer/Trainer.h"

#include <nlohmann/json.hpp>
#include <png.h>

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

using namespace gps::rt;
using namespace gps::rt::test;
using nlohmann::json;

namespace {

struct Result {
  int status;
  std::string out;
  std::string err;
};

Result run(const ModelEntryPoints &model, std::vector<std::string> args) {
  args.insert(args.begin(), "trainer");
  std::ostringstream out, err;
  int status = runTrainer(args, model, out, err);
  return {status, out.str(), err.str()};
}

/// Writes `count` rows x cols images: example k is bright in quadrant k % 4
/// and dark elsewhere, with some deterministic noise.
std::string writeImages(const TempDir &dir, const std::string &name,
                        uint32_t count, uint32_t rows = 4, uint32_t cols = 4) {
  IdxArray images;
  images.dims = {count, rows, cols};
  images.data.resize(size_t(count) * rows * cols);
  for (uint32_t k = 0; k < count; ++k)
    for (uint32_t r = 0; r < rows; ++r)
      for (uint32_t c = 0; c < cols; ++c) {
        uint32_t quadrant = (r >= rows / 2) * 2 + (c >= cols / 2);
        uint32_t noise = (k * 31 + r * 7 + c * 13) % 30;
        images.data[(size_t(k) * rows + r) * cols + c] =
            static_cast<uint8_t>(quadrant == k % 4 ? 225 - noise : noise);
      }
  std::string path = dir.file(name);
  EXPECT_FALSE(static_cast<bool>(writeIdx(path, images)));
  return path;
}

std::vector<std::string> readLines(const std::string &path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

/// The JSON records of a .jsonl file without the examples_per_s column.
std::vector<json> readRecords(const std::string &path) {
  std::vector<json> records;
  for (const std::string &line : readLines(path)) {
    json record = json::parse(line);
    record.erase("examples_per_s");
    records.push_back(record);
  }
  return records;
}

SafetensorsFile readCheckpoint(const std::string &path) {
  SafetensorsFile file;
  Error err = readSafetensors(path, file);
  EXPECT_FALSE(static_cast<bool>(err)) << err.message();
  return file;
}

/// Expects two checkpoints to hold the same tensors, bit for bit.
void expectSameTensors(const std::string &a, const std::string &b) {
  SafetensorsFile fa = readCheckpoint(a), fb = readCheckpoint(b);
  ASSERT_EQ(fa.tensors.size(), fb.tensors.size());
  for (size_t i = 0; i < fa.tensors.size(); ++i) {
    EXPECT_EQ(fa.tensors[i].name, fb.tensors[i].name);
    EXPECT_EQ(fa.tensors[i].shape, fb.tensors[i].shape);
    EXPECT_TRUE(fa.tensors[i].bytes == fb.tensors[i].bytes)
        << fa.tensors[i].name;
  }
}

class TrainerTest : public ::testing::Test {
protected:
  void SetUp() override { data = writeImages(dir, "images.idx.gz", 200); }

  /// A train command line on the test data into `out`.
  std::vector<std::string> trainArgs(const std::string &out,
                                     const std::string &updates) {
    return {"train",   "--data",    data,   "--out", dir.file(out),
            "--batch", "10",        "--lr", "0.05",  "--test-fraction",
            "0.2",     "--updates", updates};
  }

  TempDir dir;
  std::string data;
};

//===----------------------------------------------------------------------===//
// Training
//===----------------------------------------------------------------------===//

TEST_F(TrainerTest, LossFallsAndFilesAreWritten) {
  ModelEntryPoints model = fakeModel();
  std::vector<std::string> args = trainArgs("run", "100");
  args.insert(args.end(), {"--log-every", "10", "--eval-every", "50"});
  Result result = run(model, args);
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_NE(result.out.find("to update 100"), std::string::npos);
  EXPECT_EQ(fakeState.trainCalls, 100u);

  std::vector<json> metrics = readRecords(dir.file("run/metrics.jsonl"));
  ASSERT_EQ(metrics.size(), 10u);
  EXPECT_EQ(metrics.front()["step"], 10);
  EXPECT_EQ(metrics.back()["step"], 100);
  double first = metrics.front()["total_cost"],
         last = metrics.back()["total_cost"];
  EXPECT_LT(last, 0.6 * first) << first << " -> " << last;
  // Terms mapped to the fixed columns; others as extra columns.
  const json &record = metrics.back();
  EXPECT_DOUBLE_EQ(double(record["nll_bound"]),
                   double(record["nll_term"]) + double(record["kld_q2p"]));
  EXPECT_TRUE(record["kld_p2q"].is_null());
  EXPECT_TRUE(record.contains("kl(p||normal)"));
  EXPECT_TRUE(record.contains("grad_norm"));
  EXPECT_FLOAT_EQ(float(record["lr"]), 0.05f);
  EXPECT_EQ(record["skipped"], 0);

  std::vector<json> evals = readRecords(dir.file("run/eval.jsonl"));
  ASSERT_EQ(evals.size(), 2u);
  EXPECT_EQ(evals[1]["step"], 100);
  EXPECT_EQ(evals[1]["examples"], 40);
  EXPECT_TRUE(evals[1].contains("unguided_nll_missing"));
  EXPECT_LT(double(evals[1]["total_cost"]), 0.6 * first);

  SafetensorsFile checkpoint = readCheckpoint(dir.file("run/last.safetensors"));
  for (const char *name : {"dec.w", "dec.b", "adam.m.dec.w", "adam.v.dec.b"})
    EXPECT_NE(checkpoint.find(name), nullptr) << name;
  EXPECT_EQ(checkpoint.metadata["step"], "100");
  EXPECT_EQ(checkpoint.metadata["model"], "fake");
  EXPECT_EQ(checkpoint.metadata["adam_steps"], "100");
}

namespace {
int sharedLive = 0, sharedAllocations = 0;
/// The live blocks of the fake shared memory, by address.
std::map<const char *, size_t> sharedBlocks;
void *sharedAllocate(size_t bytes) {
  ++sharedLive;
  ++sharedAllocations;
  void *block = std::aligned_alloc(64, bytes);
  sharedBlocks[static_cast<const char *>(block)] = bytes;
  return block;
}
void sharedRelease(void *pointer) {
  --sharedLive;
  sharedBlocks.erase(static_cast<const char *>(pointer));
  std::free(pointer);
}
/// Whether [begin, begin + bytes) lies in one live shared block.
bool inSharedMemory(const void *begin, size_t bytes) {
  auto *first = static_cast<const char *>(begin);
  auto it = sharedBlocks.upper_bound(first);
  if (it == sharedBlocks.begin())
    return false;
  --it;
  return first + bytes <= it->first + it->second;
}
/// The arguments the entry points got, in the shared memory and not; the
/// bytes prefetched, and those of them that were not shared memory.
uint64_t sharedArguments = 0, hostArguments = 0;
uint64_t prefetchedBytes = 0, strayPrefetches = 0;
void countArgument(const void *begin, size_t bytes) {
  ++(inSharedMemory(begin, bytes) ? sharedArguments : hostArguments);
}
void sharedPrefetch(const void *begin, size_t bytes) {
  prefetchedBytes += bytes;
  strayPrefetches += !inSharedMemory(begin, bytes);
}
} // namespace

TEST_F(TrainerTest, TheGpuHalfKeepsItsParametersInItsSharedMemory) {
  // A two-half trainer whose "GPU" half is the fake model too, with memory
  // it shares with the host: its run allocates the parameters, gradient
  // and moments there and releases them all; the CPU half's run uses the
  // heap; both compute the same run.
  SharedMemory shared;
  shared.allocate = sharedAllocate;
  shared.release = sharedRelease;
  ModelEntryPoints gpu = fakeModel();
  gpu.sharedMemory = &shared;
  ModelEntryPoints model = fakeModel();
  model.cuda = &gpu;
  sharedLive = sharedAllocations = 0;
  Result onGpu = run(model, trainArgs("gpu", "20"));
  setParamMemory(nullptr);
  ASSERT_EQ(onGpu.status, 0) << onGpu.err;
  EXPECT_GE(sharedAllocations, 4);
  EXPECT_EQ(sharedLive, 0);
  int afterGpu = sharedAllocations;
  std::vector<std::string> args = trainArgs("cpu", "20");
  args.insert(args.end(), {"--device", "cpu"});
  Result onCpu = run(model, args);
  ASSERT_EQ(onCpu.status, 0) << onCpu.err;
  EXPECT_EQ(sharedAllocations, afterGpu) << "the CPU half used the heap";
  EXPECT_EQ(sharedLive, 0);
  expectSameTensors(dir.file("gpu/last.safetensors"),
                    dir.file("cpu/last.safetensors"));
  EXPECT_EQ(readRecords(dir.file("gpu/metrics.jsonl")),
            readRecords(dir.file("cpu/metrics.jsonl")));
}

TEST_F(TrainerTest, TheGpuHalfGetsEveryArgumentInItsSharedMemory) {
  // The GPU half's entry points use their arguments in place, so every
  // buffer a command hands them must be memory the GPU shares with the
  // host, and what the host writes is prefetched: a masked model whose GPU
  // half draws its training masks itself, through train (with
  // evaluations), eval (with --iw), sample and gradcheck. The CPU half's
  // are all on the heap.
  std::string manifest = fakeManifest(
      "masked", 16, "real", R"({"name": "m", "kind": "mcar", "amount": 0.5})");
  SharedMemory shared;
  shared.allocate = sharedAllocate;
  shared.release = sharedRelease;
  shared.prefetch = sharedPrefetch;
  ModelEntryPoints gpu = fakeModel(manifest);
  gpu.sharedMemory = &shared;
  gpu.masks = fakeModelMasks;
  ModelEntryPoints model = fakeModel(manifest);
  model.cuda = &gpu;
  fakeState.onArgument = countArgument;
  for (std::string half : {"cuda", "cpu"}) {
    SCOPED_TRACE(half);
    sharedArguments = hostArguments = prefetchedBytes = strayPrefetches = 0;
    fakeState.trainCalls = fakeState.masksCalls = 0;
    std::vector<std::string> args = trainArgs(half, "12");
    args.insert(args.end(), {"--eval-every", "6", "--device", half});
    std::vector<std::vector<std::string>> commands = {
        {"eval", "--out", dir.file(half), "--iw", "3"},
        {"sample", "--out", dir.file(half), "--n", "4", "--png",
         dir.file(half + ".png")},
        {"gradcheck", "--data", "synthetic", "--batch", "4"}};
    Result trained = run(model, args);
    ASSERT_EQ(trained.status, 0) << trained.err;
    EXPECT_EQ(fakeState.trainCalls, 12u);
    EXPECT_EQ(fakeState.masksCalls, half == "cuda" ? 12u : 0u);
    for (std::vector<std::string> command : commands) {
      command.insert(command.end(), {"--device", half});
      Result result = run(model, command);
      ASSERT_EQ(result.status, 0) << command[0] << ": " << result.err;
    }
    setParamMemory(nullptr);
    EXPECT_EQ(sharedLive, 0);
    if (half == "cuda") {
      // 12 updates of 5 arguments, and many more.
      EXPECT_GT(sharedArguments, 60u);
      EXPECT_EQ(hostArguments, 0u);
      // At least the batch of every update.
      EXPECT_GE(prefetchedBytes, 12u * 10 * 16 * sizeof(float));
      EXPECT_EQ(strayPrefetches, 0u);
    } else {
      EXPECT_EQ(sharedArguments, 0u);
      EXPECT_GT(hostArguments, 60u);
      EXPECT_EQ(prefetchedBytes, 0u);
    }
  }
}

namespace {
/// What the GPU half's step hooks saw: steps begun and ended, brackets
/// that did not match, steps whose calls were not one gather, one train,
/// one grad_sumsq and one adam, and the signatures.
struct StepLog {
  uint64_t begun = 0, ended = 0, unbalanced = 0, otherCalls = 0;
  std::set<uint64_t> signatures;
  bool open = false;
  uint64_t gather = 0, train = 0, sumsq = 0, adam = 0;
} stepLog;
void logStepBegin(uint64_t signature) {
  stepLog.unbalanced += stepLog.open;
  stepLog.open = true;
  ++stepLog.begun;
  stepLog.signatures.insert(signature);
  stepLog.gather = fakeState.gatherCalls;
  stepLog.train = fakeState.trainCalls;
  stepLog.sumsq = fakeState.gradSumsqCalls;
  stepLog.adam = fakeState.adamCalls;
}
void logStepEnd() {
  stepLog.unbalanced += !stepLog.open;
  stepLog.open = false;
  ++stepLog.ended;
  stepLog.otherCalls += fakeState.gatherCalls != stepLog.gather + 1 ||
                        fakeState.trainCalls != stepLog.train + 1 ||
                        fakeState.gradSumsqCalls != stepLog.sumsq + 1 ||
                        fakeState.adamCalls != stepLog.adam + 1;
}
} // namespace

TEST_F(TrainerTest, TheGpuHalfRunsEachTrainingStepAsOneRecording) {
  // With the model's compiled gather and optimizer, the GPU half gets
  // every update's calls (gather, train, grad_sumsq, adam) bracketed as one
  // step, all with one signature, so the runtime records the step once and
  // replays it; the host reads the results after the step. The update that
  // is not finite is skipped by the compiled update itself, and the run
  // equals the CPU half's with the host's gather and the runtime's Adam:
  // the same tensors bit for bit, the gradient norm (summed in another
  // order) to rounding.
  SharedMemory shared;
  shared.allocate = sharedAllocate;
  shared.release = sharedRelease;
  ModelEntryPoints gpu = fakeModel();
  gpu.sharedMemory = &shared;
  gpu.gradSumsq = fakeModelGradSumsq;
  gpu.adam = fakeModelAdam;
  gpu.gather = fakeModelGather;
  gpu.stepBegin = logStepBegin;
  gpu.stepEnd = logStepEnd;
  ModelEntryPoints model = fakeModel();
  model.cuda = &gpu;
  stepLog = StepLog();
  fakeState.nanGradOnStream = 5;
  std::vector<std::string> args = trainArgs("gpu", "12");
  args.insert(args.end(), {"--on-nan", "skip", "--log-every", "4"});
  Result onGpu = run(model, args);
  setParamMemory(nullptr);
  ASSERT_EQ(onGpu.status, 0) << onGpu.err;
  EXPECT_NE(onGpu.err.find("update 5: "), std::string::npos) << onGpu.err;
  EXPECT_EQ(stepLog.begun, 12u);
  EXPECT_EQ(stepLog.ended, 12u);
  EXPECT_EQ(stepLog.unbalanced, 0u);
  EXPECT_EQ(stepLog.otherCalls, 0u);
  EXPECT_EQ(stepLog.signatures.size(), 1u);
  EXPECT_EQ(fakeState.adamCalls, 12u);
  EXPECT_EQ(fakeState.gatherCalls, 12u);

  fakeState.nanGradOnStream = 5;
  args = trainArgs("cpu", "12");
  args.insert(args.end(),
              {"--on-nan", "skip", "--log-every", "4", "--device", "cpu"});
  Result onCpu = run(model, args);
  ASSERT_EQ(onCpu.status, 0) << onCpu.err;
  EXPECT_EQ(stepLog.begun, 12u) << "the CPU half has no steps to record";
  expectSameTensors(dir.file("gpu/last.safetensors"),
                    dir.file("cpu/last.safetensors"));
  std::vector<json> gpuRecords = readRecords(dir.file("gpu/metrics.jsonl"));
  std::vector<json> cpuRecords = readRecords(dir.file("cpu/metrics.jsonl"));
  ASSERT_EQ(gpuRecords.size(), 3u);
  ASSERT_EQ(cpuRecords.size(), 3u);
  for (size_t i = 0; i < gpuRecords.size(); ++i) {
    double gpuNorm = gpuRecords[i]["grad_norm"],
           cpuNorm = cpuRecords[i]["grad_norm"];
    EXPECT_NEAR(gpuNorm, cpuNorm, 1e-12 * cpuNorm);
    gpuRecords[i].erase("grad_norm");
    cpuRecords[i].erase("grad_norm");
    EXPECT_EQ(gpuRecords[i], cpuRecords[i]);
  }
  EXPECT_EQ(gpuRecords[1]["skipped"], 1);
}

TEST_F(TrainerTest, CompiledWorkTheModelLacksIsAUsageError) {
  // The fake model has no optimizer, gather or masks entry points: asking
  // for them names what is missing, before anything is written; without
  // the flags the host does the work.
  std::string manifest = fakeManifest(
      "masked", 16, "real", R"({"name": "m", "kind": "mcar", "amount": 0.5})");
  ModelEntryPoints model = fakeModel(manifest);
  for (auto [flag, what] : std::vector<std::pair<std::string, std::string>>{
           {"adam", "Adam update"}, {"gather", "gather"}, {"masks", "masks"}}) {
    std::vector<std::string> args = trainArgs(flag, "2");
    args.insert(args.end(), {"--" + flag, "compiled"});
    Result result = run(model, args);
    EXPECT_EQ(result.status, 2) << flag;
    EXPECT_NE(result.err.find("flag '--" + flag +
                              " compiled': model 'masked' has no compiled " +
                              what + " (compile it with this gpsc)"),
              std::string::npos)
        << result.err;
    struct stat info;
    EXPECT_NE(::stat(dir.file(flag).c_str(), &info), 0) << flag;
  }
  Result plain = run(model, trainArgs("plain", "2"));
  EXPECT_EQ(plain.status, 0) << plain.err;
}

TEST_F(TrainerTest, ResumeRepeatsTheUninterruptedRun) {
  ModelEntryPoints model = fakeModel();
  // Records every 3 updates, so the window spans the checkpoint at 10.
  std::vector<std::string> extra = {
      "--log-every",        "3", "--eval-every", "5",
      "--checkpoint-every", "0", "--lr-decay",   "0.5",
      "--lr-decay-every",   "7", "--clip",       "1.0"};
  std::vector<std::string> args = trainArgs("whole", "20");
  args.insert(args.end(), extra.begin(), extra.end());
  ASSERT_EQ(run(model, args).status, 0);

  args = trainArgs("split", "10");
  args.insert(args.end(), extra.begin(), extra.end());
  ASSERT_EQ(run(model, args).status, 0);
  // The resumed run takes its settings from the checkpoint.
  Result resumed = run(model, {"train", "--out", dir.file("split"), "--resume",
                               "--updates", "20"});
  ASSERT_EQ(resumed.status, 0) << resumed.err;

  expectSameTensors(dir.file("whole/last.safetensors"),
                    dir.file("split/last.safetensors"));
  EXPECT_EQ(readRecords(dir.file("whole/metrics.jsonl")),
            readRecords(dir.file("split/metrics.jsonl")));
  EXPECT_EQ(readRecords(dir.file("whole/eval.jsonl")),
            readRecords(dir.file("split/eval.jsonl")));
  EXPECT_EQ(readLines(dir.file("split/metrics.jsonl")).size(), 6u);
}

TEST_F(TrainerTest, InterruptWritesACheckpointAndResumes) {
  // The handler the process started with (SIG_IGN, say, in a background
  // job of a non-interactive shell), which the trainer must restore.
  struct sigaction before;
  sigaction(SIGINT, nullptr, &before);
  ModelEntryPoints model = fakeModel();
  std::vector<std::string> extra = {"--log-every", "2", "--eval-every", "4"};
  std::vector<std::string> args = trainArgs("whole", "12");
  args.insert(args.end(), extra.begin(), extra.end());
  ASSERT_EQ(run(model, args).status, 0);

  for (int signal : {SIGINT, SIGTERM}) {
    std::string out = signal == SIGINT ? "int" : "term";
    fakeState.signalOnStream = 7;
    fakeState.signal = signal;
    args = trainArgs(out, "12");
    args.insert(args.end(), extra.begin(), extra.end());
    Result stopped = run(model, args);
    EXPECT_EQ(stopped.status, 128 + signal);
    EXPECT_NE(stopped.err.find("interrupted"), std::string::npos)
        << stopped.err;
    EXPECT_EQ(
        readCheckpoint(dir.file(out + "/last.safetensors")).metadata["step"],
        "7");
    fakeState.signalOnStream = 0;
    Result resumed = run(model, {"train", "--out", dir.file(out), "--resume"});
    ASSERT_EQ(resumed.status, 0) << resumed.err;
    expectSameTensors(dir.file("whole/last.safetensors"),
                      dir.file(out + "/last.safetensors"));
    EXPECT_EQ(readRecords(dir.file("whole/metrics.jsonl")),
              readRecords(dir.file(out + "/metrics.jsonl")));
    EXPECT_EQ(readRecords(dir.file("whole/eval.jsonl")),
              readRecords(dir.file(out + "/eval.jsonl")));
  }
  // The handlers are gone again.
  struct sigaction action;
  sigaction(SIGINT, nullptr, &action);
  EXPECT_EQ(action.sa_handler, before.sa_handler);
}

TEST_F(TrainerTest, ResumeDropsRecordsAfterTheCheckpoint) {
  ModelEntryPoints model = fakeModel();
  std::vector<std::string> args = trainArgs("run", "6");
  args.insert(args.end(), {"--log-every", "1", "--checkpoint-every", "3"});
  ASSERT_EQ(run(model, args).status, 0);
  // Pretend the run crashed after its checkpoint at 3: the checkpoint is
  // older than the last records.
  std::string checkpoint = dir.file("run/last.safetensors");
  args = trainArgs("early", "3");
  args.insert(args.end(), {"--log-every", "1"});
  ASSERT_EQ(run(model, args).status, 0);
  writeFileBytes(checkpoint, readFileBytes(dir.file("early/last.safetensors")));
  ASSERT_EQ(readLines(dir.file("run/metrics.jsonl")).size(), 6u);
  Result resumed = run(
      model, {"train", "--out", dir.file("run"), "--resume", "--updates", "6"});
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  std::vector<json> records = readRecords(dir.file("run/metrics.jsonl"));
  ASSERT_EQ(records.size(), 6u);
  for (size_t i = 0; i < records.size(); ++i)
    EXPECT_EQ(records[i]["step"], i + 1);
}

TEST_F(TrainerTest, OnNanStopKeepsTheLastCheckpoint) {
  ModelEntryPoints model = fakeModel();
  fakeState.nanTermOnStream = 5;
  std::vector<std::string> args = trainArgs("run", "10");
  args.insert(args.end(), {"--log-every", "1", "--checkpoint-every", "2"});
  Result result = run(model, args);
  EXPECT_EQ(result.status, 1);
  EXPECT_NE(result.err.find("error: update 5: term 'nll' is nan"),
            std::string::npos)
      << result.err;
  EXPECT_EQ(readCheckpoint(dir.file("run/last.safetensors")).metadata["step"],
            "4");
  EXPECT_EQ(readLines(dir.file("run/metrics.jsonl")).size(), 4u);
}

TEST_F(TrainerTest, OnNanSkipSkipsTheUpdate) {
  ModelEntryPoints model = fakeModel();
  fakeState.nanGradOnStream = 5;
  std::vector<std::string> args = trainArgs("run", "8");
  args.insert(args.end(), {"--log-every", "1", "--on-nan=skip"});
  Result result = run(model, args);
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_NE(result.err.find("warning: update 5: the gradient of parameter "
                            "'dec.b' is inf (element 2); update skipped"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.out.find("(1 skipped)"), std::string::npos);
  std::vector<json> records = readRecords(dir.file("run/metrics.jsonl"));
  ASSERT_EQ(records.size(), 8u);
  EXPECT_EQ(records[3]["skipped"], 0);
  EXPECT_TRUE(records[4]["total_cost"].is_null());
  EXPECT_EQ(records[4]["skipped"], 1);
  EXPECT_FALSE(records[5]["total_cost"].is_null());
  SafetensorsFile checkpoint = readCheckpoint(dir.file("run/last.safetensors"));
  EXPECT_EQ(checkpoint.metadata["step"], "8");
  EXPECT_EQ(checkpoint.metadata["skipped"], "1");
  EXPECT_EQ(checkpoint.metadata["adam_steps"], "7");
}

TEST_F(TrainerTest, BitsDataAreBinarisedAndMasksAreDrawn) {
  ModelEntryPoints bits = fakeModel(fakeManifest("fake", 16, "bits"));
  ASSERT_EQ(run(bits, trainArgs("bits", "2")).status, 0);
  ASSERT_EQ(fakeState.lastX.size(), 160u);
  int ones = 0;
  for (float v : fakeState.lastX) {
    EXPECT_TRUE(v == 0.0f || v == 1.0f) << v;
    ones += v == 1.0f;
  }
  EXPECT_GT(ones, 10);
  EXPECT_LT(ones, 80);

  ModelEntryPoints real = fakeModel();
  ASSERT_EQ(run(real, trainArgs("real", "2")).status, 0);
  int fractional = 0;
  for (float v : fakeState.lastX) {
    EXPECT_GE(v, 0.0f);
    EXPECT_LE(v, 1.0f);
    fractional += v != 0.0f && v != 1.0f;
  }
  EXPECT_GT(fractional, 100);

  ModelEntryPoints masked = fakeModel(fakeManifest(
      "masked", 16, "real",
      R"({"name": "m", "kind": "mar", "amount": 2, "image": [4, 4]})"));
  Result result = run(masked, trainArgs("masked", "20"));
  ASSERT_EQ(result.status, 0) << result.err;
}

//===----------------------------------------------------------------------===//
// Bad input
//===----------------------------------------------------------------------===//

TEST_F(TrainerTest, BadDataFilesAreReported) {
  ModelEntryPoints model = fakeModel();
  std::string missing = dir.file("missing.idx");
  Result result =
      run(model, {"train", "--data", missing, "--out", dir.file("run")});
  EXPECT_EQ(result.status, 1);
  EXPECT_NE(result.err.find("error: IDX file '" + missing + "': cannot open"),
            std::string::npos)
      << result.err;

  std::string corrupt = dir.file("corrupt.idx");
  writeFileBytes(corrupt, {0x1f, 0x8b, 1, 2, 3, 4, 5});
  result = run(model, {"train", "--data", corrupt, "--out", dir.file("run")});
  EXPECT_EQ(result.status, 1);
  EXPECT_NE(result.err.find("IDX file '" + corrupt + "'"), std::string::npos)
      << result.err;
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1);

  std::string wrong = writeImages(dir, "five.idx", 20, 5, 5);
  result = run(model, {"train", "--data", wrong, "--out", dir.file("run")});
  EXPECT_EQ(result.status, 1);
  EXPECT_NE(result.err.find("data file '" + wrong +
                            "': examples are 5x5 = 25 values, but model "
                            "'fake' expects data 'x' of dim 16"),
            std::string::npos)
      << result.err;
  // Nothing was created.
  EXPECT_FALSE(std::ifstream(dir.file("run/metrics.jsonl")).good());

  result = run(model, {"train", "--data", data, "--out", dir.file("run"),
                       "--batch", "500"});
  EXPECT_EQ(result.status, 1);
  EXPECT_NE(result.err.find("--batch 500 exceeds its 180 training examples"),
            std::string::npos)
      << result.err;

  // Splits that leave nothing to train on, or nothing to evaluate.
  std::string two = writeImages(dir, "two.idx", 2);
  result = run(model, {"train", "--data", two, "--out", dir.file("run"),
                       "--batch", "1", "--test-fraction", "0.9"});
  EXPECT_EQ(result.status, 1);
  EXPECT_NE(result.err.find("data file '" + two +
                            "': the training split is empty (2 examples, "
                            "--test-fraction 0.9)"),
            std::string::npos)
      << result.err;
  result = run(model, {"train", "--data", two, "--out", dir.file("run0"),
                       "--batch", "1", "--test-fraction", "0", "--updates",
                       "1"});
  ASSERT_EQ(result.status, 0) << result.err;
  result = run(model, {"eval", "--out", dir.file("run0")});
  EXPECT_EQ(result.status, 1);
  EXPECT_NE(result.err.find("the test split is empty"), std::string::npos)
      << result.err;
}

TEST_F(TrainerTest, CheckpointProblemsAreReported) {
  ModelEntryPoints model = fakeModel();
  std::string checkpoint = dir.file("run/last.safetensors");
  Result result = run(model, {"train", "--out", dir.file("run"), "--resume"});
  EXPECT_EQ(result.status, 1);
  EXPECT_NE(result.err.find("--resume: no checkpoint '" + checkpoint + "'"),
            std::string::npos)
      << result.err;

  ASSERT_EQ(run(model, trainArgs("run", "3")).status, 0);
  // A second fresh run into the same directory is refused; nothing changes.
  std::vector<uint8_t> metrics = readFileBytes(dir.file("run/metrics.jsonl"));
  std::vector<uint8_t> saved = readFileBytes(checkpoint);
  result = run(model, trainArgs("run", "3"));
  EXPECT_EQ(result.status, 1);
  EXPECT_NE(result.err.find("already holds a run; pass --resume"),
            std::string::npos)
      << result.err;
  EXPECT_EQ(readFileBytes(dir.file("run/metrics.jsonl")), metrics);

  // A resumed run may not change the data order.
  result = run(model, {"train", "--out", dir.file("run"), "--resume", "--batch",
                       "20", "--updates", "5"});
  EXPECT_EQ(result.status, 1);
  EXPECT_NE(result.err.find("--batch 20 differs from 10"), std::string::npos)
      << result.err;
  EXPECT_EQ(readFileBytes(checkpoint), saved);

  // Another model's checkpoint.
  ModelEntryPoints other = fakeModel(fakeManifest("other"));
  result = run(other, {"eval", "--checkpoint", checkpoint});
  EXPECT_EQ(result.status, 1);
  EXPECT_NE(result.err.find("checkpoint '" + checkpoint +
                            "': written by model 'fake', not by this model "
                            "'other'"),
            std::string::npos)
      << result.err;
  // The same name with other parameters.
  ModelEntryPoints rebuilt = fakeModel(fakeManifest("fake", 25));
  result = run(rebuilt, {"train", "--out", dir.file("run"), "--resume"});
  EXPECT_EQ(result.status, 1);
  EXPECT_NE(result.err.find("written by another build of model 'fake'"),
            std::string::npos)
      << result.err;

  // A corrupt checkpoint is reported and left alone.
  model = fakeModel();
  std::vector<uint8_t> garbage = {8, 0, 0, 0, 0, 0, 0, 0, '{', '}'};
  writeFileBytes(checkpoint, garbage);
  result = run(model, {"train", "--out", dir.file("run"), "--resume"});
  EXPECT_EQ(result.status, 1);
  EXPECT_NE(result.err.find("checkpoint '" + checkpoint + "': "),
            std::string::npos)
      << result.err;
  EXPECT_EQ(readFileBytes(checkpoint), garbage);
  EXPECT_EQ(readFileBytes(dir.file("run/metrics.jsonl")), metrics);
}

//===----------------------------------------------------------------------===//
// Command line
//===----------------------------------------------------------------------===//

TEST_F(TrainerTest, UsageErrors) {
  ModelEntryPoints model = fakeModel();
  Result result = run(model, {});
  EXPECT_EQ(result.status, 2);
  EXPECT_NE(result.err.find("Usage: trainer <command>"), std::string::npos);

  result = run(model, {"--help"});
  EXPECT_EQ(result.status, 0);
  EXPECT_NE(result.out.find("model 'fake'"), std::string::npos);
  EXPECT_NE(result.out.find("  sample"), std::string::npos);

  result = run(model, {"frobnicate"});
  EXPECT_EQ(result.status, 2);
  EXPECT_NE(result.err.find("unknown command 'frobnicate'"), std::string::npos);

  result = run(model, {"train", "--help"});
  EXPECT_EQ(result.status, 0);
  for (const char *flag :
       {"--data", "--batch", "--updates", "--lr ", "--beta1", "--beta2",
        "--lr-decay ", "--lr-decay-every", "--clip", "--seed", "--threads",
        "--out", "--resume", "--eval-every", "--checkpoint-every",
        "--log-every", "--on-nan", "--test-fraction"})
    EXPECT_NE(result.out.find(flag), std::string::npos) << flag;

  struct Case {
    std::vector<std::string> args;
    std::string message;
  } cases[] = {
      {{"train", "--bogus", "1"}, "train: error: unknown flag '--bogus'"},
      {{"train", "--batch", "x"},
       "flag '--batch': expected an integer in [1, 4294967295], got 'x'"},
      {{"train", "--batch"}, "flag '--batch' needs a value (N)"},
      {{"train", "--batch", "0"}, "got '0'"},
      {{"train", "--lr", "-1"}, "flag '--lr': expected a number > 0"},
      {{"train", "--on-nan=maybe"},
       "flag '--on-nan': expected stop or skip, got 'maybe'"},
      {{"train", "--resume=yes"}, "flag '--resume' takes no value"},
      {{"train", "--seed", "1", "--seed", "2"}, "flag '--seed' given twice"},
      {{"train", "extra"}, "unexpected argument 'extra'"},
      {{"train", "--lr-decay", "0.5"}, "'--lr-decay' needs '--lr-decay-every"},
      {{"eval", "--split", "val"},
       "eval: error: flag '--split': expected test or train or all"},
      {{"sample", "--n", "-3"}, "sample: error: flag '--n'"},
  };
  for (const Case &c : cases) {
    result = run(model, c.args);
    EXPECT_EQ(result.status, 2) << c.message;
    EXPECT_NE(result.err.find(c.message), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("--help' for usage"), std::string::npos);
  }

  ModelEntryPoints broken = fakeModel(R"({"abi": 99})");
  result = run(broken, {"train"});
  EXPECT_EQ(result.status, 1);
  EXPECT_NE(result.err.find("model manifest: ABI version 99"), std::string::npos)
      << result.err;
}

TEST_F(TrainerTest, FrozenParametersDoNotMove) {
  // dec.w is the primary's, enc.b the guide's.
  ModelEntryPoints model =
      fakeModel(fakeManifest("fake", 16, "real", "null", /*guideBias=*/true));
  ASSERT_EQ(run(model, trainArgs("init", "0")).status, 0);
  std::string init = dir.file("init/last.safetensors");
  auto tensor = [&](const std::string &path, const std::string &name) {
    SafetensorsFile file = readCheckpoint(path);
    const Tensor *found = file.find(name);
    EXPECT_NE(found, nullptr) << name;
    return found ? found->bytes : std::vector<uint8_t>();
  };
  auto zeros = [](const std::vector<uint8_t> &bytes) {
    return std::all_of(bytes.begin(), bytes.end(),
                       [](uint8_t b) { return b == 0; });
  };

  // --only guide with a clip small enough to scale every update: the
  // primary's dec.w and its moments stay as they were, the guide's enc.b
  // moves.
  std::vector<std::string> args = trainArgs("guide", "20");
  args.insert(args.end(), {"--init-from", init, "--only", "guide", "--clip",
                           "0.01", "--log-every", "5"});
  Result result = run(model, args);
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_NE(result.err.find("training 16 of 272 parameter values; fixed: dec"),
            std::string::npos)
      << result.err;
  std::string guide = dir.file("guide/last.safetensors");
  EXPECT_TRUE(tensor(guide, "dec.w") == tensor(init, "dec.w"));
  EXPECT_FALSE(tensor(guide, "enc.b") == tensor(init, "enc.b"));
  EXPECT_TRUE(zeros(tensor(guide, "adam.m.dec.w")));
  EXPECT_TRUE(zeros(tensor(guide, "adam.v.dec.w")));
  EXPECT_FALSE(zeros(tensor(guide, "adam.v.enc.b")));
  // The norm counts the trained parameters only: with the 16 values of
  // enc.b's gradient (each below 1/10 of a mean over rows of a sigmoid
  // difference) it stays below 4.
  for (const json &record : readRecords(dir.file("guide/metrics.jsonl")))
    EXPECT_LT(double(record["grad_norm"]), 4.0);

  // --freeze dec is the same run, bit for bit.
  args = trainArgs("frozen", "20");
  args.insert(args.end(), {"--init-from", init, "--freeze", "dec", "--clip",
                           "0.01", "--log-every", "5"});
  ASSERT_EQ(run(model, args).status, 0);
  expectSameTensors(guide, dir.file("frozen/last.safetensors"));

  // A resumed run keeps the freeze; flags given again replace it.
  result = run(model, {"train", "--resume", "--updates", "30", "--out",
                       dir.file("guide")});
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_NE(result.err.find("fixed: dec"), std::string::npos);
  EXPECT_TRUE(tensor(guide, "dec.w") == tensor(init, "dec.w"));
  std::vector<uint8_t> bias = tensor(guide, "enc.b");
  result = run(model, {"train", "--resume", "--updates", "40", "--only",
                       "all", "--freeze", "enc", "--out", dir.file("guide")});
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_NE(result.err.find("fixed: enc"), std::string::npos);
  EXPECT_FALSE(tensor(guide, "dec.w") == tensor(init, "dec.w"));
  EXPECT_TRUE(tensor(guide, "enc.b") == bias);
  result = run(model, {"train", "--resume", "--updates", "50", "--freeze",
                       "none", "--out", dir.file("guide")});
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_EQ(result.err.find("fixed:"), std::string::npos) << result.err;
  EXPECT_FALSE(tensor(guide, "enc.b") == bias);

  // Usage errors name the flag and the value.
  struct Case {
    std::vector<std::string> extra;
    std::string message;
  } cases[] = {
      {{"--freeze", "dec,nope"},
       "flag '--freeze': model 'fake' has no net or parameter 'nope' (it "
       "has: dec, enc)"},
      {{"--freeze", "dec", "--freeze", "enc"},
       "--only all and --freeze leave no parameter of model 'fake' to train"},
      {{"--freeze", "dec,"}, "flag '--freeze': expected a comma-separated"},
      {{"--only", "both"}, "flag '--only': expected all or guide or primary"},
      {{"--resume", "--init-from", init}, "flag '--init-from' starts a fresh"},
  };
  for (const Case &c : cases) {
    args = trainArgs("bad", "5");
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    result = run(model, args);
    EXPECT_EQ(result.status, 2) << c.message;
    EXPECT_NE(result.err.find(c.message), std::string::npos) << result.err;
  }
  // A manifest that does not record the policies cannot select by them.
  std::string text = fakeManifest();
  std::string cut = R"("policies": ["primary"], )";
  text.erase(text.find(cut), cut.size());
  ModelEntryPoints old = fakeModel(text);
  args = trainArgs("old", "5");
  args.insert(args.end(), {"--only", "guide"});
  result = run(old, args);
  EXPECT_EQ(result.status, 2);
  EXPECT_NE(result.err.find("does not record which policy reads each "
                            "parameter"),
            std::string::npos)
      << result.err;
}

//===----------------------------------------------------------------------===//
// eval and sample
//===----------------------------------------------------------------------===//

TEST_F(TrainerTest, EvalPrintsMeanTerms) {
  ModelEntryPoints model = fakeModel();
  ASSERT_EQ(run(model, trainArgs("run", "30")).status, 0);
  std::string jsonPath = dir.file("eval.json");
  Result result = run(model, {"eval", "--out", dir.file("run"), "--json",
                              jsonPath, "--batch", "16"});
  ASSERT_EQ(result.status, 0) << result.err;
  json report = json::parse(result.out);
  EXPECT_EQ(report["model"], "fake");
  EXPECT_EQ(report["step"], 30);
  EXPECT_EQ(report["split"], "test");
  EXPECT_EQ(report["examples"], 40);
  EXPECT_NEAR(double(report["guided"]["objective"]),
              double(report["guided"]["nll"]) +
                  double(report["guided"]["kl(q||p)"]),
              1e-4);
  EXPECT_TRUE(report["unguided"]["nll_missing"].is_number());
  EXPECT_EQ(json::parse(readFileBytes(jsonPath)), report);

  // The batch size only changes the grouping, not the mean by much.
  result = run(model, {"eval", "--out", dir.file("run"), "--split", "all"});
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_EQ(json::parse(result.out)["examples"], 200);

  ModelEntryPoints guidedOnly = fakeModel(fakeManifest(), false, false);
  result = run(guidedOnly, {"eval", "--out", dir.file("run")});
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_FALSE(json::parse(result.out).contains("unguided"));
  result = run(guidedOnly, {"sample", "--out", dir.file("run")});
  EXPECT_EQ(result.status, 1);
  EXPECT_NE(result.err.find("has no sample entry point"), std::string::npos);
}

/// Reads a PNG file (or, with `fromMemory`, the bytes `bytes`) with libpng's
/// simplified reader, in the format it was written in: gray stays one
/// channel, RGB three. Returns libpng's message on failure, "" on success.
std::string readPng(const std::string &path, Image &image,
                    const std::vector<uint8_t> *bytes = nullptr) {
  png_image png;
  std::memset(&png, 0, sizeof png);
  png.version = PNG_IMAGE_VERSION;
  bool begun = bytes ? png_image_begin_read_from_memory(&png, bytes->data(),
                                                        bytes->size())
                     : png_image_begin_read_from_file(&png, path.c_str());
  if (!begun)
    return std::string("begin: ") + png.message;
  if (png.format != PNG_FORMAT_GRAY && png.format != PNG_FORMAT_RGB) {
    png_image_free(&png);
    return "format " + std::to_string(png.format) + ", not 8-bit gray or RGB";
  }
  image = Image(png.width, png.height, PNG_IMAGE_PIXEL_CHANNELS(png.format));
  if (!png_image_finish_read(&png, /*background=*/nullptr, image.pixels.data(),
                             /*row_stride=*/0, /*colormap=*/nullptr))
    return std::string("finish: ") + png.message;
  return "";
}

/// An image whose bytes vary from pixel to pixel and row to row (0 and 255
/// included), so that a lost, swapped or filtered-wrong byte shows.
Image patternImage(int64_t width, int64_t height, int channels) {
  Image image(width, height, channels);
  uint32_t state = 12345;
  for (size_t i = 0; i < image.pixels.size(); ++i) {
    state = state * 1103515245u + 12345u;
    image.pixels[i] = i % 7 == 0 ? 0 : i % 11 == 0 ? 255 : uint8_t(state >> 16);
  }
  return image;
}

void expectSameImage(const Image &actual, const Image &expected) {
  EXPECT_EQ(actual.width, expected.width);
  EXPECT_EQ(actual.height, expected.height);
  EXPECT_EQ(actual.channels, expected.channels);
  ASSERT_EQ(actual.pixels.size(), expected.pixels.size());
  for (size_t i = 0; i < actual.pixels.size(); ++i)
    ASSERT_EQ(int(actual.pixels[i]), int(expected.pixels[i])) << "byte " << i;
}

TEST(PngTest, WritesFilesThatLibpngReadsBackExactly) {
  TempDir dir;
  for (int channels : {1, 3}) {
    for (auto [width, height] : {std::pair<int64_t, int64_t>{1, 1},
                                 {3, 2},
                                 {37, 29}}) {
      SCOPED_TRACE(std::to_string(width) + "x" + std::to_string(height) + "x" +
                   std::to_string(channels));
      Image image = patternImage(width, height, channels);
      std::string path = dir.file("image.png");
      Error err = writePng(path, image);
      ASSERT_FALSE(static_cast<bool>(err)) << err.message();
      Image read;
      ASSERT_EQ(readPng(path, read), "");
      expectSameImage(read, image);

      // encodePng gives the bytes writePng writes.
      std::vector<uint8_t> bytes;
      ASSERT_FALSE(static_cast<bool>(encodePng(image, bytes)));
      EXPECT_EQ(bytes, readFileBytes(path));
      Image decoded;
      ASSERT_EQ(readPng("", decoded, &bytes), "");
      expectSameImage(decoded, image);
    }
  }
  // Only the file itself is left: the temporary file was renamed.
  EXPECT_EQ(dir.list(), std::vector<std::string>{"image.png"});
}

TEST(PngTest, RejectsBadImages) {
  std::vector<uint8_t> bytes;
  Error err = encodePng(Image(0, 2, 1), bytes);
  ASSERT_TRUE(static_cast<bool>(err));
  EXPECT_EQ(err.message(), "PNG: bad image size 0x2");
  err = encodePng(Image(2, 2, 2), bytes);
  ASSERT_TRUE(static_cast<bool>(err));
  EXPECT_EQ(err.message(), "PNG: 2 channels (1 or 3 supported)");
  Image truncated(2, 2, 3);
  truncated.pixels.pop_back();
  err = encodePng(truncated, bytes);
  ASSERT_TRUE(static_cast<bool>(err));
  EXPECT_EQ(err.message(), "PNG: pixel buffer does not match the image size");

  TempDir dir;
  std::string path = dir.file("bad.png");
  expectFailure(writePng(path, Image(2, 0, 3)), path, "bad image size 2x0");
  std::string missing = dir.file("no/such/dir/image.png");
  EXPECT_TRUE(static_cast<bool>(writePng(missing, Image(2, 2, 3))));
  EXPECT_TRUE(dir.list().empty());
}

TEST_F(TrainerTest, EvalIwAveragesTheWeightsOfEachExample) {
  ModelEntryPoints model = fakeModel();
  ASSERT_EQ(run(model, trainArgs("run", "0")).status, 0);
  // The fake log w of draw k is -sum(x) + log(k + 1) (FakeModel.h), so
  // with K draws an example's bound is sum(x) - log((K + 1) / 2) and its
  // mean of -log w is sum(x) - log(K!) / K.
  IdxArray images;
  ASSERT_FALSE(static_cast<bool>(readIdx(data, images)));
  double meanSum = 0.0;
  for (uint8_t byte : images.data)
    meanSum += double(float(byte / 255.0f));
  meanSum /= double(images.dims[0]);
  for (uint64_t k : {1, 4}) {
    Result result = run(model, {"eval", "--out", dir.file("run"), "--split",
                                "all", "--batch", "16", "--iw",
                                std::to_string(k)});
    ASSERT_EQ(result.status, 0) << result.err;
    json iw = json::parse(result.out)["iw"];
    EXPECT_EQ(iw["k"], k);
    double logFactorial = std::lgamma(double(k) + 1.0);
    EXPECT_NEAR(double(iw["bound"]),
                meanSum - std::log((double(k) + 1.0) / 2.0), 1e-4);
    EXPECT_NEAR(double(iw["mean_neg_log_w"]),
                meanSum - logFactorial / double(k), 1e-4);
    if (k == 1) {
      EXPECT_TRUE(iw["draw_sd"].is_null());
      continue;
    }
    // The spread over the draws: the sample deviation of log 1..log 4.
    double mean = logFactorial / 4.0, squares = 0.0;
    for (int i = 1; i <= 4; ++i)
      squares += (std::log(double(i)) - mean) * (std::log(double(i)) - mean);
    EXPECT_NEAR(double(iw["draw_sd"]), std::sqrt(squares / 3.0), 1e-5);
  }
  Result result = run(model, {"eval", "--out", dir.file("run"), "--iw",
                              "2000000"});
  EXPECT_EQ(result.status, 2);
  ModelEntryPoints noWeights = fakeModel();
  noWeights.logWeights = nullptr;
  result = run(noWeights, {"eval", "--out", dir.file("run"), "--iw", "2"});
  EXPECT_EQ(result.status, 1);
  EXPECT_NE(result.err.find("has no log_weights entry point"),
            std::string::npos)
      << result.err;
}

TEST_F(TrainerTest, SampleWritesAPngGrid) {
  ModelEntryPoints model = fakeModel();
  ASSERT_EQ(run(model, trainArgs("run", "5")).status, 0);
  Result result = run(model, {"sample", "--out", dir.file("run"), "--n", "9"});
  ASSERT_EQ(result.status, 0) << result.err;
  Image image;
  ASSERT_EQ(readPng(dir.file("run/samples.png"), image), "");
  // 3 x 3 cells of 4 x 4 pixels with 2 pixels of padding.
  EXPECT_EQ(image.width, 3 * 6 + 2);
  EXPECT_EQ(image.height, 3 * 6 + 2);

  // Masked: known | imputed | original per cell.
  ModelEntryPoints masked = fakeModel(fakeManifest(
      "masked", 16, "real", R"({"name": "m", "kind": "mcar", "amount": 0.5})"));
  ASSERT_EQ(run(masked, trainArgs("masked", "5")).status, 0);
  std::string png = dir.file("imputed.png");
  result = run(masked, {"sample", "--out", dir.file("masked"), "--n", "4",
                        "--png", png});
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_NE(result.out.find("wrote 4 imputations"), std::string::npos);
  ASSERT_EQ(readPng(png, image), "");
  EXPECT_EQ(image.width, 1 * (3 * 4 + 2 + 2) + 2);
  EXPECT_EQ(image.height, 4 * 6 + 2);
}

//===----------------------------------------------------------------------===//
// plot
//===----------------------------------------------------------------------===//

/// Writes JSON Lines of `metric` at steps first, first + every, ..., last:
/// value(step).
void writeSeries(const std::string &path, const std::string &metric,
                 int first, int every, int last,
                 const std::function<double(int)> &value) {
  std::ofstream out(path);
  for (int step = first; step <= last; step += every)
    out << json{{"step", step}, {metric, value(step)}, {"nll_bound", nullptr}}
               .dump()
        << "\n";
}

/// The pixels of curve colour `colour` inside the plot area of `frame`, as
/// counts in its left and right thirds, top and bottom halves.
struct Thirds {
  int leftTop = 0, leftBottom = 0, rightTop = 0, rightBottom = 0;
};
Thirds countCurvePixels(const Image &image, const PlotFrame &frame,
                        int colour) {
  uint8_t rgb[3];
  curveColour(colour, rgb);
  Thirds counts;
  int64_t third = (frame.right - frame.left) / 3;
  int64_t middle = (frame.top + frame.bottom) / 2;
  for (int64_t y = frame.top; y <= frame.bottom; ++y)
    for (int64_t x = frame.left; x <= frame.right; ++x) {
      const uint8_t *p = image.pixels.data() + (y * image.width + x) * 3;
      if (p[0] != rgb[0] || p[1] != rgb[1] || p[2] != rgb[2])
        continue;
      bool top = y < middle;
      if (x < frame.left + third)
        ++(top ? counts.leftTop : counts.leftBottom);
      else if (x > frame.right - third)
        ++(top ? counts.rightTop : counts.rightBottom);
    }
  return counts;
}

TEST_F(TrainerTest, PlotDrawsFallingAndRisingCurvesWhereTheyAre) {
  ModelEntryPoints model = fakeModel();
  std::string run1 = dir.file("falling");
  ASSERT_EQ(::mkdir(run1.c_str(), 0755), 0);
  // A falling training curve, and a test curve every 50 updates.
  writeSeries(run1 + "/metrics.jsonl", "total_cost", 10, 10, 500,
              [](int step) { return 900.0 - step; });
  writeSeries(run1 + "/eval.jsonl", "total_cost", 50, 50, 500,
              [](int step) { return 910.0 - step; });
  Result result = run(model, {"plot", "--out", run1, "--metrics",
                              "total_cost"});
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_NE(result.out.find("curves.png"), std::string::npos);
  Image image;
  ASSERT_EQ(readPng(run1 + "/curves.png", image), "");
  EXPECT_EQ(image.width, 640);
  EXPECT_EQ(image.height, 400);
  EXPECT_EQ(image.channels, 3);

  // The file is the drawing of the curves the files hold.
  std::vector<Curve> curves;
  ASSERT_FALSE(static_cast<bool>(readCurves(run1 + "/metrics.jsonl",
                                            run1 + "/eval.jsonl",
                                            {"total_cost"}, curves)));
  ASSERT_EQ(curves.size(), 2u);
  EXPECT_EQ(curves[0].label, "train total_cost");
  EXPECT_EQ(curves[1].label, "test total_cost");
  EXPECT_EQ(curves[0].points.size(), 50u);
  EXPECT_EQ(curves[1].points.size(), 10u);
  PlotFrame frame;
  expectSameImage(image, drawCurves(curves, 640, 400, &frame));
  EXPECT_EQ(frame.xMax, 500.0);
  EXPECT_LT(frame.yMin, 400.0);
  EXPECT_GT(frame.yMax, 890.0);
  // Falling: high on the left, low on the right.
  Thirds falling = countCurvePixels(image, frame, 0);
  EXPECT_GT(falling.leftTop, 100);
  EXPECT_EQ(falling.leftBottom, 0);
  EXPECT_EQ(falling.rightTop, 0);
  EXPECT_GT(falling.rightBottom, 100);

  // Rising, at another size: the other way round.
  std::string run2 = dir.file("rising");
  ASSERT_EQ(::mkdir(run2.c_str(), 0755), 0);
  writeSeries(run2 + "/metrics.jsonl", "grad_norm", 5, 5, 200,
              [](int step) { return std::sqrt(double(step)); });
  std::string png = dir.file("rising.png");
  result = run(model, {"plot", "--out", run2, "--metrics", "grad_norm",
                       "--png", png, "--width", "300", "--height", "200"});
  ASSERT_EQ(result.status, 0) << result.err;
  ASSERT_EQ(readPng(png, image), "");
  EXPECT_EQ(image.width, 300);
  EXPECT_EQ(image.height, 200);
  ASSERT_FALSE(static_cast<bool>(readCurves(run2 + "/metrics.jsonl", "",
                                            {"grad_norm"}, curves)));
  drawCurves(curves, 300, 200, &frame);
  Thirds rising = countCurvePixels(image, frame, 0);
  EXPECT_EQ(rising.leftTop, 0);
  EXPECT_GT(rising.leftBottom, 20);
  EXPECT_GT(rising.rightTop, 20);
  EXPECT_EQ(rising.rightBottom, 0);
}

TEST_F(TrainerTest, PlotFailsClearlyOnMissingOrBadFiles) {
  ModelEntryPoints model = fakeModel();
  auto oneLine = [](const Result &result) {
    EXPECT_EQ(result.status, 1);
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1)
        << result.err;
    EXPECT_EQ(result.err.rfind("trainer: error: ", 0), 0u) << result.err;
    return result.err;
  };
  std::string err = oneLine(run(model, {"plot", "--out", dir.file("none")}));
  EXPECT_NE(err.find("cannot read '" + dir.file("none") + "/metrics.jsonl'"),
            std::string::npos)
      << err;

  std::string bad = dir.file("bad");
  ASSERT_EQ(::mkdir(bad.c_str(), 0755), 0);
  {
    std::ofstream out(bad + "/metrics.jsonl");
    out << R"({"step": 10, "total_cost": 5})" << "\n"
        << "not json\n"
        << R"({"step": 30, "total_cost": 4})" << "\n";
  }
  err = oneLine(run(model, {"plot", "--out", bad}));
  EXPECT_NE(err.find("metrics.jsonl' line 2: not a JSON object"),
            std::string::npos)
      << err;
  {
    std::ofstream out(bad + "/metrics.jsonl");
    out << R"({"step": 10, "total_cost": "high"})" << "\n";
  }
  err = oneLine(run(model, {"plot", "--out", bad}));
  EXPECT_NE(err.find("\"total_cost\" of the record of step 10 is not a "
                     "number"),
            std::string::npos)
      << err;
  {
    // A last record cut short is one being written: left out.
    std::ofstream out(bad + "/metrics.jsonl");
    out << R"({"step": 10, "total_cost": 5})" << "\n"
        << R"({"step": 20, "total_c)";
  }
  EXPECT_EQ(run(model, {"plot", "--out", bad}).status, 0);
  err = oneLine(run(model, {"plot", "--out", bad, "--metrics", "kld_p2q"}));
  EXPECT_NE(err.find("has the metric 'kld_p2q'"), std::string::npos) << err;
  EXPECT_EQ(run(model, {"plot", "--out", bad, "--width", "5"}).status, 2);
}

TEST_F(TrainerTest, TrainPlotDrawsTheCurvesAtEachCheckpoint) {
  ModelEntryPoints model = fakeModel();
  std::vector<std::string> args = trainArgs("run", "40");
  args.insert(args.end(), {"--log-every", "5", "--eval-every", "20",
                           "--checkpoint-every", "20", "--plot"});
  Result result = run(model, args);
  ASSERT_EQ(result.status, 0) << result.err;
  Image image;
  ASSERT_EQ(readPng(dir.file("run/curves.png"), image), "");
  EXPECT_EQ(image.width, 640);
  EXPECT_EQ(image.height, 400);
  // The same as `plot` of the finished run (nll_bound, train and test).
  ASSERT_EQ(run(model, {"plot", "--out", dir.file("run"), "--png",
                        dir.file("again.png")})
                .status,
            0);
  Image again;
  ASSERT_EQ(readPng(dir.file("again.png"), again), "");
  expectSameImage(image, again);
}

//===----------------------------------------------------------------------===//
// The trainer executable
//===----------------------------------------------------------------------===//

/// Runs the fake trainer executable with `args`; returns its exit status
/// (128 + signal when killed) and its stdout and stderr. With `sigtermWhen`,
/// sends SIGTERM as soon as that file is not empty.
Result runExecutable(const std::vector<std::string> &args, const TempDir &dir,
                     const std::string &sigtermWhen = "") {
  Harm harm;
  if (!sigtermWhen.empty()) {
    harm.signalWhen = sigtermWhen;
    harm.signals = {SIGTERM};
  }
  Outcome child = runChild(GPS_FAKE_TRAINER, args, dir, harm,
                           /*captureStdout=*/true);
  return {child.status(), child.out, child.err};
}

TEST_F(TrainerTest, ExecutableRunsTheModelItLinks) {
  Result help = runExecutable({"--help"}, dir);
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("model 'fake-exe'"), std::string::npos) << help.out;

  Result trained =
      runExecutable({"train", "--data", data, "--out", dir.file("run"),
                     "--updates", "4", "--batch", "10", "--eval-every", "2"},
                    dir);
  EXPECT_EQ(trained.status, 0) << trained.err;
  // Without the optional entry points: no unguided column, no sampling.
  std::vector<json> evals = readRecords(dir.file("run/eval.jsonl"));
  ASSERT_EQ(evals.size(), 2u);
  EXPECT_FALSE(evals[0].contains("unguided_nll_missing"));
  Result sampled = runExecutable({"sample", "--out", dir.file("run")}, dir);
  EXPECT_EQ(sampled.status, 1);
  EXPECT_NE(sampled.err.find("has no sample entry point"), std::string::npos);
}

TEST_F(TrainerTest, ExecutableCheckpointsOnSigterm) {
  // The first metrics record shows that the training loop runs.
  Result stopped = runExecutable(
      {"train", "--data", data, "--out", dir.file("run"), "--updates",
       "100000000", "--batch", "10", "--log-every", "100"},
      dir, /*sigtermWhen=*/dir.file("run/metrics.jsonl"));
  EXPECT_EQ(stopped.status, 143) << stopped.err;
  EXPECT_NE(stopped.err.find("interrupted (SIGTERM)"), std::string::npos)
      << stopped.err;
  SafetensorsFile checkpoint = readCheckpoint(dir.file("run/last.safetensors"));
  EXPECT_GE(std::stoull(checkpoint.metadata["step"]), 100u);
}

} // namespace
