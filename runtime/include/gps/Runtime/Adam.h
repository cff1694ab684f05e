//===- Adam.h - the Adam optimizer ------------------------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// Adam (Kingma and Ba, 2015) over one flat float buffer of parameters, with
// bias-corrected moments, a step-wise learning-rate decay and a global
// gradient-norm clipping helper.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_RUNTIME_ADAM_H
#define GPS_RUNTIME_ADAM_H

#include "gps/Runtime/ParamMemory.h"

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace gps::rt {

/// Hyper-parameters of Adam.
struct AdamOptions {
  float learningRate = 2e-4f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float epsilon = 1e-8f;
  /// Every `decayEvery` updates the learning rate is multiplied by
  /// `decayFactor`; `decayEvery == 0` disables decay.
  float decayFactor = 1.0f;
  int64_t decayEvery = 0;
};

/// The scalars of one Adam update: the learning rate, the betas, epsilon
/// and the bias corrections 1 - beta1^t and 1 - beta2^t, in float as the
/// elementwise update uses them.
struct AdamCoefficients {
  float lr, beta1, beta2, eps, correction1, correction2;
};

/// Adam state for a buffer of `size` parameters. Update t (1-based) computes
///   m = beta1 m + (1 - beta1) g,   v = beta2 v + (1 - beta2) g^2,
///   p -= lr_t (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + epsilon),
/// with lr_t = learningRate * decayFactor^floor((t - 1) / decayEvery).
class Adam {
public:
  Adam(size_t size, AdamOptions options = {});

  /// Applies one update to `params` from `grads`, both of `size()` floats.
  void step(float *params, const float *grads);
  /// The same update restricted to the elements [begin, end) of `ranges`:
  /// the other parameters and their moments are left exactly as they are
  /// (frozen parameters). The update count still advances.
  void step(float *params, const float *grads,
            const std::vector<std::pair<size_t, size_t>> &ranges);

  /// The coefficients of the next update, for code that applies it
  /// elsewhere (a model's compiled Adam update).
  AdamCoefficients nextCoefficients() const;
  /// Counts one update without applying it and returns its coefficients.
  AdamCoefficients beginStep();
  /// The learning rate the next update will use.
  float currentLearningRate() const;

  size_t size() const { return firstMoment.size(); }
  /// The number of updates applied so far.
  int64_t numSteps() const { return steps; }
  const AdamOptions &getOptions() const { return options; }

  /// Moment estimates, exposed for checkpointing.
  ParamVector &getFirstMoment() { return firstMoment; }
  ParamVector &getSecondMoment() { return secondMoment; }
  /// Restores the update count (after loading moments from a checkpoint).
  void setNumSteps(int64_t numSteps) { steps = numSteps; }

private:
  AdamOptions options;
  ParamVector firstMoment;
  ParamVector secondMoment;
  int64_t steps = 0;
};

/// A view of one gradient buffer.
struct GradBuffer {
  float *data;
  size_t size;
};

/// The L2 norm of all gradient buffers together.
double globalGradNorm(const std::vector<GradBuffer> &grads);

/// Scales all buffers by maxNorm / norm when their global L2 norm exceeds
/// `maxNorm` (> 0), so the clipped norm is `maxNorm`. Returns the norm
/// before clipping.
double clipGradNorm(const std::vector<GradBuffer> &grads, double maxNorm);

} // namespace gps::rt

#endif // GPS_RUNTIME_ADAM_H
