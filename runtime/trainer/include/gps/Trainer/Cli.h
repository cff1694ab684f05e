//===- Cli.h - command line flags of the trainer ----------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// The flags of a trainer command: `--name value`, `--name=value` and
// boolean `--name`, split by CLI11. Every failure is a usage error whose
// message names the flag; the values are checked by the typed getters
// below, so that the messages name the flag, the value and what was
// expected ("flag '--batch': expected an integer in [1, 4294967295], got
// 'x'").
//
//===----------------------------------------------------------------------===//

#ifndef GPS_TRAINER_CLI_H
#define GPS_TRAINER_CLI_H

#include "gps/Runtime/Error.h"

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace gps::rt {

/// The flags of one command and, after parse(), the values given.
class FlagSet {
public:
  /// `usage` is the synopsis line, `description` a paragraph under it.
  FlagSet(std::string usage, std::string description)
      : usageLine(std::move(usage)), description(std::move(description)) {}

  /// Declares `--name VALUE` (or the boolean `--name` when `valueName` is
  /// empty) with a one-line help text.
  void add(const std::string &name, const std::string &valueName,
           const std::string &help);
  /// Declares `--name VALUE[,VALUE...]`, which may be given more than once;
  /// value() joins the values given with ','.
  void addList(const std::string &name, const std::string &valueName,
               const std::string &help);

  /// Parses args[begin..). Fails on a positional argument, an unknown flag,
  /// a repeated one (but for addList flags), a missing value or a value given to a boolean flag.
  /// `--help` and `-h` set helpRequested(). A value may start with '-'
  /// when it is a number (`--lr -1` is read, then refused by getDouble).
  Error parse(const std::vector<std::string> &args, size_t begin);

  bool helpRequested() const { return help; }
  /// True when the flag was given.
  bool has(const std::string &name) const { return values.count(name) != 0; }
  /// The value given (empty for boolean flags); only when has(name).
  const std::string &value(const std::string &name) const {
    return values.at(name);
  }

  /// Sets the flag `name` to `value` as if it had been given, unless it
  /// was (a preset's values under the command line's).
  void setDefault(const std::string &name, const std::string &value) {
    values.emplace(name, value);
  }

  /// The help text: usage, description, then the flags.
  std::string usage() const;

  // Typed values. Each leaves `out` unchanged when the flag was not given,
  // and fails, naming the flag and the value, when it does not parse or is
  // out of range.

  /// An unsigned integer in [min, max].
  Error getUnsigned(const std::string &name, uint64_t &out, uint64_t min = 0,
                    uint64_t max = UINT64_MAX) const;
  /// A finite number in [lo, hi] (with `loOpen`: greater than lo).
  Error getDouble(const std::string &name, double &out, double lo, double hi,
                  bool loOpen = false) const;
  /// A list: the comma-separated items of the value (or values, for an
  /// addList flag). Fails on an empty item.
  Error getList(const std::string &name, std::vector<std::string> &out) const;
  /// One of `choices`.
  Error getChoice(const std::string &name,
                  const std::vector<std::string> &choices,
                  std::string &out) const;

private:
  struct Flag {
    std::string name;
    std::string valueName;
    std::string help;
    bool repeatable = false;
  };

  const Flag *find(const std::string &name) const;

  std::string usageLine;
  std::string description;
  std::vector<Flag> flags;
  std::map<std::string, std::string> values;
  bool help = false;
};

} // namespace gps::rt

#endif // GPS_TRAINER_CLI_H
