//===- Interface.cpp - ABI check of the gps runtime -------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/Interface.h"

#include <cstdio>
#include <cstdlib>

extern "C" void gps_rt_check_abi(uint32_t version, uint32_t magic) {
  if (magic != GPS_RUNTIME_MAGIC) {
    std::fprintf(stderr,
                 "gps runtime: ABI mismatch: magic 0x%08x does not match the "
                 "runtime's 0x%08x (not a gps runtime, or corrupt caller)\n",
                 static_cast<unsigned>(magic),
                 static_cast<unsigned>(GPS_RUNTIME_MAGIC));
    std::abort();
  }
  if (version != GPS_RUNTIME_API_VERSION) {
    std::fprintf(stderr,
                 "gps runtime: ABI mismatch: generated code expects runtime "
                 "API version %u but this runtime provides version %u; "
                 "rebuild the trainer against this runtime\n",
                 static_cast<unsigned>(version),
                 static_cast<unsigned>(GPS_RUNTIME_API_VERSION));
    std::abort();
  }
}

extern "C" uint32_t gps_rt_api_version(void) { return GPS_RUNTIME_API_VERSION; }
