//===- EmulatedGPU.cpp - the race check of the GPU emulation ----*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// gps-emulate-gpu runs a launch's threads one after another on the host, so
// a kernel whose threads conflict (two writing one element, or one reading
// what another writes) still computes some answer there, while on a GPU it
// computes whichever answer the scheduling gives. Each access of an emulated
// kernel reports itself here; an element two threads of one launch touch,
// at least one of them writing, stops the run.
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/Interface.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <unordered_map>

namespace {

/// Who touched one element during the current launch.
struct Touch {
  int64_t writer = -1;
  /// The first two threads that read it.
  int64_t reader = -1, otherReader = -1;
};

/// The current launch of the calling thread (entry points may run on
/// several host threads).
struct Launch {
  int64_t number = -1;
  std::unordered_map<int64_t, Touch> touched;
};

thread_local Launch current;

[[noreturn]] void race(int64_t address, int64_t first, int64_t second) {
  std::fprintf(stderr,
               "gps: emulated GPU: a data race in launch %" PRId64
               ": threads %" PRId64 " and %" PRId64
               " both access the element at 0x%" PRIx64 ", one writing\n",
               current.number, first, second, static_cast<uint64_t>(address));
  std::abort();
}

} // namespace

extern "C" void gps_rt_emu_launch(int64_t launch) {
  current.number = launch;
  current.touched.clear();
}

extern "C" void gps_rt_emu_access(int64_t address, int64_t thread,
                                  int32_t write) {
  Touch &touch = current.touched[address];
  if (touch.writer >= 0 && touch.writer != thread)
    race(address, touch.writer, thread);
  if (write) {
    for (int64_t reader : {touch.reader, touch.otherReader})
      if (reader >= 0 && reader != thread)
        race(address, reader, thread);
    touch.writer = thread;
  } else if (touch.reader < 0) {
    touch.reader = thread;
  } else if (touch.reader != thread && touch.otherReader < 0) {
    touch.otherReader = thread;
  }
}

extern "C" void gps_rt_emu_fail(int64_t launch, int64_t message,
                                int64_t length) {
  const char *text =
      reinterpret_cast<const char *>(static_cast<intptr_t>(message));
  if (launch < 0)
    std::fprintf(stderr, "gps: emulated GPU: host code: %.*s\n",
                 static_cast<int>(length), text);
  else
    std::fprintf(stderr, "gps: emulated GPU: launch %" PRId64 ": %.*s\n",
                 launch, static_cast<int>(length), text);
  std::abort();
}
