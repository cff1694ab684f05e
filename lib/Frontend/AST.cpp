//===- AST.cpp - .gps abstract syntax tree helpers ------------------------===//

#include "gps/Frontend/AST.h"

#include "llvm/ADT/StringSwitch.h"

using namespace gps;
using namespace gps::ast;

std::optional<Activation> gps::ast::parseActivation(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<Activation>>(name)
      .Case("relu", Activation::Relu)
      .Case("tanh", Activation::Tanh)
      .Case("sigmoid", Activation::Sigmoid)
      .Case("softplus", Activation::Softplus)
      .Case("exp", Activation::Exp)
      .Case("log", Activation::Log)
      .Default(std::nullopt);
}

const char *gps::ast::policyKeyword(PolicyRole role) {
  switch (role) {
  case PolicyRole::Primary:
    return "primary";
  case PolicyRole::Guide:
    return "guide";
  case PolicyRole::Impute:
    return "impute";
  }
  return "policy";
}

const Decl *gps::ast::findMask(const Model &model, const Decl &data) {
  for (const DeclPtr &d : model.decls)
    if (d->kind == Decl::Kind::Mask && findMaskedData(model, *d) == &data)
      return d.get();
  return nullptr;
}

const Decl *gps::ast::findMaskedData(const Model &model, const Decl &mask) {
  const Decl *only = nullptr;
  unsigned count = 0;
  for (const DeclPtr &d : model.decls) {
    if (d->kind != Decl::Kind::Data)
      continue;
    if (!mask.maskOn.empty() && d->name == mask.maskOn)
      return d.get();
    only = d.get();
    ++count;
  }
  return mask.maskOn.empty() && count == 1 ? only : nullptr;
}

std::optional<float> gps::ast::foldConstant(const Expr &e) {
  switch (e.kind) {
  case Expr::Kind::Number:
    return float(e.number);
  case Expr::Kind::Negate:
    if (std::optional<float> v = foldConstant(*e.lhs))
      return -*v;
    return std::nullopt;
  case Expr::Kind::Binary: {
    std::optional<float> lhs = foldConstant(*e.lhs);
    std::optional<float> rhs = lhs ? foldConstant(*e.rhs) : std::nullopt;
    if (!rhs)
      return std::nullopt;
    switch (e.op) {
    case '+':
      return *lhs + *rhs;
    case '-':
      return *lhs - *rhs;
    case '*':
      return *lhs * *rhs;
    default:
      return *lhs / *rhs;
    }
  }
  default:
    return std::nullopt;
  }
}
