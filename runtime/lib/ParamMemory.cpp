//===- ParamMemory.cpp - where the parameter-sized buffers live -*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/ParamMemory.h"

#include <atomic>
#include <cstdint>
#include <cstdlib>

using namespace gps::rt;

namespace {
/// Each buffer is preceded by this header (padded to the alignment): the
/// function that releases the whole block, null for the heap.
struct Header {
  void (*release)(void *);
};
constexpr size_t kAlignment = 64;
static_assert(sizeof(Header) <= kAlignment, "the header fits its padding");

std::atomic<const SharedMemory *> current{nullptr};
} // namespace

void gps::rt::setParamMemory(const SharedMemory *memory) {
  current.store(memory);
}

void *gps::rt::allocateParamBytes(size_t bytes) {
  if (bytes > SIZE_MAX - 2 * kAlignment)
    return nullptr;
  size_t total = (bytes + kAlignment + kAlignment - 1) / kAlignment * kAlignment;
  const SharedMemory *memory = current.load();
  void *block = memory ? memory->allocate(total)
                       : std::aligned_alloc(kAlignment, total);
  if (!block)
    return nullptr;
  static_cast<Header *>(block)->release = memory ? memory->release : nullptr;
  return static_cast<char *>(block) + kAlignment;
}

void gps::rt::releaseParamBytes(void *pointer) {
  if (!pointer)
    return;
  void *block = static_cast<char *>(pointer) - kAlignment;
  void (*release)(void *) = static_cast<Header *>(block)->release;
  if (release)
    release(block);
  else
    std::free(block);
}
