//===- IdxFuzzer.cpp - the IDX / IDX.gz loader ----------------------------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// libFuzzer target for runtime/lib/Idx.cpp. The first byte chooses the mode:
//   bit 0      gzip the rest before reading it, so that fuzzed IDX content
//              also reaches the reader through a valid gzip stream (raw
//              inputs that start with the gzip magic test corrupt streams);
//   bits 1-2   readIdx, readIdxImages (any size), readIdxImages(28, 28) or
//              readIdxLabels(10).
// An array that reads must be consistent (dims against bytes) and survive a
// round trip through writeIdx, plain and gzipped.
//
//===----------------------------------------------------------------------===//

#include "FuzzFile.h"

#include "gps/Runtime/Idx.h"

#include <zlib.h>

#include <vector>

using namespace gps;

static const char *const kTarget = "gps-idx-fuzzer";

static void roundTrip(const rt::IdxArray &array, const char *suffix) {
  std::string path = fuzz::scratchPath(suffix);
  if (rt::Error err = rt::writeIdx(path, array))
    fuzz::finding(kTarget, "writeIdx refused an array it read: " +
                               err.message());
  rt::IdxArray back;
  if (rt::Error err = rt::readIdx(path, back))
    fuzz::finding(kTarget, "readIdx refused what writeIdx wrote: " +
                               err.message());
  std::remove(path.c_str());
  if (back.dims != array.dims || back.data != array.data)
    fuzz::finding(kTarget, "the round trip changed the array");
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  unsigned mode = data[0];
  std::vector<uint8_t> bytes(data + 1, data + size);
  if (mode & 1) {
    uLongf length = compressBound(bytes.size()) + 32;
    std::vector<uint8_t> packed(length);
    z_stream stream{};
    // 16 + MAX_WBITS: a gzip wrapper, as gzip(1) writes.
    if (deflateInit2(&stream, Z_BEST_SPEED, Z_DEFLATED, 16 + MAX_WBITS, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK)
      return 0;
    stream.next_in = bytes.data();
    stream.avail_in = static_cast<uInt>(bytes.size());
    stream.next_out = packed.data();
    stream.avail_out = static_cast<uInt>(packed.size());
    int ret = deflate(&stream, Z_FINISH);
    deflateEnd(&stream);
    if (ret != Z_STREAM_END)
      return 0;
    packed.resize(stream.total_out);
    bytes.swap(packed);
  }
  std::string path = fuzz::writeInput(bytes.data(), bytes.size());

  rt::IdxArray array;
  rt::Error err;
  switch ((mode >> 1) & 3) {
  case 0:
    err = rt::readIdx(path, array);
    break;
  case 1:
    err = rt::readIdxImages(path, array);
    break;
  case 2:
    err = rt::readIdxImages(path, array, 28, 28);
    break;
  default:
    err = rt::readIdxLabels(path, array, 10);
    break;
  }
  if (err) {
    if (err.message().empty())
      fuzz::finding(kTarget, "a failure without a message");
    return 0;
  }
  if (array.numElements() != array.data.size())
    fuzz::finding(kTarget, "dims do not match the bytes read");
  std::vector<float> floats = rt::idxToUnitFloats(array);
  for (float f : floats)
    if (!(f >= 0.0f && f <= 1.0f))
      fuzz::finding(kTarget, "a pixel outside [0, 1]");
  roundTrip(array, ".idx");
  roundTrip(array, ".idx.gz");
  return 0;
}
