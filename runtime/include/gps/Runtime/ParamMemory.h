//===- ParamMemory.h - where the parameter-sized buffers live ---*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// The trainer's parameter-sized buffers (the parameters, the gradient and
// the Adam moments) are ParamVectors: on the heap, or, once a command has
// chosen the GPU half of a trainer, in memory the host and the GPU share
// (CUDA managed memory), so that they stay on the GPU across steps and the
// host's rare reads (a checkpoint) still see the current values. Each
// buffer remembers what allocated it, so one allocated before the switch is
// released where it came from.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_RUNTIME_PARAMMEMORY_H
#define GPS_RUNTIME_PARAMMEMORY_H

#include <cstddef>
#include <new>
#include <vector>

namespace gps::rt {

/// An allocator of memory the host and a device share: `allocate` returns
/// memory aligned to 64 bytes (CUDA's managed memory is aligned to 256),
/// or null when it cannot; it is asked for multiples of 64 bytes.
struct SharedMemory {
  void *(*allocate)(size_t bytes) = nullptr;
  void (*release)(void *pointer) = nullptr;
};

/// Routes the later ParamVector allocations to `memory` (null: the heap).
void setParamMemory(const SharedMemory *memory);

/// `bytes` for a ParamVector, aligned to 64 bytes; null when out of memory.
void *allocateParamBytes(size_t bytes);
/// Releases what allocateParamBytes returned (null does nothing).
void releaseParamBytes(void *pointer);

/// The std::allocator of ParamVector (stateless: every instance is equal).
template <typename T> struct ParamAllocator {
  using value_type = T;
  ParamAllocator() = default;
  template <typename U> ParamAllocator(const ParamAllocator<U> &) {}
  T *allocate(size_t n) {
    if (n > size_t(-1) / sizeof(T))
      throw std::bad_array_new_length();
    void *pointer = allocateParamBytes(n * sizeof(T));
    if (!pointer)
      throw std::bad_alloc();
    return static_cast<T *>(pointer);
  }
  void deallocate(T *pointer, size_t) { releaseParamBytes(pointer); }
  template <typename U> bool operator==(const ParamAllocator<U> &) const {
    return true;
  }
  template <typename U> bool operator!=(const ParamAllocator<U> &) const {
    return false;
  }
};

/// A parameter-sized float buffer.
using ParamVector = std::vector<float, ParamAllocator<float>>;

} // namespace gps::rt

#endif // GPS_RUNTIME_PARAMMEMORY_H
