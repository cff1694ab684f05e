//===- SemaExprs.cpp - .gps semantic analysis of expressions --------------===//
//
// Names, data views, fields, calls of nets and builtins, and arithmetic in
// policy bodies.
//
//===----------------------------------------------------------------------===//

#include "SemaImpl.h"

#include "llvm/ADT/StringSwitch.h"
#include <cmath>
#include "llvm/ADT/Twine.h"

using namespace gps;
using namespace gps::sema;

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

Ty Sema::readData(llvm::SMLoc loc, const Decl &data, llvm::StringRef field,
                  llvm::SMLoc fieldLoc) {
  std::string view = field.empty() ? data.name : data.name + "." + field.str();
  if (badInputs.contains(view))
    return Ty::error(); // already reported at the policy's inputs
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
    if (policy->role != PolicyRole::Guide && field != "known")
      error(loc, llvm::Twine(policyKeyword(policy->role)) + " '" +
                     policy->name + "' reads guide-only data '" + view + "'");
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
  if (!d && badInputs.contains(e.name))
    return Ty::error(); // already reported at the policy's inputs
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
    noteParamUse(e.loc, "reads parameter '" + d->name + "'");
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

Ty Sema::checkMember(Expr &e) {
  Expr &base = *e.base;
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

Ty Sema::checkCall(Expr &e) {
  llvm::StringRef name = e.name;
  if (const Decl *d = lookupDecl(name)) {
    if (d->kind == Decl::Kind::Net) {
      e.callee = Callee::Net;
      noteParamUse(e.loc, "calls net '" + d->name + "'");
      return checkNetCall(e, *d);
    }
    error(e.loc, llvm::Twine(declKindName(d->kind)) + " '" + name +
                     "' cannot be called");
    return Ty::error();
  }

  // Builtins.
  std::optional<Activation> activation = parseActivation(name);
  e.callee = llvm::StringSwitch<Callee>(name)
                 .Case("concat", Callee::Concat)
                 .Case("fill", Callee::Fill)
                 .Case("lstm_states", Callee::LstmStates)
                 .Case("normal", Callee::Normal)
                 .Case("bernoulli", Callee::Bernoulli)
                 .Case("gauss", Callee::Gauss)
                 .Default(activation ? Callee::Activation : Callee::Unresolved);
  e.activation = activation.value_or(Activation::None);
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

  if (e.callee == Callee::Normal) {
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
  if (e.callee == Callee::LstmStates) {
    error(e.loc, "lstm_states(...) must be assigned to one or more states, "
                 "as 's, g = lstm_states(v)'");
    return Ty::error();
  }

  if (e.callee == Callee::Bernoulli) {
    if (!arity(1))
      return Ty::error();
    if (!e.args[0].name.empty() && e.args[0].name != "logits") {
      error(e.args[0].loc, "bernoulli takes 'logits', not '" +
                               e.args[0].name + "'");
      return Ty::error();
    }
  } else if (e.callee == Callee::Gauss) {
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
  if (e.callee == Callee::Concat) {
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
  if (e.callee == Callee::Fill) {
    if (!arity(3) || !checkArgs(tys))
      return Ty::error();
    for (size_t i = 0; i < 3; ++i)
      if (!needTensor(tys[i], e.args[i], i ? tys[0].size : -1))
        return Ty::error();
    return tys[0];
  }
  if (e.callee == Callee::Activation) {
    if (!arity(1) || !checkArgs(tys) || !needTensor(tys[0], e.args[0], -1))
      return Ty::error();
    return tys[0];
  }
  if (e.callee == Callee::Bernoulli) {
    if (!checkArgs(tys) || !needTensor(tys[0], e.args[0], -1))
      return Ty::error();
    return Ty::distribution("bernoulli", tys[0].size);
  }
  if (e.callee == Callee::Gauss) {
    if (!checkArgs(tys))
      return Ty::error();
    // One of mean and logvar may be a number, the same for every element.
    bool numberMean = tys[0].kind == Ty::Number;
    bool numberLogvar = tys[1].kind == Ty::Number;
    if (numberMean && numberLogvar) {
      error(e.loc, "gauss(mean, logvar) needs a batched mean or logvar to "
                   "know its size; both are numbers");
      return Ty::error();
    }
    if ((numberMean && !checkConstant(*e.args[0].value)) ||
        (numberLogvar && !checkConstant(*e.args[1].value)))
      return Ty::error();
    const Ty &sized = numberMean ? tys[1] : tys[0];
    const Arg &sizedArg = numberMean ? e.args[1] : e.args[0];
    if (!needTensor(sized, sizedArg, -1) ||
        (!numberMean && !numberLogvar &&
         !needTensor(tys[1], e.args[1], tys[0].size)))
      return Ty::error();
    return Ty::distribution("gaussian", sized.size);
  }
  if (name == "kl" || name == "nll") {
    error(e.loc, "'" + name + "' is an objective term and cannot appear in a "
                              "policy");
    return Ty::error();
  }
  error(e.loc, "unknown function '" + name + "'");
  return Ty::error();
}

bool Sema::checkConstant(const Expr &e) {
  if (e.kind == Expr::Kind::Binary &&
      (!checkConstant(*e.lhs) || !checkConstant(*e.rhs)))
    return false;
  if (e.kind == Expr::Kind::Negate && !checkConstant(*e.lhs))
    return false;
  if (e.kind == Expr::Kind::Binary && e.op == '/' &&
      foldConstant(*e.rhs) == 0.0f) {
    error(e.loc, "division by zero");
    return false;
  }
  std::optional<float> value = foldConstant(e);
  if (value && std::isfinite(*value))
    return true;
  error(e.loc, "this constant overflows a 32-bit float");
  return false;
}

Ty Sema::checkExpr(Expr &e) {
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
  case Expr::Kind::Negate: {
    Ty operand = checkExpr(*e.lhs);
    if (operand.isError() || operand.kind == Ty::Number ||
        operand.kind == Ty::Tensor)
      return operand;
    error(e.loc, "unary '-' needs a batched value, got " + operand.str());
    return Ty::error();
  }
  case Expr::Kind::Binary: {
    Ty lhs = checkExpr(*e.lhs);
    Ty rhs = checkExpr(*e.rhs);
    if (lhs.isError() || rhs.isError())
      return Ty::error();
    if (lhs.kind == Ty::Number && rhs.kind == Ty::Number)
      return lhs;
    // A number and a batched value: the number applies to every element.
    if ((lhs.kind == Ty::Number && rhs.kind == Ty::Tensor) ||
        (lhs.kind == Ty::Tensor && rhs.kind == Ty::Number)) {
      const Expr &number = lhs.kind == Ty::Number ? *e.lhs : *e.rhs;
      if (!checkConstant(number))
        return Ty::error();
      if (e.op == '/' && &number == e.rhs.get() && *foldConstant(number) == 0) {
        error(e.loc, "division by zero");
        return Ty::error();
      }
      return lhs.kind == Ty::Tensor ? lhs : rhs;
    }
    if (lhs.kind != Ty::Tensor || rhs.kind != Ty::Tensor) {
      const Ty &bad = lhs.kind != Ty::Tensor ? lhs : rhs;
      error(e.loc, "'" + std::string(1, e.op) + "' needs batched values of "
                                             "the same size or a number, "
                                             "got " +
                       bad.str());
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

