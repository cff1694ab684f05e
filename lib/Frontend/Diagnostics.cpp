//===- Diagnostics.cpp - .gps front-end diagnostics -----------------------===//

#include "gps/Frontend/Diagnostics.h"

#include "llvm/Support/raw_ostream.h"

using namespace gps;

void DiagEngine::error(llvm::SMLoc loc, const llvm::Twine &msg) {
  lastErrorShown = numErrors < kMaxErrors;
  if (!lastErrorShown)
    return;
  ++numErrors;
  srcMgr.PrintMessage(os, loc, llvm::SourceMgr::DK_Error, msg);
}

DiagEngine::~DiagEngine() {
  if (tooManyErrors())
    os << "error: too many errors emitted, stopping now\n";
}

void DiagEngine::note(llvm::SMLoc loc, const llvm::Twine &msg) {
  if (!lastErrorShown)
    return;
  srcMgr.PrintMessage(os, loc, llvm::SourceMgr::DK_Note, msg);
}
