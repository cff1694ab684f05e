//===- ContractTest.cpp - tests of the compiler<->runtime names ------------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/Contract.h"

#include "gtest/gtest.h"

using namespace gps::rt::contract;

namespace {

// Every term's spelling, and its per-site, per-step spelling, parses back
// to it.
TEST(ContractTest, TermNamesRoundTrip) {
  for (int32_t i = 0; i < kNumTerms; ++i) {
    auto term = static_cast<Term>(i);
    std::optional<TermName> whole = parseTermName(spelling(term));
    ASSERT_TRUE(whole.has_value()) << spelling(term);
    EXPECT_EQ(whole->term, term);
    EXPECT_TRUE(whole->site.empty());
    EXPECT_FALSE(whole->step.has_value());
    std::string name = stepSpelling(term, "z_1", 100000);
    std::optional<TermName> step = parseTermName(name);
    ASSERT_TRUE(step.has_value()) << name;
    EXPECT_EQ(step->term, term);
    EXPECT_EQ(step->site, "z_1");
    EXPECT_EQ(step->step, 100000);
  }
  EXPECT_EQ(stepSpelling(Term::KLQP, "z", 3), "kl(q||p)[z,3]");
  EXPECT_EQ(parseTermName("kl(q||p)[z,0]")->step, 0);
}

TEST(ContractTest, OtherNamesDoNotParse) {
  for (const char *name :
       {"", "l2", "kl(q||p)[", "kl(q||p)[]", "kl(q||p)[-1]", "kl(q||p)[1x]",
        "kl(q||p)[3]", "kl(q||p)[,3]", "kl(q||p)[z,]", "kl(q||p)[z,-1]",
        "kl(q||p)[1z,3]", "kl(q||p)[z.h,3]", "kl(q||p)[z,3,4]",
        "kl(q||p)[z,99999999999999999999]", "kl(q||p)[z,07]", "kl(q || p)",
        "nll[1..3]", "[z,1]"})
    EXPECT_FALSE(parseTermName(name).has_value()) << name;
}

TEST(ContractTest, KindsRoundTrip) {
  for (int32_t i = 0; i < kNumInits; ++i)
    EXPECT_EQ((parseKind<Init, kNumInits>(spelling(static_cast<Init>(i)))),
              static_cast<Init>(i));
  for (int32_t i = 0; i < kNumMasks; ++i)
    EXPECT_EQ((parseKind<Mask, kNumMasks>(spelling(static_cast<Mask>(i)))),
              static_cast<Mask>(i));
  for (int32_t i = 0; i < kNumData; ++i)
    EXPECT_EQ((parseKind<Data, kNumData>(spelling(static_cast<Data>(i)))),
              static_cast<Data>(i));
  EXPECT_FALSE((parseKind<Init, kNumInits>("uniform")).has_value());
}

} // namespace
