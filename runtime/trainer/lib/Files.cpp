//===- Files.cpp - file helpers of the trainer ------------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Trainer/Files.h"

#include <nlohmann/json.hpp>

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

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
  for (size_t begin = 0; begin < text.size();) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) {
      // A last line without its newline is a record cut short by a crash
      // or a full disk: appending to it would corrupt the next record too.
      dropped = true;
      break;
    }
    std::string line = text.substr(begin, end - begin);
    begin = end + 1;
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

void gps::rt::removeStaleTemporaries(const std::string &path) {
  std::string dir = parentDirectory(path);
  size_t slash = path.rfind('/');
  std::string prefix =
      (slash == std::string::npos ? path : path.substr(slash + 1)) + ".tmp.";
  DIR *listing = ::opendir(dir.c_str());
  if (!listing)
    return;
  std::vector<std::string> stale;
  while (const struct dirent *entry = ::readdir(listing)) {
    std::string name = entry->d_name;
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix))
      continue;
    std::string pid = name.substr(prefix.size());
    if (pid.find_first_not_of("0123456789") != std::string::npos ||
        pid.size() > 9)
      continue;
    // A live writer's file is its own business (but two trainers in one
    // run directory are an error anyway).
    pid_t owner = static_cast<pid_t>(std::stol(pid));
    if (owner == ::getpid() || ::kill(owner, 0) == 0 || errno != ESRCH)
      continue;
    stale.push_back(dir + "/" + name);
  }
  ::closedir(listing);
  for (const std::string &file : stale)
    ::unlink(file.c_str());
}
