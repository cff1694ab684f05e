//===- GradcheckTest.cpp - tests of the trainer's gradcheck ---------------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// gradcheck on the fake model of FakeModel.h: it passes with the exact
// gradient and fails, naming the parameter, when the model's gradient is
// wrong or the flag --perturb-gradient makes it so. (The kinks of ReLU
// models are tested in test/Integration/gradcheck on compiled models.)
//
//===----------------------------------------------------------------------===//

#include "FakeModel.h"

#include "gps/Trainer/Trainer.h"

#include <gtest/gtest.h>

#include <sstream>

using namespace gps::rt;
using namespace gps::rt::test;

namespace {

struct Result {
  int status;
  std::string out;
  std::string err;
};

Result gradcheck(const ModelEntryPoints &model,
                 std::vector<std::string> flags = {}) {
  std::vector<std::string> args = {"trainer", "gradcheck", "--data",
                                   "synthetic"};
  args.insert(args.end(), flags.begin(), flags.end());
  std::ostringstream out, err;
  int status = runTrainer(args, model, out, err);
  return {status, out.str(), err.str()};
}

/// The lines of `text` that contain `word`.
std::vector<std::string> linesWith(const std::string &text,
                                   const std::string &word) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.find(word) != std::string::npos)
      lines.push_back(line);
  return lines;
}

} // namespace

TEST(GradcheckTest, PassesWithTheExactGradient) {
  ModelEntryPoints model = fakeModel();
  Result result = gradcheck(model, {"--samples", "3"});
  EXPECT_EQ(result.status, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("checked 6 directions over 2 parameters"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find(" 0 failed"), std::string::npos) << result.out;
}

TEST(GradcheckTest, FailsWithAWrongGradient) {
  ModelEntryPoints model = fakeModel();
  fakeState.gradScale = 1.1f;
  Result result = gradcheck(model);
  EXPECT_EQ(result.status, 1) << result.out;
  std::vector<std::string> failed = linesWith(result.out, "FAIL");
  ASSERT_EQ(failed.size(), 2u) << result.out;
  for (const std::string &line : failed)
    EXPECT_EQ(line.rfind("dec.w ", 0), 0u) << line;
  EXPECT_NE(result.out.find(" 2 failed"), std::string::npos) << result.out;
}

TEST(GradcheckTest, PerturbGradientFlag) {
  ModelEntryPoints model = fakeModel();
  Result result = gradcheck(model, {"--perturb-gradient", "dec.b=0.9"});
  EXPECT_EQ(result.status, 1) << result.out;
  std::vector<std::string> failed = linesWith(result.out, "FAIL");
  ASSERT_FALSE(failed.empty()) << result.out;
  for (const std::string &line : failed)
    EXPECT_EQ(line.rfind("dec.b ", 0), 0u) << line;

  // A factor of 1 changes nothing.
  result = gradcheck(model, {"--perturb-gradient", "dec.b=1"});
  EXPECT_EQ(result.status, 0) << result.out;

  for (const char *bad : {"dec.b", "nope=2", "dec.b=x", "=2", "dec.b=inf"}) {
    result = gradcheck(model, {"--perturb-gradient", bad});
    EXPECT_EQ(result.status, 2) << bad;
    EXPECT_NE(result.err.find("flag '--perturb-gradient'"), std::string::npos)
        << result.err;
  }
}

TEST(GradcheckTest, UsageErrors) {
  ModelEntryPoints model = fakeModel();
  for (std::vector<std::string> flags :
       {std::vector<std::string>{"--batch", "0"},
        {"--step", "0"},
        {"--step", "nan"},
        {"--tolerance", "2"},
        {"--nodes", "1"},
        {"--samples", "0"},
        {"--frobnicate"}}) {
    Result result = gradcheck(model, flags);
    EXPECT_EQ(result.status, 2) << flags[0];
    EXPECT_NE(result.err.find("gradcheck: error: "), std::string::npos)
        << result.err;
  }
  // A data file that does not exist is a runtime error naming it.
  std::vector<std::string> args = {"trainer", "gradcheck", "--data",
                                   "/nonexistent/images.gz"};
  std::ostringstream out, err;
  EXPECT_EQ(runTrainer(args, model, out, err), 1);
  EXPECT_NE(err.str().find("/nonexistent/images.gz"), std::string::npos)
      << err.str();
}
