//===- InterfaceTest.cpp - tests of the compiler<->runtime ABI ------------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/Interface.h"

#include "gtest/gtest.h"

#include <cstddef>

namespace {

/// A field-by-field copy of MLIR's StridedMemRefType<float, 2>
/// (mlir/ExecutionEngine/CRunnerUtils.h), the layout the descriptors must
/// match.
struct MlirStridedMemRef2 {
  float *basePtr;
  float *data;
  int64_t offset;
  int64_t sizes[2];
  int64_t strides[2];
};

/// StridedMemRefType<float, 0>.
struct MlirStridedMemRef0 {
  float *basePtr;
  float *data;
  int64_t offset;
};

TEST(InterfaceTest, MemrefLayoutMatchesStridedMemRefType) {
  using Rank2 = gps_memref<float, 2>;
  EXPECT_EQ(sizeof(Rank2), sizeof(MlirStridedMemRef2));
  EXPECT_EQ(offsetof(Rank2, allocated), offsetof(MlirStridedMemRef2, basePtr));
  EXPECT_EQ(offsetof(Rank2, aligned), offsetof(MlirStridedMemRef2, data));
  EXPECT_EQ(offsetof(Rank2, offset), offsetof(MlirStridedMemRef2, offset));
  EXPECT_EQ(offsetof(Rank2, sizes), offsetof(MlirStridedMemRef2, sizes));
  EXPECT_EQ(offsetof(Rank2, strides), offsetof(MlirStridedMemRef2, strides));
  EXPECT_EQ(sizeof(gps_memref<float, 0>), sizeof(MlirStridedMemRef0));
  // LLVM struct {ptr, ptr, i64, [3 x i64], [3 x i64]} on a 64-bit target.
  if (sizeof(void *) == 8) {
    EXPECT_EQ(sizeof(gps_memref<double, 3>), 8u * (3 + 2 * 3));
  }
}

TEST(InterfaceTest, MemrefIndexingFollowsStrides) {
  // A 3x4 row-major buffer viewed transposed (4x3) from element 1 on.
  float buffer[13];
  for (int i = 0; i < 13; ++i)
    buffer[i] = static_cast<float>(i);
  gps_memref<float, 2> view{buffer, buffer, 1, {4, 3}, {1, 4}};
  EXPECT_EQ(view.numElements(), 12);
  EXPECT_EQ(view({0, 0}), 1.0f);
  EXPECT_EQ(view({3, 0}), 4.0f);
  EXPECT_EQ(view({2, 1}), 7.0f);
  EXPECT_EQ(view({3, 2}), 12.0f);
}

TEST(InterfaceTest, AbiVersionAndMagic) {
  EXPECT_EQ(GPS_RUNTIME_API_VERSION, 3u);
  EXPECT_EQ(gps_rt_api_version(), 3u);
  // "GPSR" in ASCII, most significant byte first.
  EXPECT_EQ(GPS_RUNTIME_MAGIC, (uint32_t('G') << 24 | uint32_t('P') << 16 |
                                uint32_t('S') << 8 | uint32_t('R')));
  // Matching values return normally.
  gps_rt_check_abi(GPS_RUNTIME_API_VERSION, GPS_RUNTIME_MAGIC);
}

TEST(InterfaceDeathTest, VersionMismatchExits) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(gps_rt_check_abi(GPS_RUNTIME_API_VERSION + 1, GPS_RUNTIME_MAGIC),
              testing::ExitedWithCode(1),
              "error: ABI mismatch: the model was compiled for runtime API "
              "version 4 but this runtime provides version 3");
}

TEST(InterfaceDeathTest, MagicMismatchExits) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(gps_rt_check_abi(GPS_RUNTIME_API_VERSION, 0xdeadbeefu),
              testing::ExitedWithCode(1),
               "ABI mismatch: magic 0xdeadbeef does not match the runtime's "
               "0x47505352");
}

} // namespace
