//===- Data.cpp - train/test splits and minibatch order ---------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/Data.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <numeric>
#include <string>
#include <utility>

using namespace gps::rt;

/// The first Philox block of epoch `epoch`'s shuffle; block 0 onwards is the
/// train/test split's.
static uint64_t epochCounter(uint64_t epoch) { return (epoch + 1) << 32; }

void gps::rt::shuffle(std::vector<uint32_t> &values, PhiloxStream &rng) {
  assert(values.size() <= UINT32_MAX && "too many values for 32-bit draws");
  for (size_t i = values.size(); i > 1; --i) {
    uint32_t j = rng.nextBelow(static_cast<uint32_t>(i));
    std::swap(values[i - 1], values[j]);
  }
}

Error gps::rt::splitTrainTest(uint64_t numExamples, double testFraction,
                              uint64_t seed, std::vector<uint32_t> &train,
                              std::vector<uint32_t> &test) {
  if (!(testFraction >= 0.0 && testFraction <= 1.0))
    return Error::failure("splitTrainTest: test fraction " +
                 std::to_string(testFraction) + " is outside [0, 1]");
  if (numExamples > UINT32_MAX)
    return Error::failure("splitTrainTest: " + std::to_string(numExamples) +
                 " examples do not fit 32-bit indices");
  std::vector<uint32_t> perm(numExamples);
  std::iota(perm.begin(), perm.end(), 0u);
  PhiloxStream rng(seed, 0);
  shuffle(perm, rng);
  auto numTest = static_cast<size_t>(
      std::llround(static_cast<double>(numExamples) * testFraction));
  test.assign(perm.begin(), perm.begin() + numTest);
  train.assign(perm.begin() + numTest, perm.end());
  std::sort(test.begin(), test.end());
  std::sort(train.begin(), train.end());
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Minibatcher
//===----------------------------------------------------------------------===//

Minibatcher::Minibatcher(std::vector<uint32_t> indices, uint64_t batchSize,
                         uint64_t seed)
    : indices(std::move(indices)), size(batchSize), seed(seed) {
  assert(size > 0 && size <= this->indices.size() &&
         "batch size must be in [1, number of indices]");
  assert(this->indices.size() <= UINT32_MAX && "too many indices");
  shuffleEpoch();
}

void Minibatcher::shuffleEpoch() {
  order = indices;
  PhiloxStream rng(seed, epochCounter(current.epoch));
  shuffle(order, rng);
}

void Minibatcher::next(std::vector<uint32_t> &batch) {
  if (current.position + size > order.size()) {
    ++current.epoch;
    current.position = 0;
    shuffleEpoch();
  }
  auto begin = order.begin() + current.position;
  batch.assign(begin, begin + size);
  current.position += size;
}

Error Minibatcher::restore(const MinibatchState &state) {
  if (state.position > indices.size())
    return Error::failure("Minibatcher::restore: position " +
                 std::to_string(state.position) + " is past the " +
                 std::to_string(indices.size()) + " indices of an epoch");
  bool sameEpoch = state.epoch == current.epoch;
  current = state;
  if (!sameEpoch)
    shuffleEpoch();
  return Error::success();
}
