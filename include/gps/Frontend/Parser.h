//===- Parser.h - .gps recursive-descent parser -----------------*- C++ -*-===//
//
// Parses one `model` declaration into an ast::Model. Syntax errors are
// reported through the DiagEngine; the parser recovers at the next
// declaration so that one run reports several errors.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_FRONTEND_PARSER_H
#define GPS_FRONTEND_PARSER_H

#include "gps/Frontend/AST.h"

#include <memory>

namespace gps {
class DiagEngine;

/// Parses the main buffer of the DiagEngine's SourceMgr. Returns null when
/// nothing could be parsed; a non-null model may still come with errors
/// (check DiagEngine::getNumErrors()).
std::unique_ptr<ast::Model> parseModel(DiagEngine &diag);

} // namespace gps

#endif // GPS_FRONTEND_PARSER_H
