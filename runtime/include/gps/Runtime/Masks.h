//===- Masks.h - missing-data mask samplers ---------------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// Masks for the imputation experiments, drawn from a Philox stream. A mask
// has one float per pixel: 1 = known, 0 = missing.
//
//   MCAR-d  each pixel is missing independently with probability d.
//   MAR-d   a d x d square of missing pixels at a uniformly random position
//           fully inside the H x W image.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_RUNTIME_MASKS_H
#define GPS_RUNTIME_MASKS_H

#include "gps/Runtime/Error.h"
#include "gps/Runtime/Philox.h"

#include <cstdint>

namespace gps::rt {

/// Fills `batch` masks of `numPixels` floats each (contiguous) with MCAR
/// masks: a pixel is missing when a fresh uniform in (0, 1) is below
/// `dropProbability`, so 0 keeps every pixel and 1 drops every pixel. Fails
/// when `dropProbability` is outside [0, 1] or a count is negative.
Error sampleMcarMasks(PhiloxStream &rng, double dropProbability,
                      int64_t numPixels, int64_t batch, float *masks);

/// Fills `batch` row-major `height` x `width` masks (contiguous) with MAR
/// masks: each has one `size` x `size` square of zeros whose top-left corner
/// is uniform over the height - size + 1 by width - size + 1 positions that
/// keep it inside the image. Fails unless 0 <= size <= min(height, width).
Error sampleMarMasks(PhiloxStream &rng, int64_t size, int64_t height,
                     int64_t width, int64_t batch, float *masks);

/// The squares sampleMarMasks would draw from `rng`, without the masks:
/// `corners[2b]` and `corners[2b + 1]` are the top row and left column of
/// example b's (the model's compiled masks entry writes the masks from
/// them). The same checks.
Error drawMarCorners(PhiloxStream &rng, int64_t size, int64_t height,
                     int64_t width, int64_t batch, int64_t *corners);

} // namespace gps::rt

#endif // GPS_RUNTIME_MASKS_H
