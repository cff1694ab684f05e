//===- Png.h - PNG output through libpng ------------------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// Writes 8-bit grayscale or RGB PNG files with libpng's simplified write API
// (Debian: libpng-dev). Every compiled trainer therefore links -lpng16
// (GPS_TRAINER_LINK in lib/Target/CMakeLists.txt).
//
//===----------------------------------------------------------------------===//

#ifndef GPS_TRAINER_PNG_H
#define GPS_TRAINER_PNG_H

#include "gps/Runtime/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace gps::rt {

/// An 8-bit image, rows top to bottom, `channels` bytes per pixel (1: gray,
/// 3: RGB).
struct Image {
  int64_t width = 0;
  int64_t height = 0;
  int channels = 3;
  std::vector<uint8_t> pixels;

  Image() = default;
  Image(int64_t width, int64_t height, int channels, uint8_t fill = 0)
      : width(width), height(height), channels(channels),
        pixels(static_cast<size_t>(width * height * channels), fill) {}

  uint8_t *at(int64_t x, int64_t y) {
    return pixels.data() + (y * width + x) * channels;
  }
};

/// The PNG encoding of `image`. Fails on an empty image, a channel count
/// other than 1 or 3, or a pixel buffer of the wrong size.
Error encodePng(const Image &image, std::vector<uint8_t> &bytes);

/// Writes `image` to `path` as PNG, atomically (temporary file + rename).
Error writePng(const std::string &path, const Image &image);

} // namespace gps::rt

#endif // GPS_TRAINER_PNG_H
