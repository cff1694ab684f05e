//===- ParamMemory.cpp - where the buffers of the entry points live -------===//
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
/// functions that release the whole block and prefetch it, null for the
/// heap.
struct Header {
  void (*release)(void *);
  void (*prefetch)(const void *, size_t);
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
  auto *header = static_cast<Header *>(block);
  header->release = memory ? memory->release : nullptr;
  header->prefetch = memory ? memory->prefetch : nullptr;
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

void gps::rt::prefetchParamBytes(const void *pointer, size_t bytes) {
  if (!pointer || bytes == 0)
    return;
  const void *block = static_cast<const char *>(pointer) - kAlignment;
  if (auto prefetch = static_cast<const Header *>(block)->prefetch)
    prefetch(pointer, bytes);
}
