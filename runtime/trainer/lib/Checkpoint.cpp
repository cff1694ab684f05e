//===- Checkpoint.cpp - trainer checkpoints and run settings ----*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// A checkpoint is a safetensors file (Safetensors.h): one F32 tensor per
// parameter under its manifest name, adam.m.<name> and adam.v.<name> for the
// Adam moments, and string metadata:
//
//   format          "gps-trainer-checkpoint/1"
//   model           the model name
//   manifest_hash   Manifest::hash, checked when the checkpoint is read
//   manifest        the manifest itself, for reference
//   step, skipped   updates done, and how many of them were skipped
//   adam_steps      Adam updates applied
//   epoch, position the Minibatcher state
//   examples        the number of examples in the data file
//   options         the TrainConfig as JSON
//   window          the LogWindow as JSON (updates not yet logged)
//
//===----------------------------------------------------------------------===//

#include "JsonFields.h"
#include "TrainerImpl.h"

#include "gps/Runtime/Safetensors.h"
#include "gps/Trainer/Files.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

using namespace gps::rt;
using namespace gps::rt::impl;
using nlohmann::json;

static constexpr const char *kCheckpointFormat = "gps-trainer-checkpoint/1";

//===----------------------------------------------------------------------===//
// TrainConfig and LogWindow as JSON
//===----------------------------------------------------------------------===//

json TrainConfig::toJson() const {
  json object{{"data", data},
              {"batch", batch},
              {"updates", updates},
              {"seed", seed},
              {"lr", learningRate},
              {"beta1", beta1},
              {"beta2", beta2},
              {"lr_decay", lrDecay},
              {"lr_decay_every", lrDecayEvery},
              {"clip", clip},
              {"eval_every", evalEvery},
              {"checkpoint_every", checkpointEvery},
              {"log_every", logEvery},
              {"on_nan", onNan},
              {"test_fraction", testFraction},
              {"only", only},
              {"freeze", freeze}};
  if (!initFrom.empty())
    object["init_from"] = initFrom;
  return object;
}

namespace {
/// Reads optional fields of a JSON object (JsonFields.h), keeping the first
/// failure.
struct OptionalFields {
  const json &object;
  Error failure;

  template <typename T> void read(std::string_view key, T &out) {
    if (!failure)
      failure = readField(object, key, out, Presence::Optional);
  }
};
} // namespace

Error TrainConfig::fromJson(const json &object) {
  if (!object.is_object())
    return Error::failure("options are not a JSON object");
  OptionalFields reader{object, {}};
  reader.read("data", data);
  reader.read("batch", batch);
  reader.read("updates", updates);
  reader.read("seed", seed);
  reader.read("lr", learningRate);
  reader.read("beta1", beta1);
  reader.read("beta2", beta2);
  reader.read("lr_decay", lrDecay);
  reader.read("lr_decay_every", lrDecayEvery);
  reader.read("clip", clip);
  reader.read("eval_every", evalEvery);
  reader.read("checkpoint_every", checkpointEvery);
  reader.read("log_every", logEvery);
  reader.read("on_nan", onNan);
  reader.read("test_fraction", testFraction);
  reader.read("only", only);
  reader.read("init_from", initFrom);
  if (reader.failure)
    return Error::failure("options: " + reader.failure.message());
  // Checkpoints written before --freeze existed have no list.
  auto frozen = object.find("freeze");
  if (frozen != object.end()) {
    if (!frozen->is_array())
      return Error::failure("options: 'freeze' must be an array of names");
    freeze.clear();
    for (const json &name : *frozen) {
      if (!name.is_string() || name.get_ref<const std::string &>().empty())
        return Error::failure("options: 'freeze' must hold non-empty names");
      freeze.push_back(name.get<std::string>());
    }
  }
  if (only != "all" && only != "guide" && only != "primary")
    return Error::failure("options: 'only' is '" + only +
                          "', not all, guide or primary");
  if (batch == 0 || logEvery == 0)
    return Error::failure("options: batch and log_every must be positive");
  return Error::success();
}

void LogWindow::clear(size_t numTerms) {
  termSums.assign(numTerms, 0.0);
  gradNormSum = 0.0;
  applied = 0;
  updates = 0;
  lastLearningRate = 0.0;
}

json LogWindow::toJson() const {
  // nlohmann writes doubles with enough digits to read them back exactly.
  return json{{"terms", termSums},
              {"grad_norm", gradNormSum},
              {"applied", applied},
              {"updates", updates},
              {"lr", lastLearningRate}};
}

Error LogWindow::fromJson(const json &object, size_t numTerms) {
  clear(numTerms);
  if (!object.is_object())
    return Error::failure("window is not a JSON object");
  auto terms = object.find("terms");
  if (terms == object.end() || !terms->is_array() || terms->size() != numTerms)
    return Error::failure("window does not hold " + std::to_string(numTerms) +
                          " term sums");
  for (size_t i = 0; i < numTerms; ++i) {
    if (!(*terms)[i].is_number())
      return Error::failure("window term sums are not numbers");
    termSums[i] = (*terms)[i].get<double>();
  }
  OptionalFields reader{object, {}};
  reader.read("grad_norm", gradNormSum);
  reader.read("applied", applied);
  reader.read("updates", updates);
  reader.read("lr", lastLearningRate);
  if (reader.failure)
    return Error::failure("window: " + reader.failure.message());
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Saving and loading
//===----------------------------------------------------------------------===//

Error impl::saveCheckpoint(const std::string &path, const Manifest &manifest,
                           const Checkpoint &checkpoint) {
  std::vector<TensorRef> tensors;
  tensors.reserve(3 * manifest.params.size());
  const ParamVector *buffers[3] = {
      &checkpoint.params, &checkpoint.firstMoment, &checkpoint.secondMoment};
  const char *prefixes[3] = {"", "adam.m.", "adam.v."};
  for (int which = 0; which < 3; ++which)
    for (const ParamSpec &param : manifest.params)
      tensors.push_back({prefixes[which] + param.name, DType::F32, param.shape,
                         buffers[which]->data() + param.offset});
  std::map<std::string, std::string> metadata = {
      {"format", kCheckpointFormat},
      {"model", manifest.model},
      {"manifest_hash", manifest.hash},
      {"manifest", manifest.text},
      {"step", std::to_string(checkpoint.step)},
      {"skipped", std::to_string(checkpoint.skipped)},
      {"adam_steps", std::to_string(checkpoint.adamSteps)},
      {"epoch", std::to_string(checkpoint.batches.epoch)},
      {"position", std::to_string(checkpoint.batches.position)},
      {"examples", std::to_string(checkpoint.examples)},
      {"options", checkpoint.config.toJson().dump()},
      {"window", checkpoint.window.toJson().dump()},
  };
  if (Error err = writeSafetensors(path, tensors, metadata))
    return Error::failure("checkpoint not saved: " + err.message());
  return Error::success();
}

/// Parses a decimal unsigned metadata value.
static bool parseUnsigned(const std::string &text, uint64_t &out) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
    return false;
  errno = 0;
  out = std::strtoull(text.c_str(), nullptr, 10);
  return errno != ERANGE;
}

/// "[a, b]" for messages.
static std::string shapeText(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

Error impl::loadCheckpoint(const std::string &path, const Manifest &manifest,
                           bool withMoments, Checkpoint &out) {
  auto fail = [&](const std::string &what) {
    return Error::failure("checkpoint '" + path + "': " + what);
  };
  if (!pathExists(path))
    return fail("no such file");
  SafetensorsFile file;
  if (Error err = readSafetensors(path, file))
    return fail("unreadable: " + err.message());
  auto meta = [&](const char *key) -> const std::string * {
    auto it = file.metadata.find(key);
    return it == file.metadata.end() ? nullptr : &it->second;
  };
  const std::string *format = meta("format");
  if (!format || *format != kCheckpointFormat)
    return fail("not a gps trainer checkpoint (no format '" +
                std::string(kCheckpointFormat) + "' in its metadata)");
  const std::string *model = meta("model");
  const std::string *hash = meta("manifest_hash");
  if (!model || !hash)
    return fail("metadata lacks the model name or manifest hash");
  if (*model != manifest.model)
    return fail("written by model '" + *model + "', not by this model '" +
                manifest.model + "'");
  if (*hash != manifest.hash)
    return fail("written by another build of model '" + manifest.model +
                "' (manifest hash " + *hash + ", this trainer's " +
                manifest.hash + "); its parameters do not fit");

  Checkpoint checkpoint;
  uint64_t adamSteps = 0;
  struct {
    const char *key;
    uint64_t *value;
  } counters[] = {{"step", &checkpoint.step},
                  {"skipped", &checkpoint.skipped},
                  {"adam_steps", &adamSteps},
                  {"epoch", &checkpoint.batches.epoch},
                  {"position", &checkpoint.batches.position},
                  {"examples", &checkpoint.examples}};
  for (auto &counter : counters) {
    const std::string *text = meta(counter.key);
    if (!text || !parseUnsigned(*text, *counter.value))
      return fail(std::string("metadata '") + counter.key +
                  "' is missing or not a number");
  }
  checkpoint.adamSteps = static_cast<int64_t>(adamSteps);
  const std::string *options = meta("options");
  const std::string *window = meta("window");
  if (!options || !window)
    return fail("metadata lacks the run options or the log window");
  if (Error err = checkpoint.config.fromJson(
          json::parse(*options, nullptr, /*allow_exceptions=*/false)))
    return fail(err.message());
  if (Error err = checkpoint.window.fromJson(
          json::parse(*window, nullptr, /*allow_exceptions=*/false),
          manifest.terms.size()))
    return fail(err.message());

  ParamVector *buffers[3] = {&checkpoint.params, &checkpoint.firstMoment,
                                    &checkpoint.secondMoment};
  const char *prefixes[3] = {"", "adam.m.", "adam.v."};
  const char *names[3] = {"the parameters", "the Adam moments",
                          "the Adam moments"};
  for (int which = 0; which < (withMoments ? 3 : 1); ++which) {
    if (Error err = allocateParamFloats(manifest, *buffers[which], names[which]))
      return fail(err.message());
    for (const ParamSpec &param : manifest.params) {
      std::string name = prefixes[which] + param.name;
      const Tensor *tensor = file.find(name);
      if (!tensor)
        return fail("tensor '" + name + "' is missing");
      if (tensor->dtype != DType::F32 || tensor->shape != param.shape)
        return fail("tensor '" + name + "' is " + dtypeName(tensor->dtype) +
                    " " + shapeText(tensor->shape) + ", the model has F32 " +
                    shapeText(param.shape));
      if (tensor->bytes.size() != size_t(param.numElements) * sizeof(float))
        return fail("tensor '" + name + "' has " +
                    std::to_string(tensor->bytes.size()) + " bytes, not " +
                    std::to_string(param.numElements * sizeof(float)));
      std::memcpy(buffers[which]->data() + param.offset,
                  tensor->bytes.data(), tensor->bytes.size());
    }
  }
  out = std::move(checkpoint);
  return Error::success();
}
