//===- GPSSymbols.h - functions the gps passes hand on ----------*- C++ -*-===//
//
// The functions one gps pass builds and a later one reads, named once. The
// names the runtime sees (entry points, runtime functions) are in
// runtime/include/gps/Runtime/Contract.h.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_DIALECT_GPS_GPSSYMBOLS_H
#define GPS_DIALECT_GPS_GPSSYMBOLS_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"

#include <string>

namespace gps {

/// gps-build-loss: the guided loss, `(data, params, key, stream) ->
/// (objective, terms...)`.
inline constexpr llvm::StringLiteral kLossFn = "gps_loss";
/// gps-build-loss: the primary alone, `-log p(x.missing | known)`.
inline constexpr llvm::StringLiteral kPrimaryLossFn = "gps_primary_loss";
/// gps-build-loss: the primary's observation mean.
inline constexpr llvm::StringLiteral kSampleFn = "gps_sample";
/// gps-build-loss: the primary's observation mean after every step of its
/// step loop, in a tape of one slot per step.
inline constexpr llvm::StringLiteral kSampleStepsFn = "gps_sample_steps";

/// gps-expand-kl (log-weights): the copy of the rollout that computes
/// log w = log p(x, tau) - log q(tau | x) per example; gps-build-loss makes
/// it the function below.
inline constexpr llvm::StringLiteral kLogWeightsRollout = "log_weights";
inline constexpr llvm::StringLiteral kLogWeightsFn = "gps_log_weights";

/// gps-build-loss: the values of a loss function's `gps.rng` arguments.
inline constexpr llvm::StringLiteral kRngKey = "key";
inline constexpr llvm::StringLiteral kRngStream = "stream";

/// The data views a policy reads besides the data itself: `x.known` and
/// `x.missing` (MLIRGen's `gps.read` names, split by the passes).
inline constexpr llvm::StringLiteral kKnownSuffix = ".known";
inline constexpr llvm::StringLiteral kMissingSuffix = ".missing";

/// gps-autodiff: the function that returns `fn`'s results and then the
/// gradients of its first result.
inline std::string gradientFnName(llvm::StringRef fn) {
  return (fn + "_grad").str();
}

} // namespace gps

#endif // GPS_DIALECT_GPS_GPSSYMBOLS_H
