//===- Safetensors.h - safetensors checkpoints ------------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// Reader and writer for the safetensors format
// (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length N, N bytes of JSON mapping each tensor name to
// {"dtype", "shape", "data_offsets": [begin, end]} plus an optional
// "__metadata__" map of strings, then the raw little-endian tensor bytes.
// Files are written atomically and validated fully when read.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_RUNTIME_SAFETENSORS_H
#define GPS_RUNTIME_SAFETENSORS_H

#include "gps/Runtime/Error.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace gps::rt {

/// Element types a checkpoint may hold.
enum class DType { F32, I64, U32, U8 };

/// The safetensors name of `dtype` ("F32", ...).
const char *dtypeName(DType dtype);
/// The size of one element of `dtype` in bytes.
size_t dtypeSize(DType dtype);

/// A tensor to write: metadata plus a pointer to its bytes, which must hold
/// dtypeSize(dtype) * product(shape) bytes in row-major order.
struct TensorRef {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const void *data = nullptr;
};

/// A tensor read from a file, owning its bytes.
struct Tensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;

  int64_t numElements() const;
  /// The elements as floats; only valid for DType::F32.
  std::vector<float> toFloats() const;
};

/// The contents of a safetensors file. Tensors are in file order.
struct SafetensorsFile {
  std::vector<Tensor> tensors;
  std::map<std::string, std::string> metadata;

  /// The tensor called `name`, or null.
  const Tensor *find(const std::string &name) const;
};

/// Writes `tensors` (in the given order) and `metadata` to `path` with
/// writeFileAtomic (AtomicFile.h), whose failures it returns as they are;
/// a bad tensor or metadata fails, naming `path`, before anything is
/// written. Names must be unique, non-empty, valid UTF-8 and not
/// "__metadata__".
Error writeSafetensors(const std::string &path,
                       const std::vector<TensorRef> &tensors,
                       const std::map<std::string, std::string> &metadata = {});

/// Reads and validates a safetensors file: header length within the file and
/// at most 100 MB, well-formed JSON, known dtypes, non-negative shapes, data
/// offsets in range, each tensor's byte count equal to dtype size times its
/// element count, and tensors tiling the data section exactly. Any failure
/// names `path`. `out` is only modified on success.
Error readSafetensors(const std::string &path, SafetensorsFile &out);

} // namespace gps::rt

#endif // GPS_RUNTIME_SAFETENSORS_H
