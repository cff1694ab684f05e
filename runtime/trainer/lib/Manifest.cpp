//===- Manifest.cpp - the description of a compiled model -------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// JSON is parsed without exceptions (allow_exceptions = false) and every
// value's type is checked before it is read; typed fields go through
// JsonFields.h, as the checkpoint's settings do.
//
//===----------------------------------------------------------------------===//

#include "gps/Trainer/Manifest.h"

#include "JsonFields.h"

#include "gps/Runtime/Philox.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>
#include <tuple>

using namespace gps::rt;
namespace key = gps::rt::contract::key;
using nlohmann::json;

/// `value` written briefly ("0.5", "14").
static std::string numberText(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

static Error fail(const std::string &what) {
  return Error::failure("model manifest: " + what);
}

/// Reads the field `name` of `object` into `out` (JsonFields.h); a failure
/// names the place `at` ("data: ").
template <typename T>
static Error get(const json &object, std::string_view name,
                 const std::string &at, T &out, bool required = true) {
  if (Error err = impl::readField(object, name, out,
                                  required ? impl::Presence::Required
                                           : impl::Presence::Optional))
    return fail(at + err.message());
  return Error::success();
}

static Error parseData(const json &root, DataSpec &data) {
  auto it = root.find(std::string(key::kData));
  if (it == root.end() || !it->is_object())
    return fail("'data' must be an object");
  const std::string at = "data: ";
  std::string kind;
  if (Error err = get(*it, key::kName, at, data.name))
    return err;
  if (Error err = get(*it, key::kKind, at, kind))
    return err;
  if (auto parsed = contract::parseKind<DataKind, contract::kNumData>(kind))
    data.kind = *parsed;
  else
    return fail(at + "kind '" + kind + "' is not 'real' or 'bits'");
  if (Error err = get(*it, key::kDim, at, data.dim))
    return err;
  if (data.dim <= 0 || data.dim > (int64_t(1) << 31))
    return fail(at + "dim " + std::to_string(data.dim) +
                " is not in [1, 2^31]");
  if (Error err = get(*it, key::kLo, at, data.lo, /*required=*/false))
    return err;
  if (Error err = get(*it, key::kHi, at, data.hi, /*required=*/false))
    return err;
  if (!(data.lo < data.hi))
    return fail(at + "range [lo, hi] is empty");
  return Error::success();
}

static Error parseMask(const json &root, const DataSpec &data,
                       std::optional<MaskSpec> &mask) {
  auto it = root.find(std::string(key::kMask));
  if (it == root.end() || it->is_null())
    return Error::success();
  if (!it->is_object())
    return fail("'mask' must be an object or null");
  const std::string at = "mask: ";
  MaskSpec spec;
  std::string kind;
  if (Error err = get(*it, key::kName, at, spec.name))
    return err;
  if (Error err = get(*it, key::kKind, at, kind))
    return err;
  if (auto parsed = contract::parseKind<MaskKind, contract::kNumMasks>(kind))
    spec.kind = *parsed;
  else
    return fail(at + "kind '" + kind + "' is not 'mar' or 'mcar'");
  if (Error err = get(*it, key::kAmount, at, spec.amount))
    return err;
  auto image = it->find(std::string(key::kImage));
  if (image != it->end() && !image->is_null()) {
    if (!image->is_array() || image->size() != 2 ||
        !(*image)[0].is_number_integer() || !(*image)[1].is_number_integer())
      return fail(at + "'image' must be [height, width]");
    spec.height = (*image)[0].get<int64_t>();
    spec.width = (*image)[1].get<int64_t>();
    if (spec.height <= 0 || spec.width <= 0 || spec.height > data.dim ||
        spec.width > data.dim || spec.height * spec.width != data.dim)
      return fail(at + "image " + std::to_string(spec.height) + "x" +
                  std::to_string(spec.width) + " does not have data dim " +
                  std::to_string(data.dim) + " pixels");
  } else {
    std::tie(spec.height, spec.width) = contract::defaultImageShape(data.dim);
  }
  if (spec.kind == MaskKind::Mcar) {
    if (!(spec.amount >= 0.0 && spec.amount <= 1.0))
      return fail(at + "mcar drop probability " + numberText(spec.amount) +
                  " is not in [0, 1]");
  } else if (spec.amount != std::floor(spec.amount) || spec.amount < 0 ||
             spec.amount > double(std::min(spec.height, spec.width))) {
    return fail(at + "mar square size " + numberText(spec.amount) +
                " is not an integer in [0, " +
                std::to_string(std::min(spec.height, spec.width)) +
                "] (image " + std::to_string(spec.height) + "x" +
                std::to_string(spec.width) + ")");
  }
  mask = spec;
  return Error::success();
}

static Error parseParams(const json &root, int64_t paramCount,
                         std::vector<ParamSpec> &params) {
  auto it = root.find(std::string(key::kParams));
  if (it == root.end() || !it->is_array())
    return fail("'params' must be an array");
  std::set<std::string> names;
  for (size_t i = 0; i < it->size(); ++i) {
    const json &entry = (*it)[i];
    std::string at = "params[" + std::to_string(i) + "]: ";
    if (!entry.is_object())
      return fail(at + "not an object");
    ParamSpec param;
    if (Error err = get(entry, key::kName, at, param.name))
      return err;
    at = "params[" + std::to_string(i) + "] ('" + param.name + "'): ";
    if (!names.insert(param.name).second)
      return fail(at + "duplicate name");
    auto shape = entry.find(std::string(key::kShape));
    if (shape == entry.end() || !shape->is_array())
      return fail(at + "'shape' must be an array of sizes");
    param.numElements = 1;
    for (const json &dim : *shape) {
      if (!dim.is_number_integer() || dim.get<int64_t>() <= 0)
        return fail(at + "'shape' must hold positive integers");
      int64_t size = dim.get<int64_t>();
      if (size > (int64_t(1) << 40) / param.numElements)
        return fail(at + "too many elements");
      param.numElements *= size;
      param.shape.push_back(size);
    }
    std::string init(contract::spelling(ParamInit::Zeros));
    if (Error err = get(entry, key::kInit, at, init, /*required=*/false))
      return err;
    if (auto parsed = contract::parseKind<ParamInit, contract::kNumInits>(init))
      param.init = *parsed;
    else
      return fail(at + "unknown init '" + init +
                  "' (glorot, zeros, ones or normal)");
    if (Error err = get(entry, key::kStd, at, param.stddev,
                              /*required=*/false))
      return err;
    if (param.stddev < 0)
      return fail(at + "'std' is negative");
    if (Error err = get(entry, key::kOffset, at, param.offset))
      return err;
    if (Error err = get(entry, key::kNet, at, param.net, /*required=*/false))
      return err;
    auto roles = entry.find(std::string(key::kPolicies));
    if (roles != entry.end()) {
      if (!roles->is_array())
        return fail(at + "'policies' must be an array of roles");
      param.hasPolicies = true;
      for (const json &role : *roles) {
        std::optional<contract::Role> parsed;
        if (role.is_string())
          parsed = contract::parseKind<contract::Role, contract::kNumRoles>(
              role.get_ref<const std::string &>());
        if (!parsed)
          return fail(at + "'policies' must hold 'primary' or 'guide'");
        bool &used = param.usedBy[static_cast<int32_t>(*parsed)];
        if (used)
          return fail(at + "'policies' names '" + role.get<std::string>() +
                      "' twice");
        used = true;
      }
    }
    if (param.offset < 0 || param.offset > paramCount ||
        param.numElements > paramCount - param.offset)
      return fail(at + "elements [" + std::to_string(param.offset) + ", " +
                  std::to_string(param.offset + param.numElements) +
                  ") are outside param_count " + std::to_string(paramCount));
    params.push_back(std::move(param));
  }
  // Parameters must not share elements.
  std::vector<const ParamSpec *> byOffset;
  for (const ParamSpec &param : params)
    byOffset.push_back(&param);
  std::sort(byOffset.begin(), byOffset.end(),
            [](const ParamSpec *a, const ParamSpec *b) {
              return a->offset < b->offset;
            });
  for (size_t i = 1; i < byOffset.size(); ++i)
    if (byOffset[i - 1]->offset + byOffset[i - 1]->numElements >
        byOffset[i]->offset)
      return fail("params '" + byOffset[i - 1]->name + "' and '" +
                  byOffset[i]->name + "' overlap");
  return Error::success();
}

/// FNV-1a, 64-bit.
static uint64_t fnv1a(const std::string &text) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

Error gps::rt::parseManifest(const std::string &text, Manifest &out) {
  json root = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded())
    return fail("not valid JSON");
  if (!root.is_object())
    return fail("not a JSON object");
  Manifest manifest;
  manifest.text = text;
  if (Error err = get(root, key::kAbi, "", manifest.abi))
    return err;
  if (manifest.abi != kManifestAbi)
    return fail("ABI version " + std::to_string(manifest.abi) +
                ", but this trainer reads version " +
                std::to_string(kManifestAbi) +
                "; compile the model and the trainer with the same gps");
  if (Error err = get(root, key::kModel, "", manifest.model))
    return err;
  if (Error err = get(root, key::kSteps, "", manifest.steps,
                         /*required=*/false))
    return err;
  if (manifest.steps < 0)
    return fail("'steps' is negative");
  if (Error err = parseData(root, manifest.data))
    return err;
  if (Error err = parseMask(root, manifest.data, manifest.mask))
    return err;
  if (Error err = get(root, key::kParamCount, "", manifest.paramCount))
    return err;
  if (manifest.paramCount < 0 || manifest.paramCount > (int64_t(1) << 34))
    return fail("param_count " + std::to_string(manifest.paramCount) +
                " is not in [0, 2^34]");
  if (Error err = parseParams(root, manifest.paramCount, manifest.params))
    return err;
  for (const ParamSpec &param : manifest.params)
    manifest.recordsPolicies = manifest.recordsPolicies && param.hasPolicies;
  auto terms = root.find(std::string(key::kTerms));
  if (terms == root.end() || !terms->is_array() || terms->empty())
    return fail("'terms' must be a non-empty array of names");
  std::set<std::string> termNames;
  for (const json &term : *terms) {
    if (!term.is_string() || term.get_ref<const std::string &>().empty())
      return fail("'terms' must hold non-empty strings");
    if (!termNames.insert(term.get<std::string>()).second)
      return fail("duplicate term '" + term.get<std::string>() + "'");
    std::optional<contract::TermName> parsed =
        contract::parseTermName(term.get<std::string>());
    if (!parsed)
      return fail("unknown term '" + term.get<std::string>() + "'");
    manifest.terms.push_back(term.get<std::string>());
    manifest.termNames.push_back(*parsed);
  }
  auto observes = root.find(std::string(key::kObserves));
  if (observes != root.end() && !observes->is_null()) {
    if (!observes->is_object())
      return fail("'observes' must be an object or null");
    for (auto [name, out] :
         {std::pair{key::kGuided, &manifest.guidedObservation},
          std::pair{key::kUnguided, &manifest.unguidedObservation}}) {
      auto it = observes->find(std::string(name));
      if (it == observes->end() || it->is_null())
        continue;
      const std::string at = "observes: " + std::string(name) + ": ";
      if (!it->is_object())
        return fail(at + "must be an object or null");
      std::string site, dist;
      if (Error err = get(*it, key::kSite, at, site))
        return err;
      if (Error err = get(*it, key::kDist, at, dist))
        return err;
      Observation observation;
      if (site == manifest.data.name + ".missing" && manifest.mask)
        observation.missingOnly = true;
      else if (site != manifest.data.name)
        return fail(at + "site '" + site + "' is not '" + manifest.data.name +
                    "'" + (manifest.mask ? " or its missing part" : ""));
      if (dist != "bernoulli" && dist != "gaussian")
        return fail(at + "dist '" + dist + "' is not 'bernoulli' or 'gaussian'");
      observation.bernoulli = dist == "bernoulli";
      *out = observation;
    }
  }
  auto steps = root.find(std::string(key::kSampleSteps));
  if (steps != root.end() && !steps->is_null()) {
    if (!steps->is_object())
      return fail("'sample_steps' must be an object or null");
    const std::string at = "sample_steps: ";
    int64_t dim = 0;
    if (Error err = get(*steps, key::kSteps, at, manifest.sampleSteps))
      return err;
    if (Error err = get(*steps, key::kDim, at, dim))
      return err;
    if (manifest.sampleSteps <= 0 || manifest.sampleSteps > 100000)
      return fail(at + "steps " + std::to_string(manifest.sampleSteps) +
                  " is not in [1, 100000]");
    if (dim != manifest.data.dim)
      return fail(at + "dim " + std::to_string(dim) + " is not data.dim " +
                  std::to_string(manifest.data.dim));
  }
  if (manifest.termNames.front().term != contract::Term::Objective ||
      manifest.termNames.front().step)
    return fail("the first term must be '" +
                std::string(contract::spelling(contract::Term::Objective)) +
                "'");
  // The canonical dump sorts keys, so the hash ignores formatting.
  char hash[17];
  std::snprintf(hash, sizeof(hash), "%016llx",
                static_cast<unsigned long long>(fnv1a(root.dump(
                    -1, ' ', false, json::error_handler_t::replace))));
  manifest.hash = hash;
  out = std::move(manifest);
  return Error::success();
}

int Manifest::termIndex(contract::Term term) const {
  for (size_t i = 0; i < termNames.size(); ++i)
    if (termNames[i].term == term && !termNames[i].step)
      return static_cast<int>(i);
  return -1;
}

void Manifest::imageShape(int64_t &height, int64_t &width) const {
  if (mask) {
    height = mask->height;
    width = mask->width;
    return;
  }
  std::tie(height, width) = contract::defaultImageShape(data.dim);
}

uint64_t gps::rt::deriveKey(uint64_t seed, uint64_t tag) {
  // 0x67707321 is "gps!": keeps derived keys apart from raw counters.
  PhiloxCounter bits =
      philox4x32({static_cast<uint32_t>(tag), static_cast<uint32_t>(tag >> 32),
                  0x67707321u, 0},
                 philoxKey(seed));
  return uint64_t(bits[0]) | uint64_t(bits[1]) << 32;
}

void gps::rt::initParams(const Manifest &manifest, uint64_t seed,
                         ParamVector &params) {
  // Tag 1: parameter initialisation (Trainer.cpp lists the others).
  PhiloxStream rng(deriveKey(seed, 1));
  params.assign(static_cast<size_t>(manifest.paramCount), 0.0f);
  for (const ParamSpec &param : manifest.params) {
    float *data = params.data() + param.offset;
    switch (param.init) {
    case ParamInit::Zeros:
      break;
    case ParamInit::Ones:
      std::fill(data, data + param.numElements, 1.0f);
      break;
    case ParamInit::Normal:
      for (int64_t i = 0; i < param.numElements; ++i)
        data[i] = static_cast<float>(param.stddev * rng.nextNormal());
      break;
    case ParamInit::Glorot: {
      double fanOut = param.shape.empty() ? 1.0 : double(param.shape.back());
      double fanIn =
          param.shape.size() > 1 ? double(param.numElements) / fanOut : fanOut;
      double limit = std::sqrt(6.0 / (fanIn + fanOut));
      for (int64_t i = 0; i < param.numElements; ++i)
        data[i] = static_cast<float>(limit * (2.0 * rng.nextUniform() - 1.0));
      break;
    }
    }
  }
}
