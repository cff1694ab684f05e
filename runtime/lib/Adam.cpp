//===- Adam.cpp - the Adam optimizer ----------------------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/Adam.h"

#include <algorithm>
#include <cmath>

using namespace gps::rt;

Adam::Adam(size_t size, AdamOptions options)
    : options(options), firstMoment(size, 0.0f), secondMoment(size, 0.0f) {}

float Adam::currentLearningRate() const {
  if (options.decayEvery <= 0)
    return options.learningRate;
  double decays = static_cast<double>(steps / options.decayEvery);
  return static_cast<float>(options.learningRate *
                            std::pow(double(options.decayFactor), decays));
}

void Adam::step(float *params, const float *grads) {
  step(params, grads, {{size_t(0), firstMoment.size()}});
}

void Adam::step(float *params, const float *grads,
                const std::vector<std::pair<size_t, size_t>> &ranges) {
  float lr = currentLearningRate();
  ++steps;
  // Bias corrections in double: beta^t underflows gracefully for large t.
  double t = static_cast<double>(steps);
  float correction1 =
      static_cast<float>(1.0 - std::pow(double(options.beta1), t));
  float correction2 =
      static_cast<float>(1.0 - std::pow(double(options.beta2), t));
  float beta1 = options.beta1, beta2 = options.beta2, eps = options.epsilon;
  for (auto [begin, end] : ranges)
    for (size_t i = begin, e = std::min(end, firstMoment.size()); i < e; ++i) {
      float g = grads[i];
      float m = beta1 * firstMoment[i] + (1.0f - beta1) * g;
      float v = beta2 * secondMoment[i] + (1.0f - beta2) * g * g;
      firstMoment[i] = m;
      secondMoment[i] = v;
      params[i] -= lr * (m / correction1) / (std::sqrt(v / correction2) + eps);
    }
}

double gps::rt::globalGradNorm(const std::vector<GradBuffer> &grads) {
  double sumSquares = 0.0;
  for (const GradBuffer &buffer : grads)
    for (size_t i = 0; i < buffer.size; ++i)
      sumSquares += double(buffer.data[i]) * double(buffer.data[i]);
  return std::sqrt(sumSquares);
}

double gps::rt::clipGradNorm(const std::vector<GradBuffer> &grads,
                             double maxNorm) {
  double norm = globalGradNorm(grads);
  if (!(norm > maxNorm) || maxNorm <= 0.0)
    return norm;
  float scale = static_cast<float>(maxNorm / norm);
  for (const GradBuffer &buffer : grads)
    for (size_t i = 0; i < buffer.size; ++i)
      buffer.data[i] *= scale;
  return norm;
}
