//===- GPSAdjoints.cpp - reverse-mode derivatives of gps ops -----*- C++ -*-===//
//
// DifferentiableOpInterface for the math and primitive ops of the gps
// dialect, and for the f32 arith ops of an objective. Each rule emits the
// vector-Jacobian product of one op; gps-autodiff chains them.
//
//===----------------------------------------------------------------------===//

#include "gps/Dialect/GPS/GPSInterfaces.h"
#include "gps/Dialect/GPS/GPSOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace gps;

#include "gps/Dialect/GPS/GPSInterfaces.cpp.inc"

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

namespace {
/// Builds adjoint ops at one location.
struct AdjointBuilder {
  OpBuilder &b;
  Location loc;

  Value constant(float value) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
  }
  Value splat(Type type, float value) {
    return SplatOp::create(b, loc, type, constant(value));
  }
  Value zeros(Type type) { return ZerosOp::create(b, loc, type); }
  Value add(Value x, Value y) { return AddOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return SubOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return MulOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return DivOp::create(b, loc, x, y); }
  Value neg(Value x) { return sub(zeros(x.getType()), x); }
};
} // namespace

/// Sets a single operand adjoint for an op with `numOperands` operands.
static void setAdjoints(SmallVectorImpl<Value> &out, ArrayRef<Value> values) {
  out.assign(values.begin(), values.end());
}

//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//

LogicalResult AddOp::buildAdjoint(OpBuilder &, ArrayRef<Value> g,
                                  function_ref<Value(Value)>,
                                  SmallVectorImpl<Value> &out) {
  setAdjoints(out, {g[0], g[0]});
  return success();
}

LogicalResult SubOp::buildAdjoint(OpBuilder &b, ArrayRef<Value> g,
                                  function_ref<Value(Value)>,
                                  SmallVectorImpl<Value> &out) {
  AdjointBuilder ab{b, getLoc()};
  setAdjoints(out, {g[0], ab.neg(g[0])});
  return success();
}

LogicalResult MulOp::buildAdjoint(OpBuilder &b, ArrayRef<Value> g,
                                  function_ref<Value(Value)> primal,
                                  SmallVectorImpl<Value> &out) {
  AdjointBuilder ab{b, getLoc()};
  setAdjoints(out, {ab.mul(g[0], primal(getRhs())),
                    ab.mul(g[0], primal(getLhs()))});
  return success();
}

LogicalResult DivOp::buildAdjoint(OpBuilder &b, ArrayRef<Value> g,
                                  function_ref<Value(Value)> primal,
                                  SmallVectorImpl<Value> &out) {
  // d(a / b) = da / b - db * (a / b) / b.
  AdjointBuilder ab{b, getLoc()};
  Value dlhs = ab.div(g[0], primal(getRhs()));
  setAdjoints(out, {dlhs, ab.neg(ab.mul(dlhs, primal(getResult())))});
  return success();
}

LogicalResult SigmoidOp::buildAdjoint(OpBuilder &b, ArrayRef<Value> g,
                                      function_ref<Value(Value)> primal,
                                      SmallVectorImpl<Value> &out) {
  AdjointBuilder ab{b, getLoc()};
  Value y = primal(getResult());
  Value oneMinusY = ab.sub(ab.splat(y.getType(), 1.0f), y);
  setAdjoints(out, {ab.mul(g[0], ab.mul(y, oneMinusY))});
  return success();
}

LogicalResult TanhOp::buildAdjoint(OpBuilder &b, ArrayRef<Value> g,
                                   function_ref<Value(Value)> primal,
                                   SmallVectorImpl<Value> &out) {
  AdjointBuilder ab{b, getLoc()};
  Value y = primal(getResult());
  Value ones = ab.splat(y.getType(), 1.0f);
  Value dtanh = ab.sub(ones, ab.mul(y, y));
  setAdjoints(out, {ab.mul(g[0], dtanh)});
  return success();
}

LogicalResult ReluOp::buildAdjoint(OpBuilder &b, ArrayRef<Value> g,
                                   function_ref<Value(Value)> primal,
                                   SmallVectorImpl<Value> &out) {
  setAdjoints(out, {ReluGradOp::create(b, getLoc(), primal(getInput()), g[0])});
  return success();
}

LogicalResult SoftplusOp::buildAdjoint(OpBuilder &b, ArrayRef<Value> g,
                                       function_ref<Value(Value)> primal,
                                       SmallVectorImpl<Value> &out) {
  AdjointBuilder ab{b, getLoc()};
  Value s = SigmoidOp::create(b, getLoc(), primal(getInput()));
  setAdjoints(out, {ab.mul(g[0], s)});
  return success();
}

LogicalResult ExpOp::buildAdjoint(OpBuilder &b, ArrayRef<Value> g,
                                  function_ref<Value(Value)> primal,
                                  SmallVectorImpl<Value> &out) {
  AdjointBuilder ab{b, getLoc()};
  setAdjoints(out, {ab.mul(g[0], primal(getResult()))});
  return success();
}

LogicalResult LogOp::buildAdjoint(OpBuilder &b, ArrayRef<Value> g,
                                  function_ref<Value(Value)> primal,
                                  SmallVectorImpl<Value> &out) {
  AdjointBuilder ab{b, getLoc()};
  setAdjoints(out, {ab.div(g[0], primal(getInput()))});
  return success();
}

//===----------------------------------------------------------------------===//
// Structural ops
//===----------------------------------------------------------------------===//

LogicalResult ConcatOp::buildAdjoint(OpBuilder &b, ArrayRef<Value> g,
                                     function_ref<Value(Value)>,
                                     SmallVectorImpl<Value> &out) {
  out.clear();
  int64_t offset = 0;
  for (Value input : getInputs()) {
    int64_t size = getFeatureSize(input.getType());
    out.push_back(SliceOp::create(b, getLoc(), input.getType(), g[0],
                                  offset, size));
    offset += size;
  }
  return success();
}

LogicalResult SliceOp::buildAdjoint(OpBuilder &b, ArrayRef<Value> g,
                                    function_ref<Value(Value)>,
                                    SmallVectorImpl<Value> &out) {
  AdjointBuilder ab{b, getLoc()};
  MLIRContext *ctx = b.getContext();
  int64_t total = getFeatureSize(getInput().getType());
  int64_t offset = getOffset(), size = getSize();
  SmallVector<Value> pieces;
  if (offset > 0)
    pieces.push_back(ab.zeros(getBatchTensorType(ctx, offset)));
  pieces.push_back(g[0]);
  if (offset + size < total)
    pieces.push_back(ab.zeros(getBatchTensorType(ctx, total - offset - size)));
  Value grad = pieces.size() == 1
                   ? pieces[0]
                   : ConcatOp::create(b, getLoc(), getInput().getType(), pieces)
                         .getResult();
  setAdjoints(out, {grad});
  return success();
}

LogicalResult BroadcastOp::buildAdjoint(OpBuilder &b, ArrayRef<Value> g,
                                        function_ref<Value(Value)>,
                                        SmallVectorImpl<Value> &out) {
  setAdjoints(out, {ColSumOp::create(b, getLoc(), getInput().getType(), g[0])});
  return success();
}

LogicalResult ColSumOp::buildAdjoint(OpBuilder &b, ArrayRef<Value> g,
                                     function_ref<Value(Value)>,
                                     SmallVectorImpl<Value> &out) {
  setAdjoints(out,
              {BroadcastOp::create(b, getLoc(), getInput().getType(), g[0])});
  return success();
}

LogicalResult RowOp::buildAdjoint(OpBuilder &b, ArrayRef<Value> g,
                                  function_ref<Value(Value)>,
                                  SmallVectorImpl<Value> &out) {
  auto index = static_cast<int64_t>(getIndex());
  setAdjoints(out, {PutRowsOp::create(b, getLoc(), getInput().getType(),
                                      ValueRange{g[0]}, ArrayRef(index))});
  return success();
}

LogicalResult PutRowsOp::buildAdjoint(OpBuilder &b, ArrayRef<Value> g,
                                      function_ref<Value(Value)>,
                                      SmallVectorImpl<Value> &out) {
  out.clear();
  for (auto [input, index] : llvm::zip_equal(getInputs(), getIndices()))
    out.push_back(RowOp::create(b, getLoc(), input.getType(), g[0], index));
  return success();
}

LogicalResult ZerosOp::buildAdjoint(OpBuilder &, ArrayRef<Value>,
                                    function_ref<Value(Value)>,
                                    SmallVectorImpl<Value> &out) {
  out.clear();
  return success();
}

LogicalResult GemmOp::buildAdjoint(OpBuilder &b, ArrayRef<Value> g,
                                   function_ref<Value(Value)> primal,
                                   SmallVectorImpl<Value> &out) {
  // C = A B: dA = dC B^T, dB = A^T dC. A transposed operand swaps the
  // roles: C = A^T B gives dA = B dC^T; C = A B^T gives dB = dC^T A.
  Location loc = getLoc();
  Value a = primal(getLhs()), bv = primal(getRhs());
  Type aType = getLhs().getType(), bType = getRhs().getType();
  auto gemm = [&](Type type, Value x, Value y, bool tx, bool ty) -> Value {
    auto op = GemmOp::create(b, loc, type, x, y);
    if (tx)
      op.setTransposeLhs(true);
    if (ty)
      op.setTransposeRhs(true);
    return op;
  };
  bool ta = getTransposeLhs(), tb = getTransposeRhs();
  Value da = ta ? gemm(aType, bv, g[0], tb, true)
                : gemm(aType, g[0], bv, false, !tb);
  Value db = tb ? gemm(bType, g[0], a, true, ta)
                : gemm(bType, a, g[0], !ta, false);
  setAdjoints(out, {da, db});
  return success();
}

LogicalResult SplatOp::buildAdjoint(OpBuilder &b, ArrayRef<Value> g,
                                    function_ref<Value(Value)>,
                                    SmallVectorImpl<Value> &out) {
  // d value = sum of every element = mean(sum(g)) * batch size.
  Location loc = getLoc();
  Value perExample =
      SumOp::create(b, loc, getBatchTensorType(b.getContext(), 1), g[0]);
  Value mean = MeanOp::create(b, loc, b.getF32Type(), perExample);
  Value n = BatchSizeOp::create(b, loc, b.getF32Type());
  setAdjoints(out, {arith::MulFOp::create(b, loc, mean, n)});
  return success();
}

LogicalResult SumOp::buildAdjoint(OpBuilder &b, ArrayRef<Value> g,
                                  function_ref<Value(Value)>,
                                  SmallVectorImpl<Value> &out) {
  setAdjoints(out, {ExpandOp::create(b, getLoc(), getInput().getType(), g[0])});
  return success();
}

LogicalResult ExpandOp::buildAdjoint(OpBuilder &b, ArrayRef<Value> g,
                                     function_ref<Value(Value)>,
                                     SmallVectorImpl<Value> &out) {
  setAdjoints(out, {SumOp::create(b, getLoc(), getInput().getType(), g[0])});
  return success();
}

LogicalResult MeanOp::buildAdjoint(OpBuilder &b, ArrayRef<Value> g,
                                   function_ref<Value(Value)>,
                                   SmallVectorImpl<Value> &out) {
  Location loc = getLoc();
  Value n = BatchSizeOp::create(b, loc, b.getF32Type());
  Value perExample = arith::DivFOp::create(b, loc, g[0], n);
  setAdjoints(out,
              {SplatOp::create(b, loc, getInput().getType(), perExample)});
  return success();
}

//===----------------------------------------------------------------------===//
// arith on f32 scalars
//===----------------------------------------------------------------------===//

namespace {
template <typename ConcreteOp, typename Rule>
struct ArithAdjoint
    : public DifferentiableOpInterface::ExternalModel<
          ArithAdjoint<ConcreteOp, Rule>, ConcreteOp> {
  LogicalResult buildAdjoint(Operation *op, OpBuilder &b, ArrayRef<Value> g,
                             function_ref<Value(Value)> primal,
                             SmallVectorImpl<Value> &out) const {
    out.clear();
    if (op->getNumOperands() == 0)
      return success();
    if (!g[0].getType().isF32())
      return op->emitOpError("has an adjoint only on f32 scalars");
    Rule::apply(b, op->getLoc(), op, g[0], primal, out);
    return success();
  }
};

struct AddFRule {
  static void apply(OpBuilder &, Location, Operation *, Value g,
                    function_ref<Value(Value)>, SmallVectorImpl<Value> &out) {
    out.assign({g, g});
  }
};
struct SubFRule {
  static void apply(OpBuilder &b, Location loc, Operation *, Value g,
                    function_ref<Value(Value)>, SmallVectorImpl<Value> &out) {
    out.assign({g, arith::NegFOp::create(b, loc, g).getResult()});
  }
};
struct MulFRule {
  static void apply(OpBuilder &b, Location loc, Operation *op, Value g,
                    function_ref<Value(Value)> primal,
                    SmallVectorImpl<Value> &out) {
    out.assign(
        {arith::MulFOp::create(b, loc, g, primal(op->getOperand(1))).getResult(),
         arith::MulFOp::create(b, loc, g, primal(op->getOperand(0)))
             .getResult()});
  }
};
struct DivFRule {
  static void apply(OpBuilder &b, Location loc, Operation *op, Value g,
                    function_ref<Value(Value)> primal,
                    SmallVectorImpl<Value> &out) {
    Value dlhs = arith::DivFOp::create(b, loc, g, primal(op->getOperand(1)));
    Value r = primal(op->getResult(0));
    Value drhs = arith::NegFOp::create(
        b, loc, arith::MulFOp::create(b, loc, dlhs, r).getResult());
    out.assign({dlhs, drhs});
  }
};
struct NegFRule {
  static void apply(OpBuilder &b, Location loc, Operation *, Value g,
                    function_ref<Value(Value)>, SmallVectorImpl<Value> &out) {
    out.assign({arith::NegFOp::create(b, loc, g).getResult()});
  }
};
struct ConstantRule {
  static void apply(OpBuilder &, Location, Operation *, Value,
                    function_ref<Value(Value)>, SmallVectorImpl<Value> &) {}
};
} // namespace

void gps::registerArithAdjoints(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, arith::ArithDialect *) {
    arith::AddFOp::attachInterface<ArithAdjoint<arith::AddFOp, AddFRule>>(*ctx);
    arith::SubFOp::attachInterface<ArithAdjoint<arith::SubFOp, SubFRule>>(*ctx);
    arith::MulFOp::attachInterface<ArithAdjoint<arith::MulFOp, MulFRule>>(*ctx);
    arith::DivFOp::attachInterface<ArithAdjoint<arith::DivFOp, DivFRule>>(*ctx);
    arith::NegFOp::attachInterface<ArithAdjoint<arith::NegFOp, NegFRule>>(*ctx);
    arith::ConstantOp::attachInterface<
        ArithAdjoint<arith::ConstantOp, ConstantRule>>(*ctx);
  });
}
