//===- Lexer.cpp - .gps lexer ---------------------------------------------===//

#include "gps/Frontend/Lexer.h"
#include "gps/Frontend/Diagnostics.h"

#include "llvm/ADT/StringExtras.h"

using namespace gps;

const char *gps::tokSpelling(Tok kind) {
  switch (kind) {
  case Tok::eof:
    return "end of file";
  case Tok::error:
    return "invalid token";
  case Tok::identifier:
    return "identifier";
  case Tok::integer:
    return "integer";
  case Tok::real:
    return "number";
  case Tok::string:
    return "string";
  case Tok::lbrace:
    return "'{'";
  case Tok::rbrace:
    return "'}'";
  case Tok::lparen:
    return "'('";
  case Tok::rparen:
    return "')'";
  case Tok::lsquare:
    return "'['";
  case Tok::rsquare:
    return "']'";
  case Tok::comma:
    return "','";
  case Tok::colon:
    return "':'";
  case Tok::equal:
    return "'='";
  case Tok::tilde:
    return "'~'";
  case Tok::plus:
    return "'+'";
  case Tok::minus:
    return "'-'";
  case Tok::star:
    return "'*'";
  case Tok::slash:
    return "'/'";
  case Tok::dot:
    return "'.'";
  case Tok::dotdot:
    return "'..'";
  case Tok::arrow:
    return "'->'";
  case Tok::pipepipe:
    return "'||'";
  }
  return "token";
}

Lexer::Lexer(llvm::StringRef buffer, DiagEngine &diag)
    : buffer(buffer), cur(buffer.begin()), diag(diag) {}

Token Lexer::make(Tok kind, const char *start) {
  Token tok;
  tok.kind = kind;
  tok.spelling = llvm::StringRef(start, cur - start);
  return tok;
}

static llvm::SMLoc locOf(const char *p) {
  return llvm::SMLoc::getFromPointer(p);
}

void Lexer::skipTrivia() {
  const char *end = buffer.end();
  while (cur != end) {
    char c = *cur;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++cur;
      continue;
    }
    if (c == '/' && cur + 1 != end && cur[1] == '/') {
      while (cur != end && *cur != '\n')
        ++cur;
      continue;
    }
    if (c == '/' && cur + 1 != end && cur[1] == '*') {
      const char *start = cur;
      cur += 2;
      while (cur != end && !(*cur == '*' && cur + 1 != end && cur[1] == '/'))
        ++cur;
      if (cur == end) {
        diag.error(locOf(start), "unterminated block comment");
        inUnterminatedComment = true;
        return;
      }
      cur += 2;
      continue;
    }
    return;
  }
}

Token Lexer::next() {
  skipTrivia();
  const char *start = cur;
  if (cur == buffer.end())
    return make(Tok::eof, start);
  char c = *cur++;

  if (llvm::isAlpha(c) || c == '_') {
    while (cur != buffer.end() && (llvm::isAlnum(*cur) || *cur == '_'))
      ++cur;
    return make(Tok::identifier, start);
  }

  if (llvm::isDigit(c)) {
    bool isReal = false;
    while (cur != buffer.end() && llvm::isDigit(*cur))
      ++cur;
    // A fraction, but not the range operator `1..T`.
    if (cur != buffer.end() && *cur == '.' &&
        !(cur + 1 != buffer.end() && cur[1] == '.')) {
      isReal = true;
      ++cur;
      while (cur != buffer.end() && llvm::isDigit(*cur))
        ++cur;
    }
    if (cur != buffer.end() && (*cur == 'e' || *cur == 'E')) {
      const char *save = cur++;
      if (cur != buffer.end() && (*cur == '+' || *cur == '-'))
        ++cur;
      if (cur != buffer.end() && llvm::isDigit(*cur)) {
        isReal = true;
        while (cur != buffer.end() && llvm::isDigit(*cur))
          ++cur;
      } else {
        cur = save;
      }
    }
    return make(isReal ? Tok::real : Tok::integer, start);
  }

  switch (c) {
  case '{':
    return make(Tok::lbrace, start);
  case '}':
    return make(Tok::rbrace, start);
  case '(':
    return make(Tok::lparen, start);
  case ')':
    return make(Tok::rparen, start);
  case '[':
    return make(Tok::lsquare, start);
  case ']':
    return make(Tok::rsquare, start);
  case ',':
    return make(Tok::comma, start);
  case ':':
    return make(Tok::colon, start);
  case '=':
    return make(Tok::equal, start);
  case '~':
    return make(Tok::tilde, start);
  case '+':
    return make(Tok::plus, start);
  case '*':
    return make(Tok::star, start);
  case '/':
    return make(Tok::slash, start);
  case '-':
    if (cur != buffer.end() && *cur == '>') {
      ++cur;
      return make(Tok::arrow, start);
    }
    return make(Tok::minus, start);
  case '.':
    if (cur != buffer.end() && *cur == '.') {
      ++cur;
      return make(Tok::dotdot, start);
    }
    return make(Tok::dot, start);
  case '|':
    if (cur != buffer.end() && *cur == '|') {
      ++cur;
      return make(Tok::pipepipe, start);
    }
    diag.error(locOf(start), "expected '||'; a single '|' is not an operator");
    return make(Tok::pipepipe, start); // Recover as if '||' was meant.

  case '"': {
    while (cur != buffer.end() && *cur != '"' && *cur != '\n')
      ++cur;
    if (cur == buffer.end() || *cur == '\n') {
      diag.error(locOf(start), "unterminated string");
      return make(Tok::error, start);
    }
    ++cur;
    return make(Tok::string, start);
  }
  default:
    break;
  }
  auto byte = static_cast<unsigned char>(c);
  if (byte >= 0xc2 && byte <= 0xf4) {
    // A UTF-8 sequence: one error for the whole character.
    while (cur != buffer.end() &&
           (static_cast<unsigned char>(*cur) & 0xc0) == 0x80)
      ++cur;
    diag.error(locOf(start), "non-ASCII character '" +
                                 llvm::StringRef(start, cur - start) +
                                 "' (a .gps file is ASCII text)");
    return make(Tok::error, start);
  }
  if (byte >= 0x20 && byte < 0x7f)
    diag.error(locOf(start),
               "unexpected character '" + llvm::Twine(c) + "'");
  else
    diag.error(locOf(start),
               "unexpected byte 0x" +
                   llvm::utohexstr(static_cast<unsigned char>(c), /*LowerCase=*/false, 2) +
                   " (a .gps file is ASCII text)");
  return make(Tok::error, start);
}

bool Lexer::peekIsEqual() const {
  const char *p = cur;
  while (p != buffer.end() && (*p == ' ' || *p == '\t' || *p == '\n' ||
                               *p == '\r'))
    ++p;
  return p != buffer.end() && *p == '=';
}
