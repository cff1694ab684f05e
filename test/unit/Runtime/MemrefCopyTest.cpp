//===- MemrefCopyTest.cpp - tests of memrefCopy ---------------------------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/Interface.h"

#include "gtest/gtest.h"

#include <vector>

namespace {

TEST(MemrefCopyTest, CopiesStridedViews) {
  // A 3x4 row-major source read transposed (4x3) into a padded 4x3
  // destination at offset 1.
  std::vector<float> src(12), dst(1 + 4 * 5, -1.0f);
  for (int i = 0; i < 12; ++i)
    src[i] = float(i);
  gps_memref<float, 2> s = {src.data(), src.data(), 0, {4, 3}, {1, 4}};
  gps_memref<float, 2> d = {dst.data(), dst.data(), 1, {4, 3}, {5, 1}};
  gps_unranked_memref us = {2, &s}, ud = {2, &d};
  memrefCopy(sizeof(float), &us, &ud);
  for (int64_t i = 0; i < 4; ++i) {
    for (int64_t j = 0; j < 3; ++j)
      EXPECT_EQ(d({i, j}), float(j * 4 + i));
    EXPECT_EQ(dst[1 + i * 5 + 3], -1.0f);
    EXPECT_EQ(dst[1 + i * 5 + 4], -1.0f);
  }
  EXPECT_EQ(dst[0], -1.0f);
}

TEST(MemrefCopyTest, ContiguousRankOneRankZeroAndEmpty) {
  std::vector<double> src = {1, 2, 3, 4, 5, 6}, dst(6, 0.0);
  gps_memref<double, 1> s = {src.data(), src.data(), 0, {6}, {1}};
  gps_memref<double, 1> d = {dst.data(), dst.data(), 0, {6}, {1}};
  gps_unranked_memref us = {1, &s}, ud = {1, &d};
  memrefCopy(sizeof(double), &us, &ud);
  EXPECT_EQ(dst, src);

  // Every other element.
  std::vector<double> odd(3, 0.0);
  gps_memref<double, 1> s2 = {src.data(), src.data(), 1, {3}, {2}};
  gps_memref<double, 1> d2 = {odd.data(), odd.data(), 0, {3}, {1}};
  us = {1, &s2};
  ud = {1, &d2};
  memrefCopy(sizeof(double), &us, &ud);
  EXPECT_EQ(odd, (std::vector<double>{2, 4, 6}));

  gps_memref<double, 0> s0 = {src.data(), src.data(), 4};
  gps_memref<double, 0> d0 = {dst.data(), dst.data(), 0};
  us = {0, &s0};
  ud = {0, &d0};
  memrefCopy(sizeof(double), &us, &ud);
  EXPECT_EQ(dst[0], 5.0);

  gps_memref<double, 2> empty = {nullptr, nullptr, 0, {0, 3}, {3, 1}};
  us = {2, &empty};
  ud = {2, &empty};
  memrefCopy(sizeof(double), &us, &ud); // nothing to copy, no access
}

} // namespace
