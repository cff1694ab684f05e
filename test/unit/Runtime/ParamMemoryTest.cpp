//===- ParamMemoryTest.cpp - tests of ParamMemory.h -------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/ParamMemory.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>

using namespace gps::rt;

namespace {
int allocated = 0, released = 0;

void *countingAllocate(size_t bytes) {
  ++allocated;
  return std::aligned_alloc(64, bytes);
}
void countingRelease(void *pointer) {
  ++released;
  std::free(pointer);
}

/// Restores the heap when a test ends.
struct ParamMemoryTest : ::testing::Test {
  void SetUp() override { allocated = released = 0; }
  void TearDown() override { setParamMemory(nullptr); }
};
} // namespace

TEST_F(ParamMemoryTest, EachBufferGoesBackWhereItCameFrom) {
  SharedMemory shared;
  shared.allocate = countingAllocate;
  shared.release = countingRelease;
  auto *onHeap = new ParamVector(1000, 1.5f);
  setParamMemory(&shared);
  auto *onShared = new ParamVector(3000, 2.5f);
  EXPECT_EQ(allocated, 1);
  // A buffer from before the switch is released to the heap, one from
  // after it to the shared memory, whatever is current then.
  setParamMemory(nullptr);
  delete onHeap;
  EXPECT_EQ(released, 0);
  ParamVector grown(*onShared);
  EXPECT_EQ(allocated, 1) << "the heap is current again";
  delete onShared;
  EXPECT_EQ(released, 1);
  EXPECT_EQ(grown[2999], 2.5f);
}

TEST_F(ParamMemoryTest, BuffersAreAlignedAndUsable) {
  SharedMemory shared;
  shared.allocate = countingAllocate;
  shared.release = countingRelease;
  for (const SharedMemory *memory : {static_cast<const SharedMemory *>(nullptr),
                                     static_cast<const SharedMemory *>(&shared)}) {
    setParamMemory(memory);
    ParamVector v;
    for (int i = 0; i < 5000; ++i)
      v.push_back(float(i));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(v.data()) % 64, 0u);
    EXPECT_EQ(v[4999], 4999.0f);
  }
  EXPECT_GT(allocated, 1);
}

TEST_F(ParamMemoryTest, OutOfSharedMemoryIsBadAlloc) {
  SharedMemory none;
  none.allocate = [](size_t) -> void * { return nullptr; };
  none.release = countingRelease;
  setParamMemory(&none);
  EXPECT_THROW(ParamVector(10), std::bad_alloc);
  EXPECT_EQ(allocateParamBytes(SIZE_MAX), nullptr);
}
