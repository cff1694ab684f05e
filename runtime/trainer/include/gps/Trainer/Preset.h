//===- Preset.h - train flags read from a file -------------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// A preset is one experiment's `train` flags in a JSON object, for one
// model (docs/trainer.md, *Presets*):
//
//   {"model": "gpsi_add",
//    "description": "GPSI-add, MAR-14 (Sec. 4.1, Table 1)",
//    "data": "mnist10k", "batch": 100, "updates": 20000, "lr": 2e-4}
//
// `model` is required and must name the model that reads it; `description`
// is optional text; every other key is a flag's name with a value of the
// flag's type. readPreset turns the values into the text the command line
// would give, so that the flags' own checks (ranges, choices) apply.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_TRAINER_PRESET_H
#define GPS_TRAINER_PRESET_H

#include "gps/Runtime/Error.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace gps::rt {

/// The JSON type a preset key must have.
enum class PresetType {
  /// A non-negative integer (no fraction, no exponent).
  Integer,
  /// Any number.
  Number,
  /// A string.
  String,
  /// A string or an array of strings, joined with ','.
  List,
  /// true (the boolean flag is given) or false (it is not).
  Bool,
};

/// The keys a preset may hold besides `model` and `description`.
using PresetKeys = std::vector<std::pair<std::string, PresetType>>;

/// Reads the preset `path` for model `model` into `values`: flag name ->
/// the value as command-line text ("" for a boolean flag that is given; a
/// false one is left out). Fails with a message that names the file and
/// the key: the file cannot be read (`unreadable` is then set), is not a
/// JSON object (with the line and column of the syntax error), lacks
/// `model` or is for another model, has a key not in `keys`, or a value of
/// the wrong type.
Error readPreset(const std::string &path, const std::string &model,
                 const PresetKeys &keys,
                 std::map<std::string, std::string> &values, bool &unreadable);

} // namespace gps::rt

#endif // GPS_TRAINER_PRESET_H
