//===- PresetTest.cpp - tests of the train presets ------------------------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Trainer/Preset.h"

#include "TestUtil.h"

#include "gtest/gtest.h"

using namespace gps::rt;
using namespace gps::rt::test;

namespace {

const PresetKeys kKeys = {{"batch", PresetType::Integer},
                          {"lr", PresetType::Number},
                          {"data", PresetType::String},
                          {"freeze", PresetType::List},
                          {"plot", PresetType::Bool}};

/// Writes `text` to `name` in `dir` and reads it as a preset for "m".
Error read(const TempDir &dir, const std::string &name,
           const std::string &text, std::map<std::string, std::string> &out,
           bool &unreadable) {
  writeFileBytes(dir.file(name),
                 std::vector<uint8_t>(text.begin(), text.end()));
  return readPreset(dir.file(name), "m", kKeys, out, unreadable);
}

TEST(PresetTest, ValuesBecomeFlagText) {
  TempDir dir;
  std::map<std::string, std::string> values;
  bool unreadable = true;
  Error err = read(dir, "p.json",
                   R"({"model": "m", "description": "Sec. 4", "batch": 20,
                       "lr": 2e-4, "data": "mnist10k",
                       "freeze": ["a", "b"], "plot": true})",
                   values, unreadable);
  ASSERT_FALSE(err) << err.message();
  EXPECT_FALSE(unreadable);
  std::map<std::string, std::string> expected = {{"batch", "20"},
                                                 {"lr", "0.0002"},
                                                 {"data", "mnist10k"},
                                                 {"freeze", "a,b"},
                                                 {"plot", ""}};
  EXPECT_EQ(values, expected);
  // A false boolean is a flag not given; a list may be one string.
  ASSERT_FALSE(read(dir, "q.json",
                    R"({"model": "m", "plot": false, "freeze": "c"})", values,
                    unreadable));
  expected = {{"freeze", "c"}};
  EXPECT_EQ(values, expected);
}

TEST(PresetTest, ErrorsNameTheFileAndTheKey) {
  TempDir dir;
  std::map<std::string, std::string> values;
  bool unreadable = false;
  std::string p = dir.file("p.json");
  expectFailure(read(dir, "p.json", R"({"model": "vae", "batch": 1})", values,
                     unreadable),
                p, "is for model 'vae', not 'm'");
  expectFailure(read(dir, "p.json", R"({"batch": 1})", values, unreadable), p,
                "missing key 'model'");
  expectFailure(read(dir, "p.json", R"({"model": "m", "bacth": 1})", values,
                     unreadable),
                p, "unknown key 'bacth' (a preset may set: model, description, "
                   "batch, lr, data, freeze, plot)");
  expectFailure(read(dir, "p.json", R"({"model": "m", "batch": "20"})",
                     values, unreadable),
                p, "key 'batch': expected an integer >= 0, got string");
  expectFailure(read(dir, "p.json", R"({"model": "m", "batch": 20.5})",
                     values, unreadable),
                p, "key 'batch': expected an integer >= 0, got the number 20.5");
  expectFailure(read(dir, "p.json", R"({"model": "m", "batch": -3})", values,
                     unreadable),
                p, "key 'batch': expected an integer >= 0, got the integer -3");
  expectFailure(read(dir, "p.json", R"({"model": "m", "lr": true})", values,
                     unreadable),
                p, "key 'lr': expected a number, got boolean");
  expectFailure(read(dir, "p.json", R"({"model": "m", "freeze": ["a", 1]})",
                     values, unreadable),
                p, "key 'freeze': expected a string or an array of strings");
  expectFailure(read(dir, "p.json", R"({"model": "m", "plot": 1})", values,
                     unreadable),
                p, "key 'plot': expected true or false, got the integer 1");
  expectFailure(read(dir, "p.json", "{\"model\": \"m\",\n  \"batch\" 1}",
                     values, unreadable),
                p, "not JSON: parse error at line 2, column");
  expectFailure(read(dir, "p.json", "[1, 2]", values, unreadable), p,
                "not a JSON object");
  EXPECT_FALSE(unreadable);
  // Nothing is returned on failure.
  EXPECT_TRUE(values.empty());
  expectFailure(readPreset(dir.file("none.json"), "m", kKeys, values,
                           unreadable),
                dir.file("none.json"), "cannot read");
  EXPECT_TRUE(unreadable);
}

} // namespace
