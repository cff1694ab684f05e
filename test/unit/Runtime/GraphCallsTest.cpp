//===- GraphCallsTest.cpp - tests of GraphCalls.h ---------------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/GraphCalls.h"

#include <gtest/gtest.h>

using namespace gps::rt;

namespace {
/// The modes of calls of `entry` with `signatures`, each call ended.
std::vector<GraphMode> modes(GraphCalls &calls, int32_t entry,
                             std::initializer_list<uint64_t> signatures) {
  std::vector<GraphMode> out;
  for (uint64_t signature : signatures) {
    out.push_back(calls.begin(entry, signature));
    EXPECT_EQ(calls.mode(), out.back());
    EXPECT_EQ(calls.entry(), entry);
    calls.end();
    EXPECT_EQ(calls.mode(), GraphMode::Eager);
  }
  return out;
}

constexpr GraphMode E = GraphMode::Eager, R = GraphMode::Record,
                    P = GraphMode::Replay;
} // namespace

TEST(GraphCallsTest, ALoopRunsOnceRecordsOnceAndReplays) {
  // The training loop: the same buffers every update.
  GraphCalls calls(true);
  EXPECT_EQ(modes(calls, 0, {7, 7, 7, 7, 7}),
            (std::vector<GraphMode>{E, R, P, P, P}));
  ASSERT_EQ(calls.counts().size(), 1u);
  EXPECT_EQ(calls.counts()[0].eager, 1u);
  EXPECT_EQ(calls.counts()[0].record, 1u);
  EXPECT_EQ(calls.counts()[0].replay, 3u);
}

TEST(GraphCallsTest, AnotherSignatureRunsEagerlyAndKeepsTheGraph) {
  // Evaluation batches and a smaller last batch, evaluated twice: the last
  // batch never gets a graph and does not cost the full batches theirs.
  GraphCalls calls(true);
  EXPECT_EQ(modes(calls, 0, {1, 1, 1, 2, 1, 1, 2}),
            (std::vector<GraphMode>{E, R, P, E, P, P, E}));
  // A signature that repeats replaces the graph (the last call had 2).
  EXPECT_EQ(modes(calls, 0, {2, 2, 1, 1, 1}),
            (std::vector<GraphMode>{R, P, E, R, P}));
}

TEST(GraphCallsTest, AlternatingSignaturesNeverRecord) {
  GraphCalls calls(true);
  EXPECT_EQ(modes(calls, 0, {1, 2, 1, 2, 1, 2}),
            (std::vector<GraphMode>(6, E)));
}

TEST(GraphCallsTest, EntriesHaveTheirOwnGraphs) {
  // train and eval interleaved, with the same signature value.
  GraphCalls calls(true);
  std::vector<GraphMode> seen;
  for (int i = 0; i < 3; ++i)
    for (int32_t entry : {0, 3}) {
      seen.push_back(calls.begin(entry, 5));
      calls.end();
    }
  EXPECT_EQ(seen, (std::vector<GraphMode>{E, E, R, R, P, P}));
}

TEST(GraphCallsTest, DisabledOrNoEntryMeansEager) {
  GraphCalls off(false);
  EXPECT_EQ(modes(off, 0, {4, 4, 4}), (std::vector<GraphMode>(3, E)));
  EXPECT_EQ(off.counts()[0].eager, 3u);
  GraphCalls calls(true);
  EXPECT_EQ(modes(calls, 1, {4, 4, 4}), (std::vector<GraphMode>{E, R, P}));
  // A call that is not an entry's (entry -1) is eager.
  EXPECT_EQ(modes(calls, -1, {4, 4}), (std::vector<GraphMode>(2, E)));
}
