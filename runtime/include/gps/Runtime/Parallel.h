//===- Parallel.h - the runtime's worker threads ----------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// A fixed pool of worker threads for the runtime's elementwise work (the Adam
// update, the gradient norm). It uses as many threads as the GEMM library
// (setBlasThreads sets both), and runs while the library's threads are idle:
// the trainer's work and the model's GEMMs alternate, they never overlap.
//
// Work is split into a fixed number of contiguous parts, each part always
// given the same elements, so that a result which combines parts (a sum)
// does so in one order whatever the thread count: runs are bit-identical.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_RUNTIME_PARALLEL_H
#define GPS_RUNTIME_PARALLEL_H

#include <cstddef>

namespace gps::rt {

/// Sets the number of threads of the pool (1: everything runs on the
/// calling thread). setBlasThreads calls it; before any call the pool has
/// the GEMM library's thread count.
void setParallelThreads(int numThreads);

/// The number of threads of the pool.
int getParallelThreads();

/// Calls `task(context, i)` for every i in [0, numTasks), spread over the
/// pool's threads (the calling thread takes part), and returns when all
/// have returned. Tasks must be independent. Not reentrant: a task must not
/// call parallelRun.
void parallelRun(size_t numTasks, void (*task)(void *context, size_t index),
                 void *context);

/// parallelRun over a callable: `fn(i)` for every i in [0, numTasks).
template <typename Fn> void parallelFor(size_t numTasks, Fn &&fn) {
  parallelRun(
      numTasks,
      [](void *context, size_t index) { (*static_cast<Fn *>(context))(index); },
      &fn);
}

} // namespace gps::rt

#endif // GPS_RUNTIME_PARALLEL_H
