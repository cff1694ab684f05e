//===- GraphCalls.cpp - which calls the GPU runtime records and replays ---===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/GraphCalls.h"

using namespace gps::rt;

GraphCalls::Entry &GraphCalls::entryState(int32_t entry) {
  auto index = static_cast<size_t>(entry);
  if (index >= entries.size()) {
    entries.resize(index + 1);
    calls.resize(index + 1);
  }
  return entries[index];
}

void GraphCalls::count(int32_t entry, GraphMode mode) {
  entryState(entry);
  Counts &count = calls[static_cast<size_t>(entry)];
  ++(mode == GraphMode::Replay   ? count.replay
     : mode == GraphMode::Record ? count.record
                                 : count.eager);
}

const GraphCalls::CallList *GraphCalls::repeatedCalls() const {
  return groupMode == GraphMode::Replay   ? &recordedGroupCalls
         : groupMode == GraphMode::Record ? &lastGroupCalls
                                          : nullptr;
}

GraphMode GraphCalls::begin(int32_t entry, uint64_t signature) {
  currentEntry = entry;
  currentSignature = signature;
  if (grouped) {
    // The group's mode; the calls must be the ones the group repeats.
    current = groupMode;
    groupCalls.emplace_back(entry, signature);
    if (entry >= 0)
      count(entry, current);
    const CallList *expected = repeatedCalls();
    size_t at = groupCalls.size() - 1;
    if (expected &&
        (at >= expected->size() || (*expected)[at] != groupCalls[at]))
      groupConsistent = false;
    return current;
  }
  current = GraphMode::Eager;
  if (entry < 0)
    return current;
  Entry &state = entryState(entry);
  if (enabled && state.graph == signature)
    current = GraphMode::Replay;
  else if (enabled && state.last == signature)
    current = GraphMode::Record;
  state.last = signature;
  count(entry, current);
  return current;
}

void GraphCalls::end() {
  if (grouped) {
    currentEntry = -1;
    return;
  }
  if (current == GraphMode::Record)
    entries[static_cast<size_t>(currentEntry)].graph = currentSignature;
  current = GraphMode::Eager;
  currentEntry = -1;
}

GraphMode GraphCalls::beginGroup(uint64_t signature) {
  grouped = true;
  groupSignature = signature;
  groupCalls.clear();
  groupCapturable = true;
  groupConsistent = true;
  groupMode = GraphMode::Eager;
  if (enabled && recordedGroup == signature)
    groupMode = GraphMode::Replay;
  else if (enabled && lastGroup == signature)
    groupMode = GraphMode::Record;
  ++(groupMode == GraphMode::Replay   ? groups.replay
     : groupMode == GraphMode::Record ? groups.record
                                      : groups.eager);
  current = groupMode;
  currentEntry = -1;
  return groupMode;
}

bool GraphCalls::uncapturedCall() {
  groupCapturable = false;
  return groupMode == GraphMode::Eager;
}

GraphMode GraphCalls::endGroup() {
  GraphMode mode = groupMode;
  const CallList *expected = repeatedCalls();
  if (expected && expected->size() != groupCalls.size())
    groupConsistent = false;
  if (mode == GraphMode::Record) {
    recordedGroup = groupSignature;
    recordedGroupCalls = groupCalls;
  }
  if (groupCapturable) {
    lastGroup = groupSignature;
    lastGroupCalls = groupCalls;
  } else {
    lastGroup.reset();
    lastGroupCalls.clear();
  }
  grouped = false;
  groupMode = GraphMode::Eager;
  current = GraphMode::Eager;
  currentEntry = -1;
  return mode;
}
