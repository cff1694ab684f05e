//===- FilesTest.cpp - tests of the atomic writer and run files -----------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/AtomicFile.h"
#include "gps/Trainer/Files.h"

#include "TestUtil.h"

#include "gtest/gtest.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

using namespace gps::rt;
using namespace gps::rt::test;

namespace {

std::vector<uint8_t> bytesOf(const std::string &text) {
  return std::vector<uint8_t>(text.begin(), text.end());
}

TEST(AtomicFileTest, WritesPiecesAndReplacesTheFile) {
  TempDir dir;
  std::string path = dir.file("out.bin");
  writeFileBytes(path, bytesOf("old contents"));
  std::string a = "abc", b = "", c = "defg";
  ASSERT_FALSE(writeFileAtomic(
      path, {{a.data(), a.size()}, {b.data(), b.size()}, {c.data(), 4}}));
  EXPECT_EQ(readFileBytes(path), bytesOf("abcdefg"));
  ASSERT_FALSE(writeFileAtomic(path, std::string("x")));
  EXPECT_EQ(readFileBytes(path), bytesOf("x"));
  EXPECT_EQ(dir.list(), std::vector<std::string>{"out.bin"});

  expectFailure(writeFileAtomic(dir.file("missing/out.bin"), "x"),
                dir.file("missing/out.bin"), "cannot create");
  EXPECT_EQ(parentDirectory("a/b/c"), "a/b");
  EXPECT_EQ(parentDirectory("c"), ".");
  EXPECT_EQ(parentDirectory("/c"), "/");
}

/// A write that runs out of room (the file size limit, which fails like a
/// full disk, with EFBIG instead of ENOSPC) keeps the old file and removes
/// the temporary one. Runs in a child, which exits 0 when all holds.
TEST(AtomicFileTest, AFailedWriteKeepsTheOldFile) {
  TempDir dir;
  std::string path = dir.file("out.bin");
  writeFileBytes(path, bytesOf("old contents"));
  pid_t pid = ::fork();
  if (pid == 0) {
    std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit limit = {4096, 4096};
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0)
      ::_exit(10);
    Error err = writeFileAtomic(path, std::string(10000, 'x'));
    if (!err)
      ::_exit(11);
    if (err.message().find("cannot write '" + path + "': write failed: ") ==
        std::string::npos)
      ::_exit(12);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(readFileBytes(path), bytesOf("old contents"));
  EXPECT_EQ(dir.list(), std::vector<std::string>{"out.bin"});
}

} // namespace
