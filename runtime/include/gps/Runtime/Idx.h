//===- Idx.h - IDX / IDX.gz dataset files -----------------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// Reader and writer for the IDX format of MNIST and Fashion-MNIST: a
// big-endian header (two zero bytes, an element-type byte, a rank byte, then
// one uint32 per dimension) followed by the elements in row-major order. Only
// unsigned-byte elements (type 0x08) are supported. Gzip-compressed files are
// detected from their content, not their name.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_RUNTIME_IDX_H
#define GPS_RUNTIME_IDX_H

#include "gps/Runtime/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace gps::rt {

/// An n-dimensional array of unsigned bytes, as stored in an IDX file.
struct IdxArray {
  std::vector<uint32_t> dims;
  std::vector<uint8_t> data;

  /// The number of elements the dims describe (1 for rank 0).
  uint64_t numElements() const;
};

/// Reads an IDX (or gzip-compressed IDX) file of unsigned bytes. Fails, with
/// a message naming `path`, on a missing or unreadable file, a corrupt gzip
/// stream, a bad magic, a non-ubyte element type, a truncated file, or bytes
/// after the last element. `out` is only modified on success.
Error readIdx(const std::string &path, IdxArray &out);

/// Reads a rank-3 image file (count x rows x cols). Nonzero `rows`/`cols`
/// are required to match, e.g. 28 x 28 for (Fashion-)MNIST.
Error readIdxImages(const std::string &path, IdxArray &out, uint32_t rows = 0,
                    uint32_t cols = 0);

/// Reads a rank-1 label file. A nonzero `numClasses` requires every label to
/// be smaller.
Error readIdxLabels(const std::string &path, IdxArray &out,
                    uint32_t numClasses = 0);

/// Writes `array` as an IDX file of unsigned bytes, gzip-compressed when
/// `path` ends in ".gz".
Error writeIdx(const std::string &path, const IdxArray &array);

/// Converts bytes to floats in [0, 1] (divides by 255).
std::vector<float> idxToUnitFloats(const IdxArray &array);

} // namespace gps::rt

#endif // GPS_RUNTIME_IDX_H
