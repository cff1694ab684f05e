//===- ManifestTest.cpp - tests of the manifest parser --------------------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "FakeModel.h"

#include "gps/Trainer/Manifest.h"

#include "gtest/gtest.h"
#include <nlohmann/json.hpp>

#include <cmath>

using namespace gps::rt;
using namespace gps::rt::test;
using nlohmann::json;

namespace {


TEST(ManifestTest, ParsesTheFakeManifest) {
  Manifest manifest;
  Error err = parseManifest(
      fakeManifest("fake", 16, "bits",
                   R"({"name": "m", "kind": "mar", "amount": 2.0})"),
      manifest);
  ASSERT_FALSE(static_cast<bool>(err)) << err.message();
  EXPECT_EQ(manifest.model, "fake");
  EXPECT_EQ(manifest.data.kind, DataKind::Bits);
  ASSERT_TRUE(manifest.mask.has_value());
  EXPECT_EQ(manifest.mask->height, 4);
  EXPECT_EQ(manifest.mask->width, 4);
  EXPECT_EQ(manifest.paramCount, 16 * 16 + 16);
  ASSERT_EQ(manifest.params.size(), 2u);
  EXPECT_EQ(manifest.params[1].offset, 256);
  EXPECT_EQ(manifest.termIndex(contract::Term::KLQP), 2);
  EXPECT_EQ(manifest.termNames[2].term, contract::Term::KLQP);
  EXPECT_FALSE(manifest.termNames[2].step.has_value());
  EXPECT_EQ(manifest.hash.size(), 16u);

  // Formatting does not change the hash; content does.
  Manifest again, other;
  ASSERT_FALSE(static_cast<bool>(
      parseManifest(json::parse(manifest.text).dump(4), again)));
  EXPECT_EQ(again.hash, manifest.hash);
  ASSERT_FALSE(static_cast<bool>(parseManifest(fakeManifest("fake"), other)));
  EXPECT_NE(other.hash, manifest.hash);
}

TEST(ManifestTest, ReadsThePerStepSampleShape) {
  Manifest without, with;
  ASSERT_FALSE(static_cast<bool>(parseManifest(fakeManifest(), without)));
  EXPECT_EQ(without.sampleSteps, 0);
  json text = json::parse(fakeManifest());
  text["sample_steps"] = {{"steps", 6}, {"dim", 16}};
  Error err = parseManifest(text.dump(), with);
  ASSERT_FALSE(static_cast<bool>(err)) << err.message();
  EXPECT_EQ(with.sampleSteps, 6);
}

TEST(ManifestTest, RecordsWhichPolicyReadsEachParameter) {
  Manifest manifest;
  Error err = parseManifest(fakeManifest("fake", 16, "real", "null",
                                         /*guideBias=*/true),
                            manifest);
  ASSERT_FALSE(static_cast<bool>(err)) << err.message();
  EXPECT_TRUE(manifest.recordsPolicies);
  auto primary = static_cast<int>(contract::Role::Primary);
  auto guide = static_cast<int>(contract::Role::Guide);
  const ParamSpec &w = manifest.params[0], &b = manifest.params[1];
  EXPECT_EQ(w.owner(), "dec");
  EXPECT_TRUE(w.usedBy[primary]);
  EXPECT_FALSE(w.usedBy[guide]);
  EXPECT_EQ(b.owner(), "enc");
  EXPECT_FALSE(b.usedBy[primary]);
  EXPECT_TRUE(b.usedBy[guide]);

  // Both keys are optional: a parameter without a net is its own owner,
  // and a manifest without 'policies' does not record them.
  std::string text = fakeManifest();
  for (const std::string cut :
       {R"("net": "dec", "policies": ["primary"], )"}) {
    size_t at = text.find(cut);
    ASSERT_NE(at, std::string::npos);
    text.erase(at, cut.size());
  }
  ASSERT_FALSE(static_cast<bool>(parseManifest(text, manifest)));
  EXPECT_FALSE(manifest.recordsPolicies);
  EXPECT_EQ(manifest.params[0].owner(), "dec.w");
  EXPECT_EQ(manifest.params[1].owner(), "dec");
}

TEST(ManifestTest, ReadsWhatThePoliciesObserve) {
  Manifest without, with;
  ASSERT_FALSE(static_cast<bool>(parseManifest(fakeManifest(), without)));
  EXPECT_FALSE(without.guidedObservation.has_value());
  json text = json::parse(fakeManifest());
  text["mask"] = {{"name", "m"}, {"kind", "mcar"}, {"amount", 0.5}};
  text["observes"] = {
      {"guided", {{"site", "x"}, {"dist", "bernoulli"}}},
      {"unguided", {{"site", "x.missing"}, {"dist", "gaussian"}}}};
  Error err = parseManifest(text.dump(), with);
  ASSERT_FALSE(static_cast<bool>(err)) << err.message();
  ASSERT_TRUE(with.guidedObservation && with.unguidedObservation);
  EXPECT_FALSE(with.guidedObservation->missingOnly);
  EXPECT_TRUE(with.guidedObservation->bernoulli);
  EXPECT_TRUE(with.unguidedObservation->missingOnly);
  EXPECT_FALSE(with.unguidedObservation->bernoulli);

  // x.missing needs a mask; a site is the data or its missing part; a
  // likelihood is Bernoulli or Gaussian.
  struct Case {
    json observes;
    std::string message;
  } cases[] = {
      {{{"guided", {{"site", "x.missing"}, {"dist", "bernoulli"}}}},
       "observes: guided: site 'x.missing' is not 'x'"},
      {{{"unguided", {{"site", "y"}, {"dist", "bernoulli"}}}},
       "observes: unguided: site 'y' is not 'x'"},
      {{{"guided", {{"site", "x"}, {"dist", "poisson"}}}},
       "dist 'poisson' is not 'bernoulli' or 'gaussian'"},
      {{{"guided", 3}}, "observes: guided: must be an object or null"},
      {json::array(), "'observes' must be an object or null"},
  };
  for (const Case &c : cases) {
    json bad = json::parse(fakeManifest());
    bad["observes"] = c.observes;
    Manifest manifest;
    Error err = parseManifest(bad.dump(), manifest);
    ASSERT_TRUE(static_cast<bool>(err)) << c.message;
    EXPECT_NE(err.message().find(c.message), std::string::npos)
        << err.message();
  }
}

TEST(ManifestTest, RejectsBadManifests) {
  struct Case {
    std::string edit;
    std::string replacement;
    std::string message;
  } cases[] = {
      {R"("abi": 3)", R"("abi": 7)",
       "ABI version 7, but this trainer reads "
       "version 3"},
      {R"("model": "fake")", R"("model": "")", "'model' must be a non-empty"},
      {R"("dim": 16)", R"("dim": 0)", "data: dim 0 is not in"},
      {R"("kind": "real")", R"("kind": "complex")",
       "data: kind 'complex' is not 'real' or 'bits'"},
      {R"("offset": 256)", R"("offset": 250)",
       "params 'dec.w' and 'dec.b' overlap"},
      {R"("offset": 256)", R"("offset": 260)", "outside param_count 272"},
      {R"("init": "zeros")", R"("init": "xavier")", "unknown init 'xavier'"},
      {R"("mask": null)",
       R"("mask": {"name": "m", "kind": "mar", "amount": 5})",
       "mar square size 5 is not an integer in [0, 4]"},
      {R"("mask": null)",
       R"("mask": {"name": "m", "kind": "mcar", "amount": 1.5})",
       "mcar drop probability"},
      {R"("mask": null)",
       R"("mask": {"name": "m", "kind": "mcar", "amount": 0.5, )"
       R"("image": [3, 5]})",
       "image 3x5 does not have data dim 16 pixels"},
      {R"j("kl(p||normal)"])j", R"("nll"])", "duplicate term 'nll'"},
      {R"j("kl(p||normal)"])j", R"("l2"])", "unknown term 'l2'"},
      {R"(["objective", )", R"([)", "the first term must be 'objective'"},
      {R"("net": "dec")", R"("net": 3)", "'net' must be a non-empty string"},
      {R"("policies": ["primary"])", R"("policies": "primary")",
       "'policies' must be an array of roles"},
      {R"("policies": ["primary"])", R"("policies": ["critic"])",
       "'policies' must hold 'primary' or 'guide'"},
      {R"("policies": ["primary"])", R"("policies": ["guide", "guide"])",
       "'policies' names 'guide' twice"},
      {R"("mask": null)", R"("mask": null, "sample_steps": 4)",
       "'sample_steps' must be an object or null"},
      {R"("mask": null)", R"("mask": null, "sample_steps": {"steps": 4})",
       "sample_steps: "},
      {R"("mask": null)",
       R"("mask": null, "sample_steps": {"steps": 0, "dim": 16})",
       "sample_steps: steps 0 is not in [1, 100000]"},
      {R"("mask": null)",
       R"("mask": null, "sample_steps": {"steps": 4, "dim": 15})",
       "sample_steps: dim 15 is not data.dim 16"},
  };
  for (const Case &c : cases) {
    std::string text = fakeManifest();
    size_t at = text.find(c.edit);
    ASSERT_NE(at, std::string::npos) << c.edit;
    text.replace(at, c.edit.size(), c.replacement);
    Manifest manifest;
    Error err = parseManifest(text, manifest);
    ASSERT_TRUE(static_cast<bool>(err)) << c.message;
    EXPECT_EQ(err.message().rfind("model manifest: ", 0), 0u);
    EXPECT_NE(err.message().find(c.message), std::string::npos)
        << err.message();
  }
  Manifest manifest;
  EXPECT_NE(parseManifest("{", manifest).message().find("not valid JSON"),
            std::string::npos);
}

TEST(ManifestTest, InitialisersFollowTheManifest) {
  Manifest manifest;
  ASSERT_FALSE(static_cast<bool>(parseManifest(
      R"({"abi": 3, "model": "m", "data": {"name": "x", "kind": "real",
          "dim": 4}, "param_count": 1110, "terms": ["objective"],
          "params": [
            {"name": "w", "shape": [40, 20], "init": "glorot", "offset": 0},
            {"name": "o", "shape": [10], "init": "ones", "offset": 800},
            {"name": "n", "shape": [200], "init": "normal", "std": 0.5,
             "offset": 900}]})",
      manifest)));
  ParamVector params, again, other;
  initParams(manifest, 1, params);
  initParams(manifest, 1, again);
  initParams(manifest, 2, other);
  ASSERT_EQ(params.size(), 1110u);
  EXPECT_EQ(params, again);
  EXPECT_NE(params, other);
  float limit = std::sqrt(6.0f / 60.0f), maxAbs = 0;
  for (int i = 0; i < 800; ++i)
    maxAbs = std::max(maxAbs, std::fabs(params[i]));
  EXPECT_LE(maxAbs, limit);
  EXPECT_GT(maxAbs, 0.9f * limit);
  for (int i = 800; i < 810; ++i)
    EXPECT_EQ(params[i], 1.0f);
  for (int i = 810; i < 900; ++i)
    EXPECT_EQ(params[i], 0.0f); // not covered by any parameter
  double sumSquares = 0;
  for (int i = 900; i < 1100; ++i)
    sumSquares += double(params[i]) * params[i];
  EXPECT_NEAR(std::sqrt(sumSquares / 200), 0.5, 0.1);
}

} // namespace
