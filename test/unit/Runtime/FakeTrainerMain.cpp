//===- FakeTrainerMain.cpp - the fake model as a trainer executable -------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// Defines the symbols of a compiled model (Interface.h) from the fake model,
// except the optional eval_primary and sample, and links GPSTrainerMain: a
// trainer executable as gpsc would build it.
//
//===----------------------------------------------------------------------===//

#include "FakeModel.h"

#include <fcntl.h>
#include <stdio.h>

#include <csignal>
#include <cstdlib>
#include <cstring>

using namespace gps::rt::test;

extern "C" void gps_model_check_abi(void) {
  gps_rt_check_abi(GPS_RUNTIME_API_VERSION, GPS_RUNTIME_MAGIC);
}

extern "C" const char *gps_model_manifest(void) {
  static const bool initialised = (fakeModel(fakeManifest("fake-exe")), true);
  (void)initialised;
  return fakeModelManifest();
}

extern "C" void _mlir_ciface_gps_model_train(gps_memref<float, 2> *x,
                                             gps_memref<float, 2> *mask,
                                             gps_memref<float, 1> *params,
                                             gps_memref<float, 1> *grads,
                                             gps_memref<float, 1> *terms,
                                             uint64_t key, uint64_t stream) {
  fakeModelTrain(x, mask, params, grads, terms, key, stream);
}

extern "C" void _mlir_ciface_gps_model_eval(gps_memref<float, 2> *x,
                                            gps_memref<float, 2> *mask,
                                            gps_memref<float, 1> *params,
                                            gps_memref<float, 1> *terms,
                                            uint64_t key, uint64_t stream) {
  fakeModelEval(x, mask, params, terms, key, stream);
}

//===----------------------------------------------------------------------===//
// Crash injection
//===----------------------------------------------------------------------===//
//
// GPS_FAKE_KILL_AT_RENAME=N kills the process (SIGKILL) at the N-th rename
// onto a file named last.safetensors: the new checkpoint is written and
// synced under its temporary name, the old one is still in place. The
// trainer's writers call rename(), so this definition takes the place of
// libc's in this executable only; compiled trainers have no such hook.

extern "C" int rename(const char *from, const char *to) {
  static long count = 0;
  const char *target = "last.safetensors";
  size_t length = std::strlen(to), targetLength = std::strlen(target);
  if (const char *at = std::getenv("GPS_FAKE_KILL_AT_RENAME"))
    if (length >= targetLength &&
        std::strcmp(to + length - targetLength, target) == 0 &&
        ++count == std::atol(at))
      std::raise(SIGKILL);
  return ::renameat(AT_FDCWD, from, AT_FDCWD, to);
}
