//===- PhiloxTest.cpp - tests of the Philox4x32-10 RNG --------------------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/Philox.h"
#include "gps/Runtime/Interface.h"

#include "gtest/gtest.h"

#include <cmath>
#include <unordered_set>
#include <vector>

using namespace gps::rt;

namespace {

struct KnownAnswer {
  PhiloxCounter counter;
  PhiloxKey key;
  PhiloxCounter expected;
};

// The philox4x32 10-round lines of Random123's kat_vectors (Salmon et al.),
// also checked against an independent implementation of the paper.
const KnownAnswer kKnownAnswers[] = {
    {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
    {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
     {0xffffffff, 0xffffffff},
     {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
    {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
     {0xa4093822, 0x299f31d0},
     {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
};

TEST(PhiloxTest, KnownAnswerVectors) {
  for (const KnownAnswer &kat : kKnownAnswers)
    EXPECT_EQ(philox4x32(kat.counter, kat.key), kat.expected);
}

TEST(PhiloxTest, UniformFromBitsIsInOpenUnitInterval) {
  EXPECT_EQ(uniformFromBits(0), std::ldexp(1.0f, -24));
  EXPECT_EQ(uniformFromBits(0xffffffffu), 1.0f - std::ldexp(1.0f, -24));
  EXPECT_GT(uniformFromBits(0), 0.0f);
  EXPECT_LT(uniformFromBits(0xffffffffu), 1.0f);
  EXPECT_EQ(uniformFromBits(0x80000000u), 0.5f + std::ldexp(1.0f, -24));
}

TEST(PhiloxTest, CAbiUniformUsesKeyAndCounterWords) {
  // Key 0, counter 0 is the first known-answer block.
  float out[4];
  gps_rt_philox_uniform_f32(out, 4, 0, 0);
  for (int lane = 0; lane < 4; ++lane)
    EXPECT_EQ(out[lane], uniformFromBits(kKnownAnswers[0].expected[lane]));

  // The 64-bit key and counter map to {lo, hi} and {lo, hi, 0, 0}.
  uint64_t key = 0x299f31d0a4093822ull;
  uint64_t counter = 0x85a308d3243f6a88ull;
  PhiloxCounter words =
      philox4x32({0x243f6a88, 0x85a308d3, 0, 0}, {0xa4093822, 0x299f31d0});
  gps_rt_philox_uniform_f32(out, 4, key, counter);
  for (int lane = 0; lane < 4; ++lane)
    EXPECT_EQ(out[lane], uniformFromBits(words[lane]));
}

TEST(PhiloxTest, CAbiNormalIsBoxMullerOfUniforms) {
  float out[4];
  gps_rt_philox_normal_f32(out, 4, 0, 0);
  const PhiloxCounter &bits = kKnownAnswers[0].expected;
  const double twoPi = 2.0 * std::acos(-1.0);
  for (int pair = 0; pair < 2; ++pair) {
    double u1 = (double(bits[2 * pair] >> 9) + 0.5) / 8388608.0;
    double u2 = (double(bits[2 * pair + 1] >> 9) + 0.5) / 8388608.0;
    double radius = std::sqrt(-2.0 * std::log(u1));
    EXPECT_NEAR(out[2 * pair], radius * std::cos(twoPi * u2), 1e-6);
    EXPECT_NEAR(out[2 * pair + 1], radius * std::sin(twoPi * u2), 1e-6);
  }
}

TEST(PhiloxTest, CAbiCountAndCounterAreConsistent) {
  std::vector<float> longRun(16), shortRun(7), shifted(8);
  gps_rt_philox_normal_f32(longRun.data(), 16, 42, 100);
  gps_rt_philox_normal_f32(shortRun.data(), 7, 42, 100);
  // Blocks 101 and 102 are elements 4..11 of the long run.
  gps_rt_philox_normal_f32(shifted.data(), 8, 42, 101);
  for (int i = 0; i < 7; ++i)
    EXPECT_EQ(shortRun[i], longRun[i]);
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(shifted[i], longRun[4 + i]);

  std::vector<float> otherKey(16);
  gps_rt_philox_normal_f32(otherKey.data(), 16, 43, 100);
  EXPECT_NE(otherKey, longRun);
  // count 0 writes nothing.
  float untouched = 7.0f;
  gps_rt_philox_uniform_f32(&untouched, 0, 1, 1);
  EXPECT_EQ(untouched, 7.0f);
}

TEST(PhiloxTest, StreamMatchesBlocksAndCAbi) {
  PhiloxStream words(0, 0);
  for (int lane = 0; lane < 4; ++lane)
    EXPECT_EQ(words.nextU32(), kKnownAnswers[0].expected[lane]);
  EXPECT_EQ(words.nextU32(), philox4x32({1, 0, 0, 0}, {0, 0})[0]);
  EXPECT_EQ(words.counter(), 2u);

  float expected[8];
  gps_rt_philox_normal_f32(expected, 8, 9, 3);
  PhiloxStream normals(9, 3);
  for (float value : expected)
    EXPECT_EQ(normals.nextNormal(), value);
}

TEST(PhiloxTest, NextBelowCoversRangeUniformly) {
  PhiloxStream rng(5);
  int counts[7] = {};
  const int draws = 70000;
  for (int i = 0; i < draws; ++i) {
    uint32_t value = rng.nextBelow(7);
    ASSERT_LT(value, 7u);
    ++counts[value];
  }
  // Each bucket: mean 10000, standard deviation ~93.
  for (int count : counts)
    EXPECT_NEAR(count, 10000, 600);
  EXPECT_EQ(PhiloxStream(1).nextBelow(1), 0u);
}

TEST(PhiloxTest, NormalMomentsMatchStandardNormal) {
  const int n = 100000;
  std::vector<float> z(n);
  gps_rt_philox_normal_f32(z.data(), n, 2024, 0);
  double sum = 0, sumSquares = 0, within1 = 0;
  for (float x : z) {
    ASSERT_TRUE(std::isfinite(x));
    sum += x;
    sumSquares += double(x) * x;
    within1 += std::fabs(x) < 1.0f;
  }
  double mean = sum / n;
  double variance = sumSquares / n - mean * mean;
  // Standard errors: mean 0.0032, variance 0.0045, P(|z|<1) 0.0015.
  EXPECT_NEAR(mean, 0.0, 0.02);
  EXPECT_NEAR(variance, 1.0, 0.03);
  EXPECT_NEAR(within1 / n, 0.682689, 0.01);
}

TEST(PhiloxTest, UniformMomentsMatchUnitInterval) {
  const int n = 100000;
  std::vector<float> u(n);
  gps_rt_philox_uniform_f32(u.data(), n, 7, 0);
  double sum = 0, sumSquares = 0;
  for (float x : u) {
    ASSERT_GT(x, 0.0f);
    ASSERT_LT(x, 1.0f);
    sum += x;
    sumSquares += double(x) * x;
  }
  double mean = sum / n;
  // Standard errors: mean 0.0009, variance 0.0003.
  EXPECT_NEAR(mean, 0.5, 0.006);
  EXPECT_NEAR(sumSquares / n - mean * mean, 1.0 / 12.0, 0.002);
}

// Every (site, step) pair the language allows has its own key: steps run to
// 100,000, far past the 1,024 where the earlier derivation wrapped into the
// next site's keys.
TEST(PhiloxTest, NoiseKeysNeverCollide) {
  const uint64_t maxStep = 100000, sites = 16;
  for (uint64_t seed : {0ull, 1234ull, ~0ull}) {
    std::unordered_set<uint64_t> keys;
    keys.reserve(sites * (maxStep + 1));
    for (uint64_t site = 0; site < sites; ++site)
      for (uint64_t step = 0; step <= maxStep; ++step)
        keys.insert(gps_rt_noise_key(seed, site, step));
    EXPECT_EQ(keys.size(), sites * (maxStep + 1)) << "seed " << seed;
  }
  // The pair that used to collide: (site 0, step 1024) and (site 1, step 0).
  EXPECT_NE(gps_rt_noise_key(5, 0, 1024), gps_rt_noise_key(5, 1, 0));
  EXPECT_NE(gps_rt_noise_key(5, 0, 1ull << 32 >> 1), gps_rt_noise_key(5, 1, 0));
}

// The draws of one site at the language's largest step count are
// independent: the sum over 100,000 steps of each element has variance
// 100,000 (a repeat every 1,024 steps would double it), and two sites'
// sums are uncorrelated.
TEST(PhiloxTest, NoiseIndependentAcrossAllSteps) {
  const int64_t steps = 100000, width = 256;
  std::vector<double> sumA(width, 0.0), sumB(width, 0.0);
  std::vector<float> draw(width);
  gps_memref<float, 2> ref = {draw.data(), draw.data(), 0, {1, width},
                              {width, 1}};
  for (int64_t t = 1; t <= steps; ++t) {
    _mlir_ciface_gps_rt_normal(&ref, 42, 3, /*site=*/0, t);
    for (int64_t i = 0; i < width; ++i)
      sumA[i] += draw[i];
    _mlir_ciface_gps_rt_normal(&ref, 42, 3, /*site=*/1, t);
    for (int64_t i = 0; i < width; ++i)
      sumB[i] += draw[i];
  }
  double varA = 0, varB = 0, cov = 0;
  for (int64_t i = 0; i < width; ++i) {
    varA += sumA[i] * sumA[i];
    varB += sumB[i] * sumB[i];
    cov += sumA[i] * sumB[i];
  }
  varA /= width * double(steps);
  varB /= width * double(steps);
  cov /= width * double(steps);
  // Standard errors: variance sqrt(2 / 256) = 0.088, covariance 0.0625.
  EXPECT_NEAR(varA, 1.0, 0.35);
  EXPECT_NEAR(varB, 1.0, 0.35);
  EXPECT_NEAR(cov, 0.0, 0.3);
}

} // namespace
