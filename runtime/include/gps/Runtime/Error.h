//===- Error.h - gps runtime error result -----------------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// The runtime reports failures as values, never as exceptions: every fallible
// function returns an `Error` that is either success or carries one message
// naming what failed (usually the file).
//
//===----------------------------------------------------------------------===//

#ifndef GPS_RUNTIME_ERROR_H
#define GPS_RUNTIME_ERROR_H

#include <string>
#include <utility>

namespace gps::rt {

/// The result of a fallible runtime operation: success, or a failure with a
/// human-readable message. Converts to `true` on failure, like `llvm::Error`:
///
///   if (Error err = readIdx(path, array))
///     return err;
class [[nodiscard]] Error {
public:
  /// A success value.
  Error() = default;

  static Error success() { return Error(); }
  static Error failure(std::string message) {
    Error err;
    err.failed = true;
    err.text = std::move(message);
    return err;
  }

  /// True when this is a failure.
  explicit operator bool() const { return failed; }
  bool isSuccess() const { return !failed; }
  /// The failure message; empty on success.
  const std::string &message() const { return text; }

private:
  bool failed = false;
  std::string text;
};

} // namespace gps::rt

#endif // GPS_RUNTIME_ERROR_H
