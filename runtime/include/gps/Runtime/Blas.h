//===- Blas.h - BLAS settings for the trainer -------------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// The GEMMs of generated code go through _mlir_ciface_gps_rt_sgemm
// (Interface.h) to OpenBLAS. This header holds what the trainer itself sets.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_RUNTIME_BLAS_H
#define GPS_RUNTIME_BLAS_H

namespace gps::rt {

/// Sets the number of threads OpenBLAS uses (openblas_set_num_threads).
void setBlasThreads(int numThreads);

/// The number of threads OpenBLAS currently uses.
int getBlasThreads();

} // namespace gps::rt

#endif // GPS_RUNTIME_BLAS_H
