//===- Philox.h - Philox4x32-10 counter-based RNG ---------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// Philox4x32-10 from Salmon, Moraes, Dror and Shaw, "Parallel Random Numbers:
// As Easy as 1, 2, 3" (SC 2011), bit-compatible with Random123's
// philox4x32_R(10, ctr, key). Being counter based, any element of a stream
// can be computed independently, which the generated code relies on.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_RUNTIME_PHILOX_H
#define GPS_RUNTIME_PHILOX_H

#include <array>
#include <cstdint>

namespace gps::rt {

using PhiloxCounter = std::array<uint32_t, 4>;
using PhiloxKey = std::array<uint32_t, 2>;

/// One Philox4x32-10 block: 10 rounds of the bijection keyed by `key`.
PhiloxCounter philox4x32(PhiloxCounter counter, PhiloxKey key);

/// The Philox key for a 64-bit seed: {low word, high word}.
inline PhiloxKey philoxKey(uint64_t seed) {
  return {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)};
}

/// The Philox counter for a 64-bit block index: {low word, high word, 0, 0}.
inline PhiloxCounter philoxCounter(uint64_t block) {
  return {static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), 0,
          0};
}

/// Maps 32 random bits to a float in the open interval (0, 1): the top 23
/// bits k give (k + 0.5) / 2^23, which is exact in float, never 0 and never 1.
inline float uniformFromBits(uint32_t bits) {
  return (static_cast<float>(bits >> 9) + 0.5f) * (1.0f / 8388608.0f);
}

/// Box-Muller: two independent standard normals from two uniforms in (0, 1).
void boxMuller(float u1, float u2, float &z0, float &z1);

/// A sequential reader of the Philox stream for one key, starting at a block
/// counter. Each block yields four 32-bit words, consumed in order.
class PhiloxStream {
public:
  explicit PhiloxStream(uint64_t key, uint64_t counter = 0)
      : key(philoxKey(key)), nextBlock(counter) {}

  /// The next 32 random bits.
  uint32_t nextU32();
  /// A uniform float in (0, 1).
  float nextUniform() { return uniformFromBits(nextU32()); }
  /// A standard normal float (one of a Box-Muller pair; the other is kept).
  float nextNormal();
  /// A uniform integer in [0, bound), without modulo bias; bound must be > 0.
  uint32_t nextBelow(uint32_t bound);

  /// The counter of the next block that will be generated.
  uint64_t counter() const { return nextBlock; }

private:
  PhiloxKey key;
  uint64_t nextBlock;
  PhiloxCounter block{};
  unsigned used = 4;
  bool haveSpareNormal = false;
  float spareNormal = 0.0f;
};

} // namespace gps::rt

#endif // GPS_RUNTIME_PHILOX_H
