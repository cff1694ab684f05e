//===- TestUtil.cpp - helpers for the runtime unit tests --------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>

using namespace gps::rt::test;

TempDir::TempDir() {
  const char *base = std::getenv("TMPDIR");
  std::string pattern =
      std::string(base && *base ? base : "/tmp") + "/gps-unittest-XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (!::mkdtemp(buffer.data())) {
    std::perror("mkdtemp");
    std::abort();
  }
  dir = buffer.data();
}

/// Removes `path` and, for a directory, everything below it.
static void removeTree(const std::string &path) {
  struct stat info;
  if (::lstat(path.c_str(), &info) != 0)
    return;
  if (S_ISDIR(info.st_mode)) {
    if (DIR *handle = ::opendir(path.c_str())) {
      std::vector<std::string> names;
      while (dirent *entry = ::readdir(handle)) {
        std::string name = entry->d_name;
        if (name != "." && name != "..")
          names.push_back(name);
      }
      ::closedir(handle);
      for (const std::string &name : names)
        removeTree(path + "/" + name);
    }
    ::rmdir(path.c_str());
    return;
  }
  ::unlink(path.c_str());
}

TempDir::~TempDir() { removeTree(dir); }

std::vector<std::string> TempDir::list() const {
  std::vector<std::string> names;
  DIR *handle = ::opendir(dir.c_str());
  if (!handle)
    return names;
  while (dirent *entry = ::readdir(handle)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..")
      names.push_back(name);
  }
  ::closedir(handle);
  std::sort(names.begin(), names.end());
  return names;
}

void gps::rt::test::writeFileBytes(const std::string &path,
                                   const std::vector<uint8_t> &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char *>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

std::vector<uint8_t> gps::rt::test::readFileBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in),
                              std::istreambuf_iterator<char>());
}
