//===- DeviceBuffers.cpp - the gps-device-buffers pass --------------------===//
//
// Puts the buffers of host code that launches GPU kernels on the device:
// allocations become device allocations, entry arguments are used in place
// or copied in and (when written) back out, and runtime calls go to their
// device versions.
//
//===----------------------------------------------------------------------===//

#include "gps/Conversion/DeviceData.h"
#include "gps/Dialect/GPS/GPSPasses.h"
#include "gps/Runtime/Contract.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace gps {
#define GEN_PASS_DEF_DEVICEBUFFERSPASS
#include "gps/Dialect/GPS/GPSPasses.h.inc"
} // namespace gps

using namespace mlir;
using gps::isDeviceData;
namespace contract = gps::rt::contract;

namespace {
struct DeviceBuffersPass
    : public gps::impl::DeviceBuffersPassBase<DeviceBuffersPass> {
  using Base::Base;
  void runOnOperation() override;
};
} // namespace

/// Calls `fn` on `value` and every view of it (through view-like and other
/// side-effect-free ops that produce buffers) and returns true as soon as
/// `fn` does.
static bool anyUse(Value value, llvm::function_ref<bool(OpOperand &)> isWrite) {
  SmallVector<Value> work{value};
  llvm::SmallPtrSet<Value, 8> seen;
  while (!work.empty()) {
    Value current = work.pop_back_val();
    if (!seen.insert(current).second)
      continue;
    for (OpOperand &use : current.getUses()) {
      Operation *user = use.getOwner();
      if (llvm::isa<ViewLikeOpInterface>(user) || isMemoryEffectFree(user)) {
        for (Value result : user->getResults())
          if (llvm::isa<MemRefType>(result.getType()))
            work.push_back(result);
        continue;
      }
      if (isWrite(use))
        return true;
    }
  }
  return false;
}

/// True when the kernel `launch` runs may store to its kernel operand
/// number `index`.
static bool kernelWrites(gpu::LaunchFuncOp launch, unsigned index,
                         SymbolTableCollection &symbols) {
  auto kernel = symbols.lookupNearestSymbolFrom<gpu::GPUFuncOp>(
      launch, launch.getKernel());
  if (!kernel || kernel.isExternal())
    return true;
  return anyUse(kernel.getArgument(index), [](OpOperand &use) {
    return !llvm::isa<memref::LoadOp>(use.getOwner());
  });
}

/// True when host code may write the contents of `buffer`, other than by
/// `ignore`.
static bool isWritten(Value buffer, Operation *ignore,
                      SymbolTableCollection &symbols) {
  return anyUse(buffer, [&](OpOperand &use) {
    Operation *user = use.getOwner();
    unsigned index = use.getOperandNumber();
    if (user == ignore ||
        llvm::isa<memref::LoadOp, memref::DeallocOp, gpu::DeallocOp>(user))
      return false;
    if (auto copy = llvm::dyn_cast<gpu::MemcpyOp>(user))
      return use.get() == copy.getDst();
    if (auto launch = llvm::dyn_cast<gpu::LaunchFuncOp>(user)) {
      unsigned first = launch.getKernelOperands().getBeginOperandIndex();
      return index < first || kernelWrites(launch, index - first, symbols);
    }
    if (auto call = llvm::dyn_cast<func::CallOp>(user)) {
      StringRef callee = call.getCallee();
      // gps_rt_sgemm(transA, transB, alpha, A, B, beta, C) writes C;
      // gps_rt_normal(out, seed, stream, site, step) writes out.
      if (callee == StringRef(contract::kSgemmFn) ||
          callee == StringRef(contract::kCudaSgemmFn) ||
          callee == StringRef(contract::kCudaSgemmTF32Fn))
        return index == 6;
      if (callee == StringRef(contract::kNormalFn) ||
          callee == StringRef(contract::kCudaNormalFn))
        return index == 0;
    }
    return true;
  });
}

/// Copies the float memref arguments of `fn` into device buffers on entry
/// and the written ones back before each return.
static LogicalResult placeArguments(func::FuncOp fn,
                                    SymbolTableCollection &symbols) {
  Block &entry = fn.getBody().front();
  OpBuilder b = OpBuilder::atBlockBegin(&entry);
  struct Placed {
    Value arg, device;
    Operation *copyIn;
  };
  SmallVector<Placed> placed;
  for (BlockArgument arg : entry.getArguments()) {
    if (!isDeviceData(arg.getType()) || arg.use_empty())
      continue;
    auto type = llvm::cast<MemRefType>(arg.getType());
    if (!type.getLayout().isIdentity())
      return fn.emitOpError("argument ")
             << arg.getArgNumber() << " has a layout the device copy cannot "
             << "take: " << type;
    Location loc = arg.getLoc();
    SmallVector<Value> sizes;
    for (auto [dim, extent] : llvm::enumerate(type.getShape()))
      if (ShapedType::isDynamic(extent))
        sizes.push_back(memref::DimOp::create(b, loc, arg, dim));
    auto device = gpu::AllocOp::create(b, loc, type, /*asyncToken=*/Type(),
                                       ValueRange(), sizes, ValueRange());
    auto copyIn = gpu::MemcpyOp::create(b, loc, /*asyncToken=*/Type(),
                                        ValueRange(), device.getMemref(), arg);
    llvm::SmallPtrSet<Operation *, 4> keep{copyIn};
    for (Value size : sizes)
      keep.insert(size.getDefiningOp());
    arg.replaceAllUsesExcept(device.getMemref(), keep);
    placed.push_back({arg, device.getMemref(), copyIn});
  }
  fn.walk([&](func::ReturnOp ret) {
    OpBuilder at(ret);
    for (const Placed &p : placed) {
      if (isWritten(p.device, p.copyIn, symbols))
        gpu::MemcpyOp::create(at, ret.getLoc(), Type(), ValueRange(), p.arg,
                              p.device);
      gpu::DeallocOp::create(at, ret.getLoc(), Type(), ValueRange(), p.device);
    }
  });
  return success();
}

void DeviceBuffersPass::runOnOperation() {
  ModuleOp module = getOperation();
  SymbolTableCollection symbols;

  if (!inPlaceArguments)
    for (auto fn : module.getOps<func::FuncOp>())
      if (!fn.isDeclaration() && !fn.isPrivate() &&
          failed(placeArguments(fn, symbols)))
        return signalPassFailure();

  // Host allocations of float buffers are device allocations.
  SmallVector<memref::AllocOp> allocs;
  SmallVector<memref::DeallocOp> deallocs;
  module.walk([&](Operation *op) {
    if (op->getParentOfType<gpu::GPUModuleOp>())
      return;
    if (auto alloc = llvm::dyn_cast<memref::AllocOp>(op);
        alloc && isDeviceData(alloc.getType()))
      allocs.push_back(alloc);
    if (auto dealloc = llvm::dyn_cast<memref::DeallocOp>(op);
        dealloc && isDeviceData(dealloc.getMemref().getType()))
      deallocs.push_back(dealloc);
  });
  for (memref::AllocOp alloc : allocs) {
    OpBuilder b(alloc);
    auto device = gpu::AllocOp::create(
        b, alloc.getLoc(), alloc.getType(), Type(), ValueRange(),
        alloc.getDynamicSizes(), alloc.getSymbolOperands());
    alloc.replaceAllUsesWith(device.getMemref());
    alloc.erase();
  }
  for (memref::DeallocOp dealloc : deallocs) {
    OpBuilder b(dealloc);
    gpu::DeallocOp::create(b, dealloc.getLoc(), Type(), ValueRange(),
                           dealloc.getMemref());
    dealloc.erase();
  }

  // The runtime's functions on device buffers.
  for (auto [host, device] :
       {std::pair{contract::kSgemmFn,
                  tf32 ? contract::kCudaSgemmTF32Fn : contract::kCudaSgemmFn},
        std::pair{contract::kNormalFn, contract::kCudaNormalFn}}) {
    auto decl = module.lookupSymbol<func::FuncOp>(StringRef(host));
    if (!decl)
      continue;
    if (failed(SymbolTable::replaceAllSymbolUses(
            decl, StringAttr::get(&getContext(), StringRef(device)), module)))
      return signalPassFailure();
    decl.setName(StringRef(device));
  }
}
