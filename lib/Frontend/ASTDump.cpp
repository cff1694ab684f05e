//===- ASTDump.cpp - print the .gps syntax tree ---------------------------===//
//
// `gpsc --emit=ast`: one node per line, children indented by two spaces.
//
//===----------------------------------------------------------------------===//

#include "gps/Frontend/AST.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/SourceMgr.h"

using namespace gps;
using namespace gps::ast;

namespace {
class Dumper {
public:
  explicit Dumper(llvm::raw_ostream &os) : os(os) {}
  void dumpModel(const Model &m);

private:
  llvm::raw_ostream &indent() { return os.indent(2 * depth); }
  void dumpDecl(const Decl &d);
  void dumpStmt(const Stmt &s);
  void dumpExpr(const Expr &e);

  llvm::raw_ostream &os;
  unsigned depth = 0;
};
} // namespace

void Dumper::dumpModel(const Model &m) {
  os << "Model " << m.name << "\n";
  ++depth;
  for (const DeclPtr &d : m.decls)
    dumpDecl(*d);
  --depth;
}

void Dumper::dumpDecl(const Decl &d) {
  switch (d.kind) {
  case Decl::Kind::Data:
    assert(d.dataKind && "the dump shows a checked tree");
    indent() << "Data " << d.name << " : "
             << rt::contract::spelling(*d.dataKind) << "[" << d.type.size
             << "]";
    if (d.range)
      os << " in [" << llvm::format("%g", d.range->first) << ", "
         << llvm::format("%g", d.range->second) << "]";
    os << "\n";
    return;
  case Decl::Kind::Mask:
    assert(d.maskKind && "the dump shows a checked tree");
    indent() << "Mask " << d.name << " : "
             << rt::contract::spelling(*d.maskKind) << "("
             << llvm::format("%g", d.maskAmount);
    if (!d.image.empty())
      os << ", image = " << d.image[0] << "x" << d.image[1];
    os << ")";
    if (!d.maskOn.empty())
      os << " on " << d.maskOn;
    os << "\n";
    return;
  case Decl::Kind::Steps:
    indent() << "Steps " << d.name << " = " << d.steps << "\n";
    return;
  case Decl::Kind::Net:
    indent() << "Net " << d.name << " = " << d.net.text << "\n";
    return;
  case Decl::Kind::Param:
    indent() << "Param " << d.name << " : real[";
    llvm::interleaveComma(d.shape, os);
    assert(d.initKind && "the dump shows a checked tree");
    os << "] = " << rt::contract::spelling(*d.initKind) << "\n";
    return;
  case Decl::Kind::Policy:
    indent() << (d.role == PolicyRole::Primary  ? "Primary "
                 : d.role == PolicyRole::Impute ? "Impute "
                                                : "Guide ")
             << d.name << "(";
    llvm::interleaveComma(d.inputs, os,
                          [&](const Input &in) { os << in.str(); });
    os << ")\n";
    ++depth;
    for (const StmtPtr &s : d.body)
      dumpStmt(*s);
    --depth;
    return;
  case Decl::Kind::Objective:
    indent() << "Objective\n";
    ++depth;
    dumpExpr(*d.objective);
    --depth;
    return;
  }
}

void Dumper::dumpStmt(const Stmt &s) {
  switch (s.kind) {
  case Stmt::Kind::Assign:
    indent() << "Assign ";
    llvm::interleaveComma(s.targets, os,
                          [&](const Target &t) { os << t.str(); });
    os << "\n";
    break;
  case Stmt::Kind::Sample:
    indent() << "Sample " << s.targets[0].str();
    if (s.annot)
      os << " : " << s.annot->elem << "[" << s.annot->size << "]";
    os << "\n";
    break;
  case Stmt::Kind::For:
    indent() << "For " << s.var << "\n";
    ++depth;
    dumpExpr(*s.lo);
    dumpExpr(*s.hi);
    for (const StmtPtr &b : s.body)
      dumpStmt(*b);
    --depth;
    return;
  }
  ++depth;
  dumpExpr(*s.value);
  --depth;
}

void Dumper::dumpExpr(const Expr &e) {
  switch (e.kind) {
  case Expr::Kind::Number:
    indent() << "Number " << llvm::format("%g", e.number) << "\n";
    return;
  case Expr::Kind::Name:
    indent() << "Name " << e.name << "\n";
    return;
  case Expr::Kind::Index:
    indent() << "Index " << e.name << "[" << e.index << "]\n";
    return;
  case Expr::Kind::Member:
    indent() << "Member ." << e.name << "\n";
    ++depth;
    dumpExpr(*e.base);
    --depth;
    return;
  case Expr::Kind::Call:
    indent() << "Call " << e.name << "\n";
    ++depth;
    for (const Arg &a : e.args) {
      if (!a.name.empty())
        indent() << "Arg " << a.name << "\n";
      dumpExpr(*a.value);
    }
    --depth;
    return;
  case Expr::Kind::Negate:
    indent() << "Negate\n";
    ++depth;
    dumpExpr(*e.lhs);
    --depth;
    return;
  case Expr::Kind::Binary:
    indent() << "Binary " << e.op << "\n";
    break;
  case Expr::Kind::Divergence:
    indent() << "KL\n";
    break;
  }
  ++depth;
  dumpExpr(*e.lhs);
  dumpExpr(*e.rhs);
  --depth;
}

void gps::ast::dump(const Model &model, llvm::raw_ostream &os) {
  Dumper(os).dumpModel(model);
}
