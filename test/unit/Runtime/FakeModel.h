//===- FakeModel.h - a tiny model for the trainer tests ---------*- C++ -*-===//
//-*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// A stand-in for a compiled model: logistic regression of the data on a
// noisy, masked copy of itself, with its exact gradient. It uses the runtime
// as generated code does (arena buffers, gps_rt_sgemm, gps_rt_normal), and
// can produce NaN or raise a signal on a chosen update.
//
//   h = x * m + 0.1 * eps,  eps ~ N(0, I) from (key, stream)
//   logits = h W + b
//   nll = mean over rows of sum_d softplus(logits) - x * logits
//   kl(q||p) = 0.5e-3 * |W|^2,  objective = nll + kl(q||p),  l2 = |W|^2
//
// m is the mask for a model with one, else 1.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_TEST_UNIT_RUNTIME_FAKEMODEL_H
#define GPS_TEST_UNIT_RUNTIME_FAKEMODEL_H

#include "gps/Trainer/Trainer.h"

#include <cstdint>
#include <string>
#include <vector>

namespace gps::rt::test {

/// Knobs and observations of the fake model. Streams of training updates
/// start at 1, so 0 means never.
struct FakeModelState {
  /// terms[1] (nll) is NaN on this update.
  uint64_t nanTermOnStream = 0;
  /// The gradient of dec.b, element 2, is +inf on this update.
  uint64_t nanGradOnStream = 0;
  /// The gradient of dec.w is multiplied by this: a wrong gradient for
  /// gradcheck to find.
  float gradScale = 1.0f;
  /// raise(signal) during this update.
  uint64_t signalOnStream = 0;
  int signal = 0;
  /// The x of the last train call, and the number of calls.
  std::vector<float> lastX;
  uint64_t trainCalls = 0;
  /// The calls of the compiled optimizer's entry points.
  uint64_t gradSumsqCalls = 0, adamCalls = 0;
  /// The calls of the compiled gather and masks.
  uint64_t gatherCalls = 0, masksCalls = 0;
  /// Called by every entry point with the bytes of each of its memref
  /// arguments (where the trainer put them).
  void (*onArgument)(const void *begin, size_t bytes) = nullptr;
};

/// Shared by all entry points; reset by fakeModel().
extern FakeModelState fakeState;

/// The manifest of a fake model `name` with data dim `dim` (a square),
/// data kind `kind` and the mask JSON `mask` ("null" for none). Both
/// parameters belong to the net `dec`, which the primary reads; with
/// `guideBias` the bias is `enc.b` instead, of a net `enc` only the guide
/// reads.
std::string fakeManifest(const std::string &name = "fake", int64_t dim = 16,
                         const std::string &kind = "real",
                         const std::string &mask = "null",
                         bool guideBias = false);

/// The entry points of the fake model with `manifest` (kept until the next
/// call); resets fakeState.
ModelEntryPoints fakeModel(const std::string &manifest = fakeManifest(),
                           bool withPrimary = true, bool withSample = true);

/// The fake log_weights: log w = -sum_d x_d + log(k + 1) for draw
/// k = stream mod 2^20 (the trainer's draw number on an evaluation batch).
constexpr uint64_t kFakeIwDraws = uint64_t(1) << 20;
void fakeModelLogWeights(gps_memref<float, 2> *x, gps_memref<float, 2> *mask,
                         gps_memref<float, 1> *params, gps_memref<float, 1> *out,
                         uint64_t key, uint64_t stream);

/// The compiled optimizer's entry points (Interface.h's grad_sumsq and
/// adam), written after the contract: a model's own, which fakeModel()
/// leaves out (set ModelEntryPoints::gradSumsq and adam to use them).
void fakeModelGradSumsq(gps_memref<float, 1> *grads,
                        gps_memref<double, 1> *out);
void fakeModelAdam(gps_memref<float, 1> *params, gps_memref<float, 1> *grads,
                   gps_memref<float, 1> *m, gps_memref<float, 1> *v,
                   gps_memref<float, 1> *coefficients,
                   gps_memref<double, 1> *sums, gps_memref<float, 1> *terms,
                   double clip);

/// The batch's gather (Interface.h's gather), likewise.
void fakeModelGather(gps_memref<uint8_t, 2> *bytes,
                     gps_memref<float, 1> *values, gps_memref<int64_t, 1> *rows,
                     gps_memref<float, 2> *out);

/// The masks entry of a model with `mcar(kFakeMcarDrop)` masks, likewise
/// (the trainer's own sampler on the entry's stream).
constexpr double kFakeMcarDrop = 0.5;
void fakeModelMasks(gps_memref<float, 2> *out, gps_memref<int64_t, 2> *corners,
                    uint64_t key, uint64_t stream);

// The entry points themselves, for a trainer executable.
const char *fakeModelManifest();
void fakeModelTrain(gps_memref<float, 2> *x, gps_memref<float, 2> *mask,
                    gps_memref<float, 1> *params, gps_memref<float, 1> *grads,
                    gps_memref<float, 1> *terms, uint64_t key, uint64_t stream);
void fakeModelEval(gps_memref<float, 2> *x, gps_memref<float, 2> *mask,
                   gps_memref<float, 1> *params, gps_memref<float, 1> *terms,
                   uint64_t key, uint64_t stream);

} // namespace gps::rt::test

#endif // GPS_TEST_UNIT_RUNTIME_FAKEMODEL_H
