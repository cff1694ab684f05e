//===- Cli.cpp - command line flags of the trainer --------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Trainer/Cli.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

using namespace gps::rt;

void FlagSet::add(const std::string &name, const std::string &valueName,
                  const std::string &help) {
  flags.push_back({name, valueName, help});
}

const FlagSet::Flag *FlagSet::find(const std::string &name) const {
  for (const Flag &flag : flags)
    if (flag.name == name)
      return &flag;
  return nullptr;
}

Error FlagSet::parse(const std::vector<std::string> &args, size_t begin) {
  for (size_t i = begin; i < args.size(); ++i) {
    const std::string &arg = args[i];
    if (arg == "--help" || arg == "-h") {
      help = true;
      return Error::success();
    }
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0)
      return Error::failure("unexpected argument '" + arg +
                            "' (flags start with '--')");
    size_t equals = arg.find('=');
    std::string name = arg.substr(
        2, equals == std::string::npos ? std::string::npos : equals - 2);
    const Flag *flag = find(name);
    if (!flag)
      return Error::failure("unknown flag '--" + name + "'");
    if (values.count(name))
      return Error::failure("flag '--" + name + "' given twice");
    if (flag->valueName.empty()) {
      if (equals != std::string::npos)
        return Error::failure("flag '--" + name + "' takes no value");
      values[name] = "";
      continue;
    }
    if (equals != std::string::npos) {
      values[name] = arg.substr(equals + 1);
      continue;
    }
    if (i + 1 >= args.size())
      return Error::failure("flag '--" + name + "' needs a value (" +
                            flag->valueName + ")");
    values[name] = args[++i];
  }
  return Error::success();
}

std::string FlagSet::usage() const {
  std::ostringstream text;
  text << "Usage: " << usageLine << "\n\n" << description << "\n\nFlags:\n";
  for (const Flag &flag : flags) {
    std::string left = "  --" + flag.name;
    if (!flag.valueName.empty())
      left += " " + flag.valueName;
    text << left;
    if (left.size() < 28)
      text << std::string(28 - left.size(), ' ');
    else
      text << "\n" << std::string(28, ' ');
    text << flag.help << "\n";
  }
  text << "  --help" << std::string(20, ' ') << "print this help\n";
  return text.str();
}

static Error badValue(const std::string &name, const std::string &value,
                      const std::string &expected) {
  return Error::failure("flag '--" + name + "': expected " + expected +
                        ", got '" + value + "'");
}

Error FlagSet::getUnsigned(const std::string &name, uint64_t &out, uint64_t min,
                           uint64_t max) const {
  if (!has(name))
    return Error::success();
  const std::string &text = value(name);
  std::string expected = "an integer";
  if (max != UINT64_MAX)
    expected +=
        " in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
  else
    expected += " >= " + std::to_string(min);
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
    return badValue(name, text, expected);
  errno = 0;
  char *end = nullptr;
  unsigned long long parsed = std::strtoull(text.c_str(), &end, 10);
  if (errno == ERANGE || *end != '\0' || parsed < min || parsed > max)
    return badValue(name, text, expected);
  out = parsed;
  return Error::success();
}

/// `value` written briefly ("0", "1", "0.5").
static std::string shortNumber(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

Error FlagSet::getDouble(const std::string &name, double &out, double lo,
                         double hi, bool loOpen) const {
  if (!has(name))
    return Error::success();
  const std::string &text = value(name);
  std::string expected = "a number";
  if (std::isfinite(hi))
    expected += std::string(" in ") + (loOpen ? "(" : "[") + shortNumber(lo) +
                ", " + shortNumber(hi) + "]";
  else
    expected += (loOpen ? " > " : " >= ") + shortNumber(lo);
  errno = 0;
  char *end = nullptr;
  double parsed = std::strtod(text.c_str(), &end);
  if (text.empty() || errno == ERANGE || *end != '\0' ||
      !std::isfinite(parsed) || parsed < lo || parsed > hi ||
      (loOpen && parsed == lo))
    return badValue(name, text, expected);
  out = parsed;
  return Error::success();
}

Error FlagSet::getChoice(const std::string &name,
                         const std::vector<std::string> &choices,
                         std::string &out) const {
  if (!has(name))
    return Error::success();
  const std::string &text = value(name);
  std::string expected;
  for (const std::string &choice : choices) {
    if (choice == text) {
      out = text;
      return Error::success();
    }
    expected += (expected.empty() ? "" : " or ") + choice;
  }
  return badValue(name, text, expected);
}
