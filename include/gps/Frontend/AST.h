//===- AST.h - .gps abstract syntax tree ------------------------*- C++ -*-===//
//
// The syntax tree the parser builds and Sema checks. Nodes own their
// children through std::unique_ptr and keep the llvm::SMLoc of their first
// token. The parser keeps kind words as spelled (`glorot`, `mcar`, `relu`);
// Sema resolves each once into an enum on the node, which is what MLIRGen
// and the dump read.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_FRONTEND_AST_H
#define GPS_FRONTEND_AST_H

#include "gps/Runtime/Contract.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SMLoc.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gps {
namespace ast {

//===----------------------------------------------------------------------===//
// Kinds resolved by Sema
//===----------------------------------------------------------------------===//

/// An elementwise function: a net layer's activation (`1000 relu`) or a call
/// (`sigmoid(c)`).
enum class Activation { None, Relu, Tanh, Sigmoid, Softplus, Exp, Log };

/// The activation spelled `name`; none for any other word (and for "").
std::optional<Activation> parseActivation(llvm::StringRef name);

/// What a call names.
enum class Callee {
  Unresolved, // not (yet) resolved by Sema
  Net,        // a declared net
  Concat,
  Fill,
  LstmStates,
  Normal, // the standard normal(0, 1)
  Bernoulli,
  Gauss,
  Activation, // Expr::activation says which
};

enum class NetArch { Mlp, Affine, Lstm };

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

/// A call argument, optionally named: `bernoulli(logits = c)`.
struct Arg {
  std::string name; // empty when positional
  llvm::SMLoc loc;
  ExprPtr value;
};

struct Expr {
  enum class Kind {
    Number,
    Name,
    Member,
    Index,
    Call,
    Negate,
    Binary,
    Divergence
  };
  Kind kind;
  llvm::SMLoc loc;

  double number = 0;      // Number
  bool isInteger = false; // Number
  std::string name;       // Name, Member (field), Index (array), Call (callee)
  ExprPtr base;           // Member
  std::string index;      // Index: the loop variable
  llvm::SMLoc indexLoc;   // Index
  std::vector<Arg> args;  // Call
  char op = 0;            // Binary: + - * /
  ExprPtr lhs, rhs;       // Binary, Divergence (from || to); Negate: lhs
  unsigned height = 1;    // of the tree rooted here; bounded by the parser
  // Call, resolved by Sema from `name`.
  Callee callee = Callee::Unresolved;
  Activation activation = Activation::None; // callee Activation

  Expr(Kind kind, llvm::SMLoc loc) : kind(kind), loc(loc) {}
};

//===----------------------------------------------------------------------===//
// Statements
//===----------------------------------------------------------------------===//

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;

/// `a` or `a[t]` or `x.missing`: the left side of `~` or `=`.
struct Target {
  std::string name;
  std::string field; // `x.missing`
  std::string index; // `z[t]`
  llvm::SMLoc loc, indexLoc;
  std::string str() const {
    std::string s = name;
    if (!field.empty())
      s += "." + field;
    if (!index.empty())
      s += "[" + index + "]";
    return s;
  }
};

/// A type annotation `real[20]`.
struct TypeAnnot {
  std::string elem; // real | bits
  int64_t size = 0;
  llvm::SMLoc loc;
};

struct Stmt {
  enum class Kind { Assign, Sample, For };
  Kind kind;
  llvm::SMLoc loc;

  std::vector<Target> targets;       // Assign (one or more), Sample (one)
  ExprPtr value;                     // Assign, Sample (the distribution)
  std::optional<TypeAnnot> annot;    // Sample
  std::string var;                   // For
  llvm::SMLoc varLoc;                // For
  ExprPtr lo, hi;                    // For
  std::vector<StmtPtr> body;         // For

  Stmt(Kind kind, llvm::SMLoc loc) : kind(kind), loc(loc) {}
};

//===----------------------------------------------------------------------===//
// Declarations
//===----------------------------------------------------------------------===//

/// One layer of an mlp/affine net: `1000 relu`, `784`, `gauss(100)`.
struct Layer {
  int64_t size = 0;
  std::string activation; // empty, relu, tanh, sigmoid, softplus, exp, log
  bool gauss = false;     // a Gaussian head: 2*size outputs
  llvm::SMLoc loc, activationLoc;
  Activation activationKind = Activation::None; // resolved by Sema
};

struct NetSpec {
  std::string arch; // mlp | affine | lstm
  std::optional<NetArch> archKind; // resolved by Sema
  llvm::SMLoc loc;
  int64_t inputs = 0;
  std::vector<Layer> layers; // mlp, affine
  int64_t hidden = 0;        // lstm
  bool peephole = false;     // lstm
  std::string text;          // the source spelling
};

struct Input {
  std::string name, field;
  llvm::SMLoc loc;
  std::string str() const { return field.empty() ? name : name + "." + field; }
};

enum class PolicyRole { Primary, Guide, Impute };

/// The keyword that declares a policy of this role.
const char *policyKeyword(PolicyRole role);

struct Decl {
  enum class Kind { Data, Mask, Steps, Net, Param, Policy, Objective };
  Kind kind;
  llvm::SMLoc loc;
  std::string name;
  llvm::SMLoc nameLoc;

  // Data / Param: element kind and size.
  TypeAnnot type;
  std::optional<rt::contract::Data> dataKind; // Data: resolved by Sema
  std::vector<int64_t> shape; // Param: [n] or [m, n]
  std::optional<std::pair<double, double>> range; // Data
  llvm::SMLoc rangeLoc;                           // Data: the '['
  // Mask: `mar(14, image = 28x28)` / `mcar(0.6)`, optional `on x`.
  std::string maskSpelling;
  std::optional<rt::contract::Mask> maskKind; // resolved by Sema
  double maskAmount = 0;
  std::vector<int64_t> image;
  std::string maskOn;
  llvm::SMLoc maskOnLoc;
  // Steps.
  int64_t steps = 0;
  llvm::SMLoc valueLoc;
  // Param: initialiser name (zeros by default).
  std::string init;
  llvm::SMLoc initLoc;
  std::optional<rt::contract::Init> initKind; // resolved by Sema
  // Net.
  NetSpec net;
  // Policy: the primary and the guide are trained; an imputation policy
  // (`impute`) is not, and is run only to score and show imputations.
  PolicyRole role = PolicyRole::Guide;
  std::vector<Input> inputs;
  std::vector<StmtPtr> body;
  // Objective.
  ExprPtr objective;

  Decl(Kind kind, llvm::SMLoc loc) : kind(kind), loc(loc) {}
};
using DeclPtr = std::unique_ptr<Decl>;

struct Model {
  std::string name;
  llvm::SMLoc loc;
  std::vector<DeclPtr> decls;
};

/// The value of `e` when it is a constant (numbers and arithmetic on
/// them), in 32-bit floats as the compiled model computes it.
std::optional<float> foldConstant(const Expr &e);

/// The mask that covers `data`: one declared `on` it, or an unqualified
/// mask when `data` is the model's only data input. Null when none does.
const Decl *findMask(const Model &model, const Decl &data);

/// The data input a mask covers, or null when the mask names none.
const Decl *findMaskedData(const Model &model, const Decl &mask);

/// Prints the tree in an indented, line-per-node form (`gpsc --emit=ast`).
void dump(const Model &model, llvm::raw_ostream &os);

} // namespace ast
} // namespace gps

#endif // GPS_FRONTEND_AST_H
