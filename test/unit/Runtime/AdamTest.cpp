//===- AdamTest.cpp - tests of the Adam optimizer -------------------------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/Adam.h"
#include "gps/Runtime/Parallel.h"

#include "gtest/gtest.h"

#include <atomic>
#include <cmath>
#include <vector>

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

/// Sets the pool's thread count, and restores it when it goes out of scope.
struct ThreadCount {
  int saved = getParallelThreads();
  explicit ThreadCount(int n) { setParallelThreads(n); }
  ~ThreadCount() { setParallelThreads(saved); }
};

TEST(ParallelTest, EveryTaskRunsOnce) {
  for (int threads : {1, 2, 3}) {
    ThreadCount count(threads);
    EXPECT_EQ(getParallelThreads(), threads);
    for (size_t n : {size_t(0), size_t(1), size_t(7), size_t(1000)}) {
      std::vector<std::atomic<int>> runs(n);
      parallelFor(n, [&](size_t i) { runs[i].fetch_add(1); });
      for (size_t i = 0; i < n; ++i)
        EXPECT_EQ(runs[i].load(), 1) << threads << " threads, task " << i;
    }
  }
}

// Large buffers (several parts of the pool's work) give the same bits with
// any number of threads, and Adam the same bits as the update evaluated
// one element at a time.
TEST(AdamTest, LargeBuffersAreThreadCountIndependent) {
  const size_t n = 300001;
  std::vector<float> grads(n), start(n);
  for (size_t i = 0; i < n; ++i) {
    grads[i] = std::sin(float(i) * 0.37f) * (1.0f + float(i % 13));
    start[i] = std::cos(float(i) * 0.11f);
  }
  AdamOptions options;
  options.learningRate = 0.01f;
  // The update written out per element, as in Adam.h.
  std::vector<float> want = start, m(n, 0.0f), v(n, 0.0f);
  for (int t = 1; t <= 2; ++t) {
    float c1 = float(1.0 - std::pow(double(options.beta1), t));
    float c2 = float(1.0 - std::pow(double(options.beta2), t));
    for (size_t i = 0; i < n; ++i) {
      float g = grads[i];
      volatile float mi = options.beta1 * m[i] + (1.0f - options.beta1) * g;
      volatile float gg = (1.0f - options.beta2) * g * g;
      volatile float vi = options.beta2 * v[i] + gg;
      m[i] = mi;
      v[i] = vi;
      volatile float den = std::sqrt(v[i] / c2) + options.epsilon;
      volatile float step = options.learningRate * (m[i] / c1);
      want[i] -= step / den;
    }
  }
  std::vector<double> norms;
  for (int threads : {1, 2, 3}) {
    ThreadCount count(threads);
    Adam adam(n, options);
    std::vector<float> params = start;
    adam.step(params.data(), grads.data());
    adam.step(params.data(), grads.data());
    for (size_t i = 0; i < n; ++i)
      ASSERT_EQ(params[i], want[i]) << threads << " threads, element " << i;
    norms.push_back(globalGradNorm({{grads.data(), n}}));
  }
  EXPECT_EQ(norms[0], norms[1]);
  EXPECT_EQ(norms[0], norms[2]);
  double sum = 0.0;
  for (float g : grads)
    sum += double(g) * double(g);
  EXPECT_NEAR(norms[0], std::sqrt(sum), 1e-12 * std::sqrt(sum));
}

} // namespace
