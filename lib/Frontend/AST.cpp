//===- AST.cpp - .gps abstract syntax tree helpers ------------------------===//

#include "gps/Frontend/AST.h"

using namespace gps;
using namespace gps::ast;

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
