//===- Parallel.cpp - the runtime's worker threads --------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// Workers sleep on a condition variable between jobs. A job hands out its
// tasks through an atomic counter; the caller runs tasks too and then waits
// for the workers still running one. Jobs are a few milliseconds (an Adam
// update of a million parameters), so a wake-up costs little beside them
// and nothing spins while the GEMM library's threads work.
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/Parallel.h"
#include "gps/Runtime/Blas.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace {

class Pool {
public:
  int size() {
    std::lock_guard<std::mutex> lock(mutex);
    return numThreads;
  }

  /// Stops the workers and starts numThreads - 1 new ones.
  void resize(int newThreads) {
    newThreads = std::max(newThreads, 1);
    std::unique_lock<std::mutex> lock(mutex);
    if (newThreads == numThreads && workers.size() + 1 == size_t(numThreads))
      return;
    stopping = true;
    wake.notify_all();
    lock.unlock();
    for (std::thread &worker : workers)
      worker.join();
    lock.lock();
    workers.clear();
    stopping = false;
    numThreads = newThreads;
    // A worker starts from the current job generation, so that a job posted
    // before it first takes the lock is not missed.
    for (int i = 1; i < numThreads; ++i)
      workers.emplace_back([this, seen = generation] { work(seen); });
  }

  void run(size_t numTasks, void (*task)(void *, size_t), void *context) {
    if (numTasks == 0)
      return;
    std::unique_lock<std::mutex> lock(mutex);
    if (workers.empty() || numTasks == 1) {
      lock.unlock();
      for (size_t i = 0; i < numTasks; ++i)
        task(context, i);
      return;
    }
    job = {task, context, numTasks};
    next.store(0, std::memory_order_relaxed);
    busy = workers.size();
    ++generation;
    wake.notify_all();
    lock.unlock();
    runTasks(job);
    lock.lock();
    done.wait(lock, [&] { return busy == 0; });
  }

private:
  struct Job {
    void (*task)(void *, size_t) = nullptr;
    void *context = nullptr;
    size_t numTasks = 0;
  };

  void runTasks(const Job &current) {
    for (size_t i = next.fetch_add(1, std::memory_order_relaxed);
         i < current.numTasks; i = next.fetch_add(1, std::memory_order_relaxed))
      current.task(current.context, i);
  }

  void work(uint64_t seen) {
    std::unique_lock<std::mutex> lock(mutex);
    while (true) {
      wake.wait(lock, [&] { return stopping || generation != seen; });
      if (stopping)
        return;
      seen = generation;
      Job current = job;
      lock.unlock();
      runTasks(current);
      lock.lock();
      if (--busy == 0)
        done.notify_one();
    }
  }

  std::mutex mutex;
  std::condition_variable wake, done;
  std::vector<std::thread> workers;
  int numThreads = 1;
  bool stopping = false;
  uint64_t generation = 0;
  size_t busy = 0;
  Job job;
  std::atomic<size_t> next{0};
};

Pool &pool() {
  static Pool *instance = [] {
    // Never destroyed: a static destructor joining threads at exit could
    // race with other static destructors; the threads end with the process.
    auto *p = new Pool;
    p->resize(gps::rt::getBlasThreads());
    return p;
  }();
  return *instance;
}

} // namespace

void gps::rt::setParallelThreads(int numThreads) { pool().resize(numThreads); }

int gps::rt::getParallelThreads() { return pool().size(); }

void gps::rt::parallelRun(size_t numTasks, void (*task)(void *, size_t),
                          void *context) {
  pool().run(numTasks, task, context);
}
