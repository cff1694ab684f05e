//===- LinalgToBlas.cpp - the convert-linalg-to-blas pass -----------------===//
//
// Replaces linalg.matmul on buffers by calls to the runtime's BLAS sgemm.
//
//===----------------------------------------------------------------------===//

#include "gps/Dialect/GPS/GPSPasses.h"
#include "gps/Runtime/Contract.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"

namespace gps {
#define GEN_PASS_DEF_CONVERTLINALGTOBLASPASS
#include "gps/Dialect/GPS/GPSPasses.h.inc"
} // namespace gps

using namespace mlir;

/// The runtime's sgemm (Contract.h, Interface.h).
static const StringRef kSgemmFn(gps::rt::contract::kSgemmFn.data(),
                                gps::rt::contract::kSgemmFn.size());

namespace {
struct ConvertLinalgToBlasPass
    : public gps::impl::ConvertLinalgToBlasPassBase<ConvertLinalgToBlasPass> {
  void runOnOperation() override;
};
} // namespace

/// The strided rank-2 memref type every sgemm operand is passed as.
static MemRefType anyMatrix(MLIRContext *ctx) {
  int64_t dyn = ShapedType::kDynamic;
  return MemRefType::get({dyn, dyn}, Float32Type::get(ctx),
                         StridedLayoutAttr::get(ctx, dyn, {dyn, dyn}));
}

void ConvertLinalgToBlasPass::runOnOperation() {
  ModuleOp module = getOperation();
  MLIRContext *ctx = &getContext();
  SmallVector<linalg::MatmulOp> matmuls;
  module.walk([&](linalg::MatmulOp op) {
    if (op.hasPureBufferSemantics())
      matmuls.push_back(op);
  });
  if (matmuls.empty())
    return;
  OpBuilder b(ctx);
  if (!module.lookupSymbol(kSgemmFn)) {
    b.setInsertionPointToStart(module.getBody());
    Type i32 = b.getI32Type(), f32 = b.getF32Type(), m = anyMatrix(ctx);
    auto fn = func::FuncOp::create(
        b, module.getLoc(), kSgemmFn,
        b.getFunctionType({i32, i32, f32, m, m, f32, m}, {}));
    fn.setPrivate();
    fn->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  }
  for (linalg::MatmulOp op : matmuls) {
    Location loc = op.getLoc();
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    // A is (m, k) or, transposed, (k, m); B is (k, n) or (n, k).
    bool transA = maps[0].getResult(0) != b.getAffineDimExpr(0);
    bool transB = maps[1].getResult(0) != b.getAffineDimExpr(2);
    Value c = op.getDpsInits()[0];
    float beta = 1.0f;
    if (auto fill = llvm::dyn_cast_or_null<linalg::FillOp>(
            op->getPrevNode())) {
      if (fill.getDpsInits()[0] == c &&
          matchPattern(fill.getInputs()[0], m_AnyZeroFloat())) {
        fill.erase();
        beta = 0.0f;
      }
    }
    b.setInsertionPoint(op);
    auto cast = [&](Value v) {
      return memref::CastOp::create(b, loc, anyMatrix(ctx), v).getResult();
    };
    auto i32 = [&](bool v) -> Value {
      return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(v));
    };
    auto f32 = [&](float v) -> Value {
      return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
    };
    func::CallOp::create(b, loc, kSgemmFn, TypeRange{},
                         ValueRange{i32(transA), i32(transB), f32(1.0f),
                                    cast(op.getDpsInputs()[0]),
                                    cast(op.getDpsInputs()[1]), f32(beta),
                                    cast(c)});
    op.erase();
  }
}
