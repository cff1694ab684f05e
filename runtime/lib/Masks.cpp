//===- Masks.cpp - missing-data mask samplers -------------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/Masks.h"

#include <algorithm>
#include <string>
#include <vector>

using namespace gps::rt;

Error gps::rt::sampleMcarMasks(PhiloxStream &rng, double dropProbability,
                               int64_t numPixels, int64_t batch, float *masks) {
  if (!(dropProbability >= 0.0 && dropProbability <= 1.0))
    return Error::failure("MCAR mask: drop probability " +
                          std::to_string(dropProbability) +
                          " is not in [0, 1]");
  if (numPixels < 0 || batch < 0)
    return Error::failure("MCAR mask: negative pixel or batch count");
  for (int64_t i = 0, e = numPixels * batch; i < e; ++i)
    masks[i] = rng.nextUniform() < dropProbability ? 0.0f : 1.0f;
  return Error::success();
}

Error gps::rt::drawMarCorners(PhiloxStream &rng, int64_t size, int64_t height,
                              int64_t width, int64_t batch, int64_t *corners) {
  if (height < 0 || width < 0 || batch < 0)
    return Error::failure("MAR mask: negative image or batch size");
  if (size < 0 || size > height || size > width)
    return Error::failure("MAR mask: a " + std::to_string(size) + "x" +
                          std::to_string(size) + " square does not fit in a " +
                          std::to_string(height) + "x" + std::to_string(width) +
                          " image");
  if (height >= UINT32_MAX || width >= UINT32_MAX)
    return Error::failure("MAR mask: image too large");
  for (int64_t b = 0; b < batch; ++b) {
    corners[2 * b] = rng.nextBelow(static_cast<uint32_t>(height - size + 1));
    corners[2 * b + 1] = rng.nextBelow(static_cast<uint32_t>(width - size + 1));
  }
  return Error::success();
}

Error gps::rt::sampleMarMasks(PhiloxStream &rng, int64_t size, int64_t height,
                              int64_t width, int64_t batch, float *masks) {
  std::vector<int64_t> corners(static_cast<size_t>(batch > 0 ? 2 * batch : 0));
  if (Error err =
          drawMarCorners(rng, size, height, width, batch, corners.data()))
    return err;
  int64_t numPixels = height * width;
  std::fill(masks, masks + numPixels * batch, 1.0f);
  for (int64_t b = 0; b < batch; ++b) {
    int64_t top = corners[2 * b], left = corners[2 * b + 1];
    float *mask = masks + b * numPixels;
    for (int64_t row = top; row < top + size; ++row)
      std::fill(mask + row * width + left, mask + row * width + left + size,
                0.0f);
  }
  return Error::success();
}
