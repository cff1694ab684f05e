//===- Sema.cpp - .gps semantic analysis ----------------------------------===//
//
// One pass over the AST with a scoped environment per policy. Every check
// reports at the source location of the offending token and analysis goes
// on, so that one run reports several errors.
//
//===----------------------------------------------------------------------===//

#include "gps/Frontend/Sema.h"
#include "gps/Frontend/Diagnostics.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSwitch.h"

#include <cmath>

using namespace gps;
using namespace gps::ast;

bool gps::isActivation(llvm::StringRef name) {
  return llvm::StringSwitch<bool>(name)
      .Cases({"relu", "tanh", "sigmoid", "softplus", "exp", "log"}, true)
      .Default(false);
}

namespace {

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
  Sema(const Model &model, DiagEngine &diag) : model(model), diag(diag) {}
  bool run();

private:
  void error(llvm::SMLoc loc, const llvm::Twine &msg) { diag.error(loc, msg); }

  // Declarations.
  void collectDecls();
  void checkData(const Decl &d);
  void checkMask(const Decl &d);
  void checkNet(const Decl &d);
  void checkParam(const Decl &d);
  void checkPolicy(const Decl &d);
  void checkSitePairing();
  void checkObjective(const Decl &d);
  Ty checkObjectiveExpr(const Expr &e);
  /// True when `body` (or a loop in it) observes a data input.
  bool observesData(const std::vector<StmtPtr> &body) const;

  // Policy bodies.
  void checkStmts(const std::vector<StmtPtr> &body);
  void checkStmt(const Stmt &s);
  void checkAssign(const Stmt &s);
  void checkSample(const Stmt &s);
  void checkFor(const Stmt &s);
  bool checkLoopBound(const Expr &e, int64_t &value);
  Ty checkExpr(const Expr &e);
  Ty checkName(const Expr &e);
  Ty checkMember(const Expr &e);
  Ty checkCall(const Expr &e);
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

  const Model &model;
  DiagEngine &diag;
  llvm::StringMap<const Decl *> decls;
  const Decl *steps = nullptr;
  const Decl *primary = nullptr, *guide = nullptr;
  unsigned numObjectives = 0;

  // State of the policy being checked.
  const Decl *policy = nullptr;
  llvm::StringMap<const Input *> inputs;
  std::vector<llvm::StringMap<Var>> scopes;
  llvm::StringMap<Site> *sites = nullptr;
  llvm::StringMap<llvm::SMLoc> observed;
  std::string loopVar;
  llvm::StringMap<Site> primarySites, guideSites;
};

} // namespace

//===----------------------------------------------------------------------===//
// Declarations
//===----------------------------------------------------------------------===//

static const char *declKindName(Decl::Kind kind) {
  switch (kind) {
  case Decl::Kind::Data:
    return "data";
  case Decl::Kind::Mask:
    return "mask";
  case Decl::Kind::Steps:
    return "steps";
  case Decl::Kind::Net:
    return "net";
  case Decl::Kind::Param:
    return "param";
  case Decl::Kind::Policy:
    return "policy";
  case Decl::Kind::Objective:
    return "objective";
  }
  return "declaration";
}

void Sema::collectDecls() {
  for (const DeclPtr &d : model.decls) {
    if (d->kind == Decl::Kind::Objective) {
      if (++numObjectives > 1)
        error(d->loc, "the model has more than one objective");
      continue;
    }
    auto [it, inserted] = decls.try_emplace(d->name, d.get());
    if (!inserted) {
      error(d->nameLoc, "redefinition of '" + d->name + "'");
      diag.note(it->second->nameLoc, "previous definition is here");
      continue;
    }
    if (d->kind == Decl::Kind::Steps) {
      if (steps) {
        error(d->loc, "the model declares its steps twice");
        diag.note(steps->loc, "previous steps declaration is here");
      } else {
        steps = d.get();
      }
    }
    if (d->kind == Decl::Kind::Policy) {
      const Decl *&slot = d->isPrimary ? primary : guide;
      if (slot) {
        error(d->loc, llvm::Twine("the model has more than one ") +
                          (d->isPrimary ? "primary" : "guide") + " policy");
        diag.note(slot->loc, "previous one is here");
      } else {
        slot = d.get();
      }
    }
  }
  if (!primary)
    error(model.loc, "model '" + model.name + "' has no primary policy");
  if (numObjectives == 0)
    error(model.loc, "model '" + model.name + "' has no objective");
}

void Sema::checkData(const Decl &d) {
  if (d.type.size <= 0)
    error(d.type.loc, "data '" + d.name + "' must have a positive size");
  if (d.range && !(d.range->first < d.range->second))
    error(d.rangeLoc, "data '" + d.name + "' has an empty range");
  if (d.range && d.type.elem == "bits" &&
      (d.range->first != 0 || d.range->second != 1))
    error(d.rangeLoc, "'bits' data takes values in [0, 1]; drop the range");
}

void Sema::checkMask(const Decl &d) {
  const Decl *data = nullptr;
  if (!d.maskOn.empty()) {
    data = lookupDecl(d.maskOn);
    if (!data || data->kind != Decl::Kind::Data) {
      error(d.maskOnLoc, "mask '" + d.name + "' is on '" + d.maskOn +
                             "', which is not a data input");
      return;
    }
  } else {
    unsigned count = 0;
    for (const DeclPtr &e : model.decls)
      if (e->kind == Decl::Kind::Data)
        data = e.get(), ++count;
    if (count != 1) {
      error(d.nameLoc, "mask '" + d.name + "' must say which data it covers "
                                           "('on x') when the model has " +
                           llvm::Twine(count) + " data inputs");
      return;
    }
  }
  if (const Decl *first = findMask(model, *data); first && first != &d) {
    error(d.nameLoc, "data '" + data->name + "' already has mask '" +
                         first->name + "'; one mask per data input");
    diag.note(first->nameLoc, "first mask is here");
    return;
  }
  if (d.maskKind == "mcar") {
    if (!(d.maskAmount >= 0 && d.maskAmount < 1))
      error(d.loc, "mcar drop probability must lie in [0, 1)");
    if (!d.image.empty())
      error(d.loc, "mcar takes no image shape");
    return;
  }
  if (d.maskKind != "mar") {
    error(d.loc, "unknown mask kind '" + d.maskKind +
                     "'; expected 'mar' or 'mcar'");
    return;
  }
  if (d.image.empty()) {
    error(d.loc, "mar needs the image shape, e.g. mar(14, image = 28x28)");
    return;
  }
  if (d.image[0] <= 0 || d.image[1] <= 0 ||
      d.image[0] * d.image[1] != data->type.size) {
    error(d.loc, "image " + llvm::Twine(d.image[0]) + "x" +
                     llvm::Twine(d.image[1]) + " does not have the " +
                     llvm::Twine(data->type.size) + " elements of data '" +
                     data->name + "'");
    return;
  }
  if (d.maskAmount < 1 ||
      d.maskAmount > double(std::min(d.image[0], d.image[1])) ||
      d.maskAmount != std::floor(d.maskAmount))
    error(d.loc, "mar square side must be an integer between 1 and " +
                     llvm::Twine(std::min(d.image[0], d.image[1])));
}

Ty Sema::netResult(const Decl &net) const {
  const NetSpec &spec = net.net;
  if (spec.arch == "lstm" || spec.layers.empty())
    return Ty::error();
  const Layer &last = spec.layers.back();
  if (last.gauss)
    return Ty::distribution("gaussian", last.size);
  return Ty::tensor(last.size);
}

void Sema::checkNet(const Decl &d) {
  const NetSpec &spec = d.net;
  if (spec.inputs <= 0)
    error(spec.loc, "net '" + d.name + "' must have a positive input size");
  if (spec.arch == "lstm") {
    if (spec.hidden <= 0)
      error(spec.loc, "lstm '" + d.name + "' must have a positive hidden size");
    return;
  }
  if (spec.arch != "mlp" && spec.arch != "affine") {
    error(spec.loc, "unknown net architecture '" + spec.arch +
                        "'; expected mlp, affine or lstm");
    return;
  }
  if (spec.layers.empty()) {
    error(spec.loc, "net '" + d.name + "' has no output layer");
    return;
  }
  if (spec.arch == "affine" && spec.layers.size() != 1)
    error(spec.layers[1].loc,
          "an affine net has exactly one layer; use mlp for more");
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    const Layer &l = spec.layers[i];
    if (l.size <= 0)
      error(l.loc, "layer size must be positive");
    if (!l.activation.empty() && !isActivation(l.activation))
      error(l.activationLoc, "unknown activation '" + l.activation +
                       "'; expected relu, tanh, sigmoid, softplus, exp or "
                       "log");
    if (l.gauss && i + 1 != spec.layers.size())
      error(l.loc, "a gauss(N) head must be the last layer");
    if (spec.arch == "affine" && !l.activation.empty())
      error(l.activationLoc, "an affine net has no activation; use mlp");
  }
}

void Sema::checkParam(const Decl &d) {
  if (d.shape.size() > 2)
    error(d.type.loc, "parameter '" + d.name + "' must be a vector or matrix");
  for (int64_t dim : d.shape)
    if (dim <= 0)
      error(d.type.loc, "parameter '" + d.name +
                            "' must have positive dimensions");
  bool known = llvm::StringSwitch<bool>(d.init)
                   .Cases({"zeros", "ones", "normal", "glorot"}, true)
                   .Default(false);
  if (!known)
    error(d.initLoc, "unknown initialiser '" + d.init +
                         "'; expected zeros, ones, normal or glorot");
  else if (d.init == "glorot" && d.shape.size() != 2)
    error(d.initLoc, "glorot initialisation needs a matrix parameter");
}

//===----------------------------------------------------------------------===//
// Policies
//===----------------------------------------------------------------------===//

Var *Sema::lookupVar(llvm::StringRef name) {
  for (auto it = scopes.rbegin(); it != scopes.rend(); ++it) {
    auto found = it->find(name);
    if (found != it->end())
      return &found->second;
  }
  return nullptr;
}

void Sema::defineVar(llvm::StringRef name, Ty ty, llvm::SMLoc loc,
                     bool indexedSite, bool site) {
  scopes.back()[name] = Var{ty, loc, indexedSite, site};
}

void Sema::checkPolicy(const Decl &d) {
  policy = &d;
  inputs.clear();
  scopes.assign(1, {});
  observed.clear();
  loopVar.clear();
  sites = d.isPrimary ? &primarySites : &guideSites;
  if (&d != primary && &d != guide)
    return; // A duplicate policy, already reported.

  for (const Input &in : d.inputs) {
    const Decl *target = lookupDecl(in.name);
    if (!target || (target->kind != Decl::Kind::Data &&
                    target->kind != Decl::Kind::Mask)) {
      error(in.loc, "policy input '" + in.str() +
                        "' does not name a data input or a mask");
      continue;
    }
    if (target->kind == Decl::Kind::Mask && !in.field.empty()) {
      error(in.loc, "a mask has no field '" + in.field + "'");
      inputs.try_emplace(in.name, &in); // what was meant: no follow-on errors
      continue;
    }
    if (target->kind == Decl::Kind::Data) {
      if (!in.field.empty() && in.field != "known" && in.field != "missing") {
        error(in.loc, "data '" + in.name + "' has no view '" + in.field +
                          "'; expected 'known' or 'missing'");
        continue;
      }
      if (!in.field.empty() && !maskOf(*target)) {
        error(in.loc, "'" + in.str() + "' needs a mask on '" + in.name + "'");
        continue;
      }
      if (d.isPrimary && in.field != "known") {
        error(in.loc, "primary '" + d.name + "' cannot read guide-only data '" +
                          in.str() + "'; the primary may read only the "
                                     "known part and masks");
        continue;
      }
    }
    if (!inputs.try_emplace(in.str(), &in).second)
      error(in.loc, "input '" + in.str() + "' is declared twice");
  }
  checkStmts(d.body);
}

void Sema::checkStmts(const std::vector<StmtPtr> &body) {
  for (const StmtPtr &s : body) {
    if (diag.tooManyErrors())
      return;
    checkStmt(*s);
  }
}

void Sema::checkStmt(const Stmt &s) {
  switch (s.kind) {
  case Stmt::Kind::Assign:
    return checkAssign(s);
  case Stmt::Kind::Sample:
    return checkSample(s);
  case Stmt::Kind::For:
    return checkFor(s);
  }
}

/// Reports an error when `name` is a declaration that cannot be assigned.
static const char *reservedKind(const Decl *d) {
  return d ? declKindName(d->kind) : nullptr;
}

void Sema::checkAssign(const Stmt &s) {
  for (const Target &t : s.targets) {
    if (!t.field.empty() || !t.index.empty()) {
      error(t.loc, "cannot assign to '" + t.str() +
                       "'; only plain variables are assigned");
      return;
    }
    if (const char *kind = reservedKind(lookupDecl(t.name))) {
      error(t.loc, llvm::Twine("cannot assign to ") + kind + " '" + t.name +
                       "'");
      return;
    }
  }

  const Expr &value = *s.value;
  if (s.targets.size() > 1 ||
      (value.kind == Expr::Kind::Call && value.name == "lstm_states")) {
    const Expr &v = value;
    if (v.kind != Expr::Kind::Call || v.name != "lstm_states") {
      error(s.targets[1].loc, "several targets need lstm_states(...) on the "
                              "right-hand side");
      return;
    }
    if (v.args.size() != 1) {
      error(v.loc, "lstm_states takes one argument");
      return;
    }
    Ty arg = checkExpr(*v.args[0].value);
    int64_t k = s.targets.size();
    if (!arg.isError() &&
        (arg.kind != Ty::Tensor || arg.size % (2 * k) != 0)) {
      error(v.args[0].loc, "lstm_states needs a vector whose size divides "
                           "into " +
                               llvm::Twine(k) + " (h, c) pairs, got " +
                               arg.str());
      arg = Ty::error();
    }
    if (arg.isError()) {
      for (const Target &t : s.targets)
        if (!lookupVar(t.name))
          defineVar(t.name, arg, t.loc);
      return;
    }
    for (const Target &t : s.targets)
      defineVar(t.name, Ty::state(arg.size / (2 * k)), t.loc);
    return;
  }

  const Target &t = s.targets[0];
  Ty ty = checkExpr(*s.value);
  if (ty.isError()) {
    // Define the name anyway so that its uses report nothing further.
    if (!lookupVar(t.name))
      defineVar(t.name, ty, t.loc);
    return;
  }
  if (ty.kind == Ty::Number) {
    error(s.value->loc, "a policy variable must be a batched value, not a "
                        "number");
    return;
  }
  if (Var *old = lookupVar(t.name)) {
    if (old->ty.isError()) {
      old->ty = ty;
      return;
    }
    if (old->site) {
      error(t.loc, "cannot assign to sample site '" + t.name + "'");
      return;
    }
    if (!(old->ty == ty)) {
      error(t.loc, "'" + t.name + "' changes type from " + old->ty.str() +
                       " to " + ty.str());
      return;
    }
    old->ty = ty;
    return;
  }
  defineVar(t.name, ty, t.loc);
}

void Sema::checkSample(const Stmt &s) {
  const Target &t = s.targets[0];
  Ty dist = checkExpr(*s.value);
  if (dist.isError()) {
    // Define a latent site's name anyway so that its uses report nothing
    // further.
    if (t.field.empty() && !lookupVar(t.name) && !lookupDecl(t.name))
      defineVar(t.name, dist, t.loc, !t.index.empty());
    return;
  }
  if (dist.kind != Ty::Dist) {
    error(s.value->loc, "'~' needs a distribution on its right, got " +
                            dist.str());
    return;
  }
  if (s.annot) {
    if (dist.size != 0 && dist.size != s.annot->size) {
      error(s.annot->loc, "annotation real[" + llvm::Twine(s.annot->size) +
                              "] does not match the " + dist.str());
      return;
    }
    dist.size = s.annot->size;
    if (dist.size <= 0) {
      error(s.annot->loc, "a sample site must have a positive size");
      return;
    }
  }
  if (dist.size == 0) {
    error(s.value->loc, "the size of this distribution is unknown; annotate "
                        "the site, e.g. '~ normal(0, 1) : real[20]'");
    return;
  }

  // An observed site: the data the primary generates.
  const Decl *d = lookupDecl(t.name);
  if (d && d->kind == Decl::Kind::Data) {
    if (!policy->isPrimary) {
      error(t.loc, "guide '" + policy->name + "' cannot observe data '" +
                       t.str() + "'; only the primary observes data");
      return;
    }
    if (!t.index.empty() || (!t.field.empty() && t.field != "missing")) {
      error(t.loc, "an observed site is 'x' or 'x.missing', not '" + t.str() +
                       "'");
      return;
    }
    if (!t.field.empty() && !maskOf(*d)) {
      error(t.loc, "'" + t.str() + "' needs a mask on '" + t.name + "'");
      return;
    }
    if (!t.field.empty() && !inputs.count(maskOf(*d)->name)) {
      error(t.loc, "observing '" + t.str() + "' needs mask '" +
                       maskOf(*d)->name + "' as an input of primary '" +
                       policy->name + "'");
      return;
    }
    if (!loopVar.empty()) {
      error(t.loc, "data is observed once, after the step loop");
      return;
    }
    if (dist.dist == "normal") {
      error(s.value->loc, "observed data needs a parameterised distribution "
                          "(bernoulli or gauss)");
      return;
    }
    if (dist.size != d->type.size) {
      error(s.value->loc, "data '" + d->name + "' has " +
                              llvm::Twine(d->type.size) +
                              " elements but the distribution is over " +
                              llvm::Twine(dist.size));
      return;
    }
    auto [it, inserted] = observed.try_emplace(d->name, t.loc);
    if (!inserted) {
      error(t.loc, "data '" + d->name + "' is observed twice");
      diag.note(it->second, "first observed here");
    }
    return;
  }
  if (d) {
    error(t.loc, llvm::Twine("cannot sample into ") + declKindName(d->kind) +
                     " '" + t.name + "'");
    return;
  }
  if (!t.field.empty()) {
    error(t.loc, "a sample site is a plain name, not '" + t.str() + "'");
    return;
  }
  if (dist.dist == "bernoulli") {
    error(s.value->loc, "latent sites must be continuous; a bernoulli "
                        "distribution can only observe data");
    return;
  }
  if (loopVar.empty() && !t.index.empty()) {
    error(t.indexLoc, "'" + t.index + "' is not a loop variable");
    return;
  }
  if (!loopVar.empty()) {
    if (t.index.empty()) {
      error(t.loc, "site '" + t.name + "' is sampled inside the step loop "
                   "and must be indexed by the step, as '" +
                       t.name + "[" + loopVar + "]'");
      return;
    }
    if (t.index != loopVar) {
      error(t.indexLoc, "site index '" + t.index +
                            "' is not the loop variable '" + loopVar + "'");
      return;
    }
  }
  auto [it, inserted] =
      sites->try_emplace(t.name, Site{t.loc, dist.size, !t.index.empty()});
  if (!inserted) {
    error(t.loc, "duplicate sample site '" + t.name + "' in policy '" +
                     policy->name + "'");
    diag.note(it->second.loc, "previous site is here");
    return;
  }
  if (lookupVar(t.name)) {
    error(t.loc, "sample site '" + t.name + "' shadows a variable");
    return;
  }
  defineVar(t.name, Ty::tensor(dist.size), t.loc, !t.index.empty(),
            /*site=*/true);
}

bool Sema::checkLoopBound(const Expr &e, int64_t &value) {
  if (e.kind == Expr::Kind::Number && e.isInteger) {
    value = int64_t(e.number);
    return true;
  }
  if (e.kind == Expr::Kind::Name) {
    const Decl *d = lookupDecl(e.name);
    if (d && d->kind == Decl::Kind::Steps) {
      value = d->steps;
      return true;
    }
  }
  error(e.loc, "a loop bound must be an integer or the model's steps name");
  return false;
}

void Sema::checkFor(const Stmt &s) {
  if (!loopVar.empty()) {
    error(s.loc, "nested step loops are not supported");
    return;
  }
  if (lookupVar(s.var) || lookupDecl(s.var)) {
    error(s.varLoc, "loop variable '" + s.var + "' shadows another name");
    return;
  }
  int64_t lo, hi;
  bool ok = checkLoopBound(*s.lo, lo);
  ok = checkLoopBound(*s.hi, hi) && ok;
  if (!ok)
    return;
  int64_t total = steps ? steps->steps : 0;
  for (auto [value, e] : {std::pair{lo, s.lo.get()}, {hi, s.hi.get()}}) {
    if (value < 0 || value > total) {
      error(e->loc, "loop bound " + llvm::Twine(value) +
                        " is outside the model's steps 0.." +
                        llvm::Twine(total) +
                        (steps ? "" : " (declare them with 'steps T = N')"));
      return;
    }
  }
  loopVar = s.var;
  scopes.emplace_back();
  checkStmts(s.body);
  scopes.pop_back();
  loopVar.clear();
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

Ty Sema::readData(llvm::SMLoc loc, const Decl &data, llvm::StringRef field,
                  llvm::SMLoc fieldLoc) {
  std::string view = field.empty() ? data.name : data.name + "." + field.str();
  if (!field.empty() && field != "known" && field != "missing") {
    error(fieldLoc.isValid() ? fieldLoc : loc,
          "data '" + data.name + "' has no view '" + field + "'");
    return Ty::error();
  }
  if (!field.empty() && !maskOf(data)) {
    error(loc, "'" + view + "' needs a mask on '" + data.name + "'");
    return Ty::error();
  }
  // The full data covers both of its views, computed with the mask.
  bool declared = inputs.count(view) || inputs.count(data.name);
  if (declared && !inputs.count(view)) {
    const Decl *mask = maskOf(data);
    if (!inputs.count(mask->name)) {
      error(loc, "'" + view + "' is computed from '" + data.name +
                     "' and mask '" + mask->name + "'; declare '" +
                     mask->name + "' as an input of policy '" + policy->name +
                     "'");
      return Ty::error();
    }
  }
  if (!declared) {
    if (policy->isPrimary && field != "known")
      error(loc, "primary '" + policy->name + "' reads guide-only data '" +
                     view + "'");
    else
      error(loc, "policy '" + policy->name + "' reads '" + view +
                     "' but does not declare it as an input");
    return Ty::error();
  }
  return Ty::tensor(data.type.size);
}

Ty Sema::checkName(const Expr &e) {
  if (Var *v = lookupVar(e.name)) {
    if (v->indexedSite) {
      error(e.loc, "site '" + e.name + "' is read as '" + e.name + "[" +
                       loopVar + "]'");
      return Ty::error();
    }
    return v->ty;
  }
  if (e.name == loopVar) {
    error(e.loc, "the loop variable '" + e.name +
                     "' can only index a sample site");
    return Ty::error();
  }
  const Decl *d = lookupDecl(e.name);
  if (!d) {
    auto site = sites->find(e.name);
    if (site != sites->end() && site->second.indexed)
      error(e.loc, "site '" + e.name + "' is sampled inside the step loop; "
                   "read it there, as '" + e.name + "[t]'");
    else
      error(e.loc, "use of undeclared name '" + e.name + "'");
    return Ty::error();
  }
  switch (d->kind) {
  case Decl::Kind::Data:
    return readData(e.loc, *d, "");
  case Decl::Kind::Mask:
    if (!inputs.count(d->name)) {
      error(e.loc, "policy '" + policy->name + "' reads mask '" + d->name +
                       "' but does not declare it as an input");
      return Ty::error();
    }
    if (const Decl *data = findMaskedData(model, *d))
      return Ty::tensor(data->type.size);
    return Ty::error();
  case Decl::Kind::Param:
    if (d->shape.size() != 1) {
      error(e.loc, "matrix parameter '" + d->name +
                       "' cannot be used as a batched value");
      return Ty::error();
    }
    return Ty::tensor(d->shape[0]);
  case Decl::Kind::Steps:
    error(e.loc, "'" + d->name + "' is a step count; it can only bound a "
                                 "loop");
    return Ty::error();
  case Decl::Kind::Net:
    error(e.loc, "net '" + d->name + "' must be applied to arguments");
    return Ty::error();
  default:
    error(e.loc, llvm::Twine(declKindName(d->kind)) + " '" + d->name +
                     "' is not a value");
    return Ty::error();
  }
}

Ty Sema::checkMember(const Expr &e) {
  const Expr &base = *e.base;
  if (base.kind == Expr::Kind::Name && !lookupVar(base.name)) {
    const Decl *d = lookupDecl(base.name);
    if (d && d->kind == Decl::Kind::Data)
      return readData(base.loc, *d, e.name, e.loc);
  }
  Ty ty = checkExpr(base);
  if (ty.isError())
    return ty;
  if (ty.kind == Ty::State) {
    if (e.name == "h" || e.name == "c")
      return Ty::tensor(ty.size);
    error(e.loc, "an lstm state has fields 'h' and 'c', not '" + e.name + "'");
    return Ty::error();
  }
  error(e.loc, "a " + ty.str() + " has no field '" + e.name + "'");
  return Ty::error();
}

/// Checks that every argument of `e` is positional.
static bool positionalOnly(const Expr &e, DiagEngine &diag) {
  for (const Arg &a : e.args)
    if (!a.name.empty()) {
      diag.error(a.loc, "'" + e.name + "' takes no named argument '" +
                            a.name + "'");
      return false;
    }
  return true;
}

Ty Sema::checkNetCall(const Expr &e, const Decl &net) {
  const NetSpec &spec = net.net;
  if (!positionalOnly(e, diag))
    return Ty::error();
  if (spec.arch == "lstm") {
    if (e.args.size() != 2) {
      error(e.loc, "lstm '" + net.name + "' takes (state, input), got " +
                       llvm::Twine(e.args.size()) + " argument(s)");
      return Ty::error();
    }
    Ty state = checkExpr(*e.args[0].value);
    Ty input = checkExpr(*e.args[1].value);
    if (state.isError() || input.isError())
      return Ty::error();
    if (state.kind != Ty::State || state.size != spec.hidden) {
      error(e.args[0].loc, "lstm '" + net.name + "' needs a state of size " +
                               llvm::Twine(spec.hidden) + ", got " +
                               state.str());
      return Ty::error();
    }
    if (input.kind != Ty::Tensor || input.size != spec.inputs) {
      error(e.args[1].loc, "lstm '" + net.name + "' needs an input real[" +
                               llvm::Twine(spec.inputs) + "], got " +
                               input.str());
      return Ty::error();
    }
    return state;
  }
  if (e.args.size() != 1) {
    error(e.loc, "net '" + net.name + "' takes one argument, got " +
                     llvm::Twine(e.args.size()));
    return Ty::error();
  }
  Ty arg = checkExpr(*e.args[0].value);
  if (arg.isError())
    return arg;
  if (arg.kind != Ty::Tensor || arg.size != spec.inputs) {
    error(e.args[0].loc, "net '" + net.name + "' expects real[" +
                             llvm::Twine(spec.inputs) + "], got " + arg.str());
    return Ty::error();
  }
  return netResult(net);
}

Ty Sema::checkCall(const Expr &e) {
  llvm::StringRef name = e.name;
  if (const Decl *d = lookupDecl(name)) {
    if (d->kind == Decl::Kind::Net)
      return checkNetCall(e, *d);
    error(e.loc, llvm::Twine(declKindName(d->kind)) + " '" + name +
                     "' cannot be called");
    return Ty::error();
  }

  // Builtins.
  auto checkArgs = [&](std::vector<Ty> &tys) {
    bool ok = true;
    for (const Arg &a : e.args) {
      tys.push_back(checkExpr(*a.value));
      ok &= !tys.back().isError();
    }
    return ok;
  };
  auto arity = [&](size_t n) {
    if (e.args.size() == n)
      return true;
    error(e.loc, "'" + name + "' takes " + llvm::Twine(n) +
                     " argument(s), got " + llvm::Twine(e.args.size()));
    return false;
  };
  auto needTensor = [&](const Ty &ty, const Arg &a, int64_t size) {
    if (ty.kind == Ty::Tensor && (size < 0 || ty.size == size))
      return true;
    error(a.loc, "'" + name + "' expects " +
                     (size < 0 ? std::string("a batched value")
                               : "real[" + std::to_string(size) + "]") +
                     ", got " + ty.str());
    return false;
  };

  if (name == "normal") {
    if (!positionalOnly(e, diag) || !arity(2))
      return Ty::error();
    for (const Arg &a : e.args) {
      const Expr &v = *a.value;
      bool zero = v.kind == Expr::Kind::Number && v.number == 0;
      bool one = v.kind == Expr::Kind::Number && v.number == 1;
      if (&a == &e.args[0] ? !zero : !one) {
        error(a.loc, "only the standard normal(0, 1) is supported; use "
                     "gauss(mean, logvar) for others");
        return Ty::error();
      }
    }
    return Ty::distribution("normal", 0);
  }
  if (name == "lstm_states") {
    error(e.loc, "lstm_states(...) must be assigned to one or more states, "
                 "as 's, g = lstm_states(v)'");
    return Ty::error();
  }

  if (name == "bernoulli") {
    if (!arity(1))
      return Ty::error();
    if (!e.args[0].name.empty() && e.args[0].name != "logits") {
      error(e.args[0].loc, "bernoulli takes 'logits', not '" +
                               e.args[0].name + "'");
      return Ty::error();
    }
  } else if (name == "gauss") {
    if (!arity(2))
      return Ty::error();
    const char *names[] = {"mean", "logvar"};
    for (size_t i = 0; i < 2; ++i)
      if (!e.args[i].name.empty() && e.args[i].name != names[i]) {
        error(e.args[i].loc, llvm::Twine("argument ") + llvm::Twine(i + 1) +
                                 " of gauss is '" + names[i] + "'");
        return Ty::error();
      }
  } else if (!positionalOnly(e, diag)) {
    return Ty::error();
  }

  std::vector<Ty> tys;
  if (name == "concat") {
    if (e.args.empty()) {
      error(e.loc, "concat needs at least one argument");
      return Ty::error();
    }
    if (!checkArgs(tys))
      return Ty::error();
    int64_t total = 0;
    for (size_t i = 0; i < tys.size(); ++i) {
      if (!needTensor(tys[i], e.args[i], -1))
        return Ty::error();
      total += tys[i].size;
    }
    return Ty::tensor(total);
  }
  if (name == "fill") {
    if (!arity(3) || !checkArgs(tys))
      return Ty::error();
    for (size_t i = 0; i < 3; ++i)
      if (!needTensor(tys[i], e.args[i], i ? tys[0].size : -1))
        return Ty::error();
    return tys[0];
  }
  if (isActivation(name)) {
    if (!arity(1) || !checkArgs(tys) || !needTensor(tys[0], e.args[0], -1))
      return Ty::error();
    return tys[0];
  }
  if (name == "bernoulli") {
    if (!checkArgs(tys) || !needTensor(tys[0], e.args[0], -1))
      return Ty::error();
    return Ty::distribution("bernoulli", tys[0].size);
  }
  if (name == "gauss") {
    if (!checkArgs(tys) || !needTensor(tys[0], e.args[0], -1) ||
        !needTensor(tys[1], e.args[1], tys[0].size))
      return Ty::error();
    return Ty::distribution("gaussian", tys[0].size);
  }
  if (name == "kl" || name == "nll") {
    error(e.loc, "'" + name + "' is an objective term and cannot appear in a "
                              "policy");
    return Ty::error();
  }
  error(e.loc, "unknown function '" + name + "'");
  return Ty::error();
}

Ty Sema::checkExpr(const Expr &e) {
  switch (e.kind) {
  case Expr::Kind::Number:
    return Ty::number();
  case Expr::Kind::Name:
    return checkName(e);
  case Expr::Kind::Member:
    return checkMember(e);
  case Expr::Kind::Index: {
    if (loopVar.empty()) {
      error(e.loc, "'" + e.name + "[" + e.index + "]' is read outside the "
                   "step loop; a loop's sites can only be read inside it");
      return Ty::error();
    }
    Var *v = lookupVar(e.name);
    if (!v || !v->indexedSite) {
      error(e.loc, "'" + e.name + "' is not a site sampled in this loop");
      return Ty::error();
    }
    if (e.index != loopVar) {
      error(e.indexLoc, "only the current step '" + e.name + "[" + loopVar +
                            "]' can be read");
      return Ty::error();
    }
    return v->ty;
  }
  case Expr::Kind::Call:
    return checkCall(e);
  case Expr::Kind::Divergence:
    error(e.loc, "'kl' is an objective term and cannot appear in a policy");
    return Ty::error();
  case Expr::Kind::Binary: {
    Ty lhs = checkExpr(*e.lhs);
    Ty rhs = checkExpr(*e.rhs);
    if (lhs.isError() || rhs.isError())
      return Ty::error();
    if (lhs.kind == Ty::Number && rhs.kind == Ty::Number)
      return lhs;
    if (lhs.kind != Ty::Tensor || rhs.kind != Ty::Tensor) {
      const Ty &bad = lhs.kind != Ty::Tensor ? lhs : rhs;
      error(e.loc, "'" + std::string(1, e.op) + "' needs two batched values of "
                                             "the same size, got " +
                       (bad.kind == Ty::Number ? "a number" : bad.str()) +
                       (bad.kind == Ty::Number
                            ? " (numbers and batched values do not mix)"
                            : ""));
      return Ty::error();
    }
    if (lhs.size != rhs.size) {
      error(e.loc, "size mismatch: '" + std::string(1, e.op) + "' of " +
                       lhs.str() + " and " + rhs.str());
      return Ty::error();
    }
    return lhs;
  }
  }
  return Ty::error();
}

//===----------------------------------------------------------------------===//
// Pairing and objective
//===----------------------------------------------------------------------===//

void Sema::checkSitePairing() {
  if (!primary || !guide)
    return;
  for (auto &entry : guideSites) {
    const Site &g = entry.second;
    auto it = primarySites.find(entry.first());
    if (it == primarySites.end()) {
      error(g.loc, "guide site '" + entry.first() +
                       "' has no primary site of the same name");
      continue;
    }
    const Site &p = it->second;
    if (p.size != g.size) {
      error(g.loc, "guide site '" + entry.first() + "' has " +
                       llvm::Twine(g.size) + " elements but the primary's has " +
                       llvm::Twine(p.size));
      diag.note(p.loc, "primary site is here");
    } else if (p.indexed != g.indexed) {
      error(g.loc, "guide site '" + entry.first() + "' is " +
                       (g.indexed ? "" : "not ") +
                       "indexed by the step but the primary's is" +
                       (p.indexed ? "" : " not"));
      diag.note(p.loc, "primary site is here");
    }
  }
}

bool Sema::observesData(const std::vector<StmtPtr> &body) const {
  for (const StmtPtr &s : body) {
    if (s->kind == Stmt::Kind::For && observesData(s->body))
      return true;
    const Decl *d =
        s->kind == Stmt::Kind::Sample ? lookupDecl(s->targets[0].name) : nullptr;
    if (d && d->kind == Decl::Kind::Data)
      return true;
  }
  return false;
}

Ty Sema::checkObjectiveExpr(const Expr &e) {
  switch (e.kind) {
  case Expr::Kind::Number:
    return Ty::number();
  case Expr::Kind::Name:
    if (e.name == "nll") {
      if (primary && !observesData(primary->body)) {
        error(e.loc, "the objective uses 'nll' but the primary observes no "
                     "data");
        return Ty::error();
      }
      return Ty::number();
    }
    error(e.loc, "unknown objective term '" + e.name +
                     "'; expected nll, kl(a || b) or a number");
    return Ty::error();
  case Expr::Kind::Divergence: {
    auto side = [&](const Expr &s, bool allowNormal) -> int {
      if (s.kind == Expr::Kind::Name) {
        const Decl *d = lookupDecl(s.name);
        if (d && d->kind == Decl::Kind::Policy)
          return 1;
        error(s.loc, "'" + s.name + "' is not a policy");
        return 0;
      }
      if (s.kind == Expr::Kind::Call && s.name == "normal" &&
          s.args.size() == 2 && s.args[0].value->kind == Expr::Kind::Number &&
          s.args[0].value->number == 0 &&
          s.args[1].value->kind == Expr::Kind::Number &&
          s.args[1].value->number == 1) {
        if (allowNormal)
          return 2;
        error(s.loc, "kl(normal(0, 1) || p) is not supported; write "
                     "kl(p || normal(0, 1))");
        return 0;
      }
      error(s.loc, "a side of kl(a || b) must be a policy or normal(0, 1)");
      return 0;
    };
    int lhs = side(*e.lhs, false);
    int rhs = side(*e.rhs, true);
    if (!lhs || !rhs)
      return Ty::error();
    if (rhs == 1 && e.lhs->name == e.rhs->name) {
      error(e.loc, "kl(" + e.lhs->name + " || " + e.rhs->name +
                       ") of a policy from itself is always zero");
      return Ty::error();
    }
    return Ty::number();
  }
  case Expr::Kind::Binary: {
    Ty lhs = checkObjectiveExpr(*e.lhs);
    Ty rhs = checkObjectiveExpr(*e.rhs);
    if (lhs.isError() || rhs.isError())
      return Ty::error();
    return Ty::number();
  }
  default:
    error(e.loc, "unknown objective term; expected nll, kl(a || b) or a "
                 "number");
    return Ty::error();
  }
}

void Sema::checkObjective(const Decl &d) { checkObjectiveExpr(*d.objective); }

bool Sema::run() {
  collectDecls();
  for (const DeclPtr &d : model.decls) {
    if (diag.tooManyErrors())
      break;
    switch (d->kind) {
    case Decl::Kind::Data:
      checkData(*d);
      break;
    case Decl::Kind::Mask:
      checkMask(*d);
      break;
    case Decl::Kind::Steps:
      if (d->steps < 0 || d->steps > 100000)
        error(d->valueLoc, "steps must lie in 0..100000");
      break;
    case Decl::Kind::Net:
      checkNet(*d);
      break;
    case Decl::Kind::Param:
      checkParam(*d);
      break;
    case Decl::Kind::Policy:
      checkPolicy(*d);
      break;
    case Decl::Kind::Objective:
      break;
    }
  }
  checkSitePairing();
  for (const DeclPtr &d : model.decls)
    if (d->kind == Decl::Kind::Objective)
      checkObjective(*d);
  return diag.getNumErrors() == 0;
}

bool gps::checkModel(const Model &model, DiagEngine &diag) {
  return Sema(model, diag).run();
}
