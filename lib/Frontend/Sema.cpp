//===- Sema.cpp - .gps semantic analysis ----------------------------------===//
//
// One pass over the AST with a scoped environment per policy. Every check
// reports at the source location of the offending token and analysis goes
// on, so that one run reports several errors. This file checks the
// declarations, the pairing of the policies and the objective; policy
// bodies are in SemaPolicies.cpp and expressions in SemaExprs.cpp.
//
//===----------------------------------------------------------------------===//

#include "SemaImpl.h"

#include <cmath>
#include <optional>

using namespace gps;
using namespace gps::sema;

namespace contract = gps::rt::contract;

//===----------------------------------------------------------------------===//
// Declarations
//===----------------------------------------------------------------------===//

const char *sema::declKindName(Decl::Kind kind) {
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
    if (d->kind == Decl::Kind::Data) {
      // The trainer's ABI takes one batch of data (and one mask).
      if (dataInput) {
        error(d->nameLoc, "the model has more than one data input; a model "
                          "is trained on one");
        diag.note(dataInput->nameLoc, "first data input is here");
      } else {
        dataInput = d.get();
      }
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
      const Decl *&slot = d->role == PolicyRole::Primary  ? primary
                          : d->role == PolicyRole::Impute ? impute
                                                          : guide;
      if (slot) {
        error(d->loc, llvm::Twine("the model has more than one ") +
                          policyKeyword(d->role) + " policy");
        diag.note(slot->loc, "previous one is here");
      } else {
        slot = d.get();
      }
    }
  }
  // The module beside the model holds the generated functions gps_loss,
  // gps_sample, gps_model_train, ...
  if (llvm::StringRef(model.name).starts_with("gps_"))
    error(model.loc, "model name '" + model.name + "' is reserved: names "
                     "beginning with 'gps_' are used by the generated code");
  if (!dataInput)
    error(model.loc, "model '" + model.name + "' has no data input; declare "
                     "the data it is trained on, e.g. 'data x : real[784]'");
  if (!primary)
    error(model.loc, "model '" + model.name + "' has no primary policy");
  if (numObjectives == 0)
    error(model.loc, "model '" + model.name + "' has no objective");
}

void Sema::checkData(Decl &d) {
  // The parser accepts only the two element words.
  d.dataKind =
      contract::parseKind<contract::Data, contract::kNumData>(d.type.elem);
  assert(d.dataKind && "the parser reads 'real' or 'bits'");
  if (d.type.size <= 0)
    error(d.type.loc, "data '" + d.name + "' must have a positive size");
  if (d.range && !(d.range->first < d.range->second))
    error(d.rangeLoc, "data '" + d.name + "' has an empty range");
  if (d.range && d.dataKind == contract::Data::Bits &&
      (d.range->first != 0 || d.range->second != 1))
    error(d.rangeLoc, "'bits' data takes values in [0, 1]; drop the range");
}

void Sema::checkMask(Decl &d) {
  const Decl *data = nullptr;
  if (!d.maskOn.empty()) {
    data = lookupDecl(d.maskOn);
    if (!data || data->kind != Decl::Kind::Data) {
      error(d.maskOnLoc, "mask '" + d.name + "' is on '" + d.maskOn +
                             "', which is not a data input");
      return;
    }
  } else {
    // The model's only data input; none or several are reported already.
    data = dataInput;
    if (!data)
      return;
  }
  if (const Decl *first = findMask(model, *data); first && first != &d) {
    error(d.nameLoc, "data '" + data->name + "' already has mask '" +
                         first->name + "'; one mask per data input");
    diag.note(first->nameLoc, "first mask is here");
    return;
  }
  d.maskKind =
      contract::parseKind<contract::Mask, contract::kNumMasks>(d.maskSpelling);
  if (!d.maskKind) {
    error(d.loc, "unknown mask kind '" + d.maskSpelling +
                     "'; expected 'mar' or 'mcar'");
    return;
  }
  if (*d.maskKind == contract::Mask::Mcar) {
    if (!(d.maskAmount >= 0 && d.maskAmount < 1))
      error(d.loc, "mcar drop probability must lie in [0, 1)");
    if (!d.image.empty())
      error(d.loc, "mcar takes no image shape");
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

void Sema::checkNet(Decl &d) {
  NetSpec &spec = d.net;
  if (spec.inputs <= 0)
    error(spec.loc, "net '" + d.name + "' must have a positive input size");
  if (spec.arch == "lstm") {
    spec.archKind = NetArch::Lstm;
    if (spec.hidden <= 0)
      error(spec.loc, "lstm '" + d.name + "' must have a positive hidden size");
    return;
  }
  if (spec.arch != "mlp" && spec.arch != "affine") {
    error(spec.loc, "unknown net architecture '" + spec.arch +
                        "'; expected mlp, affine or lstm");
    return;
  }
  spec.archKind = spec.arch == "mlp" ? NetArch::Mlp : NetArch::Affine;
  if (spec.layers.empty()) {
    error(spec.loc, "net '" + d.name + "' has no output layer");
    return;
  }
  if (spec.arch == "affine" && spec.layers.size() != 1)
    error(spec.layers[1].loc,
          "an affine net has exactly one layer; use mlp for more");
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    Layer &l = spec.layers[i];
    if (l.size <= 0)
      error(l.loc, "layer size must be positive");
    if (!l.activation.empty()) {
      if (std::optional<Activation> act = parseActivation(l.activation))
        l.activationKind = *act;
      else
        error(l.activationLoc, "unknown activation '" + l.activation +
                                   "'; expected relu, tanh, sigmoid, "
                                   "softplus, exp or log");
    }
    if (l.gauss && i + 1 != spec.layers.size())
      error(l.loc, "a gauss(N) head must be the last layer");
    if (spec.arch == "affine" && !l.activation.empty())
      error(l.activationLoc, "an affine net has no activation; use mlp");
  }
}

void Sema::checkParam(Decl &d) {
  if (d.shape.size() > 2)
    error(d.type.loc, "parameter '" + d.name + "' must be a vector or matrix");
  for (int64_t dim : d.shape)
    if (dim <= 0)
      error(d.type.loc, "parameter '" + d.name +
                            "' must have positive dimensions");
  d.initKind = contract::parseKind<contract::Init, contract::kNumInits>(d.init);
  if (!d.initKind)
    error(d.initLoc, "unknown initialiser '" + d.init +
                         "'; expected zeros, ones, normal or glorot");
  else if (*d.initKind == contract::Init::Glorot && d.shape.size() != 2)
    error(d.initLoc, "glorot initialisation needs a matrix parameter");
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

void Sema::checkLoopPairing() {
  const StepLoop &g = guideLoop, &p = primaryLoop;
  if (!g.stmt || !p.stmt)
    return;
  bool gBackward = g.lo > g.hi, pBackward = p.lo > p.hi;
  auto range = [](const StepLoop &l) {
    return std::to_string(l.lo) + ".." + std::to_string(l.hi);
  };
  if (gBackward != pBackward && !guideParamUse.empty()) {
    // The guide runs first and the primary replays its samples, so the
    // gradient does not reach back into the guide's loop.
    error(guideParamLoc,
          "the guide's step loop runs " +
              llvm::Twine(gBackward ? "backward" : "forward") + " (" +
              range(g) + ") against the primary's (" + range(p) +
              "), so the guide must be a fixed process without trained "
              "parameters, but it " +
              guideParamUse);
    diag.note(g.stmt->loc, "the guide's step loop is here");
  }
  if (std::min(g.lo, g.hi) != std::min(p.lo, p.hi) ||
             std::max(g.lo, g.hi) != std::max(p.lo, p.hi)) {
    error(g.stmt->loc, "the guide's step loop runs over " + range(g) +
                           " but the primary's over " + range(p) +
                           "; both must run over the same steps");
    diag.note(p.stmt->loc, "the primary's step loop is here");
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
        if (d && d->kind == Decl::Kind::Policy &&
            d->role == PolicyRole::Impute) {
          error(s.loc, "'" + s.name + "' is an imputation policy, which is "
                       "not trained; kl(a || b) names the primary, the guide "
                       "or normal(0, 1)");
          return 0;
        }
        if (d && d->kind == Decl::Kind::Policy)
          return 1;
        if (!d && !guide)
          error(s.loc, "'" + s.name + "' is not a policy; the model has no "
                                      "guide, so its objective can only use "
                                      "nll and kl(" +
                           (primary ? primary->name : std::string("p")) +
                           " || normal(0, 1))");
        else
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
    if (rhs == 1 && guide && e.rhs->name == guide->name && opposedLoops()) {
      // Replaying the primary along the guide's samples estimates
      // E_q[log q - log p]; kl(p || q) would need the primary's samples.
      error(e.loc, "kl(" + e.lhs->name + " || " + e.rhs->name +
                       ") needs the guide's and the primary's step loops to "
                       "run in the same direction; use kl(" + e.rhs->name +
                       " || " + e.lhs->name + ")");
      diag.note(guideLoop.stmt->loc, "the guide's step loop is here");
      return Ty::error();
    }
    return Ty::number();
  }
  case Expr::Kind::Negate:
    return checkObjectiveExpr(*e.lhs);
  case Expr::Kind::Binary: {
    Ty lhs = checkObjectiveExpr(*e.lhs);
    Ty rhs = checkObjectiveExpr(*e.rhs);
    if (lhs.isError() || rhs.isError())
      return Ty::error();
    // The objective is computed in 32-bit floats; a constant part of it
    // must stay finite.
    std::optional<float> divisor = foldConstant(*e.rhs);
    if (e.op == '/' && divisor && *divisor == 0) {
      error(e.loc, "division by zero");
      return Ty::error();
    }
    std::optional<float> value = foldConstant(e);
    if (value && !std::isfinite(*value)) {
      error(e.loc, "this constant overflows a 32-bit float");
      return Ty::error();
    }
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
  checkLoopPairing();
  for (const DeclPtr &d : model.decls)
    if (d->kind == Decl::Kind::Objective)
      checkObjective(*d);
  return diag.getNumErrors() == 0;
}

bool gps::checkModel(Model &model, DiagEngine &diag) {
  return Sema(model, diag).run();
}
