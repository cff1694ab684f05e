//===- Diagnostics.h - .gps front-end diagnostics ---------------*- C++ -*-===//
//
// Reports errors as `file:line:col: error: message` with the source line and
// a caret, through llvm::SourceMgr, and counts them.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_FRONTEND_DIAGNOSTICS_H
#define GPS_FRONTEND_DIAGNOSTICS_H

#include "llvm/ADT/Twine.h"
#include "llvm/Support/SMLoc.h"
#include "llvm/Support/SourceMgr.h"

namespace gps {

class DiagEngine {
public:
  /// Stop reporting after this many errors.
  static constexpr unsigned kMaxErrors = 20;

  DiagEngine(llvm::SourceMgr &srcMgr, llvm::raw_ostream &os)
      : srcMgr(srcMgr), os(os) {}
  /// Says so when errors were dropped at the limit.
  ~DiagEngine();

  void error(llvm::SMLoc loc, const llvm::Twine &msg);
  void note(llvm::SMLoc loc, const llvm::Twine &msg);

  unsigned getNumErrors() const { return numErrors; }
  /// True once kMaxErrors errors were reported: callers stop early.
  bool tooManyErrors() const { return numErrors >= kMaxErrors; }
  llvm::SourceMgr &getSourceMgr() { return srcMgr; }

private:
  llvm::SourceMgr &srcMgr;
  llvm::raw_ostream &os;
  unsigned numErrors = 0;
  bool lastErrorShown = true; // notes follow the error they explain
};

} // namespace gps

#endif // GPS_FRONTEND_DIAGNOSTICS_H
