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
