//===- Contract.h - names shared by the compiler and the runtime -*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// The names both sides of the compiler<->runtime contract spell: the runtime
// functions generated code calls, the model's entry points, the manifest's
// keys and the spellings of its term, initialiser, mask and data kinds.
// Interface.h declares the functions and the ABI version; this header names
// them. Plain C++17, included by the compiler's passes and by the trainer,
// so that each name is written once.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_RUNTIME_CONTRACT_H
#define GPS_RUNTIME_CONTRACT_H

#include "gps/Runtime/Interface.h"

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace gps::rt::contract {

/// The ABI version generated code is compiled against and hands to
/// gps_rt_check_abi at start-up.
inline constexpr uint32_t kAbiVersion = GPS_RUNTIME_API_VERSION;
inline constexpr uint32_t kAbiMagic = GPS_RUNTIME_MAGIC;

//===--------------------------------------------------------------------===//
// Symbols
//===--------------------------------------------------------------------===//

/// Runtime functions generated code calls (through the memref C interface,
/// `_mlir_ciface_<name>`, where it passes memrefs).
inline constexpr std::string_view kSgemmFn = "gps_rt_sgemm";
inline constexpr std::string_view kNormalFn = "gps_rt_normal";
inline constexpr std::string_view kCheckAbiFn = "gps_rt_check_abi";

/// Their counterparts for code compiled with --target=cuda, on device
/// buffers (runtime/cuda/): the same signatures, cuBLAS and the same Philox
/// streams.
inline constexpr std::string_view kCudaSgemmFn = "gps_rt_cuda_sgemm";
/// gps_rt_cuda_sgemm with TF32 tensor cores allowed (gpsc --tf32).
inline constexpr std::string_view kCudaSgemmTF32Fn = "gps_rt_cuda_sgemm_tf32";
inline constexpr std::string_view kCudaNormalFn = "gps_rt_cuda_normal";
/// Called first by an entry point whose GPU work the runtime may capture in
/// a CUDA Graph and replay (gps-capture-entries): (entry, signature,
/// stream) -> the device buffer holding `stream`, which its kernels read.
inline constexpr std::string_view kCudaGraphBeginFn = "gps_rt_cuda_graph_begin";

/// The GPU emulation's race check (Interface.h).
inline constexpr std::string_view kEmuLaunchFn = "gps_rt_emu_launch";
inline constexpr std::string_view kEmuAccessFn = "gps_rt_emu_access";
inline constexpr std::string_view kEmuFailFn = "gps_rt_emu_fail";

/// The noise: Philox4x32-10's round multipliers and Weyl key increments
/// (Salmon et al. 2011, as in Random123's philox.h), and the multiplier of
/// gps_rt_noise_key. The runtime's generator (Philox.cpp) and the noise
/// generated code computes itself (lib/Conversion/PhiloxNormal.cpp) use
/// these, so the two draw the same numbers.
inline constexpr uint32_t kPhiloxMultiplier0 = 0xD2511F53u;
inline constexpr uint32_t kPhiloxMultiplier1 = 0xCD9E8D57u;
inline constexpr uint32_t kPhiloxWeyl0 = 0x9E3779B9u; // golden ratio
inline constexpr uint32_t kPhiloxWeyl1 = 0xBB67AE85u; // sqrt(3) - 1
inline constexpr uint64_t kNoiseKeyMultiplier = 0x9E3779B97F4A7C15ull;

/// The model's entry points (Interface.h declares their signatures).
inline constexpr std::string_view kTrainEntry = "gps_model_train";
inline constexpr std::string_view kEvalEntry = "gps_model_eval";
inline constexpr std::string_view kEvalPrimaryEntry = "gps_model_eval_primary";
inline constexpr std::string_view kSampleEntry = "gps_model_sample";
inline constexpr std::string_view kSampleStepsEntry = "gps_model_sample_steps";
inline constexpr std::string_view kLogWeightsEntry = "gps_model_log_weights";
/// The optimizer's entry points: the sum of the squares of a gradient, and
/// one Adam update (Interface.h).
inline constexpr std::string_view kGradSumsqEntry = "gps_model_grad_sumsq";
inline constexpr std::string_view kAdamEntry = "gps_model_adam";
/// The gather of a batch from the data set's bytes, and the masks of a
/// training batch (Interface.h).
inline constexpr std::string_view kGatherEntry = "gps_model_gather";
inline constexpr std::string_view kMasksEntry = "gps_model_masks";
/// The adam entry point's `coefficients`, by index: what changes from one
/// update to the next is read from memory, not passed.
enum class AdamCoefficient : int32_t {
  LearningRate = 0,
  Beta1 = 1,
  Beta2 = 2,
  Epsilon = 3,
  /// 1 - beta1^t and 1 - beta2^t at update t (from 1).
  Correction1 = 4,
  Correction2 = 5,
  Count = 6,
};
inline constexpr std::string_view kManifestFn = "gps_model_manifest";
inline constexpr std::string_view kCheckAbiEntry = "gps_model_check_abi";
/// What every entry point's name starts with, and what it starts with
/// instead in the GPU half of a trainer compiled with --target=cuda, which
/// holds both halves (`gps_model_cuda_train`, ...; `trainer --device`).
inline constexpr std::string_view kEntryPrefix = "gps_model_";
inline constexpr std::string_view kCudaEntryPrefix = "gps_model_cuda_";

//===--------------------------------------------------------------------===//
// Manifest (format: docs/trainer.md)
//===--------------------------------------------------------------------===//

namespace key {
inline constexpr std::string_view kAbi = "abi";
inline constexpr std::string_view kModel = "model";
inline constexpr std::string_view kSteps = "steps";
inline constexpr std::string_view kData = "data";
inline constexpr std::string_view kMask = "mask";
inline constexpr std::string_view kParams = "params";
inline constexpr std::string_view kParamCount = "param_count";
inline constexpr std::string_view kTerms = "terms";
inline constexpr std::string_view kName = "name";
inline constexpr std::string_view kKind = "kind";
inline constexpr std::string_view kDim = "dim";
inline constexpr std::string_view kLo = "lo";
inline constexpr std::string_view kHi = "hi";
inline constexpr std::string_view kAmount = "amount";
inline constexpr std::string_view kImage = "image";
inline constexpr std::string_view kShape = "shape";
inline constexpr std::string_view kInit = "init";
inline constexpr std::string_view kOffset = "offset";
/// Optional, read by the trainer only: the `normal` initialiser's std.
inline constexpr std::string_view kStd = "std";
/// Optional per parameter: the net that owns it (absent for a parameter
/// declared with `param`), and the roles of the policies that read it,
/// through a net or directly (`--only` and `--freeze` of train).
inline constexpr std::string_view kNet = "net";
inline constexpr std::string_view kPolicies = "policies";
/// Optional: `{"steps": T, "dim": D}` when the model defines the
/// sample_steps entry point, which writes T x batch rows of D values (the
/// observation's mean after each step; D is data.dim).
inline constexpr std::string_view kSampleSteps = "sample_steps";
/// Optional: what the policies observe, `{"guided": OBS, "unguided": OBS}`
/// with OBS `{"site": "x" | "x.missing", "dist": "bernoulli" |
/// "gaussian"}`. "guided" is the primary's observation (the nll term of
/// train and eval); "unguided" that of the policy eval_primary and sample
/// run (the impute policy when the model has one, else the primary).
inline constexpr std::string_view kObserves = "observes";
inline constexpr std::string_view kGuided = "guided";
inline constexpr std::string_view kUnguided = "unguided";
inline constexpr std::string_view kSite = "site";
inline constexpr std::string_view kDist = "dist";
} // namespace key

/// The values an entry point writes to its terms vector, in the order the
/// manifest lists them. The enumerators' values are those of the gps
/// dialect's TermKind.
enum class Term : int32_t {
  Objective = 0,
  Nll = 1,
  KLQP = 2,
  KLPQ = 3,
  KLPNormal = 4,
  KLQNormal = 5,
};
inline constexpr int32_t kNumTerms = 6;

constexpr std::string_view spelling(Term term) {
  switch (term) {
  case Term::Objective:
    return "objective";
  case Term::Nll:
    return "nll";
  case Term::KLQP:
    return "kl(q||p)";
  case Term::KLPQ:
    return "kl(p||q)";
  case Term::KLPNormal:
    return "kl(p||normal)";
  case Term::KLQNormal:
    return "kl(q||normal)";
  }
  return "";
}

/// The manifest's name of a term's value at one sample site and step:
/// `kl(q||p)[z,3]`.
inline std::string stepSpelling(Term term, std::string_view site,
                                int64_t step) {
  return std::string(spelling(term)) + "[" + std::string(site) + "," +
         std::to_string(step) + "]";
}

/// A manifest term name taken apart: the term, and the site and step of a
/// per-step value.
struct TermName {
  Term term;
  std::string site;
  std::optional<int64_t> step;
};

/// Whether `name` is a site's name: a letter or '_', then letters, digits
/// and '_'.
inline bool isSiteName(std::string_view name) {
  if (name.empty())
    return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!letter && !(i > 0 && c >= '0' && c <= '9'))
      return false;
  }
  return true;
}

/// Parses `spelling(term)` or `stepSpelling(term, site, step)` (the step
/// without leading zeros); nothing for any other text.
inline std::optional<TermName> parseTermName(std::string_view name) {
  std::string site;
  std::optional<int64_t> step;
  if (!name.empty() && name.back() == ']') {
    size_t open = name.rfind('[');
    if (open == std::string_view::npos)
      return std::nullopt;
    std::string_view inside = name.substr(open + 1, name.size() - open - 2);
    size_t comma = inside.find(',');
    if (comma == std::string_view::npos ||
        !isSiteName(inside.substr(0, comma)))
      return std::nullopt;
    site = std::string(inside.substr(0, comma));
    std::string_view digits = inside.substr(comma + 1);
    // Canonical numbers only: "[z,07]" would name step 7 a second way.
    if (digits.empty() || (digits[0] == '0' && digits.size() > 1))
      return std::nullopt;
    int64_t value = 0;
    for (char c : digits) {
      if (c < '0' || c > '9' || value > (INT64_MAX - 9) / 10)
        return std::nullopt;
      value = value * 10 + (c - '0');
    }
    step = value;
    name = name.substr(0, open);
  }
  for (int32_t i = 0; i < kNumTerms; ++i)
    if (spelling(static_cast<Term>(i)) == name)
      return TermName{static_cast<Term>(i), std::move(site), step};
  return std::nullopt;
}

/// Parameter initialisers; values as the gps dialect's InitKind.
enum class Init : int32_t { Zeros = 0, Ones = 1, Normal = 2, Glorot = 3 };
inline constexpr int32_t kNumInits = 4;
constexpr std::string_view spelling(Init init) {
  switch (init) {
  case Init::Zeros:
    return "zeros";
  case Init::Ones:
    return "ones";
  case Init::Normal:
    return "normal";
  case Init::Glorot:
    return "glorot";
  }
  return "";
}

/// Missing-data processes; values as the gps dialect's MaskKind.
enum class Mask : int32_t { Mar = 0, Mcar = 1 };
inline constexpr int32_t kNumMasks = 2;
constexpr std::string_view spelling(Mask mask) {
  return mask == Mask::Mar ? "mar" : "mcar";
}

/// The [height, width] of `dim` data values taken as an image when no
/// image is given (a mask without one, the samples' pictures): the square
/// whose side is the root of `dim`, else one row.
inline std::pair<int64_t, int64_t> defaultImageShape(int64_t dim) {
  auto side = static_cast<int64_t>(std::llround(std::sqrt(double(dim))));
  if (side * side == dim)
    return {side, side};
  return {1, dim};
}

/// Element domains of the data; values as the gps dialect's DataKind.
enum class Data : int32_t { Real = 0, Bits = 1 };
inline constexpr int32_t kNumData = 2;
constexpr std::string_view spelling(Data data) {
  return data == Data::Real ? "real" : "bits";
}

/// Roles of a policy; values as the gps dialect's Role.
enum class Role : int32_t { Primary = 0, Guide = 1 };
inline constexpr int32_t kNumRoles = 2;
constexpr std::string_view spelling(Role role) {
  return role == Role::Primary ? "primary" : "guide";
}

/// The enumerator of `Kind` spelled `text`, if any.
template <typename Kind, int32_t N>
std::optional<Kind> parseKind(std::string_view text) {
  for (int32_t i = 0; i < N; ++i)
    if (spelling(static_cast<Kind>(i)) == text)
      return static_cast<Kind>(i);
  return std::nullopt;
}

} // namespace gps::rt::contract

#endif // GPS_RUNTIME_CONTRACT_H
