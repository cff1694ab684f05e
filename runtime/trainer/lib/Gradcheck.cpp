//===- Gradcheck.cpp - the trainer's gradcheck command --------------------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// Checks the compiled gradient against central finite differences of the
// compiled objective, as Stan's `diagnose` does, along random directions:
// for each parameter tensor W and a direction v ~ N(0, I) over W,
// (L(W + h v) - L(W - h v)) / 2h from the eval entry point against
// sum_i dL/dW_i v_i from the train entry point. Both calls use the same key
// and stream, so the noise of the reparameterised sites is the same and L
// is a deterministic function of the parameters. Directions rather than
// single elements: L is a float, and a one-element step moves it by less
// than its rounding error, while a step along v moves it by about
// h * |dL/dW|.
//
//===----------------------------------------------------------------------===//

#include "TrainerImpl.h"

#include "gps/Runtime/Interface.h"
#include "gps/Runtime/Philox.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

using namespace gps::rt;
using namespace gps::rt::impl;

namespace {
/// The objective of `params` on the batch (eval entry point, terms[0]).
double objective(const ModelEntryPoints &model, const Manifest &manifest,
                 std::vector<float> &x, std::vector<float> &mask,
                 int64_t batch, std::vector<float> &params, uint64_t seed) {
  std::vector<float> terms(manifest.terms.size());
  auto xRef = matrixRef(x.data(), batch, manifest.data.dim);
  auto mRef = matrixRef(mask.data(), batch, manifest.data.dim);
  auto pRef = vectorRef(params.data(), params.size());
  auto tRef = vectorRef(terms.data(), terms.size());
  model.eval(&xRef, &mRef, &pRef, &tRef, seed, /*stream=*/1);
  gps_rt_arena_reset();
  return terms[0];
}
} // namespace

int gps::rt::impl::gradcheckCommand(const std::vector<std::string> &args,
                                    const ModelEntryPoints &model,
                                    const Manifest &manifest,
                                    const Console &console) {
  FlagSet flags(console.program + " gradcheck [flags]",
                "Checks the gradient of model '" + manifest.model +
                    "' against central finite differences of its objective\n"
                    "along random directions of each parameter, at freshly "
                    "initialised parameters,\non the first examples of the "
                    "data. Exits 1 when an error exceeds the\ntolerance.");
  flags.add("data", "NAME|PATH|synthetic",
            "data set, or uniform synthetic rows (default mnist10k)");
  flags.add("batch", "N", "examples (default 8)");
  flags.add("seed", "N", "parameter initialisation and noise (default 1)");
  flags.add("samples", "N", "random directions per parameter (default 2)");
  flags.add("step", "H", "finite-difference step along a direction "
                         "(default 1e-3)");
  flags.add("tolerance", "T",
            "largest |ad - fd| / (|ad| + |fd|) beyond the rounding noise of "
            "the difference quotient (default 2e-2)");
  flags.add("verbose", "", "print every direction");
  if (Error err = flags.parse(args, 2))
    return console.usage("gradcheck", err.message());
  if (flags.helpRequested()) {
    console.out << flags.usage();
    return kExitSuccess;
  }
  uint64_t batch = 8, seed = 1, samples = 2;
  double step = 1e-3, tolerance = 2e-2;
  Error err;
  if ((err = flags.getUnsigned("batch", batch, 1, 1u << 20)) ||
      (err = flags.getUnsigned("seed", seed)) ||
      (err = flags.getUnsigned("samples", samples, 1, 1u << 20)) ||
      (err = flags.getDouble("step", step, 0.0, 1.0, /*loOpen=*/true)) ||
      (err = flags.getDouble("tolerance", tolerance, 0.0, 1.0, true)))
    return console.usage("gradcheck", err.message());
  if (!model.train || !model.eval)
    return console.fail("model '" + manifest.model +
                        "' lacks the train or eval entry point");

  // The examples: the first rows of a data set, or `synthetic` rows drawn
  // uniformly from the data's range (bits: fair coins), so that small test
  // models need no data file of their size.
  int64_t dim = manifest.data.dim;
  std::string spec = flags.has("data") ? flags.value("data") : "mnist10k";
  std::vector<float> x, mask;
  if (spec == "synthetic") {
    x.resize(batch * dim);
    PhiloxStream rows(deriveKey(seed, kTagBinarize));
    for (float &v : x) {
      float u = rows.nextUniform();
      v = manifest.data.kind == DataKind::Bits
              ? (u < 0.5f ? 0.0f : 1.0f)
              : static_cast<float>(manifest.data.lo +
                                   (manifest.data.hi - manifest.data.lo) * u);
    }
  } else {
    Dataset data;
    if (Error err = loadDataset(spec, manifest, data))
      return console.fail(err.message());
    batch = std::min<uint64_t>(batch, data.count);
    x.resize(batch * dim);
    for (uint64_t i = 0; i < batch; ++i)
      data.row(static_cast<uint32_t>(i), &x[i * dim]);
  }
  mask.assign(batch * dim, 1.0f);
  if (manifest.mask) {
    PhiloxStream maskRng(deriveKey(seed, kTagTrainMasks));
    if (Error err = sampleMasks(manifest, maskRng, batch, mask.data()))
      return console.fail(err.message());
  } else {
    mask = x;
  }

  std::vector<float> params;
  initParams(manifest, seed, params);
  std::vector<float> grads(params.size()), terms(manifest.terms.size());
  {
    auto xRef = matrixRef(x.data(), batch, dim);
    auto mRef = matrixRef(mask.data(), batch, dim);
    auto pRef = vectorRef(params.data(), params.size());
    auto gRef = vectorRef(grads.data(), grads.size());
    auto tRef = vectorRef(terms.data(), terms.size());
    model.train(&xRef, &mRef, &pRef, &gRef, &tRef, seed, /*stream=*/1);
    gps_rt_arena_reset();
  }
  double base = objective(model, manifest, x, mask, batch, params, seed);
  if (!std::isfinite(base) || base != terms[0])
    return console.fail("the train and eval entry points disagree on the "
                        "objective (" + std::to_string(terms[0]) + " vs " +
                        std::to_string(base) + ")");

  struct Check {
    const ParamSpec *param;
    int64_t direction;
    double ad, fd;
  };
  std::vector<Check> checks;
  PhiloxStream pick(deriveKey(seed, 0x6772616463686bull));
  std::vector<float> saved;
  std::vector<double> v;
  for (const ParamSpec &param : manifest.params) {
    float *w = &params[param.offset];
    saved.assign(w, w + param.numElements);
    for (uint64_t d = 0; d < samples; ++d) {
      v.resize(param.numElements);
      for (int64_t i = 0; i < param.numElements; ++i)
        v[i] = pick.nextNormal();
      // The step each element actually took (float rounding) enters the
      // difference through sum_i g_i (w_i(+) - w_i(-)) / 2, so compare with
      // the directional derivative along the realised step.
      double realised = 0.0;
      for (int64_t i = 0; i < param.numElements; ++i)
        w[i] = saved[i] + static_cast<float>(step * v[i]);
      double plus = objective(model, manifest, x, mask, batch, params, seed);
      for (int64_t i = 0; i < param.numElements; ++i) {
        float up = w[i];
        w[i] = saved[i] - static_cast<float>(step * v[i]);
        realised += double(grads[param.offset + i]) *
                    (double(up) - double(w[i])) / (2.0 * step);
      }
      double minus = objective(model, manifest, x, mask, batch, params, seed);
      std::copy(saved.begin(), saved.end(), w);
      checks.push_back({&param, static_cast<int64_t>(d), realised,
                        (plus - minus) / (2.0 * step)});
    }
  }

  // A direction passes when |ad - fd| <= tolerance * (|ad| + |fd|) + noise:
  // within the relative tolerance, or within the rounding noise of the
  // difference quotient, a few float ulps of the objective over 2h.
  double noise = 4.0 * std::fabs(base) * 0x1p-23 / (2.0 * step);
  double worst = 0.0;
  int failures = 0;
  char line[256];
  std::snprintf(line, sizeof(line), "%-24s %9s %14s %14s %10s\n", "param",
                "direction", "gradient", "finite diff", "error");
  console.out << line;
  for (const Check &c : checks) {
    double diff = std::fabs(c.ad - c.fd);
    double error = diff <= noise ? 0.0 : diff / (std::fabs(c.ad) + std::fabs(c.fd));
    worst = std::max(worst, error);
    bool bad = !(error <= tolerance);
    failures += bad;
    if (bad || flags.has("verbose")) {
      std::snprintf(line, sizeof(line), "%-24s %9lld %14.6g %14.6g %10.3g%s\n",
                    c.param->name.c_str(), static_cast<long long>(c.direction),
                    c.ad, c.fd, error, bad ? "  FAIL" : "");
      console.out << line;
    }
  }
  std::snprintf(line, sizeof(line),
                "checked %zu directions over %zu parameters: objective %.6g, "
                "noise %.2g, largest error %.3g (tolerance %.3g), %d failed\n",
                checks.size(), manifest.params.size(), base, noise, worst,
                tolerance, failures);
  console.out << line;
  return failures ? kExitFailure : kExitSuccess;
}
