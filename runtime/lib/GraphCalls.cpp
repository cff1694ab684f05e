//===- GraphCalls.cpp - which calls the GPU runtime records and replays ---===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Runtime/GraphCalls.h"

using namespace gps::rt;

GraphMode GraphCalls::begin(int32_t entry, uint64_t signature) {
  currentEntry = entry;
  currentSignature = signature;
  current = GraphMode::Eager;
  if (!enabled || entry < 0)
    return current;
  if (static_cast<size_t>(entry) >= entries.size())
    entries.resize(static_cast<size_t>(entry) + 1);
  Entry &state = entries[static_cast<size_t>(entry)];
  if (state.graph == signature)
    current = GraphMode::Replay;
  else if (state.last == signature)
    current = GraphMode::Record;
  state.last = signature;
  return current;
}

void GraphCalls::end() {
  if (current == GraphMode::Record)
    entries[static_cast<size_t>(currentEntry)].graph = currentSignature;
  current = GraphMode::Eager;
  currentEntry = -1;
}

void GraphCalls::forget(int32_t entry) {
  if (entry >= 0 && static_cast<size_t>(entry) < entries.size())
    entries[static_cast<size_t>(entry)] = Entry();
}
