//===- Files.h - file helpers of the trainer --------------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// The trainer never truncates a file it cannot replace whole: results are
// written with writeFileAtomic (gps/Runtime/AtomicFile.h, shared with the
// checkpoint writer).
//
//===----------------------------------------------------------------------===//

#ifndef GPS_TRAINER_FILES_H
#define GPS_TRAINER_FILES_H

#include "gps/Runtime/AtomicFile.h"
#include "gps/Runtime/Error.h"

#include <cstdint>
#include <string>

namespace gps::rt {

/// True if `path` names an existing file or directory.
bool pathExists(const std::string &path);

/// Creates `path` and its missing parents (like mkdir -p).
Error makeDirectories(const std::string &path);

/// Reads the whole file into `bytes`.
Error readFile(const std::string &path, std::string &bytes);

/// Drops the lines of the JSON Lines file `path` whose "step" is greater
/// than `maxStep` (records a crashed run wrote after its last checkpoint),
/// rewriting the file atomically; does nothing when there are none or the
/// file does not exist. A last line without its newline (a record cut short
/// by a kill or a full disk) is dropped too; other lines that are not JSON
/// objects with a step are kept.
Error dropRecordsAfter(const std::string &path, uint64_t maxStep);

/// Removes the temporary files writeFileAtomic left next to `path` when
/// its process was killed (`path.tmp.<pid>` of a process that no longer
/// runs), so that repeated crashes do not fill the disk with copies of a
/// checkpoint.
void removeStaleTemporaries(const std::string &path);

} // namespace gps::rt

#endif // GPS_TRAINER_FILES_H
