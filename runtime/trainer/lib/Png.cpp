//===- Png.cpp - PNG writing through libpng ---------------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Trainer/Png.h"

#include "gps/Trainer/Files.h"

#include <png.h>

#include <climits>
#include <cstring>

using namespace gps::rt;

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

  // libpng's simplified API: an error inside libpng comes back as a zero
  // return with the reason in `png.message`. The buffer starts at libpng's
  // upper bound; a write that needs more says how much, and is done again.
  png_image png;
  std::memset(&png, 0, sizeof png);
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(image.width);
  png.height = static_cast<png_uint_32>(image.height);
  png.format = image.channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  png_alloc_size_t size = PNG_IMAGE_PNG_SIZE_MAX(png);
  for (int attempt = 0; attempt < 2; ++attempt) {
    bytes.resize(size);
    if (png_image_write_to_memory(&png, bytes.data(), &size,
                                  /*convert_to_8_bit=*/0, image.pixels.data(),
                                  static_cast<png_int_32>(rowBytes),
                                  /*colormap=*/nullptr)) {
      bytes.resize(size);
      return Error::success();
    }
    if ((png.warning_or_error & PNG_IMAGE_ERROR) || size <= bytes.size())
      break;
  }
  bytes.clear();
  return Error::failure(std::string("PNG: ") +
                        (png.message[0] ? png.message : "libpng failed"));
}

Error gps::rt::writePng(const std::string &path, const Image &image) {
  std::vector<uint8_t> bytes;
  if (Error err = encodePng(image, bytes))
    return Error::failure("'" + path + "': " + err.message());
  return writeFileAtomic(path, std::string(bytes.begin(), bytes.end()));
}
