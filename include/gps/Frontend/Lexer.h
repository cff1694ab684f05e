//===- Lexer.h - .gps lexer -------------------------------------*- C++ -*-===//
//
// Splits a .gps source buffer into tokens. Every token keeps its source
// location as an llvm::SMLoc into the buffer.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_FRONTEND_LEXER_H
#define GPS_FRONTEND_LEXER_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SMLoc.h"

namespace gps {
class DiagEngine;

enum class Tok {
  eof,
  error,
  identifier,
  integer,
  real,
  string,
  // Punctuation.
  lbrace,
  rbrace,
  lparen,
  rparen,
  lsquare,
  rsquare,
  comma,
  colon,
  equal,
  tilde,
  plus,
  minus,
  star,
  slash,
  dot,
  dotdot,
  arrow,
  pipepipe,
};

/// A human-readable spelling of a token kind, for messages.
const char *tokSpelling(Tok kind);

struct Token {
  Tok kind = Tok::eof;
  llvm::StringRef spelling;
  llvm::SMLoc loc() const { return llvm::SMLoc::getFromPointer(spelling.data()); }
  bool is(Tok k) const { return kind == k; }
  bool isKeyword(llvm::StringRef word) const {
    return kind == Tok::identifier && spelling == word;
  }
};

class Lexer {
public:
  Lexer(llvm::StringRef buffer, DiagEngine &diag);
  /// Returns the next token; reports malformed input and returns Tok::error.
  Token next();
  /// True when the next token is `=` (and not `==`); reports nothing.
  bool peekIsEqual() const;
  /// True when an unterminated block comment ran to the end of the buffer.
  bool endedInComment() const { return inUnterminatedComment; }

private:
  Token make(Tok kind, const char *start);
  void skipTrivia();

  llvm::StringRef buffer;
  const char *cur;
  DiagEngine &diag;
  bool inUnterminatedComment = false;
};

} // namespace gps

#endif // GPS_FRONTEND_LEXER_H
