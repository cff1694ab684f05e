//===- ElideHostWaits.cpp - the gps-elide-host-waits pass -----------------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// Drops the host synchronisations gpu-async-region inserts where the host
// does not touch what the GPU writes: the runtime's one stream orders the
// GPU's work without them.
//
//===----------------------------------------------------------------------===//

#include "gps/Conversion/DeviceData.h"
#include "gps/Dialect/GPS/GPSPasses.h"
#include "gps/Runtime/Contract.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace gps {
#define GEN_PASS_DEF_ELIDEHOSTWAITSPASS
#include "gps/Dialect/GPS/GPSPasses.h.inc"
} // namespace gps

using namespace mlir;
namespace contract = gps::rt::contract;

namespace {
struct ElideHostWaitsPass
    : public gps::impl::ElideHostWaitsPassBase<ElideHostWaitsPass> {
  void runOnOperation() override;
};
} // namespace

/// True when `callee` enqueues its work on the runtime's stream (Cuda.h)
/// and touches no device memory from the host.
static bool isStreamOrdered(StringRef callee) {
  for (std::string_view fn :
       {contract::kCudaSgemmFn, contract::kCudaSgemmTF32Fn,
        contract::kCudaNormalFn})
    if (callee == StringRef(fn.data(), fn.size()))
      return true;
  return false;
}

static bool isFloatBuffer(Value value) {
  return gps::isDeviceData(value.getType());
}

/// True when `op` itself reads or writes a float buffer on the host: the
/// model's data, which lives on the device.
static bool touchesFloatBuffers(Operation *op) {
  if (llvm::isa_and_nonnull<gpu::GPUDialect>(op->getDialect()))
    return false;
  if (auto load = llvm::dyn_cast<memref::LoadOp>(op))
    return isFloatBuffer(load.getMemRef());
  if (auto store = llvm::dyn_cast<memref::StoreOp>(op))
    return isFloatBuffer(store.getMemRef());
  if (auto copy = llvm::dyn_cast<memref::CopyOp>(op))
    return isFloatBuffer(copy.getSource()) || isFloatBuffer(copy.getTarget());
  if (auto call = llvm::dyn_cast<func::CallOp>(op))
    return !isStreamOrdered(call.getCallee()) &&
           llvm::any_of(call.getOperands(), isFloatBuffer);
  return false;
}

void ElideHostWaitsPass::runOnOperation() {
  func::FuncOp fn = getOperation();
  // A host access to the GPU's data anywhere, and the function stays as
  // gpu-async-region made it (convert-linalg-to-gpu leaves none).
  if (fn.walk([](Operation *op) {
          return touchesFloatBuffers(op) ? WalkResult::interrupt()
                                         : WalkResult::advance();
        }).wasInterrupted())
    return;
  SmallVector<gpu::WaitOp> waits;
  fn.walk([&](gpu::WaitOp wait) {
    // A blocking wait (no token); an async one is part of a token chain.
    if (!wait.getAsyncToken())
      waits.push_back(wait);
  });
  if (waits.empty())
    return;
  for (gpu::WaitOp wait : waits)
    wait.erase();
  // Each return waits for everything enqueued: a wait on a token of the
  // one stream synchronises all of it.
  OpBuilder b(fn.getContext());
  fn.walk([&](func::ReturnOp ret) {
    b.setInsertionPoint(ret);
    Type token = gpu::AsyncTokenType::get(fn.getContext());
    Value stream = gpu::WaitOp::create(b, ret.getLoc(), token, ValueRange{})
                       .getAsyncToken();
    gpu::WaitOp::create(b, ret.getLoc(), Type(), ValueRange{stream});
  });
}
