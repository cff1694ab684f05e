//===- SafetensorsFuzzer.cpp - the safetensors checkpoint reader ----------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// libFuzzer target for readSafetensors (runtime/lib/Safetensors.cpp). A file
// that reads must be consistent (each tensor's bytes against its dtype and
// shape, names found by find()) and, when writeSafetensors accepts its
// tensors, read back unchanged.
//
//===----------------------------------------------------------------------===//

#include "FuzzFile.h"

#include "gps/Runtime/Safetensors.h"

using namespace gps;

static const char *const kTarget = "gps-safetensors-fuzzer";

static bool sameTensors(const rt::SafetensorsFile &a,
                        const rt::SafetensorsFile &b) {
  if (a.tensors.size() != b.tensors.size() || a.metadata != b.metadata)
    return false;
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    const rt::Tensor &x = a.tensors[i], &y = b.tensors[i];
    if (x.name != y.name || x.dtype != y.dtype || x.shape != y.shape ||
        x.bytes != y.bytes)
      return false;
  }
  return true;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string path = fuzz::writeInput(data, size);
  rt::SafetensorsFile file;
  if (rt::Error err = rt::readSafetensors(path, file)) {
    if (err.message().empty())
      fuzz::finding(kTarget, "a failure without a message");
    return 0;
  }
  std::vector<rt::TensorRef> refs;
  for (const rt::Tensor &tensor : file.tensors) {
    if (tensor.numElements() < 0 ||
        static_cast<uint64_t>(tensor.numElements()) *
                rt::dtypeSize(tensor.dtype) !=
            tensor.bytes.size())
      fuzz::finding(kTarget, "tensor '" + tensor.name +
                                 "': bytes do not match dtype and shape");
    if (file.find(tensor.name) != &tensor)
      fuzz::finding(kTarget, "find() misses tensor '" + tensor.name + "'");
    if (tensor.dtype == rt::DType::F32 &&
        tensor.toFloats().size() != static_cast<size_t>(tensor.numElements()))
      fuzz::finding(kTarget, "toFloats() has the wrong size");
    refs.push_back({tensor.name, tensor.dtype, tensor.shape,
                    tensor.bytes.data()});
  }
  std::string copy = fuzz::scratchPath(".safetensors");
  if (rt::writeSafetensors(copy, refs, file.metadata))
    return 0;
  rt::SafetensorsFile back;
  rt::Error err = rt::readSafetensors(copy, back);
  std::remove(copy.c_str());
  if (err)
    fuzz::finding(kTarget, "cannot read back what writeSafetensors wrote: " +
                               err.message());
  if (!sameTensors(file, back))
    fuzz::finding(kTarget, "the round trip changed the file");
  return 0;
}
