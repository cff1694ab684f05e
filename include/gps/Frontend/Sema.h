//===- Sema.h - .gps semantic analysis --------------------------*- C++ -*-===//
//
// Checks names, types and shapes, loops and indices, the pairing of guide and
// primary sample sites, and the information-flow rule (the primary reads only
// the inputs it declares, never guide-only data). MLIRGen runs only on a
// model that passed Sema.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_FRONTEND_SEMA_H
#define GPS_FRONTEND_SEMA_H

#include "gps/Frontend/AST.h"

namespace gps {
class DiagEngine;

/// Returns true when the model is well formed; reports every error found.
bool checkModel(const ast::Model &model, DiagEngine &diag);

/// Builtin functions of the language, shared by Sema and MLIRGen.
bool isActivation(llvm::StringRef name);

} // namespace gps

#endif // GPS_FRONTEND_SEMA_H
