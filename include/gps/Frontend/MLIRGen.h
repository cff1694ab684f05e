//===- MLIRGen.h - .gps AST to gps dialect ----------------------*- C++ -*-===//
//
// Builds a builtin.module holding one gps.model from a model that passed
// Sema. Every operation carries the FileLineColLoc of its source.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_FRONTEND_MLIRGEN_H
#define GPS_FRONTEND_MLIRGEN_H

#include "gps/Frontend/AST.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace llvm {
class SourceMgr;
} // namespace llvm

namespace gps {

/// Returns null (after reporting through the context's diagnostics) when the
/// generated module fails to verify.
mlir::OwningOpRef<mlir::ModuleOp> mlirGen(mlir::MLIRContext &context,
                                          llvm::SourceMgr &srcMgr,
                                          const ast::Model &model);

} // namespace gps

#endif // GPS_FRONTEND_MLIRGEN_H
