//===- Preset.cpp - train flags read from a file ----------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Trainer/Preset.h"

#include "gps/Trainer/Files.h"

#include <nlohmann/json.hpp>

using namespace gps::rt;

static const char *typeText(PresetType type) {
  switch (type) {
  case PresetType::Integer:
    return "an integer >= 0";
  case PresetType::Number:
    return "a number";
  case PresetType::String:
    return "a string";
  case PresetType::List:
    return "a string or an array of strings";
  case PresetType::Bool:
    return "true or false";
  }
  return "";
}

static std::string jsonTypeText(const nlohmann::json &value) {
  if (value.is_number_float())
    return "the number " + value.dump();
  if (value.is_number())
    return "the integer " + value.dump();
  return std::string(value.type_name());
}

/// `value` as command-line text, or false when it is not of `type`.
static bool toText(const nlohmann::json &value, PresetType type,
                   std::string &text) {
  switch (type) {
  case PresetType::Integer:
    if (!value.is_number_unsigned())
      return false;
    text = value.dump();
    return true;
  case PresetType::Number:
    if (!value.is_number())
      return false;
    text = value.dump();
    return true;
  case PresetType::String:
    if (!value.is_string())
      return false;
    text = value.get<std::string>();
    return true;
  case PresetType::List:
    if (value.is_string()) {
      text = value.get<std::string>();
      return true;
    }
    if (!value.is_array() || value.empty())
      return false;
    text.clear();
    for (const nlohmann::json &item : value) {
      if (!item.is_string())
        return false;
      text += (text.empty() ? "" : ",") + item.get<std::string>();
    }
    return true;
  case PresetType::Bool:
    if (!value.is_boolean())
      return false;
    text = "";
    return true;
  }
  return false;
}

Error gps::rt::readPreset(const std::string &path, const std::string &model,
                          const PresetKeys &keys,
                          std::map<std::string, std::string> &values,
                          bool &unreadable) {
  unreadable = false;
  std::string where = "preset '" + path + "'";
  std::string bytes;
  if (Error err = readFile(path, bytes)) {
    unreadable = true;
    return Error::failure("preset: " + err.message());
  }
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(bytes);
  } catch (const nlohmann::json::parse_error &error) {
    // "[json.exception.parse_error.101] parse error at line 3, column 5:
    // ..." without the bracketed prefix.
    std::string what = error.what();
    size_t close = what.find("] ");
    if (close != std::string::npos)
      what = what.substr(close + 2);
    return Error::failure(where + ": not JSON: " + what);
  }
  if (!json.is_object())
    return Error::failure(where + ": not a JSON object");
  auto found = json.find("model");
  if (found == json.end())
    return Error::failure(where + ": missing key 'model' (the model it is "
                                  "for)");
  if (!found->is_string())
    return Error::failure(where + ": key 'model': expected a string, got " +
                          jsonTypeText(*found));
  if (found->get<std::string>() != model)
    return Error::failure(where + " is for model '" +
                          found->get<std::string>() + "', not '" + model +
                          "'");
  std::map<std::string, std::string> read;
  for (auto it = json.begin(); it != json.end(); ++it) {
    const std::string &key = it.key();
    if (key == "model")
      continue;
    if (key == "description") {
      if (!it->is_string())
        return Error::failure(where + ": key 'description': expected a "
                                      "string, got " +
                              jsonTypeText(*it));
      continue;
    }
    const std::pair<std::string, PresetType> *spec = nullptr;
    for (const auto &candidate : keys)
      if (candidate.first == key)
        spec = &candidate;
    if (spec == nullptr) {
      std::string known = "model, description";
      for (const auto &candidate : keys)
        known += ", " + candidate.first;
      return Error::failure(where + ": unknown key '" + key +
                            "' (a preset may set: " + known + ")");
    }
    std::string text;
    if (!toText(*it, spec->second, text))
      return Error::failure(where + ": key '" + key + "': expected " +
                            typeText(spec->second) + ", got " +
                            jsonTypeText(*it));
    if (spec->second == PresetType::Bool && !it->get<bool>())
      continue;
    read[key] = text;
  }
  values = std::move(read);
  return Error::success();
}
