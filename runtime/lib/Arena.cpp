//===- Arena.cpp - the bump allocator behind generated buffers --*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// Generated code allocates every buffer through the memref lowering's generic
// allocation functions, and no buffer outlives one call into the model, so
// they come from an arena: a list of large chunks with a bump pointer. An
// allocation that does not fit the current chunk opens a new chunk (at least
// twice the previous one), so existing buffers never move. A freed buffer
// goes on a free list of its size and alignment, and the next allocation of
// that size takes it back: a step loop whose temporaries are freed at the
// end of each step (generated code deallocates every buffer after its last
// use) reuses the same blocks at every step. The trainer resets the whole
// arena after each call. A reset that finds several chunks replaces them by
// one chunk as large as all of them together, so from the second call on a
// model runs out of one chunk.
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/Interface.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

/// Every buffer is aligned to at least this (a cache line, and enough for
/// any vector load).
static constexpr size_t kMinAlignment = 64;
/// Chunks are allocated with page alignment and a page-multiple size.
static constexpr size_t kPageSize = 4096;
/// The size of the first chunk.
static constexpr size_t kFirstChunkSize = size_t(16) << 20;
/// Chunk growth stops doubling at this size; larger requests still get a
/// chunk of their own size.
static constexpr size_t kMaxGrowthChunkSize = size_t(1) << 30;

namespace {

struct Chunk {
  char *base;
  size_t capacity;
  size_t used;
};

/// The process-wide arena. A mutex makes it safe to call from any thread;
/// the trainer uses it from one.
class Arena {
public:
  ~Arena() {
    for (Chunk &chunk : chunks)
      std::free(chunk.base);
  }

  void *allocate(size_t alignment, size_t size);
  /// Puts a block that allocate() returned back for reuse; null or unknown
  /// pointers are ignored.
  void release(void *ptr);
  void reset();
  size_t used() {
    std::lock_guard<std::mutex> lock(mutex);
    return usedBytes;
  }
  size_t peak() {
    std::lock_guard<std::mutex> lock(mutex);
    return peakBytes;
  }

private:
  /// Adds a chunk of at least `bytes` (rounded up to pages); exits with
  /// status 1 when the system has no memory left.
  void addChunk(size_t bytes);

  /// Bump-allocates from the chunks; the caller holds the lock.
  void *bump(size_t align, size_t size);

  std::mutex mutex;
  std::vector<Chunk> chunks;
  /// Size and alignment of each block handed out and not yet freed.
  std::unordered_map<void *, std::pair<size_t, size_t>> live;
  /// Freed blocks by (size, alignment).
  std::map<std::pair<size_t, size_t>, std::vector<void *>> freeBlocks;
  /// Bytes handed out since the last reset, alignment padding included.
  size_t usedBytes = 0;
  size_t peakBytes = 0;
};

} // namespace

/// Called from generated code, which cannot take an error back: reports
/// the request and ends the process with status 1 (a runtime error, as the
/// trainer's other failures), not with an abort and a core dump.
[[noreturn]] static void outOfMemory(size_t size) {
  std::fflush(stdout);
  std::fprintf(stderr,
               "gps runtime: error: cannot allocate a buffer of the model "
               "(%zu bytes, %.1f MiB): out of memory\n",
               size, double(size) / double(1 << 20));
  std::fflush(stderr);
  std::_Exit(1);
}

/// `value` rounded up to a multiple of `multiple` (a power of two), or 0 on
/// overflow.
static size_t roundUp(size_t value, size_t multiple) {
  if (value > SIZE_MAX - (multiple - 1))
    return 0;
  return (value + multiple - 1) & ~(multiple - 1);
}

void Arena::addChunk(size_t bytes) {
  size_t capacity = roundUp(bytes, kPageSize);
  if (capacity == 0)
    outOfMemory(bytes);
  void *base = std::aligned_alloc(kPageSize, capacity);
  if (!base)
    outOfMemory(bytes);
  chunks.push_back({static_cast<char *>(base), capacity, 0});
}

void *Arena::allocate(size_t alignment, size_t size) {
  // Round odd alignments up to a power of two, and to at least 64.
  size_t align = kMinAlignment;
  while (align < alignment) {
    if (align > SIZE_MAX / 2)
      outOfMemory(size);
    align *= 2;
  }
  std::lock_guard<std::mutex> lock(mutex);
  std::pair<size_t, size_t> kind{size, align};
  auto reusable = freeBlocks.find(kind);
  void *block;
  if (reusable != freeBlocks.end() && !reusable->second.empty()) {
    block = reusable->second.back();
    reusable->second.pop_back();
  } else {
    block = bump(align, size);
  }
  live[block] = kind;
  usedBytes += size;
  peakBytes = std::max(peakBytes, usedBytes);
  return block;
}

void Arena::release(void *ptr) {
  if (!ptr)
    return;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = live.find(ptr);
  if (it == live.end())
    return;
  usedBytes -= it->second.first;
  freeBlocks[it->second].push_back(ptr);
  live.erase(it);
}

void *Arena::bump(size_t align, size_t size) {
  if (!chunks.empty()) {
    Chunk &chunk = chunks.back();
    auto address = reinterpret_cast<uintptr_t>(chunk.base) + chunk.used;
    size_t padding = (align - address % align) % align;
    if (padding <= chunk.capacity - chunk.used &&
        size <= chunk.capacity - chunk.used - padding) {
      chunk.used += padding + size;
      return chunk.base + chunk.used - size;
    }
  }
  // A fresh chunk is page aligned; alignments beyond a page need slack.
  size_t needed = size + (align > kPageSize ? align : 0);
  if (needed < size)
    outOfMemory(size);
  size_t grown = chunks.empty() ? kFirstChunkSize
                                : std::min(2 * chunks.back().capacity,
                                           kMaxGrowthChunkSize);
  addChunk(std::max(needed, grown));
  Chunk &chunk = chunks.back();
  auto address = reinterpret_cast<uintptr_t>(chunk.base);
  size_t padding = (align - address % align) % align;
  chunk.used = padding + size;
  return chunk.base + padding;
}

void Arena::reset() {
  std::lock_guard<std::mutex> lock(mutex);
  usedBytes = 0;
  live.clear();
  freeBlocks.clear();
  if (chunks.size() > 1) {
    // Coalesce: the next call needs about as much as this one did.
    size_t total = 0;
    for (Chunk &chunk : chunks) {
      total += chunk.capacity;
      std::free(chunk.base);
    }
    chunks.clear();
    addChunk(total);
  }
  for (Chunk &chunk : chunks)
    chunk.used = 0;
}

static Arena &arena() {
  // Never destroyed: generated code may still run from other static
  // destructors.
  static Arena *instance = new Arena();
  return *instance;
}

//===----------------------------------------------------------------------===//
// C ABI
//===----------------------------------------------------------------------===//

extern "C" void *_mlir_memref_to_llvm_alloc(size_t size) {
  return arena().allocate(kMinAlignment, size);
}

extern "C" void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment,
                                                    size_t size) {
  return arena().allocate(alignment, size);
}

extern "C" void _mlir_memref_to_llvm_free(void *ptr) { arena().release(ptr); }

extern "C" void gps_rt_arena_reset(void) { arena().reset(); }

extern "C" size_t gps_rt_arena_used(void) { return arena().used(); }

extern "C" size_t gps_rt_arena_peak(void) { return arena().peak(); }
