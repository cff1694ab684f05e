//===- Idx.cpp - IDX / IDX.gz dataset files ---------------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/Idx.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <new>

using namespace gps::rt;

/// IDX element type byte for unsigned bytes.
static constexpr uint8_t kUbyteType = 0x08;
/// Refuse arrays larger than this many elements (corrupt headers).
static constexpr uint64_t kMaxElements = uint64_t(1) << 32;

static Error fail(const std::string &path, const std::string &what) {
  return Error::failure("IDX file '" + path + "': " + what);
}

uint64_t IdxArray::numElements() const {
  uint64_t n = 1;
  for (uint32_t d : dims)
    n *= d;
  return n;
}

/// Reads all of `path` into `bytes`; returns false with errno set on failure.
static bool readWholeFile(const std::string &path,
                          std::vector<uint8_t> &bytes) {
  std::FILE *file = std::fopen(path.c_str(), "rb");
  if (!file)
    return false;
  uint8_t chunk[1 << 16];
  size_t got;
  while ((got = std::fread(chunk, 1, sizeof(chunk), file)) > 0)
    bytes.insert(bytes.end(), chunk, chunk + got);
  bool ok = !std::ferror(file);
  int savedErrno = errno;
  std::fclose(file);
  errno = savedErrno;
  return ok;
}

namespace {
/// The decoded bytes of an IDX file held in memory: the file itself, or the
/// inflated content when it starts with the gzip magic. Inflating is done
/// with zlib's stream API rather than gzread so that a stream cut anywhere,
/// even just its CRC trailer, is reported.
class ByteSource {
public:
  explicit ByteSource(std::vector<uint8_t> fileBytes)
      : file(std::move(fileBytes)) {
    gzip = file.size() >= 2 && file[0] == 0x1f && file[1] == 0x8b;
    if (!gzip)
      return;
    stream.next_in = file.data();
    stream.avail_in = 0;
    // 16 + MAX_WBITS: expect a gzip wrapper and check its CRC and length.
    if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) {
      error = "zlib initialisation failed";
      return;
    }
    initialised = true;
  }
  ~ByteSource() {
    if (initialised)
      inflateEnd(&stream);
  }
  ByteSource(const ByteSource &) = delete;
  ByteSource &operator=(const ByteSource &) = delete;

  /// Reads up to `size` bytes; fewer means the data ended (see
  /// isTruncated()) or failed (see getError()).
  uint64_t read(uint8_t *dst, uint64_t size) {
    if (!gzip) {
      uint64_t n = std::min<uint64_t>(size, file.size() - position);
      // Never memcpy from or to the null data() of an empty vector (an
      // empty file, the dims of a rank-0 header), even for zero bytes.
      if (n == 0)
        return 0;
      std::memcpy(dst, file.data() + position, n);
      position += n;
      return n;
    }
    uint64_t done = 0;
    while (done < size && !ended && !truncated && error.empty()) {
      uint64_t want = std::min<uint64_t>(size - done, 1u << 30);
      stream.next_out = dst + done;
      stream.avail_out = static_cast<uInt>(want);
      uint64_t available = file.size() - position;
      stream.next_in = file.data() + position;
      stream.avail_in =
          static_cast<uInt>(std::min<uint64_t>(available, 1u << 30));
      int ret = inflate(&stream, Z_NO_FLUSH);
      position = static_cast<uint64_t>(stream.next_in - file.data());
      done += want - stream.avail_out;
      if (ret == Z_STREAM_END) {
        // Another gzip member may follow (as `cat a.gz b.gz` makes).
        uint64_t rest = file.size() - position;
        if (rest >= 2 && file[position] == 0x1f && file[position + 1] == 0x8b) {
          inflateReset(&stream);
          continue;
        }
        if (rest != 0)
          error = "trailing garbage after the gzip stream";
        ended = true;
      } else if (ret == Z_BUF_ERROR ||
                 (ret == Z_OK && position == file.size() &&
                  stream.avail_out != 0)) {
        // All input consumed without reaching the end of the stream.
        if (position == file.size())
          truncated = true;
        else
          error = "inflate made no progress";
      } else if (ret != Z_OK) {
        error = stream.msg ? stream.msg : "invalid gzip data";
      }
    }
    return done;
  }

  /// True once the data has been read to its end: no further byte, and for
  /// gzip a complete stream with a valid trailer.
  bool atEnd() {
    uint8_t extra;
    return read(&extra, 1) == 0 && !truncated && error.empty();
  }

  bool isTruncated() const { return truncated; }
  const std::string &getError() const { return error; }

private:
  std::vector<uint8_t> file;
  uint64_t position = 0;
  bool gzip = false;
  z_stream stream{};
  bool initialised = false;
  bool ended = false;
  bool truncated = false;
  std::string error;
};
} // namespace

static Error readIdxFile(const std::string &path, IdxArray &out) {
  std::vector<uint8_t> fileBytes;
  errno = 0;
  if (!readWholeFile(path, fileBytes))
    return fail(path, std::string("cannot open: ") + std::strerror(errno));
  ByteSource source(std::move(fileBytes));
  auto readFailure = [&](const std::string &truncation) {
    if (!source.getError().empty())
      return fail(path, "corrupt gzip data: " + source.getError());
    return fail(path, "truncated: " + truncation);
  };

  uint8_t header[4];
  uint64_t got = source.read(header, 4);
  if (got < 4)
    return readFailure("header needs 4 bytes, found " + std::to_string(got));
  if (header[0] != 0 || header[1] != 0)
    return fail(path, "bad magic: expected two zero bytes, not an IDX file");
  if (header[2] != kUbyteType) {
    char type[8];
    std::snprintf(type, sizeof(type), "0x%02x", header[2]);
    return fail(path, std::string("unsupported element type ") + type +
                          " (only unsigned bytes, 0x08, are supported)");
  }

  IdxArray result;
  unsigned rank = header[3];
  std::vector<uint8_t> dimBytes(4 * rank);
  if (source.read(dimBytes.data(), dimBytes.size()) < dimBytes.size())
    return readFailure("header of rank " + std::to_string(rank) +
                       " is cut short");
  uint64_t elements = 1;
  for (unsigned i = 0; i < rank; ++i) {
    const uint8_t *b = &dimBytes[4 * i];
    uint32_t dim = uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 |
                   uint32_t(b[2]) << 8 | uint32_t(b[3]);
    result.dims.push_back(dim);
    elements *= dim;
    if (elements > kMaxElements)
      return fail(path, "wrong dims: more than 2^32 elements");
  }

  // Grow the buffer as data arrives so a corrupt header claiming a huge
  // array reports truncation instead of allocating it all up front.
  constexpr uint64_t kChunk = uint64_t(1) << 24;
  uint64_t done = 0;
  while (done < elements) {
    uint64_t want = std::min(elements - done, kChunk);
    result.data.resize(done + want);
    got = source.read(result.data.data() + done, want);
    done += got;
    if (got < want)
      return readFailure("expected " + std::to_string(elements) +
                         " data bytes, found " + std::to_string(done));
  }
  if (!source.atEnd()) {
    if (!source.getError().empty() || source.isTruncated())
      return readFailure("the gzip stream ends before its trailer");
    return fail(path, "wrong size: trailing bytes after " +
                          std::to_string(elements) + " data bytes");
  }
  out = std::move(result);
  return Error::success();
}

Error gps::rt::readIdx(const std::string &path, IdxArray &out) {
  // The file and its examples are held in memory; a data set too large for
  // it is an error naming the file, not an exception.
  try {
    return readIdxFile(path, out);
  } catch (const std::bad_alloc &) {
    return fail(path, "cannot allocate the memory to read it");
  }
}

static std::string dimsToString(const std::vector<uint32_t> &dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i)
    s += (i ? "x" : "") + std::to_string(dims[i]);
  return s + "]";
}

Error gps::rt::readIdxImages(const std::string &path, IdxArray &out,
                             uint32_t rows, uint32_t cols) {
  IdxArray array;
  if (Error err = readIdx(path, array))
    return err;
  if (array.dims.size() != 3)
    return fail(path, "wrong dims: images need rank 3 (count x rows x cols), "
                      "file has " +
                          dimsToString(array.dims));
  if ((rows && array.dims[1] != rows) || (cols && array.dims[2] != cols))
    return fail(path, "wrong dims: expected images of " + std::to_string(rows) +
                          "x" + std::to_string(cols) + ", file has " +
                          dimsToString(array.dims));
  out = std::move(array);
  return Error::success();
}

Error gps::rt::readIdxLabels(const std::string &path, IdxArray &out,
                             uint32_t numClasses) {
  IdxArray array;
  if (Error err = readIdx(path, array))
    return err;
  if (array.dims.size() != 1)
    return fail(path, "wrong dims: labels need rank 1, file has " +
                          dimsToString(array.dims));
  if (numClasses) {
    for (size_t i = 0; i < array.data.size(); ++i)
      if (array.data[i] >= numClasses)
        return fail(path, "label " + std::to_string(array.data[i]) +
                              " at index " + std::to_string(i) +
                              " is not below " + std::to_string(numClasses));
  }
  out = std::move(array);
  return Error::success();
}

Error gps::rt::writeIdx(const std::string &path, const IdxArray &array) {
  if (array.dims.size() > 255)
    return fail(path, "cannot write rank " + std::to_string(array.dims.size()));
  if (array.numElements() != array.data.size())
    return fail(path, "cannot write: dims " + dimsToString(array.dims) +
                          " do not match " + std::to_string(array.data.size()) +
                          " data bytes");
  std::vector<uint8_t> header = {0, 0, kUbyteType,
                                 static_cast<uint8_t>(array.dims.size())};
  for (uint32_t d : array.dims)
    for (int shift = 24; shift >= 0; shift -= 8)
      header.push_back(static_cast<uint8_t>(d >> shift));

  bool gzip = path.size() >= 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
  errno = 0;
  gzFile file = gzopen(path.c_str(), gzip ? "wb9" : "wbT");
  if (!file)
    return fail(path, std::string("cannot create: ") +
                          (errno ? std::strerror(errno) : "out of memory"));
  auto writeAll = [&](const uint8_t *src, uint64_t size) {
    while (size) {
      unsigned chunk =
          static_cast<unsigned>(std::min<uint64_t>(size, 1u << 30));
      if (gzwrite(file, src, chunk) != static_cast<int>(chunk))
        return false;
      src += chunk;
      size -= chunk;
    }
    return true;
  };
  bool ok = writeAll(header.data(), header.size()) &&
            writeAll(array.data.data(), array.data.size());
  ok = (gzclose(file) == Z_OK) && ok;
  if (!ok)
    return fail(path, "write failed");
  return Error::success();
}

std::vector<float> gps::rt::idxToUnitFloats(const IdxArray &array) {
  std::vector<float> result(array.data.size());
  for (size_t i = 0; i < array.data.size(); ++i)
    result[i] = static_cast<float>(array.data[i]) / 255.0f;
  return result;
}
