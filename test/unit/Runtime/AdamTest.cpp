//===- AdamTest.cpp - tests of the Adam optimizer -------------------------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/Adam.h"

#include "gtest/gtest.h"

#include <cmath>

using namespace gps::rt;

namespace {

TEST(AdamTest, DefaultOptions) {
  AdamOptions options;
  EXPECT_FLOAT_EQ(options.learningRate, 2e-4f);
  EXPECT_FLOAT_EQ(options.beta1, 0.9f);
  EXPECT_FLOAT_EQ(options.beta2, 0.999f);
  EXPECT_FLOAT_EQ(options.epsilon, 1e-8f);
  Adam adam(3);
  EXPECT_EQ(adam.size(), 3u);
  EXPECT_EQ(adam.numSteps(), 0);
  EXPECT_FLOAT_EQ(adam.currentLearningRate(), 2e-4f);
}

TEST(AdamTest, ThreeStepsMatchHandComputedReference) {
  AdamOptions options;
  options.learningRate = 0.1f;
  Adam adam(4, options);
  float params[4] = {1.0f, -2.0f, 0.5f, 0.0f};
  const float grads[3][4] = {{0.5f, -1.0f, 0.0f, 2.0f},
                             {0.1f, -0.5f, 0.2f, -1.0f},
                             {-0.3f, 0.4f, 0.1f, 0.5f}};
  // Kingma & Ba's update evaluated in double precision, outside this code.
  const double expected[3][4] = {
      {0.900000002, -1.900000001, 0.500000000, -0.100000000},
      {0.819695906, -1.806782038, 0.425586323, -0.126633703},
      {0.798624612, -1.760478980, 0.345562198, -0.160676618}};
  for (int t = 0; t < 3; ++t) {
    adam.step(params, grads[t]);
    for (int i = 0; i < 4; ++i)
      EXPECT_NEAR(params[i], expected[t][i], 2e-6) << "step " << t + 1;
  }
  EXPECT_EQ(adam.numSteps(), 3);
  // m_3 = sum_k (1-b1) b1^(3-k) g_k, v_3 likewise.
  const double m3[4] = {0.0195, -0.086, 0.028, 0.122};
  const double v3[4] = {0.00034949025, 0.001407751, 0.00004996, 0.005241004};
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(adam.getFirstMoment()[i], m3[i], 1e-7);
    // Relative: float's 0.999f makes 1 - beta2 off by 1.3e-5 relative.
    EXPECT_NEAR(adam.getSecondMoment()[i], v3[i], v3[i] * 5e-5);
  }
}

TEST(AdamTest, LearningRateDecaysEveryNUpdates) {
  AdamOptions options;
  options.learningRate = 0.1f;
  options.decayFactor = 0.5f;
  options.decayEvery = 2;
  Adam adam(1, options);
  // With a constant gradient the bias-corrected ratio is exactly 1, so each
  // update moves the parameter by the learning rate in force.
  const float expectedLr[6] = {0.1f, 0.1f, 0.05f, 0.05f, 0.025f, 0.025f};
  float param = 0.0f, grad = 1.0f;
  double position = 0.0;
  for (float lr : expectedLr) {
    EXPECT_FLOAT_EQ(adam.currentLearningRate(), lr);
    adam.step(&param, &grad);
    position -= lr;
    EXPECT_NEAR(param, position, 1e-6);
  }
  EXPECT_FLOAT_EQ(adam.currentLearningRate(), 0.0125f);
}

TEST(AdamTest, GradientNormClipping) {
  float a[2] = {3.0f, 4.0f};
  float b[1] = {12.0f};
  std::vector<GradBuffer> grads = {{a, 2}, {b, 1}};
  EXPECT_DOUBLE_EQ(globalGradNorm(grads), 13.0);

  // Below the limit: unchanged.
  EXPECT_DOUBLE_EQ(clipGradNorm(grads, 20.0), 13.0);
  EXPECT_EQ(a[0], 3.0f);
  EXPECT_EQ(b[0], 12.0f);

  // Above: every buffer scaled by 6.5 / 13.
  EXPECT_DOUBLE_EQ(clipGradNorm(grads, 6.5), 13.0);
  EXPECT_FLOAT_EQ(a[0], 1.5f);
  EXPECT_FLOAT_EQ(a[1], 2.0f);
  EXPECT_FLOAT_EQ(b[0], 6.0f);
  EXPECT_NEAR(globalGradNorm(grads), 6.5, 1e-6);
  EXPECT_DOUBLE_EQ(globalGradNorm({}), 0.0);
}

TEST(AdamTest, RangesLeaveOtherParametersAndMomentsAlone) {
  AdamOptions options;
  options.learningRate = 0.1f;
  Adam full(6, options), partial(6, options);
  float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, 2, 3, 4, 5, 6};
  const float grads[6] = {0.5f, -1.0f, 0.25f, 2.0f, -0.5f, 1.0f};
  for (int step = 0; step < 3; ++step) {
    full.step(a, grads);
    partial.step(b, grads, {{0, 2}, {4, 5}});
  }
  EXPECT_EQ(partial.numSteps(), 3);
  for (int i : {0, 1, 4}) {
    EXPECT_EQ(a[i], b[i]) << i;
    EXPECT_EQ(full.getFirstMoment()[i], partial.getFirstMoment()[i]) << i;
    EXPECT_EQ(full.getSecondMoment()[i], partial.getSecondMoment()[i]) << i;
  }
  for (int i : {2, 3, 5}) {
    EXPECT_EQ(b[i], float(i + 1)) << i;
    EXPECT_EQ(partial.getFirstMoment()[i], 0.0f) << i;
    EXPECT_EQ(partial.getSecondMoment()[i], 0.0f) << i;
  }
}

} // namespace
