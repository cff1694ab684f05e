//===- SemaImpl.h - .gps semantic analysis internals -----------*- C++ -*-===//
//
// The Sema class shared by Sema.cpp (declarations, pairing, objective),
// SemaPolicies.cpp (policy bodies) and SemaExprs.cpp (expressions). Private
// to lib/Frontend.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_LIB_FRONTEND_SEMAIMPL_H
#define GPS_LIB_FRONTEND_SEMAIMPL_H

#include "gps/Frontend/AST.h"
#include "gps/Frontend/Diagnostics.h"
#include "gps/Frontend/Sema.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <string>
#include <vector>

namespace gps {
namespace sema {

using namespace gps::ast;

/// The name of a declaration kind, for messages: "data", "net", ...
const char *declKindName(Decl::Kind kind);

/// The type of an expression.
struct Ty {
  enum Kind { Error, Tensor, Dist, State, Number, Tuple };
  Kind kind = Error;
  int64_t size = 0;     // Tensor, Dist, State (hidden size)
  std::string dist;     // Dist: gaussian | normal | bernoulli
  static Ty error() { return {}; }
  static Ty tensor(int64_t n) { return {Tensor, n, ""}; }
  static Ty number() { return {Number, 0, ""}; }
  static Ty state(int64_t n) { return {State, n, ""}; }
  static Ty distribution(llvm::StringRef kind, int64_t n) {
    return {Dist, n, kind.str()};
  }
  bool isError() const { return kind == Error; }
  bool operator==(const Ty &o) const {
    return kind == o.kind && size == o.size && dist == o.dist;
  }
  std::string str() const {
    switch (kind) {
    case Error:
      return "<error>";
    case Tensor:
      return "real[" + std::to_string(size) + "]";
    case Dist:
      return dist + " distribution over " + std::to_string(size) +
             " elements";
    case State:
      return "lstm state of size " + std::to_string(size);
    case Number:
      return "number";
    case Tuple:
      return "tuple";
    }
    return "?";
  }
};

/// A sample site of a policy.
struct Site {
  llvm::SMLoc loc;
  int64_t size = 0;
  bool indexed = false;
};

/// A local variable of a policy.
struct Var {
  Ty ty;
  llvm::SMLoc loc;
  bool indexedSite = false; // defined by `z[t] ~ ...`: read as z[t]
  bool site = false;        // defined by `~`: cannot be assigned
};

class Sema {
public:
  Sema(Model &model, DiagEngine &diag) : model(model), diag(diag) {}
  bool run();

private:
  void error(llvm::SMLoc loc, const llvm::Twine &msg) { diag.error(loc, msg); }

  // Declarations.
  void collectDecls();
  void checkData(Decl &d);
  void checkMask(Decl &d);
  void checkNet(Decl &d);
  void checkParam(Decl &d);
  void checkPolicy(const Decl &d);
  void checkSitePairing();
  /// The primary's and the guide's step loops must run over the same steps
  /// in the same direction: pairing fuses them.
  void checkLoopPairing();
  void checkObjective(const Decl &d);
  Ty checkObjectiveExpr(const Expr &e);
  /// True when `body` (or a loop in it) observes a data input.
  bool observesData(const std::vector<StmtPtr> &body) const;

  // Policy bodies.
  void checkStmts(const std::vector<StmtPtr> &body);
  void checkStmt(Stmt &s);
  void checkAssign(Stmt &s);
  void checkSample(Stmt &s);
  /// Checks a `~` statement; false after an error that leaves a latent
  /// site undefined.
  bool checkSite(Stmt &s);
  void checkFor(Stmt &s);
  bool checkLoopBound(const Expr &e, int64_t &value);
  Ty checkExpr(Expr &e);
  /// A number's value must be finite in a 32-bit float, without a division
  /// by zero; reports the first place it is not.
  bool checkConstant(const Expr &e);
  Ty checkName(const Expr &e);
  Ty checkMember(Expr &e);
  /// Checks a call and resolves its callee.
  Ty checkCall(Expr &e);
  Ty checkNetCall(const Expr &e, const Decl &net);
  /// Reads the view `field` of `data` at `loc`; `fieldLoc` is where the
  /// field is spelt, for an unknown field.
  Ty readData(llvm::SMLoc loc, const Decl &data, llvm::StringRef field,
              llvm::SMLoc fieldLoc = {});
  Var *lookupVar(llvm::StringRef name);
  void defineVar(llvm::StringRef name, Ty ty, llvm::SMLoc loc,
                 bool indexedSite = false, bool site = false);

  const Decl *lookupDecl(llvm::StringRef name) const {
    auto it = decls.find(name);
    return it == decls.end() ? nullptr : it->second;
  }
  const Decl *maskOf(const Decl &data) const {
    return findMask(model, data);
  }
  /// The output type of an mlp/affine net; Error when malformed.
  Ty netResult(const Decl &net) const;

  Model &model;
  DiagEngine &diag;
  llvm::StringMap<const Decl *> decls;
  const Decl *dataInput = nullptr, *steps = nullptr;
  const Decl *primary = nullptr, *guide = nullptr, *impute = nullptr;
  unsigned numObjectives = 0;

  // State of the policy being checked.
  const Decl *policy = nullptr;
  llvm::StringMap<const Input *> inputs;
  /// Inputs of the policy that were reported as wrong: reading them reports
  /// nothing further.
  llvm::StringSet<> badInputs;
  std::vector<llvm::StringMap<Var>> scopes;
  llvm::StringMap<Site> *sites = nullptr;
  llvm::StringMap<llvm::SMLoc> observed;
  std::string loopVar;
  llvm::StringMap<Site> primarySites, guideSites, imputeSites;
  /// The step loop of a policy and its bounds, as written (`T..1` is
  /// lo = T, hi = 1).
  struct StepLoop {
    const Stmt *stmt = nullptr;
    int64_t lo = 0, hi = 0;
  };
  StepLoop primaryLoop, guideLoop, imputeLoop;
  /// The guide's first use of a trained parameter (a net call or a param),
  /// described as "calls net 'f'": a guide whose loop runs against the
  /// primary's must have none.
  llvm::SMLoc guideParamLoc;
  std::string guideParamUse;
  void noteParamUse(llvm::SMLoc loc, const std::string &what) {
    if (policy == guide && guide && guideParamUse.empty()) {
      guideParamLoc = loc;
      guideParamUse = what;
    }
  }
  /// True when the step loops run in opposite directions: the guide's loop
  /// and the primary's are then not fused (docs/language.md).
  bool opposedLoops() const {
    return guideLoop.stmt && primaryLoop.stmt &&
           (guideLoop.lo > guideLoop.hi) != (primaryLoop.lo > primaryLoop.hi);
  }
};

} // namespace sema
} // namespace gps

#endif // GPS_LIB_FRONTEND_SEMAIMPL_H
