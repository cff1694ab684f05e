//===- TestUtil.h - helpers for the runtime unit tests ----------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_TEST_UNIT_RUNTIME_TESTUTIL_H
#define GPS_TEST_UNIT_RUNTIME_TESTUTIL_H

#include "gps/Runtime/Error.h"

#include "gtest/gtest.h"

#include <cstdint>
#include <string>
#include <vector>

namespace gps::rt::test {

/// A fresh temporary directory, removed with everything below it on
/// destruction.
class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;

  const std::string &path() const { return dir; }
  /// `path() + "/" + name`.
  std::string file(const std::string &name) const { return dir + "/" + name; }
  /// The names of the entries in the directory, sorted.
  std::vector<std::string> list() const;

private:
  std::string dir;
};

/// Writes `bytes` to `path`, replacing it.
void writeFileBytes(const std::string &path, const std::vector<uint8_t> &bytes);
/// The contents of `path` (empty if it cannot be read).
std::vector<uint8_t> readFileBytes(const std::string &path);

/// Expects `err` to be a failure whose message names `path` (quoted) and
/// contains `what`.
inline void expectFailure(const Error &err, const std::string &path,
                          const std::string &what) {
  ASSERT_TRUE(static_cast<bool>(err)) << "expected failure: " << what;
  EXPECT_NE(err.message().find("'" + path + "'"), std::string::npos)
      << err.message();
  EXPECT_NE(err.message().find(what), std::string::npos) << err.message();
}

} // namespace gps::rt::test

#endif // GPS_TEST_UNIT_RUNTIME_TESTUTIL_H
