//===- Png.cpp - a minimal PNG writer ---------------------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Trainer/Png.h"

#include "gps/Trainer/Files.h"

#include <zlib.h>

#include <climits>

using namespace gps::rt;

static void appendU32(std::vector<uint8_t> &out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<uint8_t>(value >> shift));
}

/// Appends one chunk: length, type, data, CRC of type and data.
static void appendChunk(std::vector<uint8_t> &out, const char type[4],
                        const std::vector<uint8_t> &data) {
  appendU32(out, static_cast<uint32_t>(data.size()));
  size_t typeAt = out.size();
  out.insert(out.end(), type, type + 4);
  out.insert(out.end(), data.begin(), data.end());
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, out.data() + typeAt, static_cast<uInt>(4 + data.size()));
  appendU32(out, static_cast<uint32_t>(crc));
}

Error gps::rt::encodePng(const Image &image, std::vector<uint8_t> &bytes) {
  if (image.width <= 0 || image.height <= 0 || image.width > INT32_MAX / 4 ||
      image.height > INT32_MAX)
    return Error::failure("PNG: bad image size " + std::to_string(image.width) +
                          "x" + std::to_string(image.height));
  if (image.channels != 1 && image.channels != 3)
    return Error::failure("PNG: " + std::to_string(image.channels) +
                          " channels (1 or 3 supported)");
  size_t rowBytes = static_cast<size_t>(image.width) * image.channels;
  if (image.pixels.size() != rowBytes * static_cast<size_t>(image.height))
    return Error::failure("PNG: pixel buffer does not match the image size");

  // Scanlines, each led by filter type 0 (none).
  std::vector<uint8_t> raw;
  raw.reserve((rowBytes + 1) * static_cast<size_t>(image.height));
  for (int64_t y = 0; y < image.height; ++y) {
    raw.push_back(0);
    auto row = image.pixels.begin() + static_cast<ptrdiff_t>(y * rowBytes);
    raw.insert(raw.end(), row, row + static_cast<ptrdiff_t>(rowBytes));
  }
  uLongf packedSize = compressBound(static_cast<uLong>(raw.size()));
  std::vector<uint8_t> packed(packedSize);
  if (compress2(packed.data(), &packedSize, raw.data(),
                static_cast<uLong>(raw.size()), Z_BEST_COMPRESSION) != Z_OK)
    return Error::failure("PNG: zlib compression failed");
  packed.resize(packedSize);

  std::vector<uint8_t> header;
  appendU32(header, static_cast<uint32_t>(image.width));
  appendU32(header, static_cast<uint32_t>(image.height));
  header.push_back(8);                           // bit depth
  header.push_back(image.channels == 1 ? 0 : 2); // gray or RGB
  header.push_back(0);                           // deflate
  header.push_back(0);                           // adaptive filtering
  header.push_back(0);                           // no interlace

  static const uint8_t signature[8] = {0x89, 'P',  'N',  'G',
                                       '\r', '\n', 0x1A, '\n'};
  bytes.assign(signature, signature + 8);
  appendChunk(bytes, "IHDR", header);
  appendChunk(bytes, "IDAT", packed);
  appendChunk(bytes, "IEND", {});
  return Error::success();
}

Error gps::rt::writePng(const std::string &path, const Image &image) {
  std::vector<uint8_t> bytes;
  if (Error err = encodePng(image, bytes))
    return Error::failure("'" + path + "': " + err.message());
  return writeFileAtomic(path, std::string(bytes.begin(), bytes.end()));
}
