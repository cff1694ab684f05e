//===- GPSTerms.cpp - names of the rollout's terms ------------------------===//

#include "gps/Dialect/GPS/GPSTerms.h"

#include "llvm/ADT/Twine.h"

using namespace gps;

std::string gps::formatStepTermName(llvm::StringRef term, int64_t first,
                                    int64_t last) {
  return (term + "[" + llvm::Twine(first) + ".." + llvm::Twine(last) + "]")
      .str();
}

std::optional<StepTermName> gps::parseStepTermName(llvm::StringRef name) {
  if (!name.ends_with("]"))
    return std::nullopt;
  size_t open = name.rfind('[');
  if (open == llvm::StringRef::npos)
    return std::nullopt;
  auto [firstText, lastText] =
      name.slice(open + 1, name.size() - 1).split("..");
  StepTermName parts{name.take_front(open), 0, 0};
  if (firstText.getAsInteger(10, parts.first) ||
      lastText.getAsInteger(10, parts.last) || parts.last < parts.first)
    return std::nullopt;
  return parts;
}

std::string gps::formatStepSlotName(llvm::StringRef term, int64_t step) {
  return (term + "[" + llvm::Twine(step) + "]").str();
}
