//===- FakeModel.cpp - a tiny hand-written model for trainer tests --------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "FakeModel.h"

#include "gps/Runtime/Contract.h"
#include "gps/Runtime/Masks.h"

#include <cmath>
#include <csignal>

using namespace gps::rt;
using namespace gps::rt::test;

FakeModelState gps::rt::test::fakeState;

static std::string currentManifest;
static bool currentMasked = false;

static constexpr float kNoise = 0.1f;
static constexpr float kLambda = 1e-3f;

std::string gps::rt::test::fakeManifest(const std::string &name, int64_t dim,
                                        const std::string &kind,
                                        const std::string &mask,
                                        bool guideBias) {
  std::string d = std::to_string(dim);
  std::string bias = guideBias ? R"j("name": "enc.b", "net": "enc", "policies": ["guide"])j"
                               : R"j("name": "dec.b", "net": "dec", "policies": ["primary"])j";
  return R"j({"abi": )j" + std::to_string(GPS_RUNTIME_API_VERSION) +
         R"j(, "model": ")j" + name + R"j(", "steps": 0,
    "data": {"name": "x", "kind": ")j" +
         kind + R"j(", "dim": )j" + d +
         R"j(, "lo": 0.0, "hi": 1.0},
    "mask": )j" +
         mask + R"j(,
    "params": [
      {"name": "dec.w", "net": "dec", "policies": ["primary"], "shape": [)j" +
         d + ", " + d +
         R"j(], "init": "glorot", "offset": 0},
      {)j" + bias + R"j(, "shape": [)j" +
         d + R"j(], "init": "zeros", "offset": )j" + std::to_string(dim * dim) +
         R"j(}],
    "param_count": )j" +
         std::to_string(dim * dim + dim) + R"j(,
    "terms": ["objective", "nll", "kl(q||p)", "kl(p||normal)"]})j";
}

/// Reports the memref arguments of an entry point to fakeState.onArgument.
template <typename... Memrefs> static void reportArguments(Memrefs *...refs) {
  if (fakeState.onArgument)
    (fakeState.onArgument(refs->aligned + refs->offset,
                          refs->numElements() * sizeof(*refs->aligned)),
     ...);
}

/// Computes the terms and, when `grads` is given, the gradient. With
/// `noisy` false the input is x * m exactly (the primary's view).
static void forward(gps_memref<float, 2> *x, gps_memref<float, 2> *mask,
                    gps_memref<float, 1> *params, gps_memref<float, 1> *grads,
                    gps_memref<float, 1> *terms, uint64_t key, uint64_t stream,
                    bool noisy) {
  int64_t rows = x->sizes[0], dim = x->sizes[1];
  float *w = params->aligned + params->offset;
  float *b = w + dim * dim;
  // Buffers from the arena, as generated code gets them.
  auto *h = static_cast<float *>(
      _mlir_memref_to_llvm_alloc(sizeof(float) * rows * dim));
  auto *logits = static_cast<float *>(
      _mlir_memref_to_llvm_alloc(sizeof(float) * rows * dim));
  gps_memref<float, 2> hRef = {h, h, 0, {rows, dim}, {dim, 1}};
  gps_memref<float, 2> lRef = {logits, logits, 0, {rows, dim}, {dim, 1}};
  gps_memref<float, 2> wRef = {w, w, 0, {dim, dim}, {dim, 1}};
  if (noisy)
    _mlir_ciface_gps_rt_normal(&hRef, key, stream, /*site=*/0, /*step=*/0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t d = 0; d < dim; ++d) {
      float m = currentMasked ? (*mask)({r, d}) : 1.0f;
      float noise = noisy ? kNoise * h[r * dim + d] : 0.0f;
      h[r * dim + d] = (*x)({r, d}) * m + noise;
      logits[r * dim + d] = b[d];
    }
  _mlir_ciface_gps_rt_sgemm(0, 0, 1.0f, &hRef, &wRef, 1.0f, &lRef);

  double nll = 0.0, l2 = 0.0;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t d = 0; d < dim; ++d) {
      double l = logits[r * dim + d];
      double softplus =
          l > 0 ? l + std::log1p(std::exp(-l)) : std::log1p(std::exp(l));
      nll += softplus - double((*x)({r, d})) * l;
    }
  nll /= double(rows);
  for (int64_t i = 0; i < dim * dim; ++i)
    l2 += double(w[i]) * w[i];
  float *t = terms->aligned + terms->offset;
  t[1] = static_cast<float>(nll);
  t[2] = static_cast<float>(0.5 * kLambda * l2);
  t[0] = t[1] + t[2];
  t[3] = static_cast<float>(l2);
  if (!grads)
    return;

  // d nll / d logits = (sigmoid(logits) - x) / rows, kept in `logits`.
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t d = 0; d < dim; ++d) {
      float &l = logits[r * dim + d];
      l = (1.0f / (1.0f + std::exp(-l)) - (*x)({r, d})) / float(rows);
    }
  float *gw = grads->aligned + grads->offset;
  float *gb = gw + dim * dim;
  for (int64_t i = 0; i < dim * dim; ++i)
    gw[i] = kLambda * w[i];
  gps_memref<float, 2> gwRef = {gw, gw, 0, {dim, dim}, {dim, 1}};
  _mlir_ciface_gps_rt_sgemm(1, 0, 1.0f, &hRef, &lRef, 1.0f, &gwRef);
  for (int64_t d = 0; d < dim; ++d) {
    double sum = 0.0;
    for (int64_t r = 0; r < rows; ++r)
      sum += logits[r * dim + d];
    gb[d] = static_cast<float>(sum);
  }
}

const char *gps::rt::test::fakeModelManifest() {
  return currentManifest.c_str();
}

void gps::rt::test::fakeModelTrain(gps_memref<float, 2> *x,
                                   gps_memref<float, 2> *mask,
                                   gps_memref<float, 1> *params,
                                   gps_memref<float, 1> *grads,
                                   gps_memref<float, 1> *terms, uint64_t key,
                                   uint64_t stream) {
  reportArguments(x, mask, params, grads, terms);
  ++fakeState.trainCalls;
  fakeState.lastX.assign(x->aligned + x->offset,
                         x->aligned + x->offset + x->numElements());
  forward(x, mask, params, grads, terms, key, stream, /*noisy=*/true);
  int64_t dim = x->sizes[1];
  if (fakeState.gradScale != 1.0f)
    for (int64_t i = 0; i < dim * dim; ++i)
      grads->aligned[grads->offset + i] *= fakeState.gradScale;
  if (stream == fakeState.nanTermOnStream)
    terms->aligned[terms->offset + 1] = NAN;
  if (stream == fakeState.nanGradOnStream)
    grads->aligned[grads->offset + dim * dim + 2] = INFINITY;
  if (stream == fakeState.signalOnStream)
    std::raise(fakeState.signal);
}

void gps::rt::test::fakeModelEval(gps_memref<float, 2> *x,
                                  gps_memref<float, 2> *mask,
                                  gps_memref<float, 1> *params,
                                  gps_memref<float, 1> *terms, uint64_t key,
                                  uint64_t stream) {
  reportArguments(x, mask, params, terms);
  forward(x, mask, params, nullptr, terms, key, stream, /*noisy=*/true);
}

static void fakeModelEvalPrimary(gps_memref<float, 2> *x,
                                 gps_memref<float, 2> *mask,
                                 gps_memref<float, 1> *params,
                                 gps_memref<float, 1> *terms, uint64_t key,
                                 uint64_t stream) {
  reportArguments(x, mask, params, terms);
  forward(x, mask, params, nullptr, terms, key, stream, /*noisy=*/false);
}

static void fakeModelSample(gps_memref<float, 2> *x, gps_memref<float, 2> *mask,
                            gps_memref<float, 1> *params,
                            gps_memref<float, 2> *out, uint64_t, uint64_t) {
  reportArguments(x, mask, params, out);
  int64_t rows = x->sizes[0], dim = x->sizes[1];
  const float *w = params->aligned + params->offset;
  const float *b = w + dim * dim;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < dim; ++j) {
      double l = b[j];
      for (int64_t d = 0; d < dim; ++d) {
        float m = currentMasked ? (*mask)({r, d}) : 1.0f;
        l += double((*x)({r, d}) * m) * w[d * dim + j];
      }
      (*out)({r, j}) = static_cast<float>(1.0 / (1.0 + std::exp(-l)));
    }
}

void gps::rt::test::fakeModelLogWeights(gps_memref<float, 2> *x,
                                        gps_memref<float, 2> *mask,
                                        gps_memref<float, 1> *params,
                                        gps_memref<float, 1> *out, uint64_t,
                                        uint64_t stream) {
  reportArguments(x, mask, params, out);
  int64_t rows = x->sizes[0], dim = x->sizes[1];
  double draw = std::log(double(stream % kFakeIwDraws + 1));
  for (int64_t r = 0; r < rows; ++r) {
    double sum = 0.0;
    for (int64_t d = 0; d < dim; ++d)
      sum += (*x)({r, d});
    (*out)({r}) = static_cast<float>(-sum + draw);
  }
}

void gps::rt::test::fakeModelGradSumsq(gps_memref<float, 1> *grads,
                                       gps_memref<double, 1> *out) {
  reportArguments(grads, out);
  ++fakeState.gradSumsqCalls;
  double sum = 0.0;
  for (int64_t i = 0; i < grads->sizes[0]; ++i) {
    double g = (*grads)({i});
    sum += g * g;
  }
  (*out)({0}) = sum;
}

void gps::rt::test::fakeModelAdam(gps_memref<float, 1> *params,
                                  gps_memref<float, 1> *grads,
                                  gps_memref<float, 1> *m,
                                  gps_memref<float, 1> *v,
                                  gps_memref<float, 1> *coefficients,
                                  gps_memref<double, 1> *sums,
                                  gps_memref<float, 1> *terms, double clip) {
  reportArguments(params, grads, m, v, coefficients, sums, terms);
  ++fakeState.adamCalls;
  using contract::AdamCoefficient;
  auto coefficient = [&](AdamCoefficient which) {
    return (*coefficients)({static_cast<int64_t>(which)});
  };
  double total = 0.0;
  for (int64_t i = 0; i < sums->sizes[0]; ++i)
    total += (*sums)({i});
  bool finite = std::isfinite(total);
  for (int64_t i = 0; i < terms->sizes[0]; ++i)
    finite = finite && std::isfinite((*terms)({i}));
  if (!finite)
    return;
  double norm = std::sqrt(total);
  float scale = clip > 0 && norm > clip ? static_cast<float>(clip / norm) : 1;
  float lr = coefficient(AdamCoefficient::LearningRate),
        beta1 = coefficient(AdamCoefficient::Beta1),
        beta2 = coefficient(AdamCoefficient::Beta2),
        eps = coefficient(AdamCoefficient::Epsilon),
        c1 = coefficient(AdamCoefficient::Correction1),
        c2 = coefficient(AdamCoefficient::Correction2);
  for (int64_t i = 0; i < params->sizes[0]; ++i) {
    float g = (*grads)({i}) * scale;
    float m1 = beta1 * (*m)({i}) + (1.0f - beta1) * g;
    float v1 = beta2 * (*v)({i}) + (1.0f - beta2) * g * g;
    (*m)({i}) = m1;
    (*v)({i}) = v1;
    (*params)({i}) -= lr * (m1 / c1) / (std::sqrt(v1 / c2) + eps);
  }
}

void gps::rt::test::fakeModelGather(gps_memref<uint8_t, 2> *bytes,
                                    gps_memref<float, 1> *values,
                                    gps_memref<int64_t, 1> *rows,
                                    gps_memref<float, 2> *out) {
  reportArguments(bytes, values, rows, out);
  ++fakeState.gatherCalls;
  for (int64_t r = 0; r < out->sizes[0]; ++r)
    for (int64_t d = 0; d < out->sizes[1]; ++d)
      (*out)({r, d}) = (*values)({(*bytes)({(*rows)({r}), d})});
}

void gps::rt::test::fakeModelMasks(gps_memref<float, 2> *out,
                                   gps_memref<int64_t, 2> *corners,
                                   uint64_t key, uint64_t stream) {
  reportArguments(out, corners);
  ++fakeState.masksCalls;
  PhiloxStream rng(key, stream << 32);
  (void)sampleMcarMasks(rng, kFakeMcarDrop, out->sizes[1], out->sizes[0],
                        out->aligned + out->offset);
}

ModelEntryPoints gps::rt::test::fakeModel(const std::string &manifest,
                                          bool withPrimary, bool withSample) {
  currentManifest = manifest;
  currentMasked = manifest.find("\"mask\": null") == std::string::npos;
  fakeState = FakeModelState();
  ModelEntryPoints model;
  model.manifest = fakeModelManifest;
  model.train = fakeModelTrain;
  model.eval = fakeModelEval;
  model.evalPrimary = withPrimary ? fakeModelEvalPrimary : nullptr;
  model.sample = withSample ? fakeModelSample : nullptr;
  model.logWeights = fakeModelLogWeights;
  return model;
}
