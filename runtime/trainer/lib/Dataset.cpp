//===- Dataset.cpp - the trainer's data sets and masks ----------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "TrainerImpl.h"

#include "gps/Runtime/Idx.h"
#include "gps/Runtime/Interface.h"
#include "gps/Runtime/Masks.h"

#include <cstdlib>

using namespace gps::rt;
using namespace gps::rt::impl;

void Dataset::row(uint32_t index, float *out) const {
  const uint8_t *in = bytes.data() + static_cast<size_t>(index) * dim;
  for (int64_t i = 0; i < dim; ++i)
    out[i] = values[in[i]];
}

std::string impl::resolveDataPath(const std::string &spec) {
  const std::string fashion = "/usr/share/datasets/fashion-mnist/";
  if (spec == "fashion-mnist")
    return fashion + "train-images-idx3-ubyte.gz";
  if (spec == "fashion-mnist-test")
    return fashion + "t10k-images-idx3-ubyte.gz";
  if (spec == "mnist10k") {
    const char *dir = std::getenv("GPS_DATA_DIR");
    return std::string(dir && *dir ? dir : "/usr/local/share/gps/datasets") +
           "/mnist10k/images-idx3-ubyte.gz";
  }
  return spec;
}

Error impl::loadDataset(const std::string &spec, const Manifest &manifest,
                        Dataset &out) {
  std::string path = resolveDataPath(spec);
  IdxArray array;
  if (Error err = readIdx(path, array))
    return err;
  auto fail = [&](const std::string &what) {
    return Error::failure("data file '" + path + "': " + what);
  };
  if (array.dims.size() < 2)
    return fail("an IDX array of rank " + std::to_string(array.dims.size()) +
                "; data need one example per row (rank 2 or more)");
  uint64_t dim = 1;
  std::string shape;
  for (size_t i = 1; i < array.dims.size(); ++i) {
    dim *= array.dims[i];
    shape += (i > 1 ? "x" : "") + std::to_string(array.dims[i]);
  }
  if (dim != static_cast<uint64_t>(manifest.data.dim))
    return fail("examples are " + shape +
                (array.dims.size() > 2 ? " = " + std::to_string(dim) : "") +
                " values, but model '" + manifest.model + "' expects data '" +
                manifest.data.name + "' of dim " +
                std::to_string(manifest.data.dim));
  if (array.dims[0] == 0)
    return fail("holds no examples");
  Dataset data;
  data.path = path;
  data.count = array.dims[0];
  data.dim = manifest.data.dim;
  data.kind = manifest.data.kind;
  data.lo = manifest.data.lo;
  data.hi = manifest.data.hi;
  data.bytes = std::move(array.data);
  for (int byte = 0; byte < 256; ++byte)
    data.values[byte] =
        data.kind == DataKind::Bits
            ? static_cast<float>(byte)
            : static_cast<float>(data.lo + (data.hi - data.lo) * byte / 255.0);
  if (data.kind == DataKind::Bits) {
    // Pixel i is 1 with probability byte / 255, from uniform i of a fixed
    // Philox stream, so every run sees the same binary data.
    std::vector<float> uniforms(1 << 16);
    uint64_t key = deriveKey(0, kTagBinarize);
    for (size_t begin = 0; begin < data.bytes.size();
         begin += uniforms.size()) {
      size_t n = std::min(uniforms.size(), data.bytes.size() - begin);
      gps_rt_philox_uniform_f32(uniforms.data(), static_cast<int64_t>(n), key,
                                begin / 4);
      for (size_t i = 0; i < n; ++i)
        data.bytes[begin + i] =
            uniforms[i] * 255.0f < static_cast<float>(data.bytes[begin + i]);
    }
  }
  out = std::move(data);
  return Error::success();
}

Error impl::splitDataset(const Dataset &data, double testFraction,
                         std::vector<uint32_t> &train,
                         std::vector<uint32_t> &test) {
  if (Error err =
          splitTrainTest(data.count, testFraction, kSplitSeed, train, test))
    return Error::failure("data file '" + data.path + "': " + err.message());
  return Error::success();
}

Error impl::sampleMasks(const Manifest &manifest, PhiloxStream &rng,
                        int64_t rows, float *masks) {
  if (!manifest.mask)
    return Error::success();
  const MaskSpec &mask = *manifest.mask;
  if (mask.kind == MaskKind::Mcar)
    return sampleMcarMasks(rng, mask.amount, manifest.data.dim, rows, masks);
  return sampleMarMasks(rng, static_cast<int64_t>(mask.amount), mask.height,
                        mask.width, rows, masks);
}
