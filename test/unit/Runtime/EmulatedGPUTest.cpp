//===- EmulatedGPUTest.cpp - tests of the GPU emulation's checks ----------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/Interface.h"

#include "gtest/gtest.h"

#include <cstring>

namespace {

constexpr int32_t kRead = 0, kWrite = 1;

TEST(EmulatedGPUTest, ThreadsOnTheirOwnElementsAreNoRace) {
  gps_rt_emu_launch(0);
  for (int64_t thread = 0; thread < 64; ++thread) {
    // Each thread reads a shared element, and reads then writes its own.
    gps_rt_emu_access(4096, thread, kRead);
    gps_rt_emu_access(8192 + 4 * thread, thread, kRead);
    gps_rt_emu_access(8192 + 4 * thread, thread, kWrite);
    gps_rt_emu_access(8192 + 4 * thread, thread, kRead);
  }
}

TEST(EmulatedGPUTest, ALaunchForgetsThePreviousOne) {
  gps_rt_emu_launch(0);
  gps_rt_emu_access(4096, 0, kWrite);
  gps_rt_emu_launch(1);
  gps_rt_emu_access(4096, 1, kWrite);
  gps_rt_emu_access(4096, 1, kRead);
}

TEST(EmulatedGPUDeathTest, TwoWritersAreARace) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        gps_rt_emu_launch(7);
        gps_rt_emu_access(4096, 0, kWrite);
        gps_rt_emu_access(4096, 1, kWrite);
      },
      "data race in launch 7: threads 0 and 1 both access the element at "
      "0x1000");
}

TEST(EmulatedGPUDeathTest, AReadOfAnotherThreadsWriteIsARace) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        gps_rt_emu_launch(3);
        gps_rt_emu_access(4096, 2, kWrite);
        gps_rt_emu_access(4096, 5, kRead);
      },
      "data race in launch 3: threads 2 and 5");
}

TEST(EmulatedGPUDeathTest, AWriteAfterAnotherThreadsReadIsARace) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        gps_rt_emu_launch(3);
        gps_rt_emu_access(4096, 2, kRead);
        gps_rt_emu_access(4096, 5, kWrite);
      },
      "data race in launch 3: threads 2 and 5");
  // Also when the writer was one of several readers.
  EXPECT_DEATH(
      {
        gps_rt_emu_launch(4);
        gps_rt_emu_access(4096, 5, kRead);
        gps_rt_emu_access(4096, 2, kRead);
        gps_rt_emu_access(4096, 5, kWrite);
      },
      "data race in launch 4: threads 2 and 5");
}

TEST(EmulatedGPUDeathTest, AFailedBoundsCheckPrintsItsMessage) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const char *message = "out-of-bounds access\nLocation: model.gps:8:24";
  EXPECT_DEATH(
      gps_rt_emu_fail(12,
                      static_cast<int64_t>(reinterpret_cast<intptr_t>(message)),
                      static_cast<int64_t>(std::strlen(message))),
      "launch 12: out-of-bounds access\nLocation: model.gps:8:24");
}

} // namespace
