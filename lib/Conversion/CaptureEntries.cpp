//===- CaptureEntries.cpp - the gps-capture-entries pass ------------------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// Lets the GPU runtime capture an entry point's work in a CUDA Graph and
// replay it: the kernels of a model entry read the call's `stream` from a
// device buffer the runtime refreshes before each replay, instead of as a
// launch argument, and every entry (the optimizer's and the gather too,
// which have no `stream`) first tells the runtime which call this is
// (gps_rt_cuda_graph_begin: the entry and a signature of its arguments).
//
//===----------------------------------------------------------------------===//

#include "gps/Dialect/GPS/GPSDialect.h"
#include "gps/Dialect/GPS/GPSPasses.h"
#include "gps/Runtime/Contract.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"

namespace gps {
#define GEN_PASS_DEF_CAPTUREENTRIESPASS
#include "gps/Dialect/GPS/GPSPasses.h.inc"
} // namespace gps

using namespace mlir;
namespace contract = gps::rt::contract;

namespace {
struct CaptureEntriesPass
    : public gps::impl::CaptureEntriesPassBase<CaptureEntriesPass> {
  void runOnOperation() override;
};
} // namespace

/// True for the entry points whose last two arguments are the call's `key`
/// and `stream` (Interface.h).
static bool isModelEntry(func::FuncOp fn) {
  for (std::string_view entry :
       {contract::kTrainEntry, contract::kEvalEntry,
        contract::kEvalPrimaryEntry, contract::kLogWeightsEntry,
        contract::kSampleEntry, contract::kSampleStepsEntry,
        contract::kMasksEntry})
    if (fn.getSymName() == StringRef(entry))
      return true;
  return false;
}

/// True for the optimizer's entry points and the batch's gather, which
/// have no `stream`: the trainer records them with the training step
/// (gps_rt_cuda_step_begin).
static bool isStreamlessEntry(func::FuncOp fn) {
  for (std::string_view entry : {contract::kGradSumsqEntry,
                                 contract::kAdamEntry, contract::kGatherEntry})
    if (fn.getSymName() == StringRef(entry))
      return true;
  return false;
}

/// True when the calls `fn` makes, directly or through the module's own
/// functions (the deallocation's helper), are sgemm calls only: work a
/// graph can record and replay.
static bool callsOnlyReplayable(func::FuncOp fn, SymbolTableCollection &symbols,
                                llvm::SmallPtrSetImpl<Operation *> &seen) {
  if (!seen.insert(fn).second)
    return true;
  return !fn.walk([&](func::CallOp call) {
              StringRef callee = call.getCallee();
              if (callee == StringRef(contract::kCudaSgemmFn) ||
                  callee == StringRef(contract::kCudaSgemmTF32Fn))
                return WalkResult::advance();
              auto target = symbols.lookupNearestSymbolFrom<func::FuncOp>(
                  call, call.getCalleeAttr());
              if (target && !target.isDeclaration() &&
                  callsOnlyReplayable(target, symbols, seen))
                return WalkResult::advance();
              return WalkResult::interrupt();
            }).wasInterrupted();
}

/// True when the work of `fn` can be replayed from a graph: a replay runs
/// the recorded launches again with only the buffers' contents and
/// `stream` (if it has one) new, so the host code may pass `stream` to
/// kernels only, and call nothing that draws or reads on the host.
static bool isCapturable(func::FuncOp fn, BlockArgument stream,
                         SymbolTableCollection &symbols) {
  if (stream)
    for (OpOperand &use : stream.getUses()) {
      auto launch = llvm::dyn_cast<gpu::LaunchFuncOp>(use.getOwner());
      if (!launch || use.getOperandNumber() <
                         launch.getKernelOperands().getBeginOperandIndex())
        return false;
    }
  llvm::SmallPtrSet<Operation *, 4> seen;
  return callsOnlyReplayable(fn, symbols, seen);
}

/// Folds `value` into the signature `hash` (FNV-1a style, on i64).
static Value mix(OpBuilder &b, Location loc, Value hash, Value value) {
  Type i64 = b.getI64Type();
  if (value.getType().isIndex())
    value = arith::IndexCastOp::create(b, loc, i64, value);
  else if (auto floatType = llvm::dyn_cast<FloatType>(value.getType()))
    value = arith::BitcastOp::create(
        b, loc, b.getIntegerType(floatType.getWidth()), value);
  if (value.getType() != i64)
    value = arith::ExtUIOp::create(b, loc, i64, value);
  Value prime = arith::ConstantIntOp::create(b, loc, i64, 0x100000001b3ll);
  return arith::MulIOp::create(
      b, loc, arith::XOrIOp::create(b, loc, hash, value), prime);
}

/// The signature of a call of `fn`: the addresses and sizes of its memref
/// arguments and its scalars other than `stream`. A graph recorded for one
/// signature is replayed only for a call with the same one.
static Value signature(OpBuilder &b, Location loc, func::FuncOp fn,
                       BlockArgument stream) {
  Value hash = arith::ConstantIntOp::create(
      b, loc, b.getI64Type(), static_cast<int64_t>(0xcbf29ce484222325ull));
  for (BlockArgument arg : fn.getArguments()) {
    if (arg == stream)
      continue;
    auto type = llvm::dyn_cast<MemRefType>(arg.getType());
    if (!type) {
      hash = mix(b, loc, hash, arg);
      continue;
    }
    hash = mix(b, loc, hash,
               memref::ExtractAlignedPointerAsIndexOp::create(b, loc, arg));
    for (int64_t dim = 0; dim < type.getRank(); ++dim)
      if (type.isDynamicDim(dim))
        hash = mix(b, loc, hash, memref::DimOp::create(b, loc, arg, dim));
  }
  return hash;
}

/// Makes the kernel launched by `launch` read its operand number `index`
/// (an i64) from element 0 of the device buffer `scalar` instead.
static LogicalResult readFromDevice(gpu::LaunchFuncOp launch, unsigned index,
                                    Value scalar,
                                    SymbolTableCollection &symbols) {
  auto kernel = symbols.lookupNearestSymbolFrom<gpu::GPUFuncOp>(
      launch, launch.getKernel());
  if (!kernel || kernel.isExternal())
    return launch.emitOpError("launches a kernel gps-capture-entries cannot "
                              "see into");
  BlockArgument param = kernel.getArgument(index);
  Block &body = kernel.getBody().front();
  OpBuilder b = OpBuilder::atBlockBegin(&body);
  Location loc = param.getLoc();
  auto type = llvm::cast<MemRefType>(scalar.getType());
  BlockArgument buffer = body.insertArgument(index + 1, type, loc);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value value = memref::LoadOp::create(b, loc, buffer, ValueRange{zero});
  param.replaceAllUsesWith(value);
  body.eraseArgument(index);
  SmallVector<Type> inputs(kernel.getFunctionType().getInputs());
  inputs[index] = type;
  kernel.setFunctionTypeAttr(
      TypeAttr::get(FunctionType::get(kernel.getContext(), inputs, {})));
  launch.getKernelOperandsMutable().slice(index, 1).assign(scalar);
  return success();
}

void CaptureEntriesPass::runOnOperation() {
  ModuleOp module = getOperation();
  SymbolTableCollection symbols;
  MLIRContext *context = &getContext();
  OpBuilder b(context);
  Type i64 = b.getI64Type();
  auto scalarType = MemRefType::get({1}, i64);

  // How many launches each kernel has: one whose operand is replaced must
  // have no other.
  llvm::DenseMap<Operation *, unsigned> launches;
  module.walk([&](gpu::LaunchFuncOp launch) {
    if (Operation *kernel =
            symbols.lookupNearestSymbolFrom(launch, launch.getKernel()))
      ++launches[kernel];
  });

  func::FuncOp begin;
  int32_t entryId = 0;
  for (auto fn : llvm::to_vector(module.getOps<func::FuncOp>())) {
    if (fn.isDeclaration() || (!isModelEntry(fn) && !isStreamlessEntry(fn)))
      continue;
    Block &entry = fn.getBody().front();
    unsigned count = entry.getNumArguments();
    BlockArgument stream;
    if (isModelEntry(fn)) {
      if (count < 2 || !entry.getArgument(count - 1).getType().isInteger(64))
        continue;
      stream = entry.getArgument(count - 1);
    }
    if (!isCapturable(fn, stream, symbols))
      continue;
    bool unique = !stream || llvm::all_of(stream.getUses(), [&](OpOperand
                                                                    &use) {
      auto launch = llvm::cast<gpu::LaunchFuncOp>(use.getOwner());
      return launches[symbols.lookupNearestSymbolFrom(launch,
                                                      launch.getKernel())] == 1;
    });
    if (!unique)
      continue;

    if (!begin) {
      OpBuilder top = OpBuilder::atBlockBegin(module.getBody());
      begin = func::FuncOp::create(
          top, module.getLoc(), StringRef(contract::kCudaGraphBeginFn),
          FunctionType::get(context, {b.getI32Type(), i64, i64}, {scalarType}));
      begin.setPrivate();
      begin->setAttr("llvm.emit_c_interface", UnitAttr::get(context));
    }
    b.setInsertionPointToStart(&entry);
    Location loc = fn.getLoc();
    Value id = arith::ConstantIntOp::create(b, loc, b.getI32Type(), entryId++);
    Value hash = signature(b, loc, fn, stream);
    Value streamValue =
        stream ? Value(stream) : arith::ConstantIntOp::create(b, loc, i64, 0);
    Value scalar =
        func::CallOp::create(b, loc, begin, ValueRange{id, hash, streamValue})
            .getResult(0);
    if (!stream) {
      fn->setAttr(gps::GPSDialect::GraphAttrHelper::getNameStr(),
                  UnitAttr::get(context));
      continue;
    }
    for (OpOperand &use : llvm::make_early_inc_range(stream.getUses())) {
      if (use.getOwner() == scalar.getDefiningOp())
        continue;
      auto launch = llvm::cast<gpu::LaunchFuncOp>(use.getOwner());
      unsigned first = launch.getKernelOperands().getBeginOperandIndex();
      if (failed(readFromDevice(launch, use.getOperandNumber() - first, scalar,
                                symbols)))
        return signalPassFailure();
    }
    fn->setAttr(gps::GPSDialect::GraphAttrHelper::getNameStr(),
                UnitAttr::get(context));
  }
}
