//===- Parser.cpp - .gps recursive-descent parser -------------------------===//
//
// The grammar is in docs/language.md. Each parse function consumes one
// production and returns null / false after reporting an error.
//
//===----------------------------------------------------------------------===//

#include "gps/Frontend/Parser.h"
#include "gps/Frontend/Diagnostics.h"
#include "gps/Frontend/Lexer.h"

#include "llvm/ADT/StringSwitch.h"

#include <cmath>
#include <limits>

using namespace gps;
using namespace gps::ast;

namespace {

/// Expressions and loops nest at most this deep; deeper input is rejected
/// instead of overflowing the stack.
constexpr unsigned kMaxNesting = 256;

class Parser {
public:
  Parser(llvm::StringRef buffer, DiagEngine &diag)
      : lexer(buffer, diag), diag(diag) {
    consume();
  }

  std::unique_ptr<Model> parseFile();

private:
  //===--------------------------------------------------------------------===//
  // Token helpers
  //===--------------------------------------------------------------------===//

  void consume() {
    if (tok.is(Tok::lbrace))
      ++braceDepth;
    else if (tok.is(Tok::rbrace) && braceDepth > 0)
      --braceDepth;
    prev = tok;
    // Malformed tokens were reported by the lexer; parse on without them.
    do
      tok = lexer.next();
    while (tok.is(Tok::error));
  }

  /// True when the current token cannot start anything: the end of a file
  /// whose rest an unterminated comment swallowed (already reported).
  bool atSwallowedEnd() const {
    return tok.is(Tok::eof) && lexer.endedInComment();
  }

  /// Reports "expected X" at the current token unless the lexer already
  /// reported it (an error token) or we are over the error limit.
  void expected(const llvm::Twine &what) {
    if (atSwallowedEnd() || diag.tooManyErrors())
      return;
    std::string found = tok.is(Tok::eof)
                            ? std::string("end of file")
                            : "'" + tok.spelling.str() + "'";
    diag.error(tok.loc(), "expected " + what + ", found " + found);
  }

  bool accept(Tok kind) {
    if (!tok.is(kind))
      return false;
    consume();
    return true;
  }

  bool acceptKeyword(llvm::StringRef word) {
    if (!tok.isKeyword(word))
      return false;
    consume();
    return true;
  }

  bool expect(Tok kind, const llvm::Twine &context = "") {
    if (accept(kind))
      return true;
    expected(llvm::Twine(tokSpelling(kind)) + context);
    return false;
  }

  bool expectKeyword(llvm::StringRef word) {
    if (acceptKeyword(word))
      return true;
    expected("'" + word + "'");
    return false;
  }

  bool parseIdent(std::string &out, llvm::SMLoc &loc,
                  const llvm::Twine &what = "identifier") {
    if (!tok.is(Tok::identifier)) {
      expected(what);
      return false;
    }
    out = tok.spelling.str();
    loc = tok.loc();
    consume();
    return true;
  }

  bool parseInt(int64_t &out, const llvm::Twine &what = "integer") {
    if (!tok.is(Tok::integer) || tok.spelling.getAsInteger(10, out) ||
        out > (int64_t(1) << 40)) {
      if (tok.is(Tok::integer))
        diag.error(tok.loc(), "integer '" + tok.spelling + "' is too large");
      else
        expected(what);
      return false;
    }
    consume();
    return true;
  }

  /// The value of the number token `tok`; reports a literal that a 32-bit
  /// float cannot hold (one that overflows to infinity, or a non-zero one
  /// that rounds to zero).
  bool numberValue(double &out) {
    out = std::strtod(tok.spelling.str().c_str(), nullptr);
    double mag = std::fabs(out);
    if (std::isfinite(out) && mag <= std::numeric_limits<float>::max() &&
        (mag == 0 || float(mag) != 0))
      return true;
    bool large = !std::isfinite(out) || mag > 1;
    diag.error(tok.loc(), "number '" + tok.spelling + "' is too " +
                              (large ? "large" : "small") +
                              " for a 32-bit float" +
                              (large ? "" : " (it rounds to 0)"));
    return false;
  }

  bool parseNumber(double &out) {
    bool negative = accept(Tok::minus);
    if (!tok.is(Tok::integer) && !tok.is(Tok::real)) {
      expected("number");
      return false;
    }
    if (!numberValue(out))
      return false;
    if (negative)
      out = -out;
    consume();
    return true;
  }

  /// Skips to the next declaration keyword at brace depth `depth` (the
  /// model body), or to the `}` that closes the model.
  void recoverToDecl(unsigned depth);

  //===--------------------------------------------------------------------===//
  // Productions
  //===--------------------------------------------------------------------===//

  DeclPtr parseDecl();
  DeclPtr parseData();
  DeclPtr parseMask();
  DeclPtr parseSteps();
  DeclPtr parseNet();
  DeclPtr parseParam();
  DeclPtr parsePolicy();
  DeclPtr parseObjective();
  bool parseNetSpec(NetSpec &spec);
  bool parseLayer(Layer &layer);
  bool parseTypeAnnot(TypeAnnot &type);
  bool parseBlock(std::vector<StmtPtr> &body);
  StmtPtr parseStmt();
  bool parseTarget(Target &target);
  ExprPtr parseExpr();
  ExprPtr parseTerm();
  ExprPtr parseUnary();
  ExprPtr parsePostfix();
  ExprPtr parsePrimary();

  /// Enters one level of nesting: a parenthesis, a call's argument list,
  /// a unary minus or kl(...) in an expression (`exprDepth`), or a loop
  /// body (`blockDepth`). Returns false (after an error) when that makes
  /// more than kMaxNesting levels. Every level costs a bounded number of
  /// stack frames, so the limit also bounds the parser's stack.
  bool enter(unsigned &depth, llvm::SMLoc loc) {
    if (depth < kMaxNesting) {
      ++depth;
      return true;
    }
    if (!tooDeepReported)
      diag.error(loc, "expression or block nested too deeply (limit " +
                          llvm::Twine(kMaxNesting) + ")");
    tooDeepReported = true;
    return false;
  }
  /// Sets the height of `e` from its children; rejects trees more than
  /// kMaxNesting operators deep (long operator chains such as
  /// `a + a + ... + a`), which every later recursive walk would otherwise
  /// have to survive. A leaf has height 1, so the limit is a height of
  /// kMaxNesting + 1.
  ExprPtr bounded(ExprPtr e) {
    unsigned h = 0;
    for (const ExprPtr *child : {&e->lhs, &e->rhs, &e->base})
      if (*child)
        h = std::max(h, (*child)->height);
    for (const Arg &arg : e->args)
      h = std::max(h, arg.value->height);
    e->height = h + 1;
    if (e->height <= kMaxNesting + 1)
      return e;
    if (!tooDeepReported)
      diag.error(e->loc, "expression nested too deeply (limit " +
                             llvm::Twine(kMaxNesting) + ")");
    tooDeepReported = true;
    return nullptr;
  }
  struct DepthScope {
    unsigned &depth;
    ~DepthScope() { --depth; }
  };

  Lexer lexer;
  DiagEngine &diag;
  Token tok, prev;
  unsigned braceDepth = 0; // `{` consumed and not yet closed
  unsigned exprDepth = 0, blockDepth = 0;
  bool tooDeepReported = false;
};

} // namespace

static bool isDeclKeyword(const Token &tok) {
  if (!tok.is(Tok::identifier))
    return false;
  return llvm::StringSwitch<bool>(tok.spelling)
      .Cases({"data", "mask", "steps", "net", "param", "primary", "guide",
              "impute", "objective"},
             true)
      .Default(false);
}

void Parser::recoverToDecl(unsigned depth) {
  while (!tok.is(Tok::eof)) {
    if (braceDepth == depth && (isDeclKeyword(tok) || tok.is(Tok::rbrace)))
      return;
    consume();
  }
}

std::unique_ptr<Model> Parser::parseFile() {
  if (tok.is(Tok::eof)) {
    if (diag.getNumErrors() == 0)
      diag.error(tok.loc(), "empty file: expected a 'model' declaration");
    return nullptr;
  }
  auto model = std::make_unique<Model>();
  model->loc = tok.loc();
  if (!expectKeyword("model") || !parseIdent(model->name, model->loc,
                                             "model name") ||
      !expect(Tok::lbrace, " after the model name"))
    return nullptr;

  unsigned bodyDepth = braceDepth;
  while (!tok.is(Tok::rbrace) && !tok.is(Tok::eof) &&
         !diag.tooManyErrors()) {
    unsigned before = diag.getNumErrors();
    const char *start = tok.spelling.data();
    if (DeclPtr decl = parseDecl()) {
      model->decls.push_back(std::move(decl));
      continue;
    }
    if (diag.getNumErrors() == before)
      expected("a declaration");
    // Always make progress.
    if (tok.spelling.data() == start && !tok.is(Tok::eof))
      consume();
    recoverToDecl(bodyDepth);
  }
  if (diag.tooManyErrors())
    return model;
  if (!expect(Tok::rbrace, " to close the model"))
    return model;
  if (!tok.is(Tok::eof))
    expected("end of file after the model");
  return model;
}

DeclPtr Parser::parseDecl() {
  if (!tok.is(Tok::identifier)) {
    expected("a declaration (data, mask, steps, net, param, primary, "
             "guide, impute or objective)");
    return nullptr;
  }
  llvm::StringRef kw = tok.spelling;
  if (kw == "data")
    return parseData();
  if (kw == "mask")
    return parseMask();
  if (kw == "steps")
    return parseSteps();
  if (kw == "net")
    return parseNet();
  if (kw == "param")
    return parseParam();
  if (kw == "primary" || kw == "guide" || kw == "impute")
    return parsePolicy();
  if (kw == "objective")
    return parseObjective();
  diag.error(tok.loc(), "unknown declaration '" + kw +
                            "'; expected data, mask, steps, net, param, "
                            "primary, guide, impute or objective");
  return nullptr;
}

bool Parser::parseTypeAnnot(TypeAnnot &type) {
  type.loc = tok.loc();
  if (!tok.isKeyword("real") && !tok.isKeyword("bits")) {
    expected("a type ('real' or 'bits')");
    return false;
  }
  type.elem = tok.spelling.str();
  consume();
  return expect(Tok::lsquare, " after the element type") &&
         parseInt(type.size, "a size") && expect(Tok::rsquare);
}

DeclPtr Parser::parseData() {
  auto decl = std::make_unique<Decl>(Decl::Kind::Data, tok.loc());
  consume();
  if (!parseIdent(decl->name, decl->nameLoc, "data name") ||
      !expect(Tok::colon, " after the data name") ||
      !parseTypeAnnot(decl->type))
    return nullptr;
  if (acceptKeyword("in")) {
    decl->rangeLoc = tok.loc();
    double lo, hi;
    if (!expect(Tok::lsquare) || !parseNumber(lo) || !expect(Tok::comma) ||
        !parseNumber(hi) || !expect(Tok::rsquare))
      return nullptr;
    decl->range = {lo, hi};
  }
  return decl;
}

DeclPtr Parser::parseMask() {
  auto decl = std::make_unique<Decl>(Decl::Kind::Mask, tok.loc());
  consume();
  llvm::SMLoc kindLoc;
  if (!parseIdent(decl->name, decl->nameLoc, "mask name") ||
      !expect(Tok::colon, " after the mask name") ||
      !parseIdent(decl->maskSpelling, kindLoc, "mask kind ('mar' or 'mcar')"))
    return nullptr;
  decl->loc = kindLoc;
  if (!expect(Tok::lparen) || !parseNumber(decl->maskAmount))
    return nullptr;
  while (accept(Tok::comma)) {
    if (!expectKeyword("image") || !expect(Tok::equal))
      return nullptr;
    // `28x28` lexes as the integer 28 and the identifier x28.
    int64_t h, w;
    if (!parseInt(h, "image height"))
      return nullptr;
    if (!tok.is(Tok::identifier) || !tok.spelling.starts_with("x") ||
        tok.spelling.drop_front().getAsInteger(10, w) || w <= 0) {
      expected("image shape HxW, e.g. 28x28");
      return nullptr;
    }
    consume();
    decl->image = {h, w};
  }
  if (!expect(Tok::rparen))
    return nullptr;
  if (acceptKeyword("on") &&
      !parseIdent(decl->maskOn, decl->maskOnLoc, "data name"))
    return nullptr;
  return decl;
}

DeclPtr Parser::parseSteps() {
  auto decl = std::make_unique<Decl>(Decl::Kind::Steps, tok.loc());
  consume();
  if (!parseIdent(decl->name, decl->nameLoc, "steps name") ||
      !expect(Tok::equal))
    return nullptr;
  decl->valueLoc = tok.loc();
  if (!parseInt(decl->steps, "number of steps"))
    return nullptr;
  return decl;
}

bool Parser::parseLayer(Layer &layer) {
  layer.loc = tok.loc();
  if (acceptKeyword("gauss")) {
    layer.gauss = true;
    return expect(Tok::lparen) && parseInt(layer.size, "a size") &&
           expect(Tok::rparen);
  }
  if (!parseInt(layer.size, "a layer size or gauss(N)"))
    return false;
  if (tok.is(Tok::identifier)) {
    layer.activation = tok.spelling.str();
    layer.activationLoc = tok.loc();
    consume();
  }
  return true;
}

bool Parser::parseNetSpec(NetSpec &spec) {
  spec.loc = tok.loc();
  const char *start = tok.spelling.data();
  llvm::SMLoc archLoc;
  if (!parseIdent(spec.arch, archLoc, "a net architecture (mlp, affine or "
                                      "lstm)") ||
      !expect(Tok::lparen) || !parseInt(spec.inputs, "input size"))
    return false;
  if (spec.arch == "lstm") {
    if (!expect(Tok::arrow) || !parseInt(spec.hidden, "hidden size"))
      return false;
    while (accept(Tok::comma)) {
      if (!expectKeyword("peephole"))
        return false;
      spec.peephole = true;
    }
  } else {
    while (accept(Tok::arrow)) {
      spec.layers.emplace_back();
      if (!parseLayer(spec.layers.back()))
        return false;
    }
  }
  if (!expect(Tok::rparen, " to close the net architecture"))
    return false;
  spec.text = llvm::StringRef(start, prev.spelling.end() - start).str();
  return true;
}

DeclPtr Parser::parseNet() {
  auto decl = std::make_unique<Decl>(Decl::Kind::Net, tok.loc());
  consume();
  if (!parseIdent(decl->name, decl->nameLoc, "net name") ||
      !expect(Tok::equal) || !parseNetSpec(decl->net))
    return nullptr;
  return decl;
}

DeclPtr Parser::parseParam() {
  auto decl = std::make_unique<Decl>(Decl::Kind::Param, tok.loc());
  consume();
  if (!parseIdent(decl->name, decl->nameLoc, "parameter name") ||
      !expect(Tok::colon))
    return nullptr;
  decl->type.loc = tok.loc();
  if (!expectKeyword("real") || !expect(Tok::lsquare))
    return nullptr;
  do {
    int64_t d;
    if (!parseInt(d, "a dimension"))
      return nullptr;
    decl->shape.push_back(d);
  } while (accept(Tok::comma));
  if (!expect(Tok::rsquare))
    return nullptr;
  decl->init = "zeros";
  decl->initLoc = decl->nameLoc;
  if (accept(Tok::equal) &&
      !parseIdent(decl->init, decl->initLoc, "an initialiser"))
    return nullptr;
  return decl;
}

DeclPtr Parser::parsePolicy() {
  auto decl = std::make_unique<Decl>(Decl::Kind::Policy, tok.loc());
  decl->role = tok.isKeyword("primary")  ? PolicyRole::Primary
               : tok.isKeyword("impute") ? PolicyRole::Impute
                                         : PolicyRole::Guide;
  consume();
  if (!parseIdent(decl->name, decl->nameLoc, "policy name"))
    return nullptr;
  if (accept(Tok::lparen) && !accept(Tok::rparen)) {
    do {
      Input in;
      if (!parseIdent(in.name, in.loc, "an input name"))
        return nullptr;
      if (accept(Tok::dot)) {
        llvm::SMLoc fieldLoc;
        if (!parseIdent(in.field, fieldLoc, "'known' or 'missing'"))
          return nullptr;
      }
      decl->inputs.push_back(std::move(in));
    } while (accept(Tok::comma));
    if (!expect(Tok::rparen, " after the policy inputs"))
      return nullptr;
  }
  if (!parseBlock(decl->body))
    return nullptr;
  return decl;
}

DeclPtr Parser::parseObjective() {
  auto decl = std::make_unique<Decl>(Decl::Kind::Objective, tok.loc());
  consume();
  if (!expect(Tok::equal, " after 'objective'"))
    return nullptr;
  decl->objective = parseExpr();
  if (!decl->objective)
    return nullptr;
  return decl;
}

bool Parser::parseBlock(std::vector<StmtPtr> &body) {
  llvm::SMLoc open = tok.loc();
  if (!expect(Tok::lbrace))
    return false;
  while (!tok.is(Tok::rbrace)) {
    if (tok.is(Tok::eof)) {
      expected("'}' to close the block");
      diag.note(open, "the block opened here");
      return false;
    }
    // Declaration keywords are reserved: one at the start of a statement
    // means the block was not closed.
    if (isDeclKeyword(tok)) {
      diag.error(tok.loc(), "'" + tok.spelling +
                                "' starts a declaration, not a statement; "
                                "is a '}' missing before it?");
      diag.note(open, "the block opened here");
      // Recover as if the '}' were there.
      --braceDepth;
      return true;
    }
    StmtPtr stmt = parseStmt();
    if (!stmt)
      return false;
    body.push_back(std::move(stmt));
  }
  consume();
  return true;
}

bool Parser::parseTarget(Target &target) {
  if (!parseIdent(target.name, target.loc, "a variable or site name"))
    return false;
  if (accept(Tok::dot)) {
    llvm::SMLoc fieldLoc;
    if (!parseIdent(target.field, fieldLoc, "a field name"))
      return false;
  }
  if (accept(Tok::lsquare)) {
    if (!parseIdent(target.index, target.indexLoc, "a loop variable") ||
        !expect(Tok::rsquare))
      return false;
  }
  return true;
}

StmtPtr Parser::parseStmt() {
  llvm::SMLoc loc = tok.loc();
  if (acceptKeyword("for")) {
    if (!enter(blockDepth, loc))
      return nullptr;
    DepthScope scope{blockDepth};
    auto stmt = std::make_unique<Stmt>(Stmt::Kind::For, loc);
    if (!parseIdent(stmt->var, stmt->varLoc, "a loop variable") ||
        !expectKeyword("in"))
      return nullptr;
    auto bound = [&]() -> ExprPtr {
      if (tok.is(Tok::integer) || tok.is(Tok::identifier))
        return parsePostfix();
      expected("a loop bound (an integer or the steps name)");
      return nullptr;
    };
    if (!(stmt->lo = bound()) ||
        !expect(Tok::dotdot, " in the loop range") || !(stmt->hi = bound()) ||
        !parseBlock(stmt->body))
      return nullptr;
    return stmt;
  }

  std::vector<Target> targets(1);
  if (!parseTarget(targets[0]))
    return nullptr;
  if (accept(Tok::tilde)) {
    auto stmt = std::make_unique<Stmt>(Stmt::Kind::Sample, loc);
    stmt->targets = std::move(targets);
    if (!(stmt->value = parseExpr()))
      return nullptr;
    if (accept(Tok::colon)) {
      stmt->annot.emplace();
      if (!parseTypeAnnot(*stmt->annot))
        return nullptr;
    }
    return stmt;
  }
  while (accept(Tok::comma)) {
    targets.emplace_back();
    if (!parseTarget(targets.back()))
      return nullptr;
  }
  if (!tok.is(Tok::equal)) {
    expected("'=' or '~' after '" + targets.back().str() + "'");
    return nullptr;
  }
  consume();
  auto stmt = std::make_unique<Stmt>(Stmt::Kind::Assign, loc);
  stmt->targets = std::move(targets);
  if (!(stmt->value = parseExpr()))
    return nullptr;
  return stmt;
}

ExprPtr Parser::parseExpr() {
  ExprPtr lhs = parseTerm();
  while (lhs && (tok.is(Tok::plus) || tok.is(Tok::minus))) {
    auto bin = std::make_unique<Expr>(Expr::Kind::Binary, tok.loc());
    bin->op = tok.is(Tok::plus) ? '+' : '-';
    consume();
    bin->lhs = std::move(lhs);
    if (!(bin->rhs = parseTerm()))
      return nullptr;
    lhs = bounded(std::move(bin));
  }
  return lhs;
}

ExprPtr Parser::parseTerm() {
  ExprPtr lhs = parseUnary();
  while (lhs && (tok.is(Tok::star) || tok.is(Tok::slash))) {
    auto bin = std::make_unique<Expr>(Expr::Kind::Binary, tok.loc());
    bin->op = tok.is(Tok::star) ? '*' : '/';
    consume();
    bin->lhs = std::move(lhs);
    if (!(bin->rhs = parseUnary()))
      return nullptr;
    lhs = bounded(std::move(bin));
  }
  return lhs;
}

ExprPtr Parser::parseUnary() {
  if (tok.is(Tok::minus)) {
    llvm::SMLoc loc = tok.loc();
    if (!enter(exprDepth, loc))
      return nullptr;
    DepthScope scope{exprDepth};
    consume();
    ExprPtr operand = parseUnary();
    if (!operand)
      return nullptr;
    auto neg = std::make_unique<Expr>(Expr::Kind::Negate, loc);
    neg->lhs = std::move(operand);
    return bounded(std::move(neg));
  }
  return parsePostfix();
}

ExprPtr Parser::parsePostfix() {
  ExprPtr e = parsePrimary();
  while (e) {
    if (tok.is(Tok::dot)) {
      auto member = std::make_unique<Expr>(Expr::Kind::Member, tok.loc());
      consume();
      llvm::SMLoc fieldLoc;
      if (!parseIdent(member->name, fieldLoc, "a field name"))
        return nullptr;
      member->loc = fieldLoc;
      member->base = std::move(e);
      e = bounded(std::move(member));
      continue;
    }
    if (tok.is(Tok::lsquare)) {
      if (e->kind != Expr::Kind::Name) {
        diag.error(tok.loc(), "only a sample site can be indexed");
        return nullptr;
      }
      consume();
      e->kind = Expr::Kind::Index;
      if (!parseIdent(e->index, e->indexLoc, "a loop variable") ||
          !expect(Tok::rsquare))
        return nullptr;
      continue;
    }
    break;
  }
  return e;
}

ExprPtr Parser::parsePrimary() {
  llvm::SMLoc loc = tok.loc();
  if (tok.is(Tok::integer) || tok.is(Tok::real)) {
    int64_t value;
    if (tok.is(Tok::integer) &&
        (tok.spelling.getAsInteger(10, value) || value > (int64_t(1) << 40))) {
      diag.error(loc, "integer '" + tok.spelling + "' is too large");
      return nullptr;
    }
    auto e = std::make_unique<Expr>(Expr::Kind::Number, loc);
    e->isInteger = tok.is(Tok::integer);
    if (!numberValue(e->number))
      return nullptr;
    consume();
    return e;
  }
  if (tok.is(Tok::lparen)) {
    if (!enter(exprDepth, loc))
      return nullptr;
    DepthScope scope{exprDepth};
    consume();
    ExprPtr e = parseExpr();
    if (!e || !expect(Tok::rparen))
      return nullptr;
    return e;
  }
  if (!tok.is(Tok::identifier)) {
    expected("an expression");
    return nullptr;
  }
  std::string name = tok.spelling.str();
  consume();
  if (!tok.is(Tok::lparen)) {
    auto e = std::make_unique<Expr>(Expr::Kind::Name, loc);
    e->name = std::move(name);
    return e;
  }
  if (!enter(exprDepth, loc))
    return nullptr;
  DepthScope scope{exprDepth};
  consume();
  if (name == "kl") {
    auto e = std::make_unique<Expr>(Expr::Kind::Divergence, loc);
    e->name = name;
    if (!(e->lhs = parseExpr()) ||
        !expect(Tok::pipepipe, " between the two sides of kl(a || b)") ||
        !(e->rhs = parseExpr()) || !expect(Tok::rparen))
      return nullptr;
    return bounded(std::move(e));
  }
  auto e = std::make_unique<Expr>(Expr::Kind::Call, loc);
  e->name = std::move(name);
  if (accept(Tok::rparen))
    return e;
  do {
    Arg arg;
    arg.loc = tok.loc();
    if (tok.is(Tok::identifier) && lexer.peekIsEqual()) {
      // A named argument `name = value`.
      arg.name = tok.spelling.str();
      consume();
      consume();
    }
    if (!(arg.value = parseExpr()))
      return nullptr;
    e->args.push_back(std::move(arg));
  } while (accept(Tok::comma));
  if (!expect(Tok::rparen, " to close the argument list"))
    return nullptr;
  return bounded(std::move(e));
}

std::unique_ptr<Model> gps::parseModel(DiagEngine &diag) {
  llvm::SourceMgr &srcMgr = diag.getSourceMgr();
  llvm::StringRef buffer =
      srcMgr.getMemoryBuffer(srcMgr.getMainFileID())->getBuffer();
  Parser parser(buffer, diag);
  return parser.parseFile();
}
