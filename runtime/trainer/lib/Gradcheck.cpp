//===- Gradcheck.cpp - the trainer's gradcheck command --------------------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// Checks the compiled gradient against differences of the compiled
// objective, as Stan's `diagnose` does, along random directions: for each
// parameter tensor W and a direction v ~ N(0, I) over W, the directional
// derivative sum_i dL/dW_i v_i from the train entry point against the
// difference quotient of L from the eval entry point. All calls use the same
// key and stream, so the noise of the reparameterised sites is the same and
// L is a deterministic function of the parameters. Directions rather than
// single elements: L is a float, and a one-element step moves it by less
// than its rounding error, while a step along v moves it by about
// h * |dL/dW|.
//
// Each direction is checked in up to two stages.
//
// 1. Central difference: (L(W + h v) - L(W - h v)) / 2h against the
//    gradient at W. Exact up to O(h^2) for a smooth L, and cheap (two eval
//    calls). A direction within the tolerance passes here.
//
// 2. Path integral. A ReLU net is only piecewise smooth: along W + t v the
//    objective has a kink wherever a unit's input crosses zero for some
//    example, and a layer of 500 units over 8 examples puts dozens of kinks
//    within |t| < 1e-3. The central difference across kinks is not the
//    derivative at W (off by 5-60% on examples/vae.gps), while a step small
//    enough to miss them moves a float objective of ~550 by a few ulps. So a
//    direction that stage 1 does not pass is decided by the gradient
//    theorem, which holds across kinks:
//
//      (L(W + H v) - L(W - H v)) / 2H = mean over [-H, H] of g(W + t v) . v
//
//    with H = 10 h, so that rounding is small against the difference. The
//    mean is the trapezoid rule on 2, 4, 8, ... up to --nodes intervals,
//    each new node one call of the train entry point. A kink between two
//    nodes costs O(spacing), so the rule converges like 1 / intervals and
//    its error is about its change from the last rule. The direction
//    passes once the two sides agree within the tolerance allowing for that
//    change and for rounding; it fails once two successive rules agree to a
//    quarter of the tolerance and the two sides still do not. A direction
//    neither passes nor fails at --nodes intervals is skipped and replaced
//    by a fresh one; a parameter with fewer than --samples decided
//    directions after 3 * --samples tries fails.
//
// Rounding: the objective is evaluated at 17 displacements of all the
// parameters too small to change it beyond rounding; the residuals from a
// straight line through them give its standard deviation sigma, and a
// difference quotient over 2H may be off by 4 sqrt(2) sigma / 2H.
//
// A wrong gradient fails both stages: the identity holds for the true
// gradient only. `--perturb-gradient NAME=F` multiplies the compiled
// gradient of parameter NAME by F, so that tests can see the check fail.
//
//===----------------------------------------------------------------------===//

#include "TrainerImpl.h"

#include "gps/Runtime/Interface.h"
#include "gps/Runtime/Philox.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>

using namespace gps::rt;
using namespace gps::rt::impl;

namespace {

/// The examples, the parameters and the entry points of a check.
struct Problem {
  const ModelEntryPoints &model;
  const Manifest &manifest;
  uint64_t seed;
  int64_t batch, dim;
  SharedVector<float> x, mask;
  ParamVector params, grads;
  SharedVector<float> terms;

  /// Hands what the host writes between calls (the parameters, and the
  /// terms it reads) to the device; the examples it writes once, before the
  /// first call.
  void prefetch() {
    prefetchToDevice(params);
    prefetchToDevice(terms);
  }

  /// The objective of `params` (eval entry point, terms[0]).
  double objective() {
    auto xRef = matrixRef(x.data(), batch, dim);
    auto mRef = matrixRef(mask.data(), batch, dim);
    auto pRef = vectorRef(params.data(), params.size());
    auto tRef = vectorRef(terms.data(), terms.size());
    prefetch();
    model.eval(&xRef, &mRef, &pRef, &tRef, seed, /*stream=*/1);
    gps_rt_arena_reset();
    return terms[0];
  }
  /// The objective of `params`, and its gradient into `grads` (train entry
  /// point).
  double gradient() {
    auto xRef = matrixRef(x.data(), batch, dim);
    auto mRef = matrixRef(mask.data(), batch, dim);
    auto pRef = vectorRef(params.data(), params.size());
    auto gRef = vectorRef(grads.data(), grads.size());
    auto tRef = vectorRef(terms.data(), terms.size());
    prefetch();
    model.train(&xRef, &mRef, &pRef, &gRef, &tRef, seed, /*stream=*/1);
    gps_rt_arena_reset();
    return terms[0];
  }
};

/// The settings of the check.
struct Settings {
  double step = 1e-3;
  double tolerance = 2e-2;
  uint64_t maxIntervals = 64;
  /// The standard deviation of the objective's rounding error.
  double sigma = 0.0;
  /// Factors of --perturb-gradient, by parameter name.
  std::map<std::string, double> perturb;
};

enum class Verdict { Passed, Failed, Skipped };

/// The outcome of one direction.
struct Check {
  const ParamSpec *param;
  int64_t direction;
  /// The gradient along v (at W, or its mean along the path) and the
  /// difference quotient.
  double ad = 0.0, fd = 0.0;
  /// |ad - fd| / (|ad| + |fd|), less what rounding and the quadrature
  /// explain.
  double error = 0.0;
  /// Trapezoid intervals of the path integral; 0: decided by stage 1.
  uint64_t intervals = 0;
  Verdict verdict = Verdict::Passed;
};

/// The distance from `f` to the next float.
double ulp(double f) {
  auto value = static_cast<float>(std::fabs(f));
  return double(std::nextafter(value, INFINITY)) - double(value);
}

/// The rounding noise of (L(+) - L(-)) / 2h: four standard deviations of
/// the difference of two objectives, and at least one ulp of each.
double quotientNoise(const Settings &settings, double f, double h) {
  return (4.0 * std::sqrt(2.0) * settings.sigma + 2.0 * ulp(f)) / (2.0 * h);
}

/// Measures the rounding error of the objective: L at 17 displacements of
/// every parameter, j * 1e-6 along u ~ N(0, I) for j = -8..8, too small to
/// change it by more than a few ulps. Each displacement rounds differently
/// inside the model, so the residuals from the least-squares line through
/// the 17 values sample the rounding error (the line takes up the true
/// change; the compiled gradient is not used).
double measureNoise(Problem &problem, double base) {
  ParamVector saved = problem.params;
  std::vector<double> values;
  for (int j = -8; j <= 8; ++j) {
    if (j == 0) {
      values.push_back(0.0);
      continue;
    }
    // The same u for every j, drawn again rather than kept.
    PhiloxStream rng(deriveKey(problem.seed, 0x6e6f697365ull));
    for (size_t i = 0; i < saved.size(); ++i)
      problem.params[i] =
          saved[i] + static_cast<float>(1e-6 * j * rng.nextNormal());
    values.push_back(problem.objective() - base);
  }
  problem.params = saved;
  // The line y = a + b j: the j are symmetric, so a is the mean and b the
  // covariance over the variance of j.
  double mean = 0.0, covariance = 0.0, variance = 0.0;
  for (double y : values)
    mean += y / double(values.size());
  for (int j = -8; j <= 8; ++j) {
    covariance += j * values[j + 8];
    variance += double(j) * j;
  }
  double slope = covariance / variance, sumSquares = 0.0;
  for (int j = -8; j <= 8; ++j) {
    double residual = values[j + 8] - mean - slope * j;
    sumSquares += residual * residual;
  }
  return std::sqrt(sumSquares / double(values.size() - 2));
}

/// |a - b| beyond `allowance`, relative to |a| + |b| (0 when both are 0).
double relativeError(double a, double b, double allowance) {
  double excess = std::fabs(a - b) - allowance;
  if (excess <= 0.0)
    return 0.0;
  return excess / (std::fabs(a) + std::fabs(b));
}

/// Checks direction `v` of `param` (whose values are `saved`), first by the
/// central difference, then, when that does not pass, by the path integral.
/// Leaves problem.params as it found them.
Check checkDirection(Problem &problem, const Settings &settings,
                     const ParamSpec &param, int64_t direction,
                     const std::vector<double> &v,
                     const ParamVector &saved,
                     const ParamVector &baseGrads) {
  Check check{&param, direction};
  float *w = &problem.params[param.offset];
  int64_t n = param.numElements;
  auto found = settings.perturb.find(param.name);
  double factor = found == settings.perturb.end() ? 1.0 : found->second;
  auto moveTo = [&](double t) {
    for (int64_t i = 0; i < n; ++i)
      w[i] = saved[i] + static_cast<float>(t * v[i]);
  };
  auto restore = [&]() { std::copy(saved.begin(), saved.end(), w); };

  // Stage 1. The step each element actually took (float rounding) enters
  // the difference through sum_i g_i (w_i(+) - w_i(-)) / 2, so compare with
  // the directional derivative along the realised step.
  double h = settings.step;
  moveTo(h);
  double plus = problem.objective();
  double realised = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    float up = w[i];
    w[i] = saved[i] - static_cast<float>(h * v[i]);
    realised += double(baseGrads[param.offset + i]) *
                (double(up) - double(w[i])) / (2.0 * h);
  }
  double minus = problem.objective();
  restore();
  check.ad = factor * realised;
  check.fd = (plus - minus) / (2.0 * h);
  // No allowance for rounding here: a direction whose quotient is too
  // coarse to agree goes on to stage 2, which is ten times finer.
  check.error = relativeError(check.ad, check.fd, 0.0);
  if (check.error <= settings.tolerance)
    return check;

  // Stage 2: the mean of g . v over [-H, H] by the trapezoid rule on
  // 2, 4, 8, ... intervals, each rule adding the midpoints of the last.
  double big = 10.0 * h;
  // g . v at t (the gradient at W for t = 0), and the objective there.
  auto slopeAt = [&](double t, double &objective) {
    const ParamVector *g = &baseGrads;
    if (t != 0.0) {
      moveTo(t);
      objective = problem.gradient();
      restore();
      g = &problem.grads;
    }
    double slope = 0.0;
    for (int64_t i = 0; i < n; ++i)
      slope += double((*g)[param.offset + i]) * v[i];
    return factor * slope;
  };
  double fPlus = 0.0, fMinus = 0.0, unused = 0.0;
  double sum = 0.5 * (slopeAt(-big, fMinus) + slopeAt(big, fPlus));
  double diff = (fPlus - fMinus) / (2.0 * big);
  double noise =
      quotientNoise(settings, std::max(std::fabs(fPlus), std::fabs(fMinus)),
                    big);
  double previous = sum; // the rule on one interval
  check.fd = diff;
  check.verdict = Verdict::Skipped;
  double change = 0.0;
  for (uint64_t intervals = 2; intervals <= settings.maxIntervals;
       intervals *= 2) {
    for (uint64_t k = 1; k < intervals; k += 2)
      sum += slopeAt(big * (2.0 * double(k) / double(intervals) - 1.0),
                     unused);
    double mean = sum / double(intervals);
    check.ad = mean;
    check.intervals = intervals;
    if (!std::isfinite(mean) || !std::isfinite(diff)) {
      check.verdict = Verdict::Failed;
      check.error = INFINITY;
      break;
    }
    // With jumps in g . v (kinks) the rule converges like 1 / intervals,
    // so its error is about the change from the last rule. A direction
    // passes once it agrees with that allowance, and fails only when two
    // successive rules (of 8 or more intervals) agree to a quarter of the
    // tolerance and the error beyond twice the change exceeds it.
    double lastChange = change;
    change = std::fabs(mean - previous);
    previous = mean;
    double scale = std::fabs(mean) + std::fabs(diff);
    check.error = relativeError(mean, diff, noise + change);
    if (intervals >= 4 &&
        std::fabs(mean - diff) + change <= settings.tolerance * scale + noise) {
      check.verdict = Verdict::Passed;
      break;
    }
    check.error = relativeError(mean, diff, noise + 2.0 * change);
    double converged = 0.25 * settings.tolerance * scale;
    if (intervals >= 8 && change <= converged && lastChange <= converged) {
      check.verdict = check.error > settings.tolerance ? Verdict::Failed
                                                       : Verdict::Passed;
      break;
    }
  }
  return check;
}

/// Parses --perturb-gradient NAME=FACTOR.
Error parsePerturbation(const std::string &text, const Manifest &manifest,
                        std::map<std::string, double> &out) {
  size_t equals = text.rfind('=');
  auto bad = [&](const std::string &why) {
    return Error::failure("flag '--perturb-gradient': " + why + ", got '" +
                          text + "'");
  };
  if (equals == std::string::npos || equals == 0)
    return bad("expected NAME=FACTOR");
  std::string name = text.substr(0, equals);
  bool known = false;
  for (const ParamSpec &param : manifest.params)
    known |= param.name == name;
  if (!known)
    return bad("no parameter '" + name + "'");
  char *end = nullptr;
  std::string number = text.substr(equals + 1);
  double factor = std::strtod(number.c_str(), &end);
  if (number.empty() || *end != '\0' || !std::isfinite(factor))
    return bad("expected a finite FACTOR");
  out[name] = factor;
  return Error::success();
}

} // namespace

int gps::rt::impl::gradcheckCommand(const std::vector<std::string> &args,
                                    const ModelEntryPoints &halves,
                                    const Manifest &manifest,
                                    const Console &console) {
  ModelEntryPoints model = halves;
  FlagSet flags(
      console.program + " gradcheck [flags]",
      "Checks the gradient of model '" + manifest.model +
          "' against differences of its objective\n"
          "along random directions of each parameter, at freshly initialised "
          "parameters,\non the first examples of the data: first by a central "
          "difference, then, where\nthat disagrees (a ReLU kink, rounding), "
          "by the integral of the gradient along\nthe step. Exits 1 when an "
          "error exceeds the tolerance.");
  flags.add("data", "NAME|PATH|synthetic",
            "data set, or uniform synthetic rows (default fashion-mnist)");
  flags.add("batch", "N", "examples (default 8)");
  flags.add("seed", "N", "parameter initialisation and noise (default 1)");
  flags.add("samples", "N", "random directions per parameter (default 2)");
  flags.add("step", "H",
            "central-difference step along a direction; the path integral "
            "spans 10 H (default 1e-3)");
  flags.add("tolerance", "T",
            "largest |gradient - difference| / (|gradient| + |difference|) "
            "beyond the rounding noise of the difference (default 2e-2)");
  flags.add("nodes", "N",
            "most trapezoid intervals of the path integral (default 64)");
  flags.add("perturb-gradient", "NAME=F",
            "multiply the compiled gradient of parameter NAME by F (to see "
            "the check fail)");
  flags.add("verbose", "", "print every direction");
  addDeviceFlag(flags, model);
  if (Error err = flags.parse(args, 2))
    return console.usage("gradcheck", err.message());
  if (flags.helpRequested()) {
    console.out << flags.usage();
    return kExitSuccess;
  }
  uint64_t batch = 8, seed = 1, samples = 2;
  Settings settings;
  Error err;
  if ((err = flags.getUnsigned("batch", batch, 1, 1u << 20)) ||
      (err = flags.getUnsigned("seed", seed)) ||
      (err = flags.getUnsigned("samples", samples, 1, 1u << 20)) ||
      (err = flags.getDouble("step", settings.step, 0.0, 1.0,
                             /*loOpen=*/true)) ||
      (err = flags.getDouble("tolerance", settings.tolerance, 0.0, 1.0,
                             /*loOpen=*/true)) ||
      (err = flags.getUnsigned("nodes", settings.maxIntervals, 2, 1u << 16)) ||
      (err = applyDeviceFlag(flags, model)))
    return console.usage("gradcheck", err.message());
  if (flags.has("perturb-gradient"))
    if (Error err = parsePerturbation(flags.value("perturb-gradient"),
                                      manifest, settings.perturb))
      return console.usage("gradcheck", err.message());
  if (!model.train || !model.eval)
    return console.fail("model '" + manifest.model +
                        "' lacks the train or eval entry point");
  if (Error err = checkDevice(model))
    return console.fail(err.message());

  // The examples: the first rows of a data set, or `synthetic` rows drawn
  // uniformly from the data's range (bits: fair coins), so that small test
  // models need no data file of their size.
  int64_t dim = manifest.data.dim;
  std::string spec =
      flags.has("data") ? flags.value("data") : "fashion-mnist";
  Dataset data;
  if (spec != "synthetic") {
    if (Error err = loadDataset(spec, manifest, data))
      return console.fail(err.message());
    batch = std::min<uint64_t>(batch, data.count);
  }
  Problem problem{model, manifest, seed, static_cast<int64_t>(batch), dim};
  if (Error err = allocateFloats(problem.x, batch * uint64_t(dim),
                                 "the examples (" + std::to_string(batch) +
                                     " x " + std::to_string(dim) + ")"))
    return console.fail(err.message());
  if (spec == "synthetic") {
    PhiloxStream rows(deriveKey(seed, kTagBinarize));
    for (float &v : problem.x) {
      float u = rows.nextUniform();
      v = manifest.data.kind == DataKind::Bits
              ? (u < 0.5f ? 0.0f : 1.0f)
              : static_cast<float>(manifest.data.lo +
                                   (manifest.data.hi - manifest.data.lo) * u);
    }
  } else {
    for (uint64_t i = 0; i < batch; ++i)
      data.row(static_cast<uint32_t>(i), &problem.x[i * dim]);
  }
  problem.mask = problem.x;
  if (manifest.mask) {
    PhiloxStream maskRng(deriveKey(seed, kTagTrainMasks));
    if (Error err = sampleMasks(manifest, maskRng, problem.batch,
                                problem.mask.data()))
      return console.fail(err.message());
  }
  prefetchToDevice(problem.x);
  prefetchToDevice(problem.mask);

  // The parameters, the gradient at them and a second gradient buffer.
  if (Error err = checkParamMemory(
          manifest, 4, "the parameters, a copy of them and two gradients"))
    return console.fail(err.message());
  if (Error err = initParamsChecked(manifest, seed, problem.params))
    return console.fail(err.message());
  ParamVector baseGrads;
  if (Error err = allocateFloats(baseGrads, manifest.paramCount,
                                 "the gradient"))
    return console.fail(err.message());
  if (Error err = allocateFloats(problem.grads, manifest.paramCount,
                                 "the gradient"))
    return console.fail(err.message());
  problem.terms.assign(manifest.terms.size(), 0.0f);
  double trained = problem.gradient();
  baseGrads.swap(problem.grads);
  double base = problem.objective();
  if (!std::isfinite(base) || base != trained)
    return console.fail("the train and eval entry points disagree on the "
                        "objective (" + std::to_string(trained) + " vs " +
                        std::to_string(base) + ")");

  // The rounding noise of the objective, for the allowance of stage 2.
  settings.sigma = measureNoise(problem, base);

  // `samples` decided directions per parameter; a direction whose path
  // integral does not converge is skipped and replaced, at most twice as
  // many times as there are samples.
  std::vector<Check> checks;
  std::vector<const ParamSpec *> undecided;
  PhiloxStream pick(deriveKey(seed, 0x6772616463686bull));
  ParamVector saved;
  std::vector<double> v;
  for (const ParamSpec &param : manifest.params) {
    const float *w = &problem.params[param.offset];
    saved.assign(w, w + param.numElements);
    v.resize(param.numElements);
    uint64_t decided = 0;
    for (uint64_t d = 0; decided < samples && d < 3 * samples; ++d) {
      for (double &e : v)
        e = pick.nextNormal();
      checks.push_back(checkDirection(problem, settings, param,
                                      static_cast<int64_t>(d), v, saved,
                                      baseGrads));
      decided += checks.back().verdict != Verdict::Skipped;
    }
    if (decided < samples)
      undecided.push_back(&param);
  }

  double worst = 0.0;
  int failures = 0, byPath = 0, skipped = 0;
  char line[256];
  std::snprintf(line, sizeof(line), "%-24s %9s %14s %14s %10s  %s\n", "param",
                "direction", "gradient", "difference", "error", "by");
  console.out << line;
  for (const Check &c : checks) {
    if (c.verdict != Verdict::Skipped)
      worst = std::max(worst, c.error);
    bool failed = c.verdict == Verdict::Failed;
    failures += failed;
    byPath += c.intervals != 0;
    skipped += c.verdict == Verdict::Skipped;
    if (c.verdict != Verdict::Passed || flags.has("verbose")) {
      std::string by = c.intervals == 0
                           ? "central"
                           : "path/" + std::to_string(c.intervals);
      std::snprintf(line, sizeof(line),
                    "%-24s %9lld %14.6g %14.6g %10.3g  %s%s\n",
                    c.param->name.c_str(), static_cast<long long>(c.direction),
                    c.ad, c.fd, c.error, by.c_str(),
                    failed ? "  FAIL"
                    : c.verdict == Verdict::Skipped
                        ? "  skipped (kinks: the integral did not converge)"
                        : "");
      console.out << line;
    }
  }
  for (const ParamSpec *param : undecided)
    console.out << "FAIL: parameter '" << param->name << "': fewer than "
                << samples << " of " << 3 * samples
                << " directions could be decided (try a smaller --step or "
                   "more --nodes)\n";
  std::snprintf(line, sizeof(line),
                "checked %zu directions over %zu parameters: objective %.6g, "
                "noise %.2g, %d by path integral, %d skipped, largest error "
                "%.3g (tolerance %.3g), %zu failed\n",
                checks.size() - skipped, manifest.params.size(), base,
                settings.sigma, byPath, skipped, worst, settings.tolerance,
                failures + undecided.size());
  console.out << line;
  return failures || !undecided.empty() ? kExitFailure : kExitSuccess;
}
