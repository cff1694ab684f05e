//===- Diagnostics.cpp - .gps front-end diagnostics -----------------------===//

#include "gps/Frontend/Diagnostics.h"

#include "llvm/Support/raw_ostream.h"

using namespace gps;

void DiagEngine::error(llvm::SMLoc loc, const llvm::Twine &msg) {
  if (numErrors == kMaxErrors)
    return;
  ++numErrors;
  srcMgr.PrintMessage(os, loc, llvm::SourceMgr::DK_Error, msg);
  if (numErrors == kMaxErrors)
    os << "error: too many errors emitted, stopping now\n";
}

void DiagEngine::note(llvm::SMLoc loc, const llvm::Twine &msg) {
  if (numErrors > kMaxErrors)
    return;
  srcMgr.PrintMessage(os, loc, llvm::SourceMgr::DK_Note, msg);
}
