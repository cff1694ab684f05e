//===- MLIRGen.cpp - .gps AST to gps dialect ------------------------------===//
//
// Lowers a checked AST to the gps dialect. Sema has already rejected every
// ill-formed program and resolved every kind word into an enum, so this
// file asserts instead of reporting and compares no spellings.
//
//===----------------------------------------------------------------------===//

#include "gps/Frontend/MLIRGen.h"
#include "gps/Dialect/GPS/GPSOps.h"
#include "gps/Frontend/Sema.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;
using namespace gps;
using namespace gps::ast;

namespace contract = gps::rt::contract;

namespace {

class MLIRGenImpl {
public:
  MLIRGenImpl(MLIRContext &ctx, llvm::SourceMgr &srcMgr, const Model &model)
      : ctx(ctx), builder(&ctx), srcMgr(srcMgr), model(model) {}

  OwningOpRef<ModuleOp> run();

private:
  Location loc(llvm::SMLoc l) {
    auto [line, col] = srcMgr.getLineAndColumn(l);
    StringRef file =
        srcMgr.getMemoryBuffer(srcMgr.FindBufferContainingLoc(l))
            ->getBufferIdentifier();
    return FileLineColLoc::get(&ctx, file, line, col);
  }
  RankedTensorType batch(int64_t n) { return getBatchTensorType(&ctx, n); }
  RankedTensorType paramType(ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, builder.getF32Type());
  }
  const Decl *lookupDecl(StringRef name) const {
    auto it = decls.find(name);
    return it == decls.end() ? nullptr : it->second;
  }

  // Declarations.
  void genData(const Decl &d);
  void genMask(const Decl &d);
  void genParam(const Decl &d);
  void genNet(const Decl &d);
  /// Declares the parameter `name` at the model level, before the op the
  /// builder is in.
  void declareParam(Location l, StringRef name, ArrayRef<int64_t> shape,
                    contract::Init init);
  Value readParam(Location l, StringRef name);
  void genPolicy(const Decl &d);
  void genObjective(const Decl &d);
  Value genObjectiveExpr(const Expr &e);

  // Policy bodies.
  void genStmts(const std::vector<StmtPtr> &body);
  void genAssign(const Stmt &s);
  void genSample(const Stmt &s);
  void genFor(const Stmt &s);
  SmallVector<Value> genExpr(const Expr &e);
  Value genValue(const Expr &e) {
    SmallVector<Value> v = genExpr(e);
    assert(v.size() == 1 && "expected a single value");
    return v.front();
  }
  Value readData(Location l, const Decl &data, StringRef field);
  SmallVector<Value> genCall(const Expr &e);
  /// The values of `exprs`, elementwise operands of one op: a number
  /// becomes a splat of the type of the first batched operand (Sema allows
  /// numbers only beside a batched value).
  SmallVector<Value> genOperands(ArrayRef<const Expr *> exprs);

  SmallVector<Value> *lookupVar(StringRef name) {
    for (auto it = scopes.rbegin(); it != scopes.rend(); ++it) {
      auto found = it->find(name);
      if (found != it->end())
        return &found->second;
    }
    return nullptr;
  }
  /// Assigns `name`: updates the innermost scope that defines it, or
  /// defines it in the current scope.
  void assignVar(StringRef name, SmallVector<Value> values) {
    if (SmallVector<Value> *v = lookupVar(name))
      *v = std::move(values);
    else
      scopes.back()[name] = std::move(values);
  }

  MLIRContext &ctx;
  OpBuilder builder;
  llvm::SourceMgr &srcMgr;
  const Model &model;
  ModelOp modelOp;
  llvm::StringMap<const Decl *> decls;
  llvm::StringMap<ParamOp> params;

  // Policy state.
  llvm::StringMap<Value> inputs;
  std::vector<llvm::StringMap<SmallVector<Value>>> scopes;
  Value step; // the loop's step inside gps.for
};

} // namespace

//===----------------------------------------------------------------------===//
// Declarations
//===----------------------------------------------------------------------===//

void MLIRGenImpl::genData(const Decl &d) {
  FloatAttr lo, hi;
  if (d.range) {
    lo = builder.getF64FloatAttr(d.range->first);
    hi = builder.getF64FloatAttr(d.range->second);
  }
  assert(d.dataKind && "resolved by Sema");
  DataKind kind =
      *d.dataKind == contract::Data::Bits ? DataKind::bits : DataKind::real;
  DataOp::create(builder, loc(d.nameLoc), d.name, kind, batch(d.type.size), lo,
                 hi);
}

void MLIRGenImpl::genMask(const Decl &d) {
  StringRef data = findMaskedData(model, d)->name;
  DenseI64ArrayAttr image;
  if (!d.image.empty())
    image = builder.getDenseI64ArrayAttr(d.image);
  assert(d.maskKind && "resolved by Sema");
  MaskKind kind =
      *d.maskKind == contract::Mask::Mar ? MaskKind::mar : MaskKind::mcar;
  MaskOp::create(builder, loc(d.nameLoc), d.name, data, kind,
                 llvm::APFloat(d.maskAmount), image);
}

static InitKind initKind(contract::Init init) {
  switch (init) {
  case contract::Init::Zeros:
    return InitKind::zeros;
  case contract::Init::Ones:
    return InitKind::ones;
  case contract::Init::Normal:
    return InitKind::normal;
  case contract::Init::Glorot:
    return InitKind::glorot;
  }
  llvm_unreachable("unknown initialiser");
}

void MLIRGenImpl::genParam(const Decl &d) {
  assert(d.initKind && "resolved by Sema");
  params[d.name] = ParamOp::create(builder, loc(d.nameLoc), d.name,
                                   paramType(d.shape), initKind(*d.initKind));
}

void MLIRGenImpl::declareParam(Location l, StringRef name,
                               ArrayRef<int64_t> shape, contract::Init init) {
  params[name] = ParamOp::create(builder, l, name, paramType(shape),
                                 initKind(init));
}

Value MLIRGenImpl::readParam(Location l, StringRef name) {
  ParamOp param = params.lookup(name);
  assert(param && "reading an undeclared parameter");
  return ReadParamOp::create(builder, l, param.getType(),
                             FlatSymbolRefAttr::get(&ctx, name));
}

static Value applyActivation(OpBuilder &b, Location l, Activation act,
                             Value v) {
  switch (act) {
  case Activation::None:
    return v;
  case Activation::Relu:
    return ReluOp::create(b, l, v);
  case Activation::Tanh:
    return TanhOp::create(b, l, v);
  case Activation::Sigmoid:
    return SigmoidOp::create(b, l, v);
  case Activation::Softplus:
    return SoftplusOp::create(b, l, v);
  case Activation::Exp:
    return ExpOp::create(b, l, v);
  case Activation::Log:
    return LogOp::create(b, l, v);
  }
  llvm_unreachable("unknown activation");
}

void MLIRGenImpl::genNet(const Decl &d) {
  const NetSpec &spec = d.net;
  Location l = loc(d.nameLoc);
  std::string prefix = d.name + ".";

  assert(spec.archKind && "resolved by Sema");
  if (*spec.archKind == NetArch::Lstm) {
    int64_t in = spec.inputs, h = spec.hidden;
    declareParam(l, prefix + "wx", {in, 4 * h}, contract::Init::Glorot);
    declareParam(l, prefix + "wh", {h, 4 * h}, contract::Init::Glorot);
    declareParam(l, prefix + "b", {4 * h}, contract::Init::Zeros);
    if (spec.peephole)
      declareParam(l, prefix + "peephole", {3, h}, contract::Init::Zeros);
    auto type = builder.getFunctionType({batch(in), batch(h), batch(h)},
                                        {batch(h), batch(h)});
    auto net = NetOp::create(builder, l, d.name, spec.text, type);
    OpBuilder::InsertionGuard guard(builder);
    Block *body = builder.createBlock(&net.getBody(), {}, type.getInputs(),
                                      {l, l, l});
    Value wx = readParam(l, prefix + "wx");
    Value wh = readParam(l, prefix + "wh");
    Value bias = readParam(l, prefix + "b");
    Value peephole =
        spec.peephole ? readParam(l, prefix + "peephole") : Value();
    auto cell = LSTMCellOp::create(
        builder, l, TypeRange{batch(h), batch(h)}, body->getArgument(0),
        body->getArgument(1), body->getArgument(2), wx, wh, bias, peephole);
    ReturnOp::create(builder, l, cell.getResults());
    return;
  }

  // mlp / affine: one affine map per layer.
  int64_t in = spec.inputs;
  for (auto [i, layer] : llvm::enumerate(spec.layers)) {
    int64_t out = layer.gauss ? 2 * layer.size : layer.size;
    std::string p = prefix + "l" + std::to_string(i);
    declareParam(loc(layer.loc), p + ".w", {in, out}, contract::Init::Glorot);
    declareParam(loc(layer.loc), p + ".b", {out}, contract::Init::Zeros);
    in = out;
  }
  const Layer &last = spec.layers.back();
  Type result = last.gauss ? Type(DistType::get(&ctx, DistKind::gaussian,
                                                last.size))
                           : Type(batch(last.size));
  auto type = builder.getFunctionType({batch(spec.inputs)}, {result});
  auto net = NetOp::create(builder, l, d.name, spec.text, type);
  OpBuilder::InsertionGuard guard(builder);
  Block *body = builder.createBlock(&net.getBody(), {}, type.getInputs(), {l});
  Value h = body->getArgument(0);
  for (auto [i, layer] : llvm::enumerate(spec.layers)) {
    Location ll = loc(layer.loc);
    int64_t out = layer.gauss ? 2 * layer.size : layer.size;
    std::string p = prefix + "l" + std::to_string(i);
    Value w = readParam(ll, p + ".w");
    Value b = readParam(ll, p + ".b");
    h = AffineOp::create(builder, ll, batch(out), h, w, b);
    h = applyActivation(builder, ll, layer.activationKind, h);
  }
  if (last.gauss) {
    Location ll = loc(last.loc);
    Value mean = SliceOp::create(builder, ll, batch(last.size), h, 0, last.size);
    Value logvar = SliceOp::create(builder, ll, batch(last.size), h,
                                   last.size, last.size);
    h = GaussianOp::create(builder, ll, result, mean, logvar);
  }
  ReturnOp::create(builder, l, ValueRange{h});
}

//===----------------------------------------------------------------------===//
// Policies
//===----------------------------------------------------------------------===//

void MLIRGenImpl::genPolicy(const Decl &d) {
  Location l = loc(d.nameLoc);
  SmallVector<Attribute> reads;
  SmallVector<Type> types;
  SmallVector<Location> locs;
  for (const Input &in : d.inputs) {
    reads.push_back(builder.getStringAttr(in.str()));
    const Decl *target = lookupDecl(in.name);
    int64_t size = target->type.size;
    if (target->kind == Decl::Kind::Mask)
      size = findMaskedData(model, *target)->type.size;
    types.push_back(batch(size));
    locs.push_back(loc(in.loc));
  }
  auto policy = PolicyOp::create(builder, l, d.name,
                                 d.role == PolicyRole::Primary  ? Role::primary
                                 : d.role == PolicyRole::Impute ? Role::impute
                                                                : Role::guide,
                                 builder.getArrayAttr(reads));
  OpBuilder::InsertionGuard guard(builder);
  Block *body = builder.createBlock(&policy.getBody(), {}, types, locs);
  inputs.clear();
  for (auto [in, arg] : llvm::zip(d.inputs, body->getArguments()))
    inputs[in.str()] = arg;
  scopes.assign(1, {});
  step = Value();
  genStmts(d.body);
  ReturnOp::create(builder, l);
}

void MLIRGenImpl::genStmts(const std::vector<StmtPtr> &body) {
  for (const StmtPtr &s : body) {
    switch (s->kind) {
    case Stmt::Kind::Assign:
      genAssign(*s);
      break;
    case Stmt::Kind::Sample:
      genSample(*s);
      break;
    case Stmt::Kind::For:
      genFor(*s);
      break;
    }
  }
}

void MLIRGenImpl::genAssign(const Stmt &s) {
  const Expr &call = *s.value;
  if (call.kind != Expr::Kind::Call || call.callee != Callee::LstmStates) {
    assignVar(s.targets[0].name, genExpr(call));
    return;
  }
  // s, g = lstm_states(v): consecutive (h, c) pairs of v, one per target.
  Value v = genValue(*call.args[0].value);
  int64_t k = s.targets.size();
  int64_t hidden = getFeatureSize(v.getType()) / (2 * k);
  Location l = loc(call.loc);
  for (auto [j, t] : llvm::enumerate(s.targets)) {
    Value h = SliceOp::create(builder, l, batch(hidden), v, 2 * j * hidden,
                              hidden);
    Value c = SliceOp::create(builder, l, batch(hidden), v,
                              (2 * j + 1) * hidden, hidden);
    assignVar(t.name, {h, c});
  }
}

void MLIRGenImpl::genSample(const Stmt &s) {
  const Target &t = s.targets[0];
  Location l = loc(t.loc);
  Value dist;
  const Expr &v = *s.value;
  if (v.kind == Expr::Kind::Call && v.callee == Callee::Normal)
    dist = StdNormalOp::create(
        builder, loc(v.loc),
        DistType::get(&ctx, DistKind::normal, s.annot->size));
  else
    dist = genValue(v);

  const Decl *d = lookupDecl(t.name);
  if (d && d->kind == Decl::Kind::Data) {
    ObserveOp::create(builder, l, builder.getStringAttr(t.str()), dist);
    return;
  }
  int64_t size = llvm::cast<DistType>(dist.getType()).getSize();
  Value value = SampleOp::create(builder, l, batch(size), t.name,
                                 t.index.empty() ? Value() : step, dist);
  assignVar(t.name, {value});
}

/// Collects, in order of first assignment, the names a loop body assigns.
static void collectAssigned(const std::vector<StmtPtr> &body,
                            llvm::SetVector<StringRef> &names) {
  for (const StmtPtr &s : body) {
    if (s->kind == Stmt::Kind::Assign)
      for (const Target &t : s->targets)
        names.insert(t.name);
    else if (s->kind == Stmt::Kind::For)
      collectAssigned(s->body, names);
  }
}

static int64_t boundValue(const Expr &e,
                          const llvm::StringMap<const Decl *> &decls) {
  if (e.kind == Expr::Kind::Number)
    return int64_t(e.number);
  return decls.lookup(e.name)->steps;
}

void MLIRGenImpl::genFor(const Stmt &s) {
  Location l = loc(s.loc);
  int64_t lo = boundValue(*s.lo, decls), hi = boundValue(*s.hi, decls);
  bool reverse = lo > hi;
  if (reverse)
    std::swap(lo, hi);

  // Loop-carried values: outer variables the body assigns.
  llvm::SetVector<StringRef> assigned;
  collectAssigned(s.body, assigned);
  SmallVector<StringRef> carried;
  SmallVector<Value> inits;
  SmallVector<unsigned> widths;
  for (StringRef name : assigned)
    if (SmallVector<Value> *v = lookupVar(name)) {
      carried.push_back(name);
      widths.push_back(v->size());
      llvm::append_range(inits, *v);
    }

  auto loop = ForOp::create(builder, l, ValueRange(inits).getTypes(),
                            builder.getI64IntegerAttr(lo),
                            builder.getI64IntegerAttr(hi),
                            reverse ? builder.getUnitAttr() : UnitAttr(),
                            inits);
  SmallVector<Type> argTypes{builder.getIndexType()};
  llvm::append_range(argTypes, ValueRange(inits).getTypes());
  SmallVector<Location> argLocs(argTypes.size(), l);
  argLocs[0] = loc(s.varLoc);
  {
    OpBuilder::InsertionGuard guard(builder);
    Block *body =
        builder.createBlock(&loop.getBody(), {}, argTypes, argLocs);
    step = body->getArgument(0);
    scopes.emplace_back();
    unsigned next = 1;
    for (auto [name, width] : llvm::zip(carried, widths)) {
      SmallVector<Value> args(body->getArguments().slice(next, width));
      scopes.back()[name] = args;
      next += width;
    }
    genStmts(s.body);
    SmallVector<Value> yielded;
    for (StringRef name : carried)
      llvm::append_range(yielded, *lookupVar(name));
    YieldOp::create(builder, l, yielded);
    scopes.pop_back();
    step = Value();
  }
  unsigned next = 0;
  for (auto [name, width] : llvm::zip(carried, widths)) {
    *lookupVar(name) =
        SmallVector<Value>(loop.getResults().slice(next, width));
    next += width;
  }
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

Value MLIRGenImpl::readData(Location l, const Decl &data, StringRef field) {
  std::string view = field.empty() ? data.name : data.name + "." + field.str();
  if (Value v = inputs.lookup(view))
    return v;
  // A view computed from the full data and the mask (1 = known).
  Value x = inputs.lookup(data.name);
  Value m = inputs.lookup(findMask(model, data)->name);
  Value known = MulOp::create(builder, l, x, m);
  if (field == "known")
    return known;
  return SubOp::create(builder, l, x, known);
}

SmallVector<Value> MLIRGenImpl::genExpr(const Expr &e) {
  Location l = loc(e.loc);
  switch (e.kind) {
  case Expr::Kind::Number:
  case Expr::Kind::Divergence:
    llvm_unreachable("rejected by Sema");
  case Expr::Kind::Name: {
    if (SmallVector<Value> *v = lookupVar(e.name))
      return *v;
    const Decl *d = lookupDecl(e.name);
    if (d->kind == Decl::Kind::Data)
      return {readData(l, *d, "")};
    if (d->kind == Decl::Kind::Mask)
      return {inputs.lookup(d->name)};
    Value p = readParam(l, d->name);
    return {BroadcastOp::create(builder, l, batch(d->shape[0]), p)};
  }
  case Expr::Kind::Member: {
    const Expr &base = *e.base;
    if (base.kind == Expr::Kind::Name && !lookupVar(base.name))
      return {readData(loc(base.loc), *lookupDecl(base.name), e.name)};
    SmallVector<Value> state = genExpr(base);
    return {state[e.name == "h" ? 0 : 1]};
  }
  case Expr::Kind::Index:
    return *lookupVar(e.name);
  case Expr::Kind::Call:
    return genCall(e);
  case Expr::Kind::Negate: {
    // -x is 0 - x: the dialect has no negation.
    Value x = genValue(*e.lhs);
    Value zero = ZerosOp::create(builder, l, x.getType());
    return {SubOp::create(builder, l, zero, x)};
  }
  case Expr::Kind::Binary: {
    SmallVector<Value> operands = genOperands({e.lhs.get(), e.rhs.get()});
    Value lhs = operands[0], rhs = operands[1];
    if (e.op == '+')
      return {AddOp::create(builder, l, lhs, rhs)};
    if (e.op == '-')
      return {SubOp::create(builder, l, lhs, rhs)};
    if (e.op == '/')
      return {DivOp::create(builder, l, lhs, rhs)};
    return {MulOp::create(builder, l, lhs, rhs)};
  }
  }
  llvm_unreachable("unknown expression");
}

SmallVector<Value> MLIRGenImpl::genOperands(ArrayRef<const Expr *> exprs) {
  SmallVector<Value> values(exprs.size());
  SmallVector<std::optional<float>> numbers;
  Type batched;
  for (auto [i, e] : llvm::enumerate(exprs)) {
    numbers.push_back(foldConstant(*e));
    if (!numbers.back()) {
      values[i] = genValue(*e);
      if (!batched)
        batched = values[i].getType();
    }
  }
  for (auto [i, e] : llvm::enumerate(exprs)) {
    if (!numbers[i])
      continue;
    assert(batched && "a number beside no batched value");
    Location l = loc(e->loc);
    Value c = arith::ConstantOp::create(builder, l,
                                        builder.getF32FloatAttr(*numbers[i]));
    values[i] = SplatOp::create(builder, l, batched, c);
  }
  return values;
}

SmallVector<Value> MLIRGenImpl::genCall(const Expr &e) {
  Location l = loc(e.loc);
  assert(e.callee != Callee::Unresolved && "resolved by Sema");
  if (e.callee == Callee::Net) {
    const Decl *d = lookupDecl(e.name);
    const NetSpec &spec = d->net;
    auto callee = FlatSymbolRefAttr::get(&ctx, d->name);
    if (*spec.archKind == NetArch::Lstm) {
      SmallVector<Value> state = genExpr(*e.args[0].value);
      Value x = genValue(*e.args[1].value);
      auto call = CallOp::create(
          builder, l, TypeRange{state[0].getType(), state[1].getType()},
          callee, ValueRange{x, state[0], state[1]});
      return SmallVector<Value>(call.getResults());
    }
    Value x = genValue(*e.args[0].value);
    const Layer &last = spec.layers.back();
    Type result = last.gauss ? Type(DistType::get(&ctx, DistKind::gaussian,
                                                  last.size))
                             : Type(batch(last.size));
    return {CallOp::create(builder, l, TypeRange{result}, callee,
                           ValueRange{x})
                .getResult(0)};
  }
  SmallVector<const Expr *> argExprs;
  for (const Arg &a : e.args)
    argExprs.push_back(a.value.get());
  SmallVector<Value> args = genOperands(argExprs);
  switch (e.callee) {
  case Callee::Concat: {
    int64_t total = 0;
    for (Value v : args)
      total += getFeatureSize(v.getType());
    return {ConcatOp::create(builder, l, batch(total), args)};
  }
  case Callee::Fill:
    return {FillOp::create(builder, l, args[0], args[1], args[2])};
  case Callee::Bernoulli:
    return {BernoulliOp::create(
        builder, l,
        DistType::get(&ctx, DistKind::bernoulli,
                      getFeatureSize(args[0].getType())),
        args[0])};
  case Callee::Gauss:
    return {GaussianOp::create(
        builder, l,
        DistType::get(&ctx, DistKind::gaussian,
                      getFeatureSize(args[0].getType())),
        args[0], args[1])};
  case Callee::Activation:
    return {applyActivation(builder, l, e.activation, args[0])};
  case Callee::Unresolved:
  case Callee::Net:
  case Callee::LstmStates: // genAssign
  case Callee::Normal:     // genSample
    break;
  }
  llvm_unreachable("not a value-producing builtin");
}

//===----------------------------------------------------------------------===//
// Objective
//===----------------------------------------------------------------------===//

Value MLIRGenImpl::genObjectiveExpr(const Expr &e) {
  Location l = loc(e.loc);
  Type f32 = builder.getF32Type();
  switch (e.kind) {
  case Expr::Kind::Number:
    return arith::ConstantOp::create(builder, l,
                                     builder.getF32FloatAttr(e.number));
  case Expr::Kind::Name:
    return NllOp::create(builder, l, f32);
  case Expr::Kind::Negate:
    return arith::NegFOp::create(builder, l, genObjectiveExpr(*e.lhs));
  case Expr::Kind::Divergence: {
    auto from = FlatSymbolRefAttr::get(&ctx, e.lhs->name);
    if (e.rhs->kind == Expr::Kind::Call)
      return KLStdNormalOp::create(builder, l, f32, from);
    return KLOp::create(builder, l, f32, from,
                        FlatSymbolRefAttr::get(&ctx, e.rhs->name));
  }
  case Expr::Kind::Binary: {
    Value lhs = genObjectiveExpr(*e.lhs), rhs = genObjectiveExpr(*e.rhs);
    switch (e.op) {
    case '+':
      return arith::AddFOp::create(builder, l, lhs, rhs);
    case '-':
      return arith::SubFOp::create(builder, l, lhs, rhs);
    case '*':
      return arith::MulFOp::create(builder, l, lhs, rhs);
    default:
      return arith::DivFOp::create(builder, l, lhs, rhs);
    }
  }
  default:
    llvm_unreachable("rejected by Sema");
  }
}

void MLIRGenImpl::genObjective(const Decl &d) {
  auto objective = ObjectiveOp::create(builder, loc(d.loc));
  OpBuilder::InsertionGuard guard(builder);
  builder.createBlock(&objective.getBody());
  Value value = genObjectiveExpr(*d.objective);
  ReturnOp::create(builder, loc(d.loc), ValueRange{value});
}

OwningOpRef<ModuleOp> MLIRGenImpl::run() {
  Location l = loc(model.loc);
  OwningOpRef<ModuleOp> module = ModuleOp::create(l);
  builder.setInsertionPointToEnd(module->getBody());
  int64_t steps = 0;
  for (const DeclPtr &d : model.decls) {
    if (d->kind != Decl::Kind::Objective)
      decls[d->name] = d.get();
    if (d->kind == Decl::Kind::Steps)
      steps = d->steps;
  }
  modelOp = ModelOp::create(builder, l, model.name, steps);
  builder.createBlock(&modelOp.getBody());
  // Declarations may follow the policies that use them (Sema resolves names
  // in the whole model): data, masks, parameters and nets first, so that a
  // policy or the objective never reads a parameter not yet declared.
  for (const DeclPtr &d : model.decls) {
    switch (d->kind) {
    case Decl::Kind::Data:
      genData(*d);
      break;
    case Decl::Kind::Mask:
      genMask(*d);
      break;
    case Decl::Kind::Param:
      genParam(*d);
      break;
    case Decl::Kind::Net:
      genNet(*d);
      break;
    case Decl::Kind::Steps:
    case Decl::Kind::Policy:
    case Decl::Kind::Objective:
      break;
    }
  }
  for (const DeclPtr &d : model.decls) {
    if (d->kind == Decl::Kind::Policy)
      genPolicy(*d);
    else if (d->kind == Decl::Kind::Objective)
      genObjective(*d);
  }
  if (failed(mlir::verify(*module)))
    return nullptr;
  return module;
}

OwningOpRef<ModuleOp> gps::mlirGen(MLIRContext &context,
                                   llvm::SourceMgr &srcMgr,
                                   const Model &model) {
  context.getOrLoadDialect<GPSDialect>();
  context.getOrLoadDialect<arith::ArithDialect>();
  return MLIRGenImpl(context, srcMgr, model).run();
}
