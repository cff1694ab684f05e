//===- SafetensorsTest.cpp - tests of safetensors checkpoints -------------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/Safetensors.h"

#include "TestUtil.h"

#include "gtest/gtest.h"

#include <sys/stat.h>

#include <cstring>

using namespace gps::rt;
using namespace gps::rt::test;

namespace {

/// A file assembled by hand: 8-byte little-endian header length, `header`,
/// then `data`.
std::vector<uint8_t> safetensorsBytes(const std::string &header,
                                      const std::vector<uint8_t> &data) {
  std::vector<uint8_t> bytes;
  uint64_t size = header.size();
  for (int i = 0; i < 8; ++i)
    bytes.push_back(static_cast<uint8_t>(size >> (8 * i)));
  bytes.insert(bytes.end(), header.begin(), header.end());
  bytes.insert(bytes.end(), data.begin(), data.end());
  return bytes;
}

/// The little-endian bytes of `values`.
template <typename T>
std::vector<uint8_t> bytesOf(const std::vector<T> &values) {
  std::vector<uint8_t> bytes(values.size() * sizeof(T));
  if (!bytes.empty())
    std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

/// Expects reading `bytes` as a safetensors file to fail with `what`.
void expectReadFailure(const std::vector<uint8_t> &bytes,
                       const std::string &what) {
  TempDir dir;
  std::string path = dir.file("bad.safetensors");
  writeFileBytes(path, bytes);
  SafetensorsFile file;
  file.metadata["keep"] = "me";
  expectFailure(readSafetensors(path, file), path, what);
  EXPECT_EQ(file.metadata.size(), 1u) << "output modified on failure";
}

TEST(SafetensorsTest, ReadsHandWrittenFile) {
  std::vector<float> weights = {1.5f, -2.0f, 0.25f};
  std::vector<int64_t> step = {12345678901ll};
  std::vector<uint8_t> data = bytesOf(weights);
  std::vector<uint8_t> stepBytes = bytesOf(step);
  data.insert(data.end(), stepBytes.begin(), stepBytes.end());
  std::string header =
      R"({"step":{"dtype":"I64","shape":[],"data_offsets":[12,20]},)"
      R"("__metadata__":{"format":"gps","epoch":"3"},)"
      R"("w":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}  )";

  TempDir dir;
  std::string path = dir.file("hand.safetensors");
  writeFileBytes(path, safetensorsBytes(header, data));
  SafetensorsFile file;
  Error err = readSafetensors(path, file);
  ASSERT_FALSE(err) << err.message();
  ASSERT_EQ(file.tensors.size(), 2u);
  // File order, i.e. by data offset.
  EXPECT_EQ(file.tensors[0].name, "w");
  EXPECT_EQ(file.tensors[0].dtype, DType::F32);
  EXPECT_EQ(file.tensors[0].shape, std::vector<int64_t>{3});
  EXPECT_EQ(file.tensors[0].toFloats(), weights);
  EXPECT_EQ(file.tensors[1].name, "step");
  EXPECT_EQ(file.tensors[1].dtype, DType::I64);
  EXPECT_TRUE(file.tensors[1].shape.empty());
  EXPECT_EQ(file.tensors[1].numElements(), 1);
  EXPECT_EQ(file.tensors[1].bytes, stepBytes);
  EXPECT_EQ(file.metadata.size(), 2u);
  EXPECT_EQ(file.metadata["format"], "gps");
  EXPECT_EQ(file.metadata["epoch"], "3");
  ASSERT_NE(file.find("step"), nullptr);
  EXPECT_EQ(file.find("missing"), nullptr);
}

TEST(SafetensorsTest, RoundTrip) {
  std::vector<float> matrix = {1, 2, 3, 4, 5, -6.5f};
  std::vector<int64_t> counters = {-1, 0, INT64_MAX, 42};
  std::vector<uint32_t> seed = {0xdeadbeefu};
  std::vector<uint8_t> pixels = {0, 127, 255};
  std::vector<TensorRef> tensors = {
      {"encoder.w", DType::F32, {2, 3}, matrix.data()},
      {"adam.step", DType::I64, {4}, counters.data()},
      {"rng.seed", DType::U32, {}, seed.data()},
      {"empty", DType::F32, {0, 5}, nullptr},
      {"pixels", DType::U8, {1, 3}, pixels.data()},
  };
  std::map<std::string, std::string> metadata = {
      {"model", "vae"}, {"note", "\"quoted\" \xc3\xa9"}};
  TempDir dir;
  std::string path = dir.file("ckpt.safetensors");
  Error err = writeSafetensors(path, tensors, metadata);
  ASSERT_FALSE(err) << err.message();

  // Check the container by hand: aligned header, data right after it.
  std::vector<uint8_t> raw = readFileBytes(path);
  ASSERT_GE(raw.size(), 8u);
  uint64_t headerSize = 0;
  for (int i = 7; i >= 0; --i)
    headerSize = headerSize << 8 | raw[i];
  EXPECT_EQ(headerSize % 8, 0u);
  uint64_t dataSize = 6 * 4 + 4 * 8 + 4 + 0 + 3;
  ASSERT_EQ(raw.size(), 8 + headerSize + dataSize);
  std::string header(raw.begin() + 8, raw.begin() + 8 + headerSize);
  EXPECT_NE(header.find(R"("dtype":"F32")"), std::string::npos) << header;
  EXPECT_NE(header.find(R"("__metadata__")"), std::string::npos) << header;
  EXPECT_EQ(std::memcmp(raw.data() + 8 + headerSize, matrix.data(), 24), 0);

  SafetensorsFile file;
  err = readSafetensors(path, file);
  ASSERT_FALSE(err) << err.message();
  ASSERT_EQ(file.tensors.size(), tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    EXPECT_EQ(file.tensors[i].name, tensors[i].name);
    EXPECT_EQ(file.tensors[i].dtype, tensors[i].dtype);
    EXPECT_EQ(file.tensors[i].shape, tensors[i].shape);
  }
  EXPECT_EQ(file.tensors[0].toFloats(), matrix);
  EXPECT_EQ(file.tensors[1].bytes, bytesOf(counters));
  EXPECT_EQ(file.tensors[2].bytes, bytesOf(seed));
  EXPECT_TRUE(file.tensors[3].bytes.empty());
  EXPECT_EQ(file.tensors[4].bytes, pixels);
  EXPECT_EQ(file.metadata, metadata);
}

TEST(SafetensorsTest, AtomicWriteLeavesNoTemporaryFile) {
  TempDir dir;
  std::string path = dir.file("ckpt.safetensors");
  std::vector<float> first = {1, 2}, second = {3, 4, 5};
  ASSERT_FALSE(writeSafetensors(path, {{"x", DType::F32, {2}, first.data()}}));
  ASSERT_FALSE(writeSafetensors(path, {{"x", DType::F32, {3}, second.data()}}));
  EXPECT_EQ(dir.list(), std::vector<std::string>{"ckpt.safetensors"});
  SafetensorsFile file;
  ASSERT_FALSE(readSafetensors(path, file));
  ASSERT_EQ(file.tensors.size(), 1u);
  EXPECT_EQ(file.tensors[0].toFloats(), second);

  // A rename that fails (the target is a non-empty directory) removes the
  // temporary file and reports the path.
  std::string blocked = dir.file("blocked");
  ASSERT_EQ(::mkdir(blocked.c_str(), 0755), 0);
  writeFileBytes(blocked + "/inside", {1});
  expectFailure(
      writeSafetensors(blocked, {{"x", DType::F32, {2}, first.data()}}),
      blocked, "rename");
  EXPECT_EQ(dir.list(),
            (std::vector<std::string>{"blocked", "ckpt.safetensors"}));
  ::unlink((blocked + "/inside").c_str());
  ::rmdir(blocked.c_str());
}

TEST(SafetensorsTest, WriterRejectsBadInput) {
  TempDir dir;
  std::string path = dir.file("w.safetensors");
  float x = 1;
  expectFailure(writeSafetensors(path, {{"a", DType::F32, {}, &x},
                                        {"a", DType::F32, {}, &x}}),
                path, "duplicate tensor 'a'");
  expectFailure(writeSafetensors(path, {{"", DType::F32, {}, &x}}), path,
                "cannot write a tensor named");
  expectFailure(writeSafetensors(path, {{"__metadata__", DType::F32, {}, &x}}),
                path, "cannot write a tensor named");
  expectFailure(writeSafetensors(path, {{"bad\xff", DType::F32, {}, &x}}), path,
                "cannot write a tensor named");
  expectFailure(writeSafetensors(path, {{"n", DType::F32, {-1}, &x}}), path,
                "invalid shape");
  expectFailure(writeSafetensors(path, {{"n", DType::F32, {1}, nullptr}}), path,
                "no data");
  EXPECT_TRUE(dir.list().empty());
}

TEST(SafetensorsTest, MissingFile) {
  TempDir dir;
  std::string path = dir.file("absent.safetensors");
  SafetensorsFile file;
  expectFailure(readSafetensors(path, file), path, "cannot open");
}

TEST(SafetensorsTest, TruncatedFile) {
  TempDir dir;
  std::string path = dir.file("ckpt.safetensors");
  std::vector<float> values(100, 0.5f);
  ASSERT_FALSE(
      writeSafetensors(path, {{"v", DType::F32, {100}, values.data()}}));
  std::vector<uint8_t> bytes = readFileBytes(path);
  // Cut into the data, into the header, and into the length.
  expectReadFailure(std::vector<uint8_t>(bytes.begin(), bytes.end() - 1),
                    "truncated or corrupt");
  expectReadFailure(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 20),
                    "truncated");
  expectReadFailure(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 5),
                    "truncated");
  // Extra bytes after the data are rejected too.
  std::vector<uint8_t> longer = bytes;
  longer.push_back(0);
  expectReadFailure(longer, "truncated or trailing");
}

TEST(SafetensorsTest, GarbageFile) {
  std::vector<uint8_t> garbage;
  uint32_t state = 12345;
  for (int i = 0; i < 4096; ++i) {
    state = state * 1664525u + 1013904223u;
    garbage.push_back(static_cast<uint8_t>(state >> 24));
  }
  expectReadFailure(garbage, "header length");
  // A plausible length but non-JSON content.
  expectReadFailure(safetensorsBytes("{not json at all}", {}),
                    "not valid JSON");
  expectReadFailure(safetensorsBytes("[1, 2]", {}), "not a JSON object");
}

TEST(SafetensorsTest, ValidatesHeaderEntries) {
  std::vector<uint8_t> eight(8);
  expectReadFailure(
      safetensorsBytes(
          R"({"a":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}})", eight),
      "unsupported dtype \"F16\"");
  expectReadFailure(
      safetensorsBytes(
          R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", eight),
      "holds 8 bytes but dtype and shape need 12");
  expectReadFailure(
      safetensorsBytes(
          R"({"a":{"dtype":"U8","shape":[8],"data_offsets":[4,12]}})", eight),
      "outside the 8-byte data section");
  expectReadFailure(
      safetensorsBytes(
          R"({"a":{"dtype":"U8","shape":[-8],"data_offsets":[0,8]}})", eight),
      "is not a non-negative integer");
  expectReadFailure(
      safetensorsBytes(R"({"a":{"dtype":"U8","shape":[8]}})", eight),
      "needs 'dtype', 'shape' and 'data_offsets'");
  expectReadFailure(
      safetensorsBytes(
          R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
          R"("b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}})",
          eight),
      "overlap or leave a gap");
  expectReadFailure(
      safetensorsBytes(
          R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}})", eight),
      "overlap or leave a gap");
  expectReadFailure(safetensorsBytes(R"({"__metadata__":{"epoch":3}})", {}),
                    "is not a string");
  // A header length beyond the 100 MB limit.
  std::vector<uint8_t> huge = {0, 0, 0, 0, 0, 1, 0, 0, '{', '}'};
  expectReadFailure(huge, "exceeds the 100 MB limit");
}

} // namespace
