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

namespace {
/// One group with `signature` of calls of `entries` (each with signature
/// 10 + its entry), each ended; the group's mode.
GraphMode group(GraphCalls &calls, uint64_t signature,
                std::initializer_list<int32_t> entries) {
  GraphMode mode = calls.beginGroup(signature);
  EXPECT_TRUE(calls.inGroup());
  EXPECT_EQ(calls.mode(), mode);
  size_t position = 0;
  for (int32_t entry : entries) {
    EXPECT_EQ(calls.begin(entry, 10 + static_cast<uint64_t>(entry)), mode);
    EXPECT_EQ(calls.groupPosition(), position++);
    calls.end();
    // Between its calls the group keeps its mode.
    EXPECT_EQ(calls.mode(), mode);
  }
  EXPECT_TRUE(calls.consistent());
  EXPECT_EQ(calls.endGroup(), mode);
  EXPECT_FALSE(calls.inGroup());
  EXPECT_EQ(calls.mode(), E);
  return mode;
}
} // namespace

TEST(GraphCallsTest, AStepRunsOnceRecordsOnceAndReplaysAsOne) {
  // train, grad_sumsq, adam per update: the calls take the step's mode,
  // and the entries' own graphs are left alone.
  GraphCalls calls(true);
  std::vector<GraphMode> seen;
  for (int i = 0; i < 5; ++i)
    seen.push_back(group(calls, 42, {0, 6, 7}));
  EXPECT_EQ(seen, (std::vector<GraphMode>{E, R, P, P, P}));
  EXPECT_EQ(calls.groupCounts().eager, 1u);
  EXPECT_EQ(calls.groupCounts().record, 1u);
  EXPECT_EQ(calls.groupCounts().replay, 3u);
  for (int32_t entry : {0, 6, 7}) {
    EXPECT_EQ(calls.counts()[static_cast<size_t>(entry)].eager, 1u);
    EXPECT_EQ(calls.counts()[static_cast<size_t>(entry)].record, 1u);
    EXPECT_EQ(calls.counts()[static_cast<size_t>(entry)].replay, 3u);
  }
  // train called alone (no group) has no graph of its own yet.
  EXPECT_EQ(modes(calls, 0, {10, 10, 10}), (std::vector<GraphMode>{E, R, P}));
  // ... and the step's graph is still there.
  EXPECT_EQ(group(calls, 42, {0, 6, 7}), P);
}

TEST(GraphCallsTest, AnotherStepSignatureRunsEagerlyAndKeepsTheGraph) {
  GraphCalls calls(true);
  std::vector<GraphMode> seen;
  for (uint64_t signature : {1, 1, 1, 2, 1, 2, 2, 2, 1})
    seen.push_back(group(calls, signature, {0, 6, 7}));
  EXPECT_EQ(seen, (std::vector<GraphMode>{E, R, P, E, P, E, R, P, E}));
}

TEST(GraphCallsTest, AStepWithAnUncapturedCallIsNeverRecorded) {
  // --noise=runtime: train does not begin with begin(); its
  // synchronisation is the runtime's only sight of it.
  GraphCalls calls(true);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(calls.beginGroup(9), E);
    EXPECT_TRUE(calls.uncapturedCall());
    EXPECT_EQ(calls.begin(6, 16), E);
    calls.end();
    EXPECT_EQ(calls.endGroup(), E);
  }
  EXPECT_EQ(calls.groupCounts().eager, 4u);
  // Once the calls can be recorded, the step records and replays.
  EXPECT_EQ(group(calls, 9, {6}), E);
  EXPECT_EQ(group(calls, 9, {6}), R);
  // An uncaptured call in a replayed step is an error: the graph has
  // none of its work.
  EXPECT_EQ(calls.beginGroup(9), P);
  EXPECT_FALSE(calls.uncapturedCall());
  calls.endGroup();
}

TEST(GraphCallsTest, AStepWhoseCallsDifferIsInconsistent) {
  // The step's signature must tell apart whatever changes its calls; the
  // runtime stops rather than replay a graph of other calls.
  GraphCalls calls(true);
  EXPECT_EQ(group(calls, 3, {0, 6, 7}), E);
  EXPECT_EQ(group(calls, 3, {0, 6, 7}), R);
  // Another call's signature while replaying.
  EXPECT_EQ(calls.beginGroup(3), P);
  calls.begin(0, 10);
  calls.end();
  EXPECT_TRUE(calls.consistent());
  calls.begin(6, 99);
  EXPECT_FALSE(calls.consistent());
  calls.end();
  calls.endGroup();
  // Fewer calls than recorded.
  EXPECT_EQ(calls.beginGroup(3), P);
  calls.begin(0, 10);
  calls.end();
  calls.endGroup();
  EXPECT_FALSE(calls.consistent());
  // More calls than the group it records repeats.
  GraphCalls more(true);
  EXPECT_EQ(group(more, 5, {0}), E);
  EXPECT_EQ(more.beginGroup(5), R);
  more.begin(0, 10);
  more.end();
  EXPECT_TRUE(more.consistent());
  more.begin(7, 17);
  EXPECT_FALSE(more.consistent());
}

TEST(GraphCallsTest, DisabledStepsAreEager) {
  GraphCalls off(false);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(group(off, 1, {0, 6, 7}), E);
  EXPECT_EQ(off.groupCounts().eager, 3u);
}
