//===- AtomicFile.cpp - replacing a file whole or not at all ----*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/AtomicFile.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

using namespace gps::rt;

std::string gps::rt::parentDirectory(const std::string &path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  if (slash == 0)
    return "/";
  return path.substr(0, slash);
}

/// Writes all of `size` bytes to `fd`, retrying short and interrupted
/// writes.
static bool writeAll(int fd, const void *data, size_t size) {
  const char *p = static_cast<const char *>(data);
  while (size) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return false;
    if (n == 0) {
      errno = EIO;
      return false;
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

/// fsyncs the directory `dir`; EINVAL (a file system that cannot sync
/// directories) counts as success.
static bool syncDirectory(const std::string &dir, std::string &problem) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    problem = "opening directory '" + dir + "' failed: " + std::strerror(errno);
    return false;
  }
  int synced = ::fsync(fd);
  int error = errno;
  ::close(fd);
  if (synced != 0 && error != EINVAL) {
    problem = "fsync of directory '" + dir + "' failed: " +
              std::strerror(error) + " (the file was replaced)";
    return false;
  }
  return true;
}

Error gps::rt::writeFileAtomic(const std::string &path,
                               const std::vector<ByteSpan> &pieces) {
  auto failure = [&](const std::string &what) {
    return Error::failure("cannot write '" + path + "': " + what);
  };
  std::string tmpPath = path + ".tmp." + std::to_string(::getpid());
  int fd =
      ::open(tmpPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return failure("cannot create '" + tmpPath + "': " + std::strerror(errno));
  // Closes and removes the temporary file; `step` failed with errno.
  auto abandon = [&](const std::string &step) {
    std::string reason = std::strerror(errno);
    if (fd >= 0)
      ::close(fd);
    ::unlink(tmpPath.c_str());
    return failure(step + " failed: " + reason);
  };
  for (const ByteSpan &piece : pieces)
    if (piece.size && !writeAll(fd, piece.data, piece.size))
      return abandon("write");
  if (::fsync(fd) != 0)
    return abandon("fsync");
  int closed = ::close(fd);
  fd = -1;
  if (closed != 0)
    return abandon("close");
  if (::rename(tmpPath.c_str(), path.c_str()) != 0)
    return abandon("rename from '" + tmpPath + "'");
  std::string problem;
  if (!syncDirectory(parentDirectory(path), problem))
    return failure(problem);
  return Error::success();
}

Error gps::rt::writeFileAtomic(const std::string &path,
                               const std::string &bytes) {
  return writeFileAtomic(path, {{bytes.data(), bytes.size()}});
}
