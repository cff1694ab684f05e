//===- Main.cpp - main of a compiled model's trainer ------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// The only file that names the model's symbols (Interface.h). The optional
// entry points (eval_primary, sample, sample_steps, log_weights) are weak
// references: null when the model does not define them. So are the GPU
// half's (gps_model_cuda_*), which a trainer compiled with --target=cuda
// holds besides the CPU half (`--device`).
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
__attribute__((weak)) void
_mlir_ciface_gps_model_grad_sumsq(gps_memref<float, 1> *grads,
                                  gps_memref<double, 1> *out);
__attribute__((weak)) void _mlir_ciface_gps_model_adam(
    gps_memref<float, 1> *params, gps_memref<float, 1> *grads,
    gps_memref<float, 1> *m, gps_memref<float, 1> *v,
    gps_memref<float, 1> *coefficients, gps_memref<double, 1> *sums,
    gps_memref<float, 1> *terms, double clip);
__attribute__((weak)) void _mlir_ciface_gps_model_cuda_grad_sumsq(
    gps_memref<float, 1> *grads, gps_memref<double, 1> *out);
__attribute__((weak)) void _mlir_ciface_gps_model_cuda_adam(
    gps_memref<float, 1> *params, gps_memref<float, 1> *grads,
    gps_memref<float, 1> *m, gps_memref<float, 1> *v,
    gps_memref<float, 1> *coefficients, gps_memref<double, 1> *sums,
    gps_memref<float, 1> *terms, double clip);
__attribute__((weak)) void _mlir_ciface_gps_model_sample_steps(
    gps_memref<float, 2> *x, gps_memref<float, 2> *mask,
    gps_memref<float, 1> *params, gps_memref<float, 2> *out, uint64_t key,
    uint64_t stream);
// The GPU half, under Contract.h's kCudaEntryPrefix.
#define GPS_CUDA_ENTRY(NAME, OUT, RANK)                                        \
  __attribute__((weak)) void _mlir_ciface_gps_model_cuda_##NAME(               \
      gps_memref<float, 2> *x, gps_memref<float, 2> *mask,                     \
      gps_memref<float, 1> *params, gps_memref<float, RANK> *OUT,              \
      uint64_t key, uint64_t stream);
GPS_CUDA_ENTRY(eval, terms, 1)
GPS_CUDA_ENTRY(eval_primary, terms, 1)
GPS_CUDA_ENTRY(log_weights, out, 1)
GPS_CUDA_ENTRY(sample, out, 2)
GPS_CUDA_ENTRY(sample_steps, out, 2)
#undef GPS_CUDA_ENTRY
// The CUDA runtime's check for a GPU (runtime/cuda/, linked with the GPU half).
__attribute__((weak)) const char *gps_rt_cuda_device_error();
__attribute__((weak)) void *gps_rt_cuda_alloc_shared(size_t bytes);
__attribute__((weak)) void gps_rt_cuda_free_shared(void *pointer);
__attribute__((weak)) void gps_rt_cuda_prefetch_shared(const void *pointer,
                                                       size_t bytes);
__attribute__((weak)) void _mlir_ciface_gps_model_gather(
    gps_memref<uint8_t, 2> *bytes, gps_memref<float, 1> *values,
    gps_memref<int64_t, 1> *rows, gps_memref<float, 2> *out);
__attribute__((weak)) void _mlir_ciface_gps_model_cuda_gather(
    gps_memref<uint8_t, 2> *bytes, gps_memref<float, 1> *values,
    gps_memref<int64_t, 1> *rows, gps_memref<float, 2> *out);
__attribute__((weak)) void
_mlir_ciface_gps_model_masks(gps_memref<float, 2> *out,
                             gps_memref<int64_t, 2> *corners, uint64_t key,
                             uint64_t stream);
__attribute__((weak)) void
_mlir_ciface_gps_model_cuda_masks(gps_memref<float, 2> *out,
                                  gps_memref<int64_t, 2> *corners, uint64_t key,
                                  uint64_t stream);
__attribute__((weak)) void gps_rt_cuda_step_begin(uint64_t signature);
__attribute__((weak)) void gps_rt_cuda_step_end();
__attribute__((weak)) void _mlir_ciface_gps_model_cuda_train(
    gps_memref<float, 2> *x, gps_memref<float, 2> *mask,
    gps_memref<float, 1> *params, gps_memref<float, 1> *grads,
    gps_memref<float, 1> *terms, uint64_t key, uint64_t stream);
}

// The entry points of one half: gps_model_<PREFIX><name>.
#define GPS_SET_ENTRY_POINTS(HALF, PREFIX)                                     \
  HALF.manifest = gps_model_manifest;                                          \
  HALF.train = _mlir_ciface_gps_model_##PREFIX##train;                         \
  HALF.eval = _mlir_ciface_gps_model_##PREFIX##eval;                           \
  HALF.evalPrimary = _mlir_ciface_gps_model_##PREFIX##eval_primary;            \
  HALF.sample = _mlir_ciface_gps_model_##PREFIX##sample;                       \
  HALF.sampleSteps = _mlir_ciface_gps_model_##PREFIX##sample_steps;            \
  HALF.logWeights = _mlir_ciface_gps_model_##PREFIX##log_weights;              \
  HALF.gradSumsq = _mlir_ciface_gps_model_##PREFIX##grad_sumsq;                \
  HALF.adam = _mlir_ciface_gps_model_##PREFIX##adam;                           \
  HALF.gather = _mlir_ciface_gps_model_##PREFIX##gather;                       \
  HALF.masks = _mlir_ciface_gps_model_##PREFIX##masks

int main(int argc, char **argv) {
  gps_model_check_abi();
  gps::rt::ModelEntryPoints model;
  GPS_SET_ENTRY_POINTS(model, );
  gps::rt::ModelEntryPoints cuda;
  GPS_SET_ENTRY_POINTS(cuda, cuda_);
  cuda.unavailable = gps_rt_cuda_device_error;
  cuda.stepBegin = gps_rt_cuda_step_begin;
  cuda.stepEnd = gps_rt_cuda_step_end;
  gps::rt::SharedMemory shared;
  shared.allocate = gps_rt_cuda_alloc_shared;
  shared.release = gps_rt_cuda_free_shared;
  shared.prefetch = gps_rt_cuda_prefetch_shared;
  if (shared.allocate && shared.release)
    cuda.sharedMemory = &shared;
  // The GPU half uses its arguments in place: without shared memory to put
  // them in it cannot run.
  if (cuda.train && cuda.sharedMemory)
    model.cuda = &cuda;
  return gps::rt::trainerMain(argc, argv, model);
}
