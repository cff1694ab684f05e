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
// recording and replaying. Plain C++, so that the policy is tested where
// there is no GPU.
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

  /// The mode of the call in progress; Eager between calls.
  GraphMode mode() const { return current; }

  /// The entry of the call in progress, or -1.
  int32_t entry() const { return currentEntry; }

  /// Ends the call in progress. After a Record, the entry's graph is the
  /// one recorded for the call's signature.
  void end();

  /// How many calls began in each mode, by entry (index: entry number).
  struct Counts {
    uint64_t eager = 0, record = 0, replay = 0;
  };
  const std::vector<Counts> &counts() const { return calls; }

private:
  struct Entry {
    /// The signature the entry's graph was recorded for, if it has one.
    std::optional<uint64_t> graph;
    /// The signature of its previous call.
    std::optional<uint64_t> last;
  };
  bool enabled;
  std::vector<Entry> entries;
  std::vector<Counts> calls;
  GraphMode current = GraphMode::Eager;
  int32_t currentEntry = -1;
  uint64_t currentSignature = 0;
};

} // namespace gps::rt

#endif // GPS_RUNTIME_GRAPHCALLS_H
