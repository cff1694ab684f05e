//===- GraphCalls.h - calls the GPU runtime records, replays ----*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// An entry point compiled for the GPU by gps-capture-entries tells the
// runtime, before it enqueues anything, which entry it is and the signature
// of its arguments (their addresses and sizes). GraphCalls decides from
// that whether the call's work runs as usual, is recorded in a CUDA Graph,
// or is replayed from the graph recorded before; runtime/cuda/ does the
// recording and replaying. The trainer may also bracket several calls (a
// training step: its batch, masks, gradient, sums of squares and Adam
// update) as a group, which is recorded and replayed as one graph. Plain C++, so that
// the policy is tested where there is no GPU.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_RUNTIME_GRAPHCALLS_H
#define GPS_RUNTIME_GRAPHCALLS_H

#include <cstdint>
#include <optional>
#include <vector>

namespace gps::rt {

/// What the runtime does with the work one call of an entry point enqueues.
enum class GraphMode {
  /// Runs it as it is enqueued.
  Eager,
  /// Records it in the entry's graph (which replaces the one before) and
  /// then launches the graph.
  Record,
  /// Ignores it (the host code still runs) and launches the entry's graph.
  Replay,
};

class GraphCalls {
public:
  /// With `enabled` false every call is Eager.
  explicit GraphCalls(bool enabled) : enabled(enabled) {}

  /// Starts a call of entry `entry` (0 or more) whose arguments have
  /// `signature`, and returns its mode: Replay when the entry's graph was
  /// recorded for this signature; Record when the entry's previous call had
  /// it (a signature seen twice in a row is a loop's: the first call also
  /// loads the kernels and sets up cuBLAS, which a recording must not do);
  /// else Eager.
  GraphMode begin(int32_t entry, uint64_t signature);

  /// The mode of the call in progress, or of the group in progress between
  /// its calls; Eager otherwise.
  GraphMode mode() const { return current; }

  /// The entry of the call in progress, or -1.
  int32_t entry() const { return currentEntry; }

  /// Ends the call in progress. After a Record, the entry's graph is the
  /// one recorded for the call's signature.
  void end();

  /// Starts a group of calls whose buffers and sizes `signature` identifies
  /// and returns its mode, which every call in it then has: the calls of a
  /// group are recorded and replayed together, by the same rules as an
  /// entry's (Record for a signature seen twice in a row, Replay for the
  /// one recorded), except that a group one of whose calls cannot be
  /// recorded (uncapturedCall) is never recorded.
  GraphMode beginGroup(uint64_t signature);
  bool inGroup() const { return grouped; }
  /// The number of the call in progress in its group (0 for the first).
  size_t groupPosition() const { return groupCalls.size() - 1; }
  /// Notes a call of the group that did not begin with `begin` (an entry
  /// point whose work cannot be recorded). False when the group is being
  /// recorded or replayed: then its graph would miss the call's work.
  bool uncapturedCall();
  /// False when the calls of a group being recorded or replayed so far are
  /// not those of the group it repeats (the one before it, or the
  /// recording): a signature that does not tell them apart.
  bool consistent() const { return groupConsistent; }
  /// Ends the group in progress and returns its mode. After a Record, the
  /// group's graph is the one recorded for its signature.
  GraphMode endGroup();

  /// How many calls began in each mode, by entry (index: entry number).
  struct Counts {
    uint64_t eager = 0, record = 0, replay = 0;
  };
  const std::vector<Counts> &counts() const { return calls; }
  /// How many groups began in each mode.
  const Counts &groupCounts() const { return groups; }

private:
  struct Entry {
    /// The signature the entry's graph was recorded for, if it has one.
    std::optional<uint64_t> graph;
    /// The signature of its previous call.
    std::optional<uint64_t> last;
  };
  /// The calls of a group, in order: (entry, signature).
  using CallList = std::vector<std::pair<int32_t, uint64_t>>;
  /// The calls the group in progress must repeat: the recording's when it
  /// replays, the previous group's when it records; null when eager.
  const CallList *repeatedCalls() const;
  /// The state of `entry` (0 or more), made on first use.
  Entry &entryState(int32_t entry);
  /// Counts a call in `mode` for `entry` (0 or more).
  void count(int32_t entry, GraphMode mode);

  bool enabled;
  std::vector<Entry> entries;
  std::vector<Counts> calls;
  GraphMode current = GraphMode::Eager;
  int32_t currentEntry = -1;
  uint64_t currentSignature = 0;

  // Groups.
  bool grouped = false;
  GraphMode groupMode = GraphMode::Eager;
  uint64_t groupSignature = 0;
  /// The calls of the group in progress, whether each so far began with
  /// `begin`, and whether they are the ones the group repeats.
  CallList groupCalls;
  bool groupCapturable = true;
  bool groupConsistent = true;
  /// The signature and calls of the previous group, if every call of it
  /// could be recorded, and of the recorded one.
  std::optional<uint64_t> lastGroup, recordedGroup;
  CallList lastGroupCalls, recordedGroupCalls;
  Counts groups;
};

} // namespace gps::rt

#endif // GPS_RUNTIME_GRAPHCALLS_H
