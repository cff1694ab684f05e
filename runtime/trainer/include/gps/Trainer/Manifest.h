//===- Manifest.h - the description of a compiled model ---------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// A compiled model describes itself with the JSON string returned by
// gps_model_manifest() (Interface.h): its data, mask, parameters (names,
// shapes, initialisers, offsets into the flat parameter vector) and the names
// of the terms its entry points return. docs/trainer.md gives the schema.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_TRAINER_MANIFEST_H
#define GPS_TRAINER_MANIFEST_H

#include "gps/Runtime/Contract.h"
#include "gps/Runtime/Error.h"
#include "gps/Runtime/ParamMemory.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gps::rt {

/// The manifest format version this trainer reads: the runtime's ABI
/// version.
constexpr int64_t kManifestAbi = contract::kAbiVersion;

using DataKind = contract::Data;
using MaskKind = contract::Mask;
using ParamInit = contract::Init;

/// The model's data input: one vector of `dim` values per example, in
/// [lo, hi]. `Bits` data are binary.
struct DataSpec {
  std::string name;
  DataKind kind = DataKind::Real;
  int64_t dim = 0;
  double lo = 0.0;
  double hi = 1.0;
};

/// The model's mask. `amount` is the square size (MAR) or the drop
/// probability (MCAR); the image shape is `height` x `width`.
struct MaskSpec {
  std::string name;
  MaskKind kind = MaskKind::Mcar;
  double amount = 0.0;
  int64_t height = 0;
  int64_t width = 0;
};

/// One parameter tensor: elements [offset, offset + numElements) of the
/// flat parameter vector, row-major with `shape`.
struct ParamSpec {
  std::string name;
  std::vector<int64_t> shape;
  ParamInit init = ParamInit::Zeros;
  /// Standard deviation of the `normal` initialiser.
  double stddev = 1.0;
  int64_t offset = 0;
  int64_t numElements = 1;
  /// The net that owns the parameter; empty for one declared with `param`
  /// (or when the manifest does not say).
  std::string net;
  /// Whether the manifest lists the policies that read the parameter, and
  /// which: usedBy[role] for contract::Role.
  bool hasPolicies = false;
  bool usedBy[contract::kNumRoles] = {false, false};

  /// The unit that --freeze names: the net, else the parameter itself.
  const std::string &owner() const { return net.empty() ? name : net; }
};

/// What a policy observes: the data (`x`) or its missing part
/// (`x.missing`), through a Bernoulli or a Gaussian likelihood.
struct Observation {
  bool missingOnly = false;
  bool bernoulli = true;
};

/// A parsed and validated manifest.
struct Manifest {
  int64_t abi = 0;
  std::string model;
  int64_t steps = 0;
  DataSpec data;
  std::optional<MaskSpec> mask;
  std::vector<ParamSpec> params;
  int64_t paramCount = 0;
  /// Whether every parameter lists the policies that read it (manifests of
  /// older compilers do not).
  bool recordsPolicies = true;
  /// The steps T the sample_steps entry point writes (the observation's
  /// mean after each step), or 0 when the model does not define it.
  int64_t sampleSteps = 0;
  /// What the primary observes (the nll of train and eval) and what the
  /// policy of eval_primary and sample observes; unknown in manifests of
  /// older compilers.
  std::optional<Observation> guidedObservation, unguidedObservation;
  /// Names of terms[0..); terms[0] is the objective.
  std::vector<std::string> terms;
  /// The same names taken apart (Contract.h): a term, and the step of a
  /// per-step value.
  std::vector<contract::TermName> termNames;
  /// 16 hex digits identifying the manifest (FNV-1a of its canonical JSON),
  /// so that a checkpoint of another model is recognised.
  std::string hash;
  /// The manifest text as the model returned it.
  std::string text;

  /// The index of the (whole, not per-step) value of `term`, or -1.
  int termIndex(contract::Term term) const;
  /// The image shape of one example: the mask's image, else a square when
  /// dim is a perfect square, else 1 x dim.
  void imageShape(int64_t &height, int64_t &width) const;
};

/// Parses and validates a manifest. Failures start with "model manifest: "
/// and name the offending field. `out` is only modified on success.
Error parseManifest(const std::string &text, Manifest &out);

/// Initialises `params` (resized to paramCount) from the manifest's
/// initialisers with Philox keyed by `seed`: glorot is U(-a, a) with
/// a = sqrt(6 / (fan_in + fan_out)), fan_out the last dimension and fan_in
/// the product of the others (both the size for rank 1); normal is
/// N(0, stddev^2). Elements no parameter covers are zero.
void initParams(const Manifest &manifest, uint64_t seed, ParamVector &params);

/// A 64-bit Philox key for one purpose of a run: a function of the seed and
/// a tag, so that parameter init, masks etc. draw independent numbers.
uint64_t deriveKey(uint64_t seed, uint64_t tag);

} // namespace gps::rt

#endif // GPS_TRAINER_MANIFEST_H
