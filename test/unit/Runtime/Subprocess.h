//===- Subprocess.h - run an executable as a child in tests -----*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// Runs an executable (the fake trainer) as a child process, optionally
// harming it while it runs (kill, signals, an environment variable, a file
// size limit), and reports how it ended and what it wrote.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_TEST_UNIT_RUNTIME_SUBPROCESS_H
#define GPS_TEST_UNIT_RUNTIME_SUBPROCESS_H

#include "TestUtil.h"

#include <cstdint>
#include <string>
#include <vector>

namespace gps::rt::test {

/// How a child ended: its exit status, or the signal that killed it; and
/// what it wrote.
struct Outcome {
  int exitCode = -1; // -1 when a signal ended it
  int signal = 0;    // the signal that ended it, else 0
  std::string out;   // stdout, when captured
  std::string err;   // stderr
  /// The exit status as a shell reports it: 128 + the signal when killed.
  int status() const { return signal ? 128 + signal : exitCode; }
};

/// What to do to the child while it runs.
struct Harm {
  /// Environment variable "NAME=VALUE" to add.
  std::string env;
  /// RLIMIT_FSIZE in bytes (0: none).
  uint64_t fileSizeLimit = 0;
  /// SIGKILL after this many microseconds (0: never).
  long killAfterMicros = 0;
  /// Send `signals` (one every millisecond) once this file is not empty (or
  /// after 10 s).
  std::string signalWhen;
  std::vector<int> signals;
};

/// Runs `program` with `args` and waits for it. Its stderr goes to
/// `dir`/child.err; its stdout to `dir`/child.out with `captureStdout`, else
/// to /dev/null (so that a file size limit leaves it alone). Exits 99, 98 or
/// 97 when the redirection, exec or limit fails in the child.
Outcome runChild(const std::string &program,
                 const std::vector<std::string> &args, const TempDir &dir,
                 const Harm &harm = {}, bool captureStdout = false);

} // namespace gps::rt::test

#endif // GPS_TEST_UNIT_RUNTIME_SUBPROCESS_H
