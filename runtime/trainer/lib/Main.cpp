//===- Main.cpp - main of a compiled model's trainer ------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// The only file that names the model's symbols (Interface.h). The optional
// entry points (eval_primary, sample, sample_steps, log_weights) are weak
// references: null when the model does not define them.
//
//===----------------------------------------------------------------------===//

#include "gps/Trainer/Trainer.h"

extern "C" {
__attribute__((weak)) void _mlir_ciface_gps_model_eval_primary(
    gps_memref<float, 2> *x, gps_memref<float, 2> *mask,
    gps_memref<float, 1> *params, gps_memref<float, 1> *terms, uint64_t key,
    uint64_t stream);
__attribute__((weak)) void _mlir_ciface_gps_model_log_weights(
    gps_memref<float, 2> *x, gps_memref<float, 2> *mask,
    gps_memref<float, 1> *params, gps_memref<float, 1> *out, uint64_t key,
    uint64_t stream);
__attribute__((weak)) void _mlir_ciface_gps_model_sample(
    gps_memref<float, 2> *x, gps_memref<float, 2> *mask,
    gps_memref<float, 1> *params, gps_memref<float, 2> *out, uint64_t key,
    uint64_t stream);
__attribute__((weak)) void _mlir_ciface_gps_model_sample_steps(
    gps_memref<float, 2> *x, gps_memref<float, 2> *mask,
    gps_memref<float, 1> *params, gps_memref<float, 2> *out, uint64_t key,
    uint64_t stream);
}

int main(int argc, char **argv) {
  gps_model_check_abi();
  gps::rt::ModelEntryPoints model;
  model.manifest = gps_model_manifest;
  model.train = _mlir_ciface_gps_model_train;
  model.eval = _mlir_ciface_gps_model_eval;
  model.evalPrimary = _mlir_ciface_gps_model_eval_primary;
  model.sample = _mlir_ciface_gps_model_sample;
  model.sampleSteps = _mlir_ciface_gps_model_sample_steps;
  model.logWeights = _mlir_ciface_gps_model_log_weights;
  return gps::rt::trainerMain(argc, argv, model);
}
