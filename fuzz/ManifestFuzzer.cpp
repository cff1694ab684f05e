//===- ManifestFuzzer.cpp - the trainer's manifest parser -----------------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// libFuzzer target for parseManifest (runtime/trainer/lib/Manifest.cpp), the
// JSON a compiled model describes itself with. A manifest that parses must
// be usable as the trainer uses it: every term found by its name, a
// parameter layout that initParams can fill, an owner (net or parameter)
// and a consistent policy record for each parameter, an image shape with
// `dim` pixels, and the same hash when its own text is parsed again.
//
//===----------------------------------------------------------------------===//

#include "FuzzFile.h"

#include "gps/Trainer/Manifest.h"

using namespace gps;

static const char *const kTarget = "gps-manifest-fuzzer";

/// initParams is only tried on layouts this small (the trainer allocates
/// what the model asks for; the fuzzer's memory is limited).
static constexpr int64_t kMaxInitElements = 1 << 20;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  rt::Manifest manifest;
  if (rt::Error err = rt::parseManifest(text, manifest)) {
    if (err.message().rfind("model manifest: ", 0) != 0)
      fuzz::finding(kTarget, "a failure that does not start with 'model "
                             "manifest: ': " + err.message());
    return 0;
  }
  if (manifest.termNames.size() != manifest.terms.size())
    fuzz::finding(kTarget, "terms and their parsed names differ in number");
  for (size_t i = 0; i < manifest.terms.size(); ++i) {
    const rt::contract::TermName &name = manifest.termNames[i];
    if (name.step) {
      if (rt::contract::stepSpelling(name.term, name.site, *name.step) !=
          manifest.terms[i])
        fuzz::finding(kTarget, "a per-step term that does not spell back: '" +
                                   manifest.terms[i] + "'");
      continue;
    }
    if (manifest.termIndex(name.term) != static_cast<int>(i))
      fuzz::finding(kTarget, "termIndex misses term '" + manifest.terms[i] +
                                 "'");
  }
  int64_t height = 0, width = 0;
  manifest.imageShape(height, width);
  if (height <= 0 || width <= 0 || height * width != manifest.data.dim)
    fuzz::finding(kTarget, "an image shape without dim pixels");
  bool allRecorded = true;
  for (const rt::ParamSpec &param : manifest.params) {
    if (param.offset < 0 || param.numElements <= 0 ||
        param.offset + param.numElements > manifest.paramCount)
      fuzz::finding(kTarget, "parameter '" + param.name +
                                 "' outside the parameter vector");
    // --freeze names a parameter by its owner, --only by its policies.
    if (param.owner().empty())
      fuzz::finding(kTarget, "parameter '" + param.name + "' has no owner");
    if (!param.hasPolicies && (param.usedBy[0] || param.usedBy[1]))
      fuzz::finding(kTarget, "parameter '" + param.name +
                                 "' is read by policies the manifest does "
                                 "not list");
    allRecorded = allRecorded && param.hasPolicies;
  }
  if (allRecorded != manifest.recordsPolicies)
    fuzz::finding(kTarget, "recordsPolicies disagrees with the parameters");
  if (manifest.paramCount <= kMaxInitElements) {
    rt::ParamVector params;
    rt::initParams(manifest, 1, params);
    if (static_cast<int64_t>(params.size()) != manifest.paramCount)
      fuzz::finding(kTarget, "initParams gave the wrong size");
  }
  rt::Manifest again;
  if (rt::Error err = rt::parseManifest(manifest.text, again))
    fuzz::finding(kTarget, "its own text does not parse: " + err.message());
  if (again.hash != manifest.hash)
    fuzz::finding(kTarget, "parsing again changed the hash");
  return 0;
}
