//===- MasksTest.cpp - tests of the MCAR / MAR mask samplers --------------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/Masks.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <vector>

using namespace gps::rt;

namespace {

/// Checks one MAR mask: values are 0/1 and the zeros are exactly one
/// size x size square inside the image. Returns its top-left corner.
void checkMarMask(const float *mask, int64_t size, int64_t height,
                  int64_t width, int64_t &top, int64_t &left) {
  int64_t zeros = 0, minRow = height, maxRow = -1, minCol = width, maxCol = -1;
  for (int64_t row = 0; row < height; ++row) {
    for (int64_t col = 0; col < width; ++col) {
      float value = mask[row * width + col];
      ASSERT_TRUE(value == 0.0f || value == 1.0f) << value;
      if (value != 0.0f)
        continue;
      ++zeros;
      minRow = std::min(minRow, row);
      maxRow = std::max(maxRow, row);
      minCol = std::min(minCol, col);
      maxCol = std::max(maxCol, col);
    }
  }
  ASSERT_EQ(zeros, size * size);
  top = minRow;
  left = minCol;
  if (size == 0)
    return;
  // size*size zeros within a size x size bounding box form a full square.
  EXPECT_EQ(maxRow - minRow + 1, size);
  EXPECT_EQ(maxCol - minCol + 1, size);
  EXPECT_GE(minRow, 0);
  EXPECT_GE(minCol, 0);
  EXPECT_LT(maxRow, height);
  EXPECT_LT(maxCol, width);
}

TEST(MasksTest, MarMaskIsOneSquareInsideTheImage) {
  struct Case {
    int64_t size, height, width;
  };
  for (Case c : {Case{0, 28, 28}, Case{1, 28, 28}, Case{9, 28, 28},
                 Case{14, 28, 28}, Case{28, 28, 28}, Case{7, 10, 20}}) {
    const int64_t batch = 64;
    std::vector<float> masks(batch * c.height * c.width, -1.0f);
    PhiloxStream rng(c.size + 100);
    ASSERT_FALSE(
        sampleMarMasks(rng, c.size, c.height, c.width, batch, masks.data()));
    for (int64_t b = 0; b < batch; ++b) {
      int64_t top, left;
      checkMarMask(masks.data() + b * c.height * c.width, c.size, c.height,
                   c.width, top, left);
    }
  }
}

TEST(MasksTest, MarPositionIsUniform) {
  // A 14x14 square in 28x28 has 15 x 15 positions.
  const int64_t batch = 3000, size = 14, side = 28;
  std::vector<float> masks(batch * side * side);
  PhiloxStream rng(77);
  ASSERT_FALSE(sampleMarMasks(rng, size, side, side, batch, masks.data()));
  std::vector<int> topCounts(15), leftCounts(15);
  for (int64_t b = 0; b < batch; ++b) {
    int64_t top, left;
    checkMarMask(masks.data() + b * side * side, size, side, side, top, left);
    ASSERT_LE(top, 14);
    ASSERT_LE(left, 14);
    ++topCounts[top];
    ++leftCounts[left];
  }
  // Each position: mean 200, standard deviation ~14.
  for (int i = 0; i < 15; ++i) {
    EXPECT_NEAR(topCounts[i], 200, 80) << "top " << i;
    EXPECT_NEAR(leftCounts[i], 200, 80) << "left " << i;
  }
}

TEST(MasksTest, MarRejectsSquaresThatDoNotFit) {
  std::vector<float> mask(20);
  PhiloxStream rng(1);
  Error err = sampleMarMasks(rng, 5, 4, 5, 1, mask.data());
  ASSERT_TRUE(static_cast<bool>(err));
  EXPECT_NE(err.message().find("5x5 square does not fit in a 4x5 image"),
            std::string::npos)
      << err.message();
  EXPECT_TRUE(static_cast<bool>(sampleMarMasks(rng, -1, 4, 5, 1, mask.data())));
}

TEST(MasksTest, McarFractionMatchesProbability) {
  const int64_t pixels = 784, batch = 100;
  std::vector<float> masks(pixels * batch);
  for (double d : {0.1, 0.25, 0.5, 0.9}) {
    PhiloxStream rng(3);
    ASSERT_FALSE(sampleMcarMasks(rng, d, pixels, batch, masks.data()));
    int64_t missing = 0;
    for (float value : masks) {
      ASSERT_TRUE(value == 0.0f || value == 1.0f);
      missing += value == 0.0f;
    }
    // Standard error of the fraction is at most 0.0018.
    EXPECT_NEAR(double(missing) / masks.size(), d, 0.01) << "d = " << d;
  }
}

TEST(MasksTest, McarExtremesAndErrors) {
  std::vector<float> masks(500);
  PhiloxStream rng(4);
  ASSERT_FALSE(sampleMcarMasks(rng, 0.0, 100, 5, masks.data()));
  EXPECT_EQ(std::count(masks.begin(), masks.end(), 1.0f), 500);
  ASSERT_FALSE(sampleMcarMasks(rng, 1.0, 100, 5, masks.data()));
  EXPECT_EQ(std::count(masks.begin(), masks.end(), 0.0f), 500);
  EXPECT_TRUE(
      static_cast<bool>(sampleMcarMasks(rng, 1.5, 100, 5, masks.data())));
  EXPECT_TRUE(
      static_cast<bool>(sampleMcarMasks(rng, -0.1, 100, 5, masks.data())));
}

TEST(MasksTest, SeedDeterminesMasks) {
  std::vector<float> a(784 * 4), b(784 * 4), c(784 * 4);
  PhiloxStream rngA(11), rngB(11), rngC(12);
  ASSERT_FALSE(sampleMcarMasks(rngA, 0.5, 784, 4, a.data()));
  ASSERT_FALSE(sampleMcarMasks(rngB, 0.5, 784, 4, b.data()));
  ASSERT_FALSE(sampleMcarMasks(rngC, 0.5, 784, 4, c.data()));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

} // namespace
