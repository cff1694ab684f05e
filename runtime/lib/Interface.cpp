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
                 "error: ABI mismatch: magic 0x%08x does not match the "
                 "runtime's 0x%08x (not a gps runtime, or corrupt caller)\n",
                 static_cast<unsigned>(magic),
                 static_cast<unsigned>(GPS_RUNTIME_MAGIC));
    std::exit(1);
  }
  if (version != GPS_RUNTIME_API_VERSION) {
    std::fprintf(stderr,
                 "error: ABI mismatch: the model was compiled for runtime "
                 "API version %u but this runtime provides version %u; "
                 "compile the model again with this gpsc\n",
                 static_cast<unsigned>(version),
                 static_cast<unsigned>(GPS_RUNTIME_API_VERSION));
    std::exit(1);
  }
}

extern "C" uint32_t gps_rt_api_version(void) { return GPS_RUNTIME_API_VERSION; }
