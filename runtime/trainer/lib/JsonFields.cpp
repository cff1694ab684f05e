//===- JsonFields.cpp - typed fields of a JSON object -----------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "JsonFields.h"

#include <cmath>

using namespace gps::rt;
using namespace gps::rt::impl;
using nlohmann::json;

/// The field `key` of `object`, or null when it is absent; `problem` is set
/// when a required field is absent.
static const json *find(const json &object, std::string_view key,
                        Presence presence, Error &problem) {
  auto it = object.find(std::string(key));
  if (it != object.end())
    return &*it;
  if (presence == Presence::Required)
    problem = Error::failure("missing '" + std::string(key) + "'");
  return nullptr;
}

static Error mustBe(std::string_view key, const char *what) {
  return Error::failure("'" + std::string(key) + "' must be " + what);
}

/// `value` as an integer when it is one, or an integral float below 2^53.
static bool integerValue(const json &value, int64_t &out) {
  if (value.is_number_integer()) {
    if (value.is_number_unsigned() && value.get<uint64_t>() > INT64_MAX)
      return false;
    out = value.get<int64_t>();
    return true;
  }
  if (!value.is_number_float())
    return false;
  double number = value.get<double>();
  if (!std::isfinite(number) || number != std::floor(number) ||
      std::fabs(number) >= 9.0e15)
    return false;
  out = static_cast<int64_t>(number);
  return true;
}

Error impl::readField(const json &object, std::string_view key, int64_t &out,
                      Presence presence) {
  Error problem;
  const json *value = find(object, key, presence, problem);
  if (!value)
    return problem;
  if (!integerValue(*value, out))
    return mustBe(key, "an integer");
  return Error::success();
}

Error impl::readField(const json &object, std::string_view key, uint64_t &out,
                      Presence presence) {
  Error problem;
  const json *value = find(object, key, presence, problem);
  if (!value)
    return problem;
  if (value->is_number_unsigned()) {
    out = value->get<uint64_t>();
    return Error::success();
  }
  int64_t number = 0;
  if (!integerValue(*value, number) || number < 0)
    return mustBe(key, "a non-negative integer");
  out = static_cast<uint64_t>(number);
  return Error::success();
}

Error impl::readField(const json &object, std::string_view key, double &out,
                      Presence presence) {
  Error problem;
  const json *value = find(object, key, presence, problem);
  if (!value)
    return problem;
  if (!value->is_number() || !std::isfinite(value->get<double>()))
    return mustBe(key, "a finite number");
  out = value->get<double>();
  return Error::success();
}

Error impl::readField(const json &object, std::string_view key,
                      std::string &out, Presence presence) {
  Error problem;
  const json *value = find(object, key, presence, problem);
  if (!value)
    return problem;
  if (!value->is_string() || value->get_ref<const std::string &>().empty())
    return mustBe(key, "a non-empty string");
  out = value->get<std::string>();
  return Error::success();
}
