//===- Adam.cpp - the Adam optimizer ----------------------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/Adam.h"
#include "gps/Runtime/Parallel.h"

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

// The elementwise loops below are the same IEEE operations in every
// version (this file is built with -ffp-contract=off and -fno-math-errno, so
// no fused multiply-add and a plain sqrt instruction): vector and scalar code
// round alike, and results do not depend on the CPU or the thread count.
#if defined(__x86_64__) && defined(__GNUC__) && defined(__ELF__)
#define GPS_VECTOR_CLONES                                                      \
  __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define GPS_VECTOR_CLONES
#endif

namespace {
GPS_VECTOR_CLONES
void adamUpdate(float *__restrict params, const float *__restrict grads,
                float *__restrict firstMoment, float *__restrict secondMoment,
                size_t begin, size_t end, AdamCoefficients c) {
  for (size_t i = begin; i < end; ++i) {
    float g = grads[i];
    float m = c.beta1 * firstMoment[i] + (1.0f - c.beta1) * g;
    float v = c.beta2 * secondMoment[i] + (1.0f - c.beta2) * g * g;
    firstMoment[i] = m;
    secondMoment[i] = v;
    params[i] -=
        c.lr * (m / c.correction1) / (std::sqrt(v / c.correction2) + c.eps);
  }
}

/// Parts of this many elements: large enough that handing one to a thread
/// costs little beside it, small enough to balance two threads on a shared
/// machine.
constexpr size_t kPart = size_t(1) << 15;

/// The parts of `ranges` (clamped to `size`): [begin, end) pairs of at most
/// kPart elements.
std::vector<std::pair<size_t, size_t>>
splitRanges(const std::vector<std::pair<size_t, size_t>> &ranges,
            size_t size) {
  std::vector<std::pair<size_t, size_t>> parts;
  for (auto [begin, end] : ranges)
    for (size_t b = begin, e = std::min(end, size); b < e; b += kPart)
      parts.emplace_back(b, std::min(e, b + kPart));
  return parts;
}
} // namespace

AdamCoefficients Adam::beginStep() {
  AdamCoefficients c = nextCoefficients();
  ++steps;
  return c;
}

AdamCoefficients Adam::nextCoefficients() const {
  float lr = currentLearningRate();
  // Bias corrections in double: beta^t underflows gracefully for large t.
  double t = static_cast<double>(steps + 1);
  AdamCoefficients c;
  c.lr = lr;
  c.beta1 = options.beta1;
  c.beta2 = options.beta2;
  c.eps = options.epsilon;
  c.correction1 = static_cast<float>(1.0 - std::pow(double(options.beta1), t));
  c.correction2 = static_cast<float>(1.0 - std::pow(double(options.beta2), t));
  return c;
}

void Adam::step(float *params, const float *grads,
                const std::vector<std::pair<size_t, size_t>> &ranges) {
  AdamCoefficients c = beginStep();
  std::vector<std::pair<size_t, size_t>> parts =
      splitRanges(ranges, firstMoment.size());
  float *m = firstMoment.data(), *v = secondMoment.data();
  parallelFor(parts.size(), [&](size_t i) {
    adamUpdate(params, grads, m, v, parts[i].first, parts[i].second, c);
  });
}

namespace {
/// The sum of squares of data[0, n) in double, in a fixed order: eight
/// running sums, element i going to sum i % 8, added together at the end.
GPS_VECTOR_CLONES
double sumSquares(const float *data, size_t n) {
  double lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (size_t k = 0; k < 8; ++k)
      lanes[k] += double(data[i + k]) * double(data[i + k]);
  for (size_t k = 0; i < n; ++i, ++k)
    lanes[k] += double(data[i]) * double(data[i]);
  return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) +
         ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
}
} // namespace

double gps::rt::globalGradNorm(const std::vector<GradBuffer> &grads) {
  // Each part's sum of squares, then their total in part order: the same
  // result with any number of threads.
  std::vector<std::pair<const float *, size_t>> parts;
  for (const GradBuffer &buffer : grads)
    for (size_t b = 0; b < buffer.size; b += kPart)
      parts.emplace_back(buffer.data + b, std::min(kPart, buffer.size - b));
  std::vector<double> sums(parts.size());
  parallelFor(parts.size(), [&](size_t i) {
    sums[i] = sumSquares(parts[i].first, parts[i].second);
  });
  double total = 0.0;
  for (double sum : sums)
    total += sum;
  return std::sqrt(total);
}

double gps::rt::clipGradNorm(const std::vector<GradBuffer> &grads,
                             double maxNorm) {
  double norm = globalGradNorm(grads);
  if (!(norm > maxNorm) || maxNorm <= 0.0)
    return norm;
  float scale = static_cast<float>(maxNorm / norm);
  for (const GradBuffer &buffer : grads)
    parallelFor((buffer.size + kPart - 1) / kPart, [&](size_t part) {
      for (size_t i = part * kPart, e = std::min(buffer.size, i + kPart);
           i < e; ++i)
        buffer.data[i] *= scale;
    });
  return norm;
}
