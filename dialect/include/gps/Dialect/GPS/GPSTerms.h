//===- GPSTerms.h - names of the rollout's terms ----------------*- C++ -*-===//
//
// A rollout returns one value per objective term, named by its `terms`
// attribute. A per-step term holds one batch mean per step in a
// tensor<Nxf32> and is named `<term>[<first>..<last>]`; the manifest lists
// its slots as `<term>[<first>]`, ..., `<term>[<last>]`.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_DIALECT_GPS_GPSTERMS_H
#define GPS_DIALECT_GPS_GPSTERMS_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <string>

namespace gps {

/// `<term>[<first>..<last>]`.
std::string formatStepTermName(llvm::StringRef term, int64_t first,
                               int64_t last);

/// A per-step term name taken apart.
struct StepTermName {
  llvm::StringRef term;
  int64_t first, last;
};

/// The parts of `<term>[<first>..<last>]`, or nothing for another name.
std::optional<StepTermName> parseStepTermName(llvm::StringRef name);

/// The name of one slot of a per-step term: `<term>[<step>]`.
std::string formatStepSlotName(llvm::StringRef term, int64_t step);

} // namespace gps

#endif // GPS_DIALECT_GPS_GPSTERMS_H
