//===- Sema.h - .gps semantic analysis --------------------------*- C++ -*-===//
//
// Checks names, types and shapes, loops and indices, the pairing of guide and
// primary sample sites, and the information-flow rule (the primary reads only
// the inputs it declares, never guide-only data). Resolves the kind words
// the parser kept as spelled (data, mask, initialiser, net architecture,
// activation, callee) into the enums of the AST. MLIRGen runs only on a
// model that passed Sema.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_FRONTEND_SEMA_H
#define GPS_FRONTEND_SEMA_H

#include "gps/Frontend/AST.h"

namespace gps {
class DiagEngine;

/// Returns true when the model is well formed; reports every error found.
/// Fills in the resolved kinds of `model`'s nodes.
bool checkModel(ast::Model &model, DiagEngine &diag);

} // namespace gps

#endif // GPS_FRONTEND_SEMA_H
