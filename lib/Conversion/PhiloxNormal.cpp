//===- PhiloxNormal.cpp - the runtime's noise as generated code -----------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// The constants (Contract.h) and the order of every operation are those of
// runtime/lib/Philox.cpp: test/Integration/inline-noise.gps checks that a
// trainer drawing its noise this way computes the same numbers as one calling
// the runtime.
//
//===----------------------------------------------------------------------===//

#include "gps/Conversion/PhiloxNormal.h"
#include "gps/Runtime/Contract.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <array>

using namespace mlir;

using gps::rt::contract::kNoiseKeyMultiplier;
using gps::rt::contract::kPhiloxMultiplier0;
using gps::rt::contract::kPhiloxMultiplier1;
using gps::rt::contract::kPhiloxWeyl0;
using gps::rt::contract::kPhiloxWeyl1;

namespace {
/// Builds i32/i64 constants and bit operations at one location.
struct IntBuilder {
  OpBuilder &b;
  Location loc;

  Value i32(uint32_t v) {
    return arith::ConstantOp::create(
        b, loc, b.getI32IntegerAttr(static_cast<int32_t>(v)));
  }
  Value i64(uint64_t v) {
    return arith::ConstantOp::create(
        b, loc, b.getI64IntegerAttr(static_cast<int64_t>(v)));
  }
  /// The low 32 bits of an i64.
  Value low(Value v) {
    return arith::TruncIOp::create(b, loc, b.getI32Type(), v);
  }
  /// The high 32 bits of an i64.
  Value high(Value v) {
    return low(arith::ShRUIOp::create(b, loc, v, i64(32)));
  }
  Value xori(Value x, Value y) { return arith::XOrIOp::create(b, loc, x, y); }
};
} // namespace

Value gps::buildNoiseKey(OpBuilder &b, Location loc, Value seed, Value site,
                         Value step) {
  IntBuilder k{b, loc};
  Value shifted = arith::ShLIOp::create(b, loc, site, k.i64(32));
  Value stepLow = arith::AndIOp::create(b, loc, step, k.i64(0xFFFFFFFFull));
  Value mixed = arith::OrIOp::create(b, loc, shifted, stepLow);
  Value scaled =
      arith::MulIOp::create(b, loc, mixed, k.i64(kNoiseKeyMultiplier));
  return arith::AddIOp::create(b, loc, seed, scaled);
}

/// The Philox4x32-10 block of the four counter words under `key` (i64):
/// gps::rt::philox4x32.
static std::array<Value, 4> buildPhiloxBlock(OpBuilder &b, Location loc,
                                             Value key,
                                             std::array<Value, 4> counter) {
  IntBuilder k{b, loc};
  std::array<Value, 2> roundKey = {k.low(key), k.high(key)};
  Value m0 = k.i32(kPhiloxMultiplier0), m1 = k.i32(kPhiloxMultiplier1);
  Value w0 = k.i32(kPhiloxWeyl0), w1 = k.i32(kPhiloxWeyl1);
  for (int round = 0; round < 10; ++round) {
    if (round != 0) {
      roundKey[0] = arith::AddIOp::create(b, loc, roundKey[0], w0);
      roundKey[1] = arith::AddIOp::create(b, loc, roundKey[1], w1);
    }
    // The 64-bit products M0 * c0 and M1 * c2 as (low, high) words.
    auto p0 = arith::MulUIExtendedOp::create(b, loc, m0, counter[0]);
    auto p1 = arith::MulUIExtendedOp::create(b, loc, m1, counter[2]);
    counter = {
        k.xori(k.xori(p1.getHigh(), counter[1]), roundKey[0]), p1.getLow(),
        k.xori(k.xori(p0.getHigh(), counter[3]), roundKey[1]), p0.getLow()};
  }
  return counter;
}

/// uniformFromBits: (top 23 bits + 0.5) / 2^23, exact in f32.
static Value buildUniform(OpBuilder &b, Location loc, Value bits) {
  IntBuilder k{b, loc};
  Value top = arith::ShRUIOp::create(b, loc, bits, k.i32(9));
  Value asFloat = arith::UIToFPOp::create(b, loc, b.getF32Type(), top);
  Value half = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.5f));
  Value scale =
      arith::ConstantOp::create(b, loc, b.getF32FloatAttr(1.0f / 8388608.0f));
  return arith::MulFOp::create(
      b, loc, arith::AddFOp::create(b, loc, asFloat, half), scale);
}

Value gps::buildPhiloxUniform(OpBuilder &b, Location loc, Value key,
                              Value counter, Value index) {
  IntBuilder k{b, loc};
  // Number `index` is word index % 4 of block counter + index / 4, whose
  // counter words are {low, high, 0, 0} (PhiloxStream).
  Value block = arith::AddIOp::create(
      b, loc, counter, arith::ShRUIOp::create(b, loc, index, k.i64(2)));
  Value lane = arith::AndIOp::create(b, loc, index, k.i64(3));
  std::array<Value, 4> words = buildPhiloxBlock(
      b, loc, key, {k.low(block), k.high(block), k.i32(0), k.i32(0)});
  Value bits = words[3];
  for (int word = 2; word >= 0; --word)
    bits = arith::SelectOp::create(
        b, loc,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lane,
                              k.i64(word)),
        words[word], bits);
  return buildUniform(b, loc, bits);
}

Value gps::buildPhiloxNormal(OpBuilder &b, Location loc, Value key,
                             Value stream, Value index) {
  IntBuilder k{b, loc};
  // Number `index` is lane index % 4 of block index / 4.
  Value block = arith::ShRUIOp::create(b, loc, index, k.i64(2));
  Value lane = arith::AndIOp::create(b, loc, index, k.i64(3));
  std::array<Value, 4> counter = buildPhiloxBlock(
      b, loc, key,
      {k.low(block), k.high(block), k.low(stream), k.high(stream)});
  // Lanes 0 and 1 are the Box-Muller pair of words 0 and 1; lanes 2 and 3
  // that of words 2 and 3.
  Value upper =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, lane, k.i64(2));
  Value bits1 = arith::SelectOp::create(b, loc, upper, counter[2], counter[0]);
  Value bits2 = arith::SelectOp::create(b, loc, upper, counter[3], counter[1]);
  auto uniform = [&](Value bits) { return buildUniform(b, loc, bits); };
  Type f64 = b.getF64Type();
  auto f64c = [&](double v) -> Value {
    return arith::ConstantOp::create(b, loc, b.getF64FloatAttr(v));
  };
  Value u1 = arith::ExtFOp::create(b, loc, f64, uniform(bits1));
  Value u2 = arith::ExtFOp::create(b, loc, f64, uniform(bits2));
  // boxMuller: radius = sqrt(-2 log u1), theta = 2 pi u2; z0 = radius cos,
  // z1 = radius sin, each rounded to f32.
  Value minusTwo = f64c(-2.0);
  Value logU1 = math::LogOp::create(b, loc, u1);
  Value radius = math::SqrtOp::create(
      b, loc, arith::MulFOp::create(b, loc, minusTwo, logU1));
  Value twoPi = f64c(6.283185307179586476925286766559);
  Value theta = arith::MulFOp::create(b, loc, twoPi, u2);
  Value odd = arith::TruncIOp::create(b, loc, b.getI1Type(), lane);
  Value sin = math::SinOp::create(b, loc, theta);
  Value cos = math::CosOp::create(b, loc, theta);
  Value trig = arith::SelectOp::create(b, loc, odd, sin, cos);
  Value z = arith::MulFOp::create(b, loc, radius, trig);
  return arith::TruncFOp::create(b, loc, b.getF32Type(), z);
}
