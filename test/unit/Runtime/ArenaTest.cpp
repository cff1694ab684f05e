//===- ArenaTest.cpp - tests of the arena behind generated buffers --------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/Interface.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

namespace {

bool isAligned(const void *p, uintptr_t alignment) {
  return reinterpret_cast<uintptr_t>(p) % alignment == 0;
}

TEST(ArenaTest, AllocationsAreAlignedAndDisjoint) {
  gps_rt_arena_reset();
  ASSERT_EQ(gps_rt_arena_used(), 0u);
  std::vector<std::pair<char *, size_t>> buffers;
  for (size_t size : {1u, 3u, 64u, 100u, 0u, 4096u, 7u}) {
    auto *p = static_cast<char *>(_mlir_memref_to_llvm_alloc(size));
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(isAligned(p, 64)) << size;
    std::memset(p, 0xab, size);
    buffers.push_back({p, size});
  }
  for (size_t i = 0; i < buffers.size(); ++i)
    for (size_t j = i + 1; j < buffers.size(); ++j) {
      char *a = buffers[i].first, *b = buffers[j].first;
      bool disjoint = a + buffers[i].second <= b || b + buffers[j].second <= a;
      EXPECT_TRUE(disjoint) << i << " overlaps " << j;
    }
  EXPECT_GE(gps_rt_arena_used(), 1u + 3 + 64 + 100 + 4096 + 7);
  gps_rt_arena_reset();
}

TEST(ArenaTest, RequestedAlignmentIsHonoured) {
  gps_rt_arena_reset();
  (void)_mlir_memref_to_llvm_alloc(3);
  for (size_t alignment : {16u, 64u, 128u, 256u, 4096u, 8192u, 100u}) {
    void *p = _mlir_memref_to_llvm_aligned_alloc(alignment, 10);
    // A non-power-of-two alignment is rounded up to one.
    size_t expected = alignment == 100 ? 128 : alignment;
    EXPECT_TRUE(isAligned(p, expected < 64 ? 64 : expected)) << alignment;
  }
  gps_rt_arena_reset();
}

TEST(ArenaTest, ResetReusesMemoryAndTracksPeak) {
  gps_rt_arena_reset();
  void *first = _mlir_memref_to_llvm_alloc(1000);
  void *second = _mlir_memref_to_llvm_alloc(1000);
  EXPECT_NE(first, second);
  size_t used = gps_rt_arena_used();
  EXPECT_EQ(used, 2000u);
  EXPECT_GE(gps_rt_arena_peak(), used);
  gps_rt_arena_reset();
  EXPECT_EQ(gps_rt_arena_used(), 0u);
  EXPECT_GE(gps_rt_arena_peak(), used);
  // After a reset the same chunk is handed out again from its start.
  EXPECT_EQ(_mlir_memref_to_llvm_alloc(1000), first);
  gps_rt_arena_reset();
}

// A freed block is handed out again to the next allocation of its size and
// alignment, and only to such an allocation: a loop that frees its
// temporaries at the end of each step runs in the same blocks at every
// step.
TEST(ArenaTest, FreedBlocksAreReusedBySize) {
  gps_rt_arena_reset();
  void *a = _mlir_memref_to_llvm_alloc(1000);
  void *b = _mlir_memref_to_llvm_alloc(4000);
  _mlir_memref_to_llvm_free(a);
  _mlir_memref_to_llvm_free(b);
  EXPECT_EQ(gps_rt_arena_used(), 0u);
  void *other = _mlir_memref_to_llvm_alloc(2000);
  EXPECT_NE(other, a);
  EXPECT_NE(other, b);
  EXPECT_EQ(_mlir_memref_to_llvm_alloc(4000), b);
  EXPECT_EQ(_mlir_memref_to_llvm_alloc(1000), a);
  // A stricter alignment does not take a block of the default one.
  _mlir_memref_to_llvm_free(a);
  void *aligned = _mlir_memref_to_llvm_aligned_alloc(4096, 1000);
  EXPECT_NE(aligned, a);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(aligned) % 4096, 0u);
  // Freeing null, a pointer twice or one the arena did not hand out does
  // nothing.
  _mlir_memref_to_llvm_free(nullptr);
  _mlir_memref_to_llvm_free(a);
  int outside = 0;
  _mlir_memref_to_llvm_free(&outside);
  EXPECT_EQ(_mlir_memref_to_llvm_alloc(1000), a);
  EXPECT_NE(_mlir_memref_to_llvm_alloc(1000), a);
  // 100 steps that each allocate and free the same temporaries use the
  // memory of one step.
  gps_rt_arena_reset();
  size_t peakBefore = gps_rt_arena_peak();
  for (int step = 0; step < 100; ++step) {
    void *x = _mlir_memref_to_llvm_alloc(1 << 16);
    void *y = _mlir_memref_to_llvm_alloc(1 << 12);
    _mlir_memref_to_llvm_free(x);
    _mlir_memref_to_llvm_free(y);
  }
  EXPECT_EQ(gps_rt_arena_used(), 0u);
  EXPECT_LE(gps_rt_arena_peak(), std::max<size_t>(peakBefore, (1 << 16) + (1 << 12)));
  gps_rt_arena_reset();
}

TEST(ArenaTest, GrowsWithoutMovingBuffersAndCoalescesOnReset) {
  gps_rt_arena_reset();
  // Fill well past one chunk; earlier buffers keep their contents.
  std::vector<uint32_t *> buffers;
  const size_t words = size_t(3) << 20; // 12 MiB each
  for (uint32_t i = 0; i < 8; ++i) {
    auto *p = static_cast<uint32_t *>(
        _mlir_memref_to_llvm_alloc(words * sizeof(uint32_t)));
    ASSERT_NE(p, nullptr);
    p[0] = i;
    p[words - 1] = ~i;
    buffers.push_back(p);
  }
  for (uint32_t i = 0; i < 8; ++i) {
    EXPECT_EQ(buffers[i][0], i);
    EXPECT_EQ(buffers[i][words - 1], ~i);
  }
  gps_rt_arena_reset();
  // Everything now fits one chunk: the allocations are contiguous.
  auto *base =
      static_cast<char *>(_mlir_memref_to_llvm_alloc(words * sizeof(uint32_t)));
  for (int i = 1; i < 8; ++i) {
    auto *p = static_cast<char *>(
        _mlir_memref_to_llvm_alloc(words * sizeof(uint32_t)));
    EXPECT_EQ(p, base + i * words * sizeof(uint32_t));
  }
  gps_rt_arena_reset();
}

TEST(ArenaTest, LargeAllocationGetsItsOwnChunk) {
  gps_rt_arena_reset();
  (void)_mlir_memref_to_llvm_alloc(16);
  size_t big = size_t(40) << 20;
  auto *p = static_cast<char *>(_mlir_memref_to_llvm_alloc(big));
  ASSERT_NE(p, nullptr);
  p[0] = 1;
  p[big - 1] = 2;
  EXPECT_GE(gps_rt_arena_used(), big);
  gps_rt_arena_reset();
}

TEST(ArenaTest, OutOfMemoryExitsWithAnError) {
  // Generated code cannot take an error back: the process ends with
  // status 1 and one line, not with an abort.
  EXPECT_EXIT(_mlir_memref_to_llvm_alloc(SIZE_MAX - 10),
              ::testing::ExitedWithCode(1),
              "error: cannot allocate a buffer of the model \\([0-9]+ bytes");
  EXPECT_EXIT(_mlir_memref_to_llvm_alloc(size_t(1) << 62),
              ::testing::ExitedWithCode(1), "out of memory");
}

} // namespace
