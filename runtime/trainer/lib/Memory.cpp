//===- Memory.cpp - large buffers of the trainer ----------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// The trainer's large buffers (parameters, gradients, Adam moments, data,
// checkpoint tensors) are sized from the manifest and the data, so a model
// with a 65536 x 65536 layer asks for 16 GiB at once. These helpers turn a
// failed allocation into an Error naming the buffer and its size instead of
// an uncaught std::bad_alloc.
//
//===----------------------------------------------------------------------===//

#include "TrainerImpl.h"

#include <sys/sysinfo.h>

#include <cstdio>
#include <new>
#include <stdexcept>

using namespace gps::rt;
using namespace gps::rt::impl;

std::string impl::formatBytes(double bytes) {
  static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB",
                                      "PiB", "EiB"};
  int unit = 0;
  while (bytes >= 1024.0 && unit < 6) {
    bytes /= 1024.0;
    ++unit;
  }
  char text[32];
  if (unit == 0)
    std::snprintf(text, sizeof(text), "%.0f bytes", bytes);
  else
    std::snprintf(text, sizeof(text), "%.1f %s", bytes, units[unit]);
  return text;
}

std::string impl::shapeFloats(const std::vector<int64_t> &shape) {
  std::string text;
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? " x " : "") + std::to_string(shape[i]);
  return (text.empty() ? "1" : text) + " floats";
}

/// The message of a failed allocation of `count` elements of `size` bytes.
static Error cannotAllocate(const std::string &what, uint64_t count,
                            size_t size, const std::string &unit,
                            const std::string &detail = "") {
  return Error::failure("cannot allocate " + what + " (" +
                        std::to_string(count) + " " + unit + ", " +
                        formatBytes(double(count) * double(size)) + detail +
                        ")");
}

template <typename T, typename Allocator>
static Error allocate(std::vector<T, Allocator> &buffer, uint64_t count,
                      T value) {
  try {
    if (count > buffer.max_size())
      return Error::failure("too large");
    buffer.assign(static_cast<size_t>(count), value);
  } catch (const std::bad_alloc &) {
    return Error::failure("out of memory");
  } catch (const std::length_error &) {
    return Error::failure("too large");
  }
  return Error::success();
}

Error impl::allocateFloats(SharedVector<float> &buffer, uint64_t count,
                           const std::string &what) {
  if (allocate(buffer, count, 0.0f))
    return cannotAllocate(what, count, sizeof(float), "floats");
  return Error::success();
}

Error impl::allocateBytes(std::vector<uint8_t> &buffer, uint64_t count,
                          const std::string &what) {
  if (allocate(buffer, count, uint8_t(0)))
    return cannotAllocate(what, count, 1, "bytes");
  return Error::success();
}

Error impl::allocateBytes(SharedVector<uint8_t> &buffer, uint64_t count,
                          const std::string &what) {
  if (allocate(buffer, count, uint8_t(0)))
    return cannotAllocate(what, count, 1, "bytes");
  return Error::success();
}

/// "cannot allocate <what> (...)" for a parameter-sized buffer, naming the
/// largest parameter; `detail` is appended inside the parentheses.
static Error cannotAllocateParams(const Manifest &manifest,
                                  const std::string &what,
                                  const std::string &detail = "") {
  auto count = static_cast<uint64_t>(manifest.paramCount);
  const ParamSpec *largest = nullptr;
  for (const ParamSpec &param : manifest.params)
    if (!largest || param.numElements > largest->numElements)
      largest = &param;
  if (!largest)
    return cannotAllocate(what, count, sizeof(float), "floats", detail);
  // The parameters themselves, when one of them is most of them, are named
  // by that one.
  if (what == "the parameters" && 2 * largest->numElements >= manifest.paramCount)
    return Error::failure(
        "cannot allocate parameter '" + largest->name + "' (" +
        shapeFloats(largest->shape) + ", " +
        formatBytes(double(largest->numElements) * sizeof(float)) +
        (largest->numElements == manifest.paramCount
             ? ""
             : "; all parameters: " + std::to_string(count) + " floats, " +
                   formatBytes(double(count) * sizeof(float))) +
        detail + ")");
  return cannotAllocate(what, count, sizeof(float), "floats",
                        "; the largest parameter is '" + largest->name +
                            "', " + shapeFloats(largest->shape) + detail);
}

Error impl::allocateParamFloats(const Manifest &manifest,
                                ParamVector &buffer,
                                const std::string &what) {
  if (allocate(buffer, static_cast<uint64_t>(manifest.paramCount), 0.0f))
    return cannotAllocateParams(manifest, what);
  return Error::success();
}

Error impl::checkParamMemory(const Manifest &manifest, unsigned buffers,
                             const std::string &uses) {
  struct sysinfo info;
  if (::sysinfo(&info) != 0)
    return Error::success();
  double system = (double(info.totalram) + double(info.totalswap)) *
                  double(info.mem_unit);
  double needed = double(buffers) * double(manifest.paramCount) * sizeof(float);
  if (system <= 0.0 || needed <= system)
    return Error::success();
  return cannotAllocateParams(manifest, "the parameters",
                              "; " + uses + " need " + formatBytes(needed) +
                                  ", the system has " + formatBytes(system));
}

Error impl::initParamsChecked(const Manifest &manifest, uint64_t seed,
                              ParamVector &params) {
  if (Error err = allocateParamFloats(manifest, params, "the parameters"))
    return err;
  initParams(manifest, seed, params);
  return Error::success();
}
