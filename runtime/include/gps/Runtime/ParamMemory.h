//===- ParamMemory.h - where the buffers of entry points live ---*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// Every buffer the trainer hands to the model's entry points is a
// SharedVector: the parameter-sized ones (the parameters, the gradient and
// the Adam moments: ParamVectors) and the others (a batch, its masks, the
// terms, an output). They live on the heap, or, once a command has chosen
// the GPU half of a trainer, in memory the host and the GPU share (CUDA
// managed memory). The GPU half's entry points use their arguments in
// place (Interface.h), so the parameter-sized buffers stay on the GPU
// across steps and the host's rare reads (a checkpoint) still see the
// current values; what the host writes each step (a batch) it hands to the
// GPU with prefetchToDevice. Each buffer remembers what allocated it, so
// one allocated before the switch is released where it came from.
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
  /// Optional: moves [pointer, pointer + bytes), which the host has just
  /// written, to the device ahead of the next entry point that reads it
  /// (in the order of the device's work), instead of page by page as the
  /// device faults on it.
  void (*prefetch)(const void *pointer, size_t bytes) = nullptr;
};

/// Routes the later ParamVector allocations to `memory` (null: the heap).
void setParamMemory(const SharedMemory *memory);

/// `bytes` for a ParamVector, aligned to 64 bytes; null when out of memory.
void *allocateParamBytes(size_t bytes);
/// Releases what allocateParamBytes returned (null does nothing).
void releaseParamBytes(void *pointer);
/// Hands the first `bytes` of the buffer `pointer` (what allocateParamBytes
/// returned) to the device, through the prefetch of the memory that
/// allocated it; nothing for the heap, null or no bytes.
void prefetchParamBytes(const void *pointer, size_t bytes);

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

/// A buffer of the entry points (see above).
template <typename T> using SharedVector = std::vector<T, ParamAllocator<T>>;
/// A parameter-sized float buffer.
using ParamVector = SharedVector<float>;

/// prefetchParamBytes of all of `buffer`, after the host has written it.
template <typename T> void prefetchToDevice(const SharedVector<T> &buffer) {
  prefetchParamBytes(buffer.data(), buffer.size() * sizeof(T));
}

} // namespace gps::rt

#endif // GPS_RUNTIME_PARAMMEMORY_H
