//===- AtomicFile.h - replacing a file whole or not at all ------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// The one way the runtime and the trainer replace a file (checkpoints,
// rewritten metrics, PNG grids): the bytes go to `path.tmp.<pid>` in the
// same directory, the file is fsynced and renamed over `path`, then the
// directory is fsynced so that the rename survives a power loss. A reader,
// or a process killed at any moment, sees the old file or the new one,
// never a mix.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_RUNTIME_ATOMICFILE_H
#define GPS_RUNTIME_ATOMICFILE_H

#include "gps/Runtime/Error.h"

#include <cstddef>
#include <string>
#include <vector>

namespace gps::rt {

/// A piece of a file's contents, borrowed for the duration of the write.
struct ByteSpan {
  const void *data = nullptr;
  size_t size = 0;
};

/// Writes the concatenation of `pieces` to `path` atomically (see above).
/// Failures read "cannot write '<path>': <step> failed: <reason>"; on a
/// failure before the rename (no space, no permission, ...) `path` is
/// unchanged and the temporary file is removed. A failure to sync the
/// directory after the rename is reported too, although `path` then holds
/// the new contents; file systems that cannot sync a directory (EINVAL) are
/// not an error.
Error writeFileAtomic(const std::string &path,
                      const std::vector<ByteSpan> &pieces);

/// writeFileAtomic of one string.
Error writeFileAtomic(const std::string &path, const std::string &bytes);

/// The directory holding `path`: "." for a bare name, "/" for "/name".
std::string parentDirectory(const std::string &path);

} // namespace gps::rt

#endif // GPS_RUNTIME_ATOMICFILE_H
