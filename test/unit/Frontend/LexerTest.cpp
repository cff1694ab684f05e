//===- LexerTest.cpp - tests of the .gps lexer ----------------------------===//

#include "gps/Frontend/Diagnostics.h"
#include "gps/Frontend/Lexer.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

#include <string>
#include <vector>

using namespace gps;

namespace {

/// Lexes `text` and records every token and the diagnostics.
struct Lexed {
  std::vector<Token> tokens;
  std::string diagnostics;
  unsigned errors = 0;
  llvm::SourceMgr srcMgr;
  std::string text;

  explicit Lexed(std::string source) : text(std::move(source)) {
    srcMgr.AddNewSourceBuffer(
        llvm::MemoryBuffer::getMemBuffer(text, "test.gps"), llvm::SMLoc());
    llvm::raw_string_ostream os(diagnostics);
    DiagEngine diag(srcMgr, os);
    Lexer lexer(text, diag);
    for (;;) {
      Token tok = lexer.next();
      tokens.push_back(tok);
      if (tok.is(Tok::eof) || tokens.size() > 1000)
        break;
    }
    errors = diag.getNumErrors();
  }

  std::vector<Tok> kinds() const {
    std::vector<Tok> out;
    for (const Token &t : tokens)
      out.push_back(t.kind);
    return out;
  }
};

TEST(LexerTest, Punctuation) {
  Lexed l("{ } ( ) [ ] , : = ~ + - * / . .. -> ||");
  std::vector<Tok> want = {
      Tok::lbrace, Tok::rbrace, Tok::lparen,   Tok::rparen, Tok::lsquare,
      Tok::rsquare, Tok::comma, Tok::colon,    Tok::equal,  Tok::tilde,
      Tok::plus,   Tok::minus,  Tok::star,     Tok::slash,  Tok::dot,
      Tok::dotdot, Tok::arrow,  Tok::pipepipe, Tok::eof};
  EXPECT_EQ(l.kinds(), want);
  EXPECT_EQ(l.errors, 0u);
}

TEST(LexerTest, RangeIsNotAFraction) {
  // `1..T` is integer, '..', identifier; `1.5` is one number.
  Lexed l("1..T 1.5 2e-3 7e");
  std::vector<Tok> want = {Tok::integer, Tok::dotdot, Tok::identifier,
                           Tok::real,    Tok::real,   Tok::integer,
                           Tok::identifier, Tok::eof};
  EXPECT_EQ(l.kinds(), want);
  EXPECT_EQ(l.tokens[3].spelling, "1.5");
  EXPECT_EQ(l.tokens[4].spelling, "2e-3");
  // `7e` is the integer 7 followed by the identifier `e`.
  EXPECT_EQ(l.tokens[5].spelling, "7");
}

TEST(LexerTest, CommentsAreSkipped) {
  Lexed l("a // line comment\n/* block\n comment */ b");
  ASSERT_EQ(l.tokens.size(), 3u);
  EXPECT_EQ(l.tokens[0].spelling, "a");
  EXPECT_EQ(l.tokens[1].spelling, "b");
  EXPECT_EQ(l.errors, 0u);
}

TEST(LexerTest, TokensPointIntoTheBuffer) {
  Lexed l("model  vae {");
  ASSERT_GE(l.tokens.size(), 3u);
  EXPECT_EQ(l.tokens[1].spelling.data() - l.text.data(), 7);
  auto [line, col] = l.srcMgr.getLineAndColumn(l.tokens[2].loc());
  EXPECT_EQ(line, 1u);
  EXPECT_EQ(col, 12u);
}

TEST(LexerTest, UnterminatedBlockComment) {
  Lexed l("a /* never closed");
  EXPECT_EQ(l.errors, 1u);
  EXPECT_NE(l.diagnostics.find("test.gps:1:3: error: unterminated block "
                               "comment"),
            std::string::npos)
      << l.diagnostics;
}

TEST(LexerTest, UnterminatedString) {
  Lexed l("\"abc\nx");
  EXPECT_EQ(l.tokens[0].kind, Tok::error);
  EXPECT_NE(l.diagnostics.find("1:1: error: unterminated string"),
            std::string::npos)
      << l.diagnostics;
}

TEST(LexerTest, SinglePipeIsAnErrorThatRecoversAsTwo) {
  Lexed l("a | b");
  EXPECT_EQ(l.errors, 1u);
  EXPECT_EQ(l.tokens[1].kind, Tok::pipepipe);
  EXPECT_NE(l.diagnostics.find("1:3: error: expected '||'"),
            std::string::npos);
}

TEST(LexerTest, BinaryBytesAreReportedAndSkipped) {
  std::string text("a\x01\xff" "b", 4);
  Lexed l(text);
  EXPECT_EQ(l.errors, 2u);
  EXPECT_NE(l.diagnostics.find("unexpected byte 0x01"), std::string::npos);
  EXPECT_NE(l.diagnostics.find("unexpected byte 0xFF"), std::string::npos);
  EXPECT_EQ(l.tokens.back().kind, Tok::eof);
  EXPECT_EQ(l.tokens[l.tokens.size() - 2].spelling, "b");
}

TEST(LexerTest, NulBytesDoNotEndTheFile) {
  std::string text("a\0b", 3);
  Lexed l(text);
  EXPECT_EQ(l.errors, 1u);
  EXPECT_EQ(l.tokens[l.tokens.size() - 2].spelling, "b");
}

TEST(LexerTest, ErrorLimit) {
  // Past DiagEngine::kMaxErrors the engine stops printing.
  Lexed l(std::string(50, '#'));
  EXPECT_EQ(l.errors, DiagEngine::kMaxErrors);
  EXPECT_NE(l.diagnostics.find("too many errors"), std::string::npos);
}

TEST(LexerTest, PeekIsEqual) {
  llvm::SourceMgr srcMgr;
  std::string text = "logits = c  x == y";
  srcMgr.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBuffer(text, "t"),
                            llvm::SMLoc());
  std::string out;
  llvm::raw_string_ostream os(out);
  DiagEngine diag(srcMgr, os);
  Lexer lexer(text, diag);
  lexer.next(); // logits
  EXPECT_TRUE(lexer.peekIsEqual());
  lexer.next(); // =
  EXPECT_FALSE(lexer.peekIsEqual());
}

} // namespace
