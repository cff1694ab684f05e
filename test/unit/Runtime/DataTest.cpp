//===- DataTest.cpp - tests of train/test splits and minibatching ---------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/Data.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <numeric>
#include <vector>

using namespace gps::rt;

namespace {

std::vector<uint32_t> iota(uint32_t n, uint32_t start = 0) {
  std::vector<uint32_t> v(n);
  std::iota(v.begin(), v.end(), start);
  return v;
}

TEST(DataSplitTest, DisjointCoveringSortedAndSized) {
  std::vector<uint32_t> train, test;
  ASSERT_FALSE(splitTrainTest(1000, 0.2, 42, train, test));
  EXPECT_EQ(test.size(), 200u);
  EXPECT_EQ(train.size(), 800u);
  EXPECT_TRUE(std::is_sorted(train.begin(), train.end()));
  EXPECT_TRUE(std::is_sorted(test.begin(), test.end()));
  std::vector<uint32_t> all;
  std::merge(train.begin(), train.end(), test.begin(), test.end(),
             std::back_inserter(all));
  EXPECT_EQ(all, iota(1000)); // Disjoint and covering.
  // A shuffled split, not a prefix or suffix of 0..n-1.
  EXPECT_NE(test, iota(200));
  EXPECT_NE(test, iota(200, 800));
}

TEST(DataSplitTest, RoundsTestCount) {
  std::vector<uint32_t> train, test;
  ASSERT_FALSE(splitTrainTest(10, 0.26, 1, train, test));
  EXPECT_EQ(test.size(), 3u);
  ASSERT_FALSE(splitTrainTest(10, 0.0, 1, train, test));
  EXPECT_TRUE(test.empty());
  EXPECT_EQ(train, iota(10));
  ASSERT_FALSE(splitTrainTest(10, 1.0, 1, train, test));
  EXPECT_EQ(test, iota(10));
  EXPECT_TRUE(train.empty());
}

TEST(DataSplitTest, DeterministicPerSeed) {
  std::vector<uint32_t> trainA, testA, trainB, testB, trainC, testC;
  ASSERT_FALSE(splitTrainTest(500, 0.1, 7, trainA, testA));
  ASSERT_FALSE(splitTrainTest(500, 0.1, 7, trainB, testB));
  ASSERT_FALSE(splitTrainTest(500, 0.1, 8, trainC, testC));
  EXPECT_EQ(testA, testB);
  EXPECT_EQ(trainA, trainB);
  EXPECT_NE(testA, testC);
}

TEST(DataSplitTest, RejectsBadFraction) {
  std::vector<uint32_t> train, test;
  Error err = splitTrainTest(10, 1.5, 0, train, test);
  ASSERT_TRUE(err);
  EXPECT_NE(err.message().find("outside [0, 1]"), std::string::npos)
      << err.message();
  EXPECT_TRUE(splitTrainTest(10, -0.1, 0, train, test));
}

TEST(DataMinibatcherTest, EachIndexOncePerEpoch) {
  // Non-contiguous indices, as from a split.
  std::vector<uint32_t> indices = iota(60, 100);
  Minibatcher batcher(indices, 12, 3);
  ASSERT_EQ(batcher.batchesPerEpoch(), 5u);
  std::vector<std::vector<uint32_t>> epochs(2);
  std::vector<uint32_t> batch;
  for (auto &epoch : epochs) {
    for (int i = 0; i < 5; ++i) {
      batcher.next(batch);
      ASSERT_EQ(batch.size(), 12u);
      epoch.insert(epoch.end(), batch.begin(), batch.end());
    }
    std::vector<uint32_t> sorted = epoch;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(sorted, indices);
  }
  EXPECT_NE(epochs[0], epochs[1]);
  EXPECT_NE(epochs[0], indices);
}

TEST(DataMinibatcherTest, DropsPartialBatch) {
  Minibatcher batcher(iota(10), 4, 5);
  std::vector<uint32_t> batch;
  batcher.next(batch);
  batcher.next(batch);
  EXPECT_EQ(batcher.state().epoch, 0u);
  EXPECT_EQ(batcher.state().position, 8u);
  batcher.next(batch); // Only 2 left: starts epoch 1.
  EXPECT_EQ(batch.size(), 4u);
  EXPECT_EQ(batcher.state().epoch, 1u);
  EXPECT_EQ(batcher.state().position, 4u);
}

TEST(DataMinibatcherTest, RestoreReproducesBatches) {
  std::vector<uint32_t> indices = iota(50);
  Minibatcher uninterrupted(indices, 8, 11);
  std::vector<uint32_t> batch;
  // Stop mid-epoch 2 (6 batches per epoch).
  for (int i = 0; i < 15; ++i)
    uninterrupted.next(batch);
  MinibatchState saved = uninterrupted.state();
  EXPECT_EQ(saved.epoch, 2u);

  Minibatcher resumed(indices, 8, 11);
  ASSERT_FALSE(resumed.restore(saved));
  EXPECT_EQ(resumed.state().epoch, saved.epoch);
  EXPECT_EQ(resumed.state().position, saved.position);
  Minibatcher fresh(indices, 8, 11); // Not restored: must differ.
  std::vector<uint32_t> expected, got, unrestored;
  bool anyDifferent = false;
  for (int i = 0; i < 20; ++i) {
    uninterrupted.next(expected);
    resumed.next(got);
    fresh.next(unrestored);
    EXPECT_EQ(got, expected) << "batch " << i << " after restore";
    anyDifferent |= unrestored != expected;
  }
  EXPECT_TRUE(anyDifferent);
}

TEST(DataMinibatcherTest, RestoreRejectsBadPosition) {
  Minibatcher batcher(iota(10), 5, 0);
  Error err = batcher.restore({0, 11});
  ASSERT_TRUE(err);
  EXPECT_NE(err.message().find("past the 10 indices"), std::string::npos)
      << err.message();
  EXPECT_EQ(batcher.state().position, 0u);
}

} // namespace
