//===- Cli.cpp - command line flags of the trainer --------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Trainer/Cli.h"

#include <CLI/CLI.hpp>

#include <algorithm>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

using namespace gps::rt;

void FlagSet::add(const std::string &name, const std::string &valueName,
                  const std::string &help) {
  flags.push_back({name, valueName, help});
}

void FlagSet::addList(const std::string &name, const std::string &valueName,
                      const std::string &help) {
  flags.push_back({name, valueName, help, /*repeatable=*/true});
}

const FlagSet::Flag *FlagSet::find(const std::string &name) const {
  for (const Flag &flag : flags)
    if (flag.name == name)
      return &flag;
  return nullptr;
}

/// The value CLI11 records for a boolean flag given without one; anything
/// else came from `--name=value`.
static constexpr const char *kGiven = "\x01given";

Error FlagSet::parse(const std::vector<std::string> &args, size_t begin) {
  // CLI11 splits `--name value` and `--name=value` and collects the rest.
  // Every flag is declared with an optional value and no limit on repeats,
  // so that the messages below, not CLI11's, report each mistake by name.
  CLI::App app;
  app.set_help_flag("-h,--help");
  app.allow_extras();
  std::vector<CLI::Option *> options;
  for (const Flag &flag : flags) {
    if (flag.valueName.empty())
      options.push_back(app.add_flag("--" + flag.name + "{" + kGiven + "}"));
    else
      options.push_back(
          app.add_option("--" + flag.name)
              ->expected(0, 1)
              ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll));
  }
  // CLI11 takes the arguments last to first.
  std::vector<std::string> reversed(args.rbegin(),
                                    args.rend() - static_cast<ptrdiff_t>(
                                                      std::min(begin, args.size())));
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp &) {
    help = true;
    return Error::success();
  } catch (const CLI::ParseError &error) {
    return Error::failure(error.what());
  }
  for (const std::string &arg : app.remaining()) {
    if (arg.size() > 2 && arg.compare(0, 2, "--") == 0)
      return Error::failure("unknown flag '" + arg.substr(0, arg.find('=')) +
                            "'");
    return Error::failure("unexpected argument '" + arg +
                          "' (flags start with '--')");
  }
  for (size_t i = 0; i < flags.size(); ++i) {
    const Flag &flag = flags[i];
    const std::vector<std::string> &given = options[i]->results();
    if (options[i]->count() == 0)
      continue;
    if (options[i]->count() > 1 && !flag.repeatable)
      return Error::failure("flag '--" + flag.name + "' given twice");
    if (flag.valueName.empty()) {
      if (given.size() != 1 || given[0] != kGiven)
        return Error::failure("flag '--" + flag.name + "' takes no value");
      values[flag.name] = "";
      continue;
    }
    // CLI11 records a value left out, and `--name=`, as an empty one.
    if (given.size() != options[i]->count() ||
        std::any_of(given.begin(), given.end(),
                    [](const std::string &v) { return v.empty(); }))
      return Error::failure("flag '--" + flag.name + "' needs a value (" +
                            flag.valueName + ")");
    // CLI11 took the arguments last to first.
    std::string joined;
    for (auto it = given.rbegin(); it != given.rend(); ++it)
      joined += (joined.empty() ? "" : ",") + *it;
    values[flag.name] = joined;
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

Error FlagSet::getList(const std::string &name,
                       std::vector<std::string> &out) const {
  if (!has(name))
    return Error::success();
  const std::string &text = value(name);
  std::vector<std::string> items;
  size_t begin = 0;
  while (true) {
    size_t comma = text.find(',', begin);
    std::string item = text.substr(begin, comma - begin);
    if (item.empty())
      return badValue(name, text, "a comma-separated list of names");
    items.push_back(item);
    if (comma == std::string::npos)
      break;
    begin = comma + 1;
  }
  out = std::move(items);
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
