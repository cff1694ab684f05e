//===- MemrefCopy.cpp - memref.copy for generated code --------------------===//
//
// The LLVM lowering of `memref.copy` between buffers that are not both
// contiguous calls `memrefCopy(elemSize, src, dst)` on unranked
// descriptors. This is that function, for any rank and strides.
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/Interface.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {
using UnrankedDescriptor = gps_unranked_memref;

/// The fields of a ranked descriptor of any rank.
struct RankedView {
  char *aligned;
  int64_t offset;
  const int64_t *sizes;
  const int64_t *strides;
};

RankedView view(const UnrankedDescriptor *d, int64_t elemSize) {
  auto *words = static_cast<int64_t *>(d->descriptor);
  RankedView v;
  std::memcpy(&v.aligned, &words[1], sizeof(char *));
  v.offset = words[2] * elemSize;
  v.sizes = &words[3];
  v.strides = &words[3 + d->rank];
  return v;
}
} // namespace

extern "C" GPS_RT_EXPORT void
memrefCopy(int64_t elemSize, UnrankedDescriptor *src, UnrankedDescriptor *dst) {
  int64_t rank = src->rank;
  RankedView s = view(src, elemSize), d = view(dst, elemSize);
  if (rank == 0) {
    std::memcpy(d.aligned + d.offset, s.aligned + s.offset, elemSize);
    return;
  }
  for (int64_t i = 0; i < rank; ++i)
    if (s.sizes[i] == 0)
      return;
  // Odometer over all indices but the last; the last runs as a loop.
  int64_t index[16] = {0};
  if (rank > 16) {
    std::fprintf(stderr, "gps runtime: memrefCopy: rank %lld exceeds 16\n",
                 static_cast<long long>(rank));
    std::abort();
  }
  int64_t last = rank - 1;
  for (;;) {
    int64_t so = s.offset, dOff = d.offset;
    for (int64_t i = 0; i < last; ++i) {
      so += index[i] * s.strides[i] * elemSize;
      dOff += index[i] * d.strides[i] * elemSize;
    }
    if (s.strides[last] == 1 && d.strides[last] == 1) {
      std::memcpy(d.aligned + dOff, s.aligned + so, s.sizes[last] * elemSize);
    } else {
      for (int64_t j = 0; j < s.sizes[last]; ++j)
        std::memcpy(d.aligned + dOff + j * d.strides[last] * elemSize,
                    s.aligned + so + j * s.strides[last] * elemSize, elemSize);
    }
    int64_t i = last - 1;
    for (; i >= 0; --i) {
      if (++index[i] < s.sizes[i])
        break;
      index[i] = 0;
    }
    if (i < 0)
      return;
  }
}
