//===- Files.cpp - file helpers of the trainer ------------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Trainer/Files.h"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

using namespace gps::rt;

static std::string errnoText() { return std::strerror(errno); }

bool gps::rt::pathExists(const std::string &path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0;
}

Error gps::rt::makeDirectories(const std::string &path) {
  if (path.empty())
    return Error::success();
  for (size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
    std::string prefix = path.substr(0, slash);
    if (!prefix.empty() && ::mkdir(prefix.c_str(), 0777) != 0 &&
        errno != EEXIST)
      return Error::failure("cannot create directory '" + prefix +
                            "': " + errnoText());
    if (slash == std::string::npos)
      break;
  }
  struct stat info;
  if (::stat(path.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))
    return Error::failure("'" + path + "' is not a directory");
  return Error::success();
}

/// The directory holding `path`.
static std::string parentDirectory(const std::string &path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  if (slash == 0)
    return "/";
  return path.substr(0, slash);
}

Error gps::rt::writeFileAtomic(const std::string &path,
                               const std::string &bytes) {
  std::string tmpPath = path + ".tmp." + std::to_string(::getpid());
  int fd =
      ::open(tmpPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return Error::failure("cannot write '" + path + "': cannot create '" +
                          tmpPath + "': " + errnoText());
  auto abandon = [&](const std::string &what) {
    std::string message =
        "cannot write '" + path + "': " + what + ": " + errnoText();
    ::close(fd);
    ::unlink(tmpPath.c_str());
    return Error::failure(message);
  };
  for (size_t done = 0; done < bytes.size();) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return abandon("write failed");
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0)
    return abandon("fsync failed");
  if (::close(fd) != 0) {
    ::unlink(tmpPath.c_str());
    return Error::failure("cannot write '" + path + "': close failed");
  }
  if (::rename(tmpPath.c_str(), path.c_str()) != 0) {
    std::string message =
        "cannot write '" + path + "': rename failed: " + errnoText();
    ::unlink(tmpPath.c_str());
    return Error::failure(message);
  }
  int dirFd = ::open(parentDirectory(path).c_str(), O_RDONLY | O_CLOEXEC);
  if (dirFd >= 0) {
    ::fsync(dirFd);
    ::close(dirFd);
  }
  return Error::success();
}

Error gps::rt::readFile(const std::string &path, std::string &bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Error::failure("cannot read '" + path + "': " + errnoText());
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad())
    return Error::failure("cannot read '" + path + "': read failed");
  bytes = buffer.str();
  return Error::success();
}

Error gps::rt::dropRecordsAfter(const std::string &path, uint64_t maxStep) {
  if (!pathExists(path))
    return Error::success();
  std::string text;
  if (Error err = readFile(path, text))
    return err;
  std::string kept;
  bool dropped = false;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    nlohmann::json record =
        nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (record.is_object()) {
      auto step = record.find("step");
      if (step != record.end() && step->is_number_unsigned() &&
          step->get<uint64_t>() > maxStep) {
        dropped = true;
        continue;
      }
    }
    kept += line;
    kept += '\n';
  }
  if (!dropped)
    return Error::success();
  return writeFileAtomic(path, kept);
}
