//===- JsonFields.h - typed fields of a JSON object -------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// The one reader of typed JSON fields that the manifest (Manifest.cpp) and
// the checkpoint's settings (Checkpoint.cpp) share. JSON is parsed without
// exceptions and every value's type is checked before it is read, so bad
// input comes back as an Error naming the field:
//
//   missing 'dim'
//   'dim' must be an integer
//
// The caller puts the place in front ("model manifest: data: ...").
//
//===----------------------------------------------------------------------===//

#ifndef GPS_TRAINER_LIB_JSONFIELDS_H
#define GPS_TRAINER_LIB_JSONFIELDS_H

#include "gps/Runtime/Error.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace gps::rt::impl {

/// Whether a field may be left out; a field left out leaves `out` as it is.
enum class Presence { Required, Optional };

/// An integer; integral floats such as 14.0 are accepted.
Error readField(const nlohmann::json &object, std::string_view key,
                int64_t &out, Presence presence = Presence::Required);
/// A non-negative integer, as above.
Error readField(const nlohmann::json &object, std::string_view key,
                uint64_t &out, Presence presence = Presence::Required);
/// A finite number.
Error readField(const nlohmann::json &object, std::string_view key,
                double &out, Presence presence = Presence::Required);
/// A non-empty string.
Error readField(const nlohmann::json &object, std::string_view key,
                std::string &out, Presence presence = Presence::Required);

} // namespace gps::rt::impl

#endif // GPS_TRAINER_LIB_JSONFIELDS_H
