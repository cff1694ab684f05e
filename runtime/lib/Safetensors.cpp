//===- Safetensors.cpp - safetensors checkpoints ----------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// JSON is handled by nlohmann::json without exceptions: parsing uses
// allow_exceptions = false and every value's type is checked before it is
// read, so malformed headers come back as Errors.
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/Safetensors.h"

#include "gps/Runtime/AtomicFile.h"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>
#include <set>

using namespace gps::rt;
using nlohmann::json;

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors stores little-endian data; big-endian hosts need byte swaps"
#endif

/// The largest header accepted, as in the reference implementation.
static constexpr uint64_t kMaxHeaderSize = 100'000'000;
static constexpr const char *kMetadataKey = "__metadata__";

static Error fail(const std::string &path, const std::string &what) {
  return Error::failure("safetensors file '" + path + "': " + what);
}

static std::string errnoText() { return std::strerror(errno); }

const char *gps::rt::dtypeName(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "F32";
  case DType::I64:
    return "I64";
  case DType::U32:
    return "U32";
  case DType::U8:
    return "U8";
  }
  return "?";
}

size_t gps::rt::dtypeSize(DType dtype) {
  switch (dtype) {
  case DType::F32:
  case DType::U32:
    return 4;
  case DType::I64:
    return 8;
  case DType::U8:
    return 1;
  }
  return 0;
}

static bool parseDType(const std::string &name, DType &dtype) {
  for (DType candidate : {DType::F32, DType::I64, DType::U32, DType::U8}) {
    if (name == dtypeName(candidate)) {
      dtype = candidate;
      return true;
    }
  }
  return false;
}

/// The byte size of a tensor, or false on a negative dimension or overflow.
static bool tensorByteSize(DType dtype, const std::vector<int64_t> &shape,
                           uint64_t &bytes) {
  bytes = dtypeSize(dtype);
  for (int64_t dim : shape) {
    if (dim < 0)
      return false;
    if (dim != 0 && bytes > UINT64_MAX / static_cast<uint64_t>(dim))
      return false;
    bytes *= static_cast<uint64_t>(dim);
  }
  return true;
}

/// True if `s` is well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF).
static bool isValidUtf8(const std::string &s) {
  const auto *p = reinterpret_cast<const unsigned char *>(s.data());
  size_t n = s.size();
  for (size_t i = 0; i < n;) {
    unsigned char c = p[i];
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n)
      return false;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80)
        return false;
      cp = cp << 6 | (p[i + k] & 0x3F);
    }
    static const uint32_t minForLen[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < minForLen[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Tensor and SafetensorsFile
//===----------------------------------------------------------------------===//

int64_t Tensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::vector<float> Tensor::toFloats() const {
  if (dtype != DType::F32)
    return {};
  std::vector<float> result(bytes.size() / sizeof(float));
  if (!result.empty())
    std::memcpy(result.data(), bytes.data(), result.size() * sizeof(float));
  return result;
}

const Tensor *SafetensorsFile::find(const std::string &name) const {
  for (const Tensor &tensor : tensors)
    if (tensor.name == name)
      return &tensor;
  return nullptr;
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

Error gps::rt::writeSafetensors(
    const std::string &path, const std::vector<TensorRef> &tensors,
    const std::map<std::string, std::string> &metadata) {
  // Build and validate the header before touching the file system.
  json header = json::object();
  std::set<std::string> names;
  std::vector<uint64_t> sizes;
  uint64_t offset = 0;
  for (const TensorRef &tensor : tensors) {
    if (tensor.name.empty() || tensor.name == kMetadataKey ||
        !isValidUtf8(tensor.name))
      return fail(path, "cannot write a tensor named '" + tensor.name + "'");
    if (!names.insert(tensor.name).second)
      return fail(path, "cannot write: duplicate tensor '" + tensor.name + "'");
    uint64_t bytes;
    if (!tensorByteSize(tensor.dtype, tensor.shape, bytes))
      return fail(path,
                  "cannot write tensor '" + tensor.name + "': invalid shape");
    if (bytes && !tensor.data)
      return fail(path, "cannot write tensor '" + tensor.name + "': no data");
    header[tensor.name] = {{"dtype", dtypeName(tensor.dtype)},
                           {"shape", tensor.shape},
                           {"data_offsets", {offset, offset + bytes}}};
    sizes.push_back(bytes);
    offset += bytes;
  }
  if (!metadata.empty()) {
    for (const auto &[key, value] : metadata)
      if (!isValidUtf8(key) || !isValidUtf8(value))
        return fail(path, "cannot write: metadata is not valid UTF-8");
    header[kMetadataKey] = metadata;
  }
  std::string headerText = header.dump();
  // Pad with spaces so the data section starts 8-byte aligned, as the
  // reference implementation does.
  headerText.append((8 - headerText.size() % 8) % 8, ' ');
  uint64_t headerSize = headerText.size();
  unsigned char sizeBytes[8];
  for (int i = 0; i < 8; ++i)
    sizeBytes[i] = static_cast<unsigned char>(headerSize >> (8 * i));

  std::vector<ByteSpan> pieces = {{sizeBytes, 8},
                                  {headerText.data(), headerText.size()}};
  for (size_t i = 0; i < tensors.size(); ++i)
    pieces.push_back({tensors[i].data, sizes[i]});
  return writeFileAtomic(path, pieces);
}

//===----------------------------------------------------------------------===//
// Reading
//===----------------------------------------------------------------------===//

namespace {
/// A read-only file descriptor that closes itself.
class InputFile {
public:
  explicit InputFile(const std::string &path)
      : fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
  ~InputFile() {
    if (fd >= 0)
      ::close(fd);
  }
  InputFile(const InputFile &) = delete;
  InputFile &operator=(const InputFile &) = delete;

  int get() const { return fd; }

  /// Reads exactly `size` bytes at `offset`; false on error or end of file.
  bool readAt(void *dst, size_t size, uint64_t offset) const {
    char *p = static_cast<char *>(dst);
    while (size) {
      ssize_t n = ::pread(fd, p, size, static_cast<off_t>(offset));
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return false;
      p += n;
      size -= static_cast<size_t>(n);
      offset += static_cast<uint64_t>(n);
    }
    return true;
  }

private:
  int fd;
};

/// A tensor's header entry, before its bytes are read.
struct Entry {
  Tensor tensor;
  uint64_t begin = 0;
  uint64_t end = 0;
};
} // namespace

/// A JSON value as text, cut short for error messages.
static std::string shortDump(const json &value) {
  std::string text = value.dump();
  if (text.size() > 40)
    text = text.substr(0, 37) + "...";
  return text;
}

/// Validates one header entry `name: value` into `entry`; returns the
/// problem, or an empty string.
static std::string parseEntry(const std::string &name, const json &value,
                              uint64_t dataSize, Entry &entry) {
  std::string where = "tensor '" + name + "': ";
  if (!value.is_object())
    return where + "entry is not a JSON object";
  for (const auto &item : value.items())
    if (item.key() != "dtype" && item.key() != "shape" &&
        item.key() != "data_offsets")
      return where + "unknown field '" + item.key() + "'";
  auto dtype = value.find("dtype");
  auto shape = value.find("shape");
  auto offsets = value.find("data_offsets");
  if (dtype == value.end() || shape == value.end() || offsets == value.end())
    return where + "needs 'dtype', 'shape' and 'data_offsets'";
  if (!dtype->is_string() ||
      !parseDType(dtype->get_ref<const std::string &>(), entry.tensor.dtype))
    return where + "unsupported dtype " + shortDump(*dtype) +
           " (expected F32, I64, U32 or U8)";
  if (!shape->is_array())
    return where + "shape is not an array";
  for (const json &dim : *shape) {
    if (!dim.is_number_unsigned() || dim.get<uint64_t>() > INT64_MAX)
      return where + "shape entry " + shortDump(dim) +
             " is not a non-negative integer";
    entry.tensor.shape.push_back(static_cast<int64_t>(dim.get<uint64_t>()));
  }
  if (!offsets->is_array() || offsets->size() != 2 ||
      !(*offsets)[0].is_number_unsigned() ||
      !(*offsets)[1].is_number_unsigned())
    return where + "data_offsets is not a pair of non-negative integers";
  entry.begin = (*offsets)[0].get<uint64_t>();
  entry.end = (*offsets)[1].get<uint64_t>();
  if (entry.begin > entry.end || entry.end > dataSize)
    return where + "truncated or corrupt: data_offsets [" +
           std::to_string(entry.begin) + ", " + std::to_string(entry.end) +
           "] outside the " + std::to_string(dataSize) + "-byte data section";
  uint64_t bytes;
  if (!tensorByteSize(entry.tensor.dtype, entry.tensor.shape, bytes))
    return where + "shape overflows";
  if (bytes != entry.end - entry.begin)
    return where + "holds " + std::to_string(entry.end - entry.begin) +
           " bytes but dtype and shape need " + std::to_string(bytes);
  entry.tensor.name = name;
  return "";
}

Error gps::rt::readSafetensors(const std::string &path, SafetensorsFile &out) {
  InputFile file(path);
  if (file.get() < 0)
    return fail(path, "cannot open: " + errnoText());
  struct stat info;
  if (::fstat(file.get(), &info) != 0)
    return fail(path, "cannot stat: " + errnoText());
  if (!S_ISREG(info.st_mode))
    return fail(path, "not a regular file");
  uint64_t fileSize = static_cast<uint64_t>(info.st_size);
  if (fileSize < 8)
    return fail(path, "truncated: " + std::to_string(fileSize) +
                          " bytes, too short for the 8-byte header length");
  unsigned char sizeBytes[8];
  if (!file.readAt(sizeBytes, 8, 0))
    return fail(path, "read failed: " + errnoText());
  uint64_t headerSize = 0;
  for (int i = 7; i >= 0; --i)
    headerSize = headerSize << 8 | sizeBytes[i];
  if (headerSize > kMaxHeaderSize)
    return fail(path,
                "header length " + std::to_string(headerSize) +
                    " exceeds the 100 MB limit (not a safetensors file?)");
  if (headerSize < 2 || 8 + headerSize > fileSize)
    return fail(path, "truncated or corrupt: header length " +
                          std::to_string(headerSize) + " does not fit in " +
                          std::to_string(fileSize) + " bytes");
  std::string headerText(headerSize, '\0');
  if (!file.readAt(headerText.data(), headerSize, 8))
    return fail(path, "read failed: " + errnoText());
  if (headerText[0] != '{')
    return fail(path, "header is not a JSON object");
  json header = json::parse(headerText, nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object())
    return fail(path, "header is not valid JSON");

  uint64_t dataStart = 8 + headerSize;
  uint64_t dataSize = fileSize - dataStart;
  SafetensorsFile result;
  std::vector<Entry> entries;
  for (const auto &item : header.items()) {
    if (item.key() == kMetadataKey) {
      if (!item.value().is_object())
        return fail(path, "__metadata__ is not a JSON object");
      for (const auto &meta : item.value().items()) {
        if (!meta.value().is_string())
          return fail(path, "__metadata__ value for '" + meta.key() +
                                "' is not a string");
        result.metadata[meta.key()] =
            meta.value().get_ref<const std::string &>();
      }
      continue;
    }
    Entry entry;
    std::string problem = parseEntry(item.key(), item.value(), dataSize, entry);
    if (!problem.empty())
      return fail(path, problem);
    entries.push_back(std::move(entry));
  }

  // The tensors must tile the data section: no gaps, overlaps or slack.
  std::sort(entries.begin(), entries.end(), [](const Entry &a, const Entry &b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t expected = 0;
  for (const Entry &entry : entries) {
    if (entry.begin != expected)
      return fail(path, "tensor '" + entry.tensor.name + "' starts at byte " +
                            std::to_string(entry.begin) + ", expected " +
                            std::to_string(expected) +
                            " (tensors overlap or leave a gap)");
    expected = entry.end;
  }
  if (expected != dataSize)
    return fail(path, "data section has " + std::to_string(dataSize) +
                          " bytes but the tensors cover " +
                          std::to_string(expected) +
                          " (truncated or trailing bytes)");

  for (Entry &entry : entries) {
    uint64_t size = entry.end - entry.begin;
    try {
      entry.tensor.bytes.resize(size);
    } catch (const std::bad_alloc &) {
      return fail(path, "cannot allocate tensor '" + entry.tensor.name +
                            "' (" + std::to_string(size) + " bytes)");
    }
    if (size &&
        !file.readAt(entry.tensor.bytes.data(), size, dataStart + entry.begin))
      return fail(path, "read of tensor '" + entry.tensor.name + "' failed");
    result.tensors.push_back(std::move(entry.tensor));
  }
  out = std::move(result);
  return Error::success();
}
