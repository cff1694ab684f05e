//===- SemaPolicies.cpp - .gps semantic analysis of policy bodies ---------===//
//
// Policy inputs, statements, sample sites and step loops.
//
//===----------------------------------------------------------------------===//

#include "SemaImpl.h"

#include "llvm/Support/Format.h"

using namespace gps;
using namespace gps::sema;

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
  badInputs.clear();
  scopes.assign(1, {});
  observed.clear();
  loopVar.clear();
  sites = d.role == PolicyRole::Primary  ? &primarySites
          : d.role == PolicyRole::Impute ? &imputeSites
                                         : &guideSites;
  if (&d != primary && &d != guide && &d != impute)
    return; // A duplicate policy, already reported.

  for (const Input &in : d.inputs) {
    const Decl *target = lookupDecl(in.name);
    if (!target || (target->kind != Decl::Kind::Data &&
                    target->kind != Decl::Kind::Mask)) {
      error(in.loc, "policy input '" + in.str() +
                        "' does not name a data input or a mask");
      badInputs.insert(in.str());
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
        badInputs.insert(in.str());
        continue;
      }
      if (!in.field.empty() && !maskOf(*target)) {
        error(in.loc, "'" + in.str() + "' needs a mask on '" + in.name + "'");
        badInputs.insert(in.str());
        continue;
      }
      if (d.role != PolicyRole::Guide && in.field != "known") {
        error(in.loc, llvm::Twine(policyKeyword(d.role)) + " '" + d.name +
                          "' cannot read guide-only data '" + in.str() +
                          "'; " +
                          (d.role == PolicyRole::Primary
                               ? "the primary"
                               : "an imputation policy") +
                          " may read only the known part and masks");
        badInputs.insert(in.str());
        continue;
      }
    }
    if (!inputs.try_emplace(in.str(), &in).second)
      error(in.loc, "input '" + in.str() + "' is declared twice");
  }
  checkStmts(d.body);
  // An imputation policy is scored by the likelihood of the missing part.
  if (d.role == PolicyRole::Impute && !observesData(d.body))
    error(d.nameLoc, "impute policy '" + d.name + "' observes no data; it "
                     "ends by observing the missing part, e.g. "
                     "'x.missing ~ bernoulli(logits = c)'");
}

void Sema::checkStmts(const std::vector<StmtPtr> &body) {
  for (const StmtPtr &s : body) {
    if (diag.tooManyErrors())
      return;
    checkStmt(*s);
  }
}

void Sema::checkStmt(Stmt &s) {
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

void Sema::checkAssign(Stmt &s) {
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

  // After an error, the targets are defined with the error type (unless
  // they exist) so that their uses report nothing further.
  auto defineBroken = [&] {
    for (const Target &t : s.targets)
      if (!lookupVar(t.name))
        defineVar(t.name, Ty::error(), t.loc);
  };
  // Assigns `ty` to target `t`: an existing variable keeps its type (a
  // loop carries it from step to step), a sample site is not assigned.
  auto assignTarget = [&](const Target &t, Ty ty) {
    if (Var *old = lookupVar(t.name)) {
      if (old->ty.isError()) {
        old->ty = ty;
        return;
      }
      if (old->site) {
        error(t.loc, "cannot assign to sample site '" + t.name + "'");
        return;
      }
      if (!(old->ty == ty))
        error(t.loc, "'" + t.name + "' changes type from " + old->ty.str() +
                         " to " + ty.str());
      return;
    }
    defineVar(t.name, ty, t.loc);
  };
  Expr &value = *s.value;
  if (s.targets.size() > 1 ||
      (value.kind == Expr::Kind::Call && value.name == "lstm_states")) {
    Expr &v = value;
    if (v.kind != Expr::Kind::Call || v.name != "lstm_states") {
      error(s.targets[1].loc, "several targets need lstm_states(...) on the "
                              "right-hand side");
      return defineBroken();
    }
    v.callee = Callee::LstmStates;
    if (v.args.size() != 1) {
      error(v.loc, "lstm_states takes one argument");
      return defineBroken();
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
    if (arg.isError())
      return defineBroken();
    for (const Target &t : s.targets)
      assignTarget(t, Ty::state(arg.size / (2 * k)));
    return;
  }

  const Target &t = s.targets[0];
  Ty ty = checkExpr(*s.value);
  if (ty.isError())
    return defineBroken();
  if (ty.kind == Ty::Number) {
    error(s.value->loc, "a policy variable must be a batched value, not a "
                        "number");
    return defineBroken();
  }
  assignTarget(t, ty);
}

void Sema::checkSample(Stmt &s) {
  if (checkSite(s))
    return;
  // Define a latent site's name anyway so that its uses report nothing
  // further.
  const Target &t = s.targets[0];
  if (t.field.empty() && !lookupVar(t.name) && !lookupDecl(t.name))
    defineVar(t.name, Ty::error(), t.loc, !t.index.empty());
}

/// A number as the source would spell it: 0, 1, -1, 0.5, 1e+06.
static std::string formatNumber(double value) {
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format("%g", value);
  return text;
}

bool Sema::checkSite(Stmt &s) {
  const Target &t = s.targets[0];
  Ty dist = checkExpr(*s.value);
  if (dist.isError())
    return false;
  if (dist.kind != Ty::Dist) {
    error(s.value->loc, "'~' needs a distribution on its right, got " +
                            dist.str());
    return false;
  }
  if (s.annot) {
    if (dist.size != 0 && dist.size != s.annot->size) {
      error(s.annot->loc, "annotation real[" + llvm::Twine(s.annot->size) +
                              "] does not match the " + dist.str());
      return false;
    }
    dist.size = s.annot->size;
    if (dist.size <= 0) {
      error(s.annot->loc, "a sample site must have a positive size");
      return false;
    }
  }
  if (dist.size == 0) {
    error(s.value->loc, "the size of this distribution is unknown; annotate "
                        "the site, e.g. '~ normal(0, 1) : real[20]'");
    return false;
  }

  // An observed site: the data the primary generates.
  const Decl *d = lookupDecl(t.name);
  if (d && d->kind == Decl::Kind::Data) {
    if (policy->role == PolicyRole::Guide) {
      error(t.loc, "guide '" + policy->name + "' cannot observe data '" +
                       t.str() + "'; only the primary observes data");
      return false;
    }
    if (!t.index.empty() || (!t.field.empty() && t.field != "missing")) {
      error(t.loc, "an observed site is 'x' or 'x.missing', not '" + t.str() +
                       "'");
      return false;
    }
    if (!t.field.empty() && !maskOf(*d)) {
      error(t.loc, "'" + t.str() + "' needs a mask on '" + t.name + "'");
      return false;
    }
    if (!t.field.empty() && !inputs.count(maskOf(*d)->name)) {
      error(t.loc, "observing '" + t.str() + "' needs mask '" +
                       maskOf(*d)->name + "' as an input of " +
                       policyKeyword(policy->role) + " '" + policy->name +
                       "'");
      return false;
    }
    if (policy->role == PolicyRole::Impute && t.field.empty()) {
      error(t.loc, "impute policy '" + policy->name + "' observes '" + t.str() +
                       "'; an imputation is scored on the missing part, '" +
                       t.str() + ".missing'");
      return false;
    }
    if (!loopVar.empty()) {
      error(t.loc, "data is observed once, after the step loop");
      return false;
    }
    if (dist.dist == "normal") {
      error(s.value->loc, "observed data needs a parameterised distribution "
                          "(bernoulli or gauss)");
      return false;
    }
    if (dist.size != d->type.size) {
      error(s.value->loc, "data '" + d->name + "' has " +
                              llvm::Twine(d->type.size) +
                              " elements but the distribution is over " +
                              llvm::Twine(dist.size));
      return false;
    }
    if (dist.dist == "bernoulli" && d->type.elem != "bits" && d->range &&
        (d->range->first < 0 || d->range->second > 1)) {
      error(s.value->loc,
            "a bernoulli likelihood needs data in [0, 1], but data '" +
                d->name + "' is declared in [" +
                formatNumber(d->range->first) + ", " +
                formatNumber(d->range->second) +
                "]; use gauss(mean, logvar) for other ranges");
      diag.note(d->rangeLoc, "the range of '" + d->name +
                                 "' is declared here");
      return true;
    }
    auto [it, inserted] = observed.try_emplace(d->name, t.loc);
    if (!inserted) {
      error(t.loc, "data '" + d->name + "' is observed twice");
      diag.note(it->second, "first observed here");
    }
    return true;
  }
  if (d) {
    error(t.loc, llvm::Twine("cannot sample into ") + declKindName(d->kind) +
                     " '" + t.name + "'");
    return false;
  }
  if (!t.field.empty()) {
    error(t.loc, "a sample site is a plain name, not '" + t.str() + "'");
    return false;
  }
  if (dist.dist == "bernoulli") {
    error(s.value->loc, "latent sites must be continuous; a bernoulli "
                        "distribution can only observe data");
    return false;
  }
  if (loopVar.empty() && !t.index.empty()) {
    error(t.indexLoc, "'" + t.index + "' is not a loop variable");
    return false;
  }
  if (!loopVar.empty()) {
    if (t.index.empty()) {
      error(t.loc, "site '" + t.name + "' is sampled inside the step loop "
                   "and must be indexed by the step, as '" +
                       t.name + "[" + loopVar + "]'");
      return false;
    }
    if (t.index != loopVar) {
      error(t.indexLoc, "site index '" + t.index +
                            "' is not the loop variable '" + loopVar + "'");
      return false;
    }
  }
  auto [it, inserted] =
      sites->try_emplace(t.name, Site{t.loc, dist.size, !t.index.empty()});
  if (!inserted) {
    error(t.loc, "duplicate sample site '" + t.name + "' in policy '" +
                     policy->name + "'");
    diag.note(it->second.loc, "previous site is here");
    return false;
  }
  if (lookupVar(t.name)) {
    error(t.loc, "sample site '" + t.name + "' shadows a variable");
    return false;
  }
  defineVar(t.name, Ty::tensor(dist.size), t.loc, !t.index.empty(),
            /*site=*/true);
  return true;
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

void Sema::checkFor(Stmt &s) {
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
  // Pairing fuses the primary's and the guide's step loops into one.
  StepLoop &slot = policy->role == PolicyRole::Primary  ? primaryLoop
                   : policy->role == PolicyRole::Impute ? imputeLoop
                                                        : guideLoop;
  if (slot.stmt) {
    error(s.loc, "policy '" + policy->name + "' has more than one step loop; "
                 "a policy has at most one");
    diag.note(slot.stmt->loc, "first step loop is here");
  } else {
    slot = StepLoop{&s, lo, hi};
  }
  loopVar = s.var;
  scopes.emplace_back();
  checkStmts(s.body);
  scopes.pop_back();
  loopVar.clear();
}

