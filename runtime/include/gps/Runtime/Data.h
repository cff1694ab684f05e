//===- Data.h - train/test splits and minibatch order -----------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// Deterministic data ordering driven by Philox, so that a run is reproducible
// from its seed and a trainer resumed from a checkpoint sees exactly the
// batches it would have seen uninterrupted.
//
// Both users shuffle with Fisher-Yates over a PhiloxStream keyed by the seed;
// they use disjoint counter ranges: the split reads blocks from 0, epoch e of
// a Minibatcher reads blocks from (e + 1) * 2^32.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_RUNTIME_DATA_H
#define GPS_RUNTIME_DATA_H

#include "gps/Runtime/Error.h"
#include "gps/Runtime/Philox.h"

#include <cstdint>
#include <vector>

namespace gps::rt {

/// Shuffles `values` in place with Fisher-Yates, drawing unbiased bounded
/// integers from `rng`. `values.size()` must be at most UINT32_MAX.
void shuffle(std::vector<uint32_t> &values, PhiloxStream &rng);

/// Splits the examples 0..numExamples-1 into `train` and `test`: a Philox
/// permutation keyed by `seed` is drawn and its first
/// round(numExamples * testFraction) entries form the test set, the rest the
/// training set. Both outputs are sorted ascending. Fails when `testFraction`
/// is outside [0, 1] or `numExamples` exceeds UINT32_MAX.
Error splitTrainTest(uint64_t numExamples, double testFraction, uint64_t seed,
                     std::vector<uint32_t> &train, std::vector<uint32_t> &test);

/// Where a Minibatcher is: the next batch is taken from the permutation of
/// epoch `epoch` starting at offset `position`. Plain data, for checkpoints.
struct MinibatchState {
  uint64_t epoch = 0;
  uint64_t position = 0;
};

/// An endless sequence of fixed-size batches over a list of example indices.
/// Each epoch visits the indices in a fresh order (a Philox permutation of
/// the original list keyed by the seed and the epoch number, so any epoch can
/// be recomputed on its own); a trailing partial batch is dropped.
class Minibatcher {
public:
  /// Requires 0 < batchSize <= indices.size() <= UINT32_MAX.
  Minibatcher(std::vector<uint32_t> indices, uint64_t batchSize,
              uint64_t seed);

  /// Replaces `batch` with the next batchSize indices.
  void next(std::vector<uint32_t> &batch);

  /// The position of the next batch.
  MinibatchState state() const { return current; }
  /// Continues from a state returned by `state()` of a Minibatcher built with
  /// the same indices, batch size and seed. Fails, leaving this unchanged,
  /// when `state.position` is past the end of the epoch.
  Error restore(const MinibatchState &state);

  uint64_t batchSize() const { return size; }
  /// The number of full batches per epoch.
  uint64_t batchesPerEpoch() const { return indices.size() / size; }

private:
  /// Recomputes `order` for `current.epoch`.
  void shuffleEpoch();

  std::vector<uint32_t> indices;
  std::vector<uint32_t> order;
  uint64_t size;
  uint64_t seed;
  MinibatchState current;
};

} // namespace gps::rt

#endif // GPS_RUNTIME_DATA_H
