//===- Philox.cpp - Philox4x32-10 counter-based RNG -------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/Philox.h"
#include "gps/Runtime/Contract.h"
#include "gps/Runtime/Interface.h"

#include <cmath>
#include <vector>

using namespace gps::rt;

// Round multipliers and Weyl key increments (Contract.h).
using contract::kPhiloxMultiplier0;
using contract::kPhiloxMultiplier1;
using contract::kPhiloxWeyl0;
using contract::kPhiloxWeyl1;

/// One Philox round: two 32x32->64 multiplies mixed with the round key.
static PhiloxCounter philoxRound(const PhiloxCounter &c, const PhiloxKey &k) {
  uint64_t p0 = static_cast<uint64_t>(kPhiloxMultiplier0) * c[0];
  uint64_t p1 = static_cast<uint64_t>(kPhiloxMultiplier1) * c[2];
  return {
      static_cast<uint32_t>(p1 >> 32) ^ c[1] ^ k[0], static_cast<uint32_t>(p1),
      static_cast<uint32_t>(p0 >> 32) ^ c[3] ^ k[1], static_cast<uint32_t>(p0)};
}

PhiloxCounter gps::rt::philox4x32(PhiloxCounter counter, PhiloxKey key) {
  for (int round = 0; round < 10; ++round) {
    if (round != 0) {
      key[0] += kPhiloxWeyl0;
      key[1] += kPhiloxWeyl1;
    }
    counter = philoxRound(counter, key);
  }
  return counter;
}

void gps::rt::boxMuller(float u1, float u2, float &z0, float &z1) {
  // Double precision keeps the tails accurate for u1 close to 0 or 1.
  constexpr double twoPi = 6.283185307179586476925286766559;
  double radius = std::sqrt(-2.0 * std::log(static_cast<double>(u1)));
  double theta = twoPi * static_cast<double>(u2);
  z0 = static_cast<float>(radius * std::cos(theta));
  z1 = static_cast<float>(radius * std::sin(theta));
}

//===----------------------------------------------------------------------===//
// PhiloxStream
//===----------------------------------------------------------------------===//

uint32_t PhiloxStream::nextU32() {
  if (used == 4) {
    block = philox4x32(philoxCounter(nextBlock++), key);
    used = 0;
  }
  return block[used++];
}

float PhiloxStream::nextNormal() {
  if (haveSpareNormal) {
    haveSpareNormal = false;
    return spareNormal;
  }
  float u1 = nextUniform();
  float u2 = nextUniform();
  float z0;
  boxMuller(u1, u2, z0, spareNormal);
  haveSpareNormal = true;
  return z0;
}

uint32_t PhiloxStream::nextBelow(uint32_t bound) {
  // Reject the top partial copy of [0, bound) so every residue is equally
  // likely.
  uint32_t limit = UINT32_MAX - UINT32_MAX % bound;
  uint32_t bits;
  do
    bits = nextU32();
  while (bits >= limit);
  return bits % bound;
}

//===----------------------------------------------------------------------===//
// C ABI
//===----------------------------------------------------------------------===//

extern "C" void gps_rt_philox_uniform_f32(float *out, int64_t count,
                                          uint64_t key, uint64_t counter) {
  PhiloxKey k = philoxKey(key);
  for (int64_t i = 0; i < count; i += 4) {
    PhiloxCounter bits = philox4x32(philoxCounter(counter + i / 4), k);
    for (int64_t lane = 0; lane < 4 && i + lane < count; ++lane)
      out[i + lane] = uniformFromBits(bits[lane]);
  }
}

extern "C" void gps_rt_philox_normal_f32(float *out, int64_t count,
                                         uint64_t key, uint64_t counter) {
  PhiloxKey k = philoxKey(key);
  for (int64_t i = 0; i < count; i += 4) {
    PhiloxCounter bits = philox4x32(philoxCounter(counter + i / 4), k);
    float z[4];
    boxMuller(uniformFromBits(bits[0]), uniformFromBits(bits[1]), z[0], z[1]);
    boxMuller(uniformFromBits(bits[2]), uniformFromBits(bits[3]), z[2], z[3]);
    for (int64_t lane = 0; lane < 4 && i + lane < count; ++lane)
      out[i + lane] = z[lane];
  }
}

/// The standard normals of elements [begin, begin + count) of the stream
/// numbering of gps_rt_philox_normal_stream_f32, into out[0..count).
static void normalStreamRange(float *out, int64_t begin, int64_t count,
                              uint64_t key, uint64_t stream) {
  PhiloxKey k = philoxKey(key);
  auto streamLo = static_cast<uint32_t>(stream);
  auto streamHi = static_cast<uint32_t>(stream >> 32);
  int64_t end = begin + count;
  for (int64_t blockStart = begin - begin % 4; blockStart < end;
       blockStart += 4) {
    auto block = static_cast<uint64_t>(blockStart / 4);
    PhiloxCounter bits =
        philox4x32({static_cast<uint32_t>(block),
                    static_cast<uint32_t>(block >> 32), streamLo, streamHi},
                   k);
    float z[4];
    boxMuller(uniformFromBits(bits[0]), uniformFromBits(bits[1]), z[0], z[1]);
    boxMuller(uniformFromBits(bits[2]), uniformFromBits(bits[3]), z[2], z[3]);
    for (int64_t lane = 0; lane < 4; ++lane) {
      int64_t i = blockStart + lane;
      if (i >= begin && i < end)
        out[i - begin] = z[lane];
    }
  }
}

extern "C" void gps_rt_philox_normal_stream_f32(float *out, int64_t count,
                                                uint64_t key, uint64_t stream) {
  if (count > 0)
    normalStreamRange(out, 0, count, key, stream);
}

extern "C" uint64_t gps_rt_noise_key(uint64_t seed, uint64_t site,
                                     uint64_t step) {
  return seed + ((site << 32) | (step & 0xFFFFFFFFull)) *
                    contract::kNoiseKeyMultiplier;
}

extern "C" void _mlir_ciface_gps_rt_normal(gps_memref<float, 2> *out,
                                           uint64_t seed, uint64_t stream,
                                           uint64_t site, uint64_t step) {
  int64_t rows = out->sizes[0], cols = out->sizes[1];
  if (rows <= 0 || cols <= 0)
    return;
  uint64_t key = gps_rt_noise_key(seed, site, step);
  float *base = out->aligned + out->offset;
  if (out->strides[1] == 1 && (rows == 1 || out->strides[0] == cols)) {
    normalStreamRange(base, 0, rows * cols, key, stream);
    return;
  }
  // Element (r, c) is number r * cols + c whatever the strides are.
  std::vector<float> row(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    normalStreamRange(row.data(), r * cols, cols, key, stream);
    for (int64_t c = 0; c < cols; ++c)
      base[r * out->strides[0] + c * out->strides[1]] = row[c];
  }
}
