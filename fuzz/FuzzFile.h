//===- FuzzFile.h - fuzz inputs as files for path-based readers -*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// The runtime's readers take a path. The fuzz targets write each input to an
// in-memory file (memfd) and pass its /proc/self/fd path, so that fuzzing
// does not touch the disk. scratchPath() names a file in /dev/shm for
// round trips through the writers.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_FUZZ_FUZZFILE_H
#define GPS_FUZZ_FUZZFILE_H

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace gps::fuzz {

/// Replaces the content of the process's in-memory file with `data` and
/// returns a path that opens it.
inline std::string writeInput(const uint8_t *data, size_t size) {
  static int fd = [] {
    int f = memfd_create("gps-fuzz-input", 0);
    if (f < 0) {
      std::perror("memfd_create");
      std::abort();
    }
    return f;
  }();
  if (ftruncate(fd, 0) != 0) {
    std::perror("ftruncate");
    std::abort();
  }
  size_t done = 0;
  while (done < size) {
    ssize_t n = pwrite(fd, data + done, size - done, done);
    if (n <= 0) {
      std::perror("pwrite");
      std::abort();
    }
    done += static_cast<size_t>(n);
  }
  return "/proc/self/fd/" + std::to_string(fd);
}

/// A per-process file name in /dev/shm ending in `suffix`.
inline std::string scratchPath(const char *suffix) {
  return "/dev/shm/gps-fuzz-" + std::to_string(getpid()) + suffix;
}

/// Reports a broken property and aborts, so that libFuzzer saves the input.
[[noreturn]] inline void finding(const char *target, const std::string &what) {
  std::fprintf(stderr, "==%s== FINDING: %s\n", target, what.c_str());
  std::abort();
}

} // namespace gps::fuzz

#endif // GPS_FUZZ_FUZZFILE_H
