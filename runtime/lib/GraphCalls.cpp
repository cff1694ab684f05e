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
  if (entry < 0)
    return current;
  auto index = static_cast<size_t>(entry);
  if (index >= entries.size()) {
    entries.resize(index + 1);
    calls.resize(index + 1);
  }
  Entry &state = entries[index];
  if (enabled && state.graph == signature)
    current = GraphMode::Replay;
  else if (enabled && state.last == signature)
    current = GraphMode::Record;
  state.last = signature;
  Counts &count = calls[index];
  ++(current == GraphMode::Replay   ? count.replay
     : current == GraphMode::Record ? count.record
                                    : count.eager);
  return current;
}

void GraphCalls::end() {
  if (current == GraphMode::Record)
    entries[static_cast<size_t>(currentEntry)].graph = currentSignature;
  current = GraphMode::Eager;
  currentEntry = -1;
}
