//===- EmulateGPU.cpp - the gps-emulate-gpu pass
//---------------------------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// Runs the kernels of convert-linalg-to-gpu as loops of the host code, so
// that a machine without a GPU can check the GPU lowering's numbers
// against the CPU's. A test harness: the GPU target itself compiles the
// kernels to PTX.
//
//===----------------------------------------------------------------------===//

#include "gps/Dialect/GPS/GPSPasses.h"
#include "gps/Runtime/Contract.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringMap.h"

namespace gps {
#define GEN_PASS_DEF_EMULATEGPUPASS
#include "gps/Dialect/GPS/GPSPasses.h.inc"
} // namespace gps

using namespace mlir;
namespace contract = gps::rt::contract;

namespace {
struct EmulateGPUPass : public gps::impl::EmulateGPUPassBase<EmulateGPUPass> {
  void runOnOperation() override;
};

/// The runtime's checks of emulated kernels (Interface.h), and the
/// messages of the failed bounds checks they print.
struct RuntimeChecks {
  RuntimeChecks(ModuleOp module, SymbolTable &symbols);
  /// A global holding `text`, one per text.
  memref::GlobalOp message(StringRef text);
  /// Makes the failed checks (cf.assert) in `op` stop the run through the
  /// runtime, which names launch `launch` (-1: host code).
  void reportFailures(Operation *op, int64_t launch);

  ModuleOp module;
  SymbolTable &symbols;
  func::FuncOp launch, access, fail;
  llvm::StringMap<memref::GlobalOp> messages;
};

/// Builds the host loops of one launch.
class LaunchEmulator {
public:
  /// `number` numbers the launch in the module for the runtime's checks.
  LaunchEmulator(gpu::LaunchFuncOp launch, gpu::GPUFuncOp kernel,
                 int64_t number, RuntimeChecks &checks)
      : launch(launch), kernel(kernel), number(number), checks(checks) {}

  /// Replaces the launch by its loops.
  LogicalResult emulate();

private:
  /// Checks what the emulation supports and finds the all_reduce.
  LogicalResult analyse();
  /// `scf.for iv = 0 to count` whose body `body` builds.
  void forEach(OpBuilder &b, Value count,
               function_ref<void(OpBuilder &, Value)> body);
  /// Reports the accesses of `op` and the ops nested in it to the race
  /// check, as those of thread `thread` (global in the launch).
  void reportAccesses(Operation *op, Value thread);
  /// Copies the kernel's ops in [begin, end) that `keep` accepts into `b`'s
  /// insertion point, mapping the kernel's indices to `block` and
  /// `thread`.
  void cloneBody(OpBuilder &b, IRMapping &map, Block::iterator begin,
                 Block::iterator end, Value block, Value thread,
                 function_ref<bool(Operation *)> keep);

  gpu::LaunchFuncOp launch;
  gpu::GPUFuncOp kernel;
  int64_t number;
  RuntimeChecks &checks;
  /// The kernel's one block-wide sum, if any.
  gpu::AllReduceOp reduce;
  /// The ops before `reduce` that the ops after it need.
  llvm::SmallPtrSet<Operation *, 16> neededAfter;
};
} // namespace

/// True when `op` and the ops nested in it write or free no memory.
static bool writesNothing(Operation *op) {
  bool writes = false;
  op->walk([&](Operation *nested) {
    // A runtime check (gps-emulate-gpu's bounds checks) writes nothing.
    if (isa<cf::AssertOp>(nested))
      return;
    auto effects = dyn_cast<MemoryEffectOpInterface>(nested);
    if (!effects) {
      if (!nested->hasTrait<OpTrait::HasRecursiveMemoryEffects>())
        writes = true;
      return;
    }
    SmallVector<MemoryEffects::EffectInstance> instances;
    effects.getEffects(instances);
    for (auto &instance : instances)
      if (!isa<MemoryEffects::Read>(instance.getEffect()))
        writes = true;
  });
  return !writes;
}

/// Checks that the race check sees every access `op` makes: it is a load
/// or a store of a scalar element, or it reads and writes no memory itself.
static LogicalResult checkAccess(Operation *op) {
  if (isa<memref::LoadOp, memref::StoreOp>(op)) {
    auto type = cast<MemRefType>(
        op->getOperand(isa<memref::LoadOp>(op) ? 0 : 1).getType());
    if (!type.getElementType().isIntOrFloat())
      return op->emitError("the GPU emulation checks accesses to integer "
                           "and float elements only");
    return success();
  }
  // A runtime check (the bounds checks) and ops whose nested ops are
  // checked on their own.
  if (isa<cf::AssertOp>(op) ||
      op->hasTrait<OpTrait::HasRecursiveMemoryEffects>())
    return success();
  auto effects = dyn_cast<MemoryEffectOpInterface>(op);
  if (effects && effects.hasNoEffect())
    return success();
  return op->emitError("the GPU emulation cannot check the memory accesses "
                       "of '")
         << op->getName() << "'";
}

LogicalResult LaunchEmulator::analyse() {
  if (kernel.getBody().getBlocks().size() != 1)
    return kernel.emitError("the GPU emulation needs a kernel of one block");
  for (Value size : {launch.getGridSizeY(), launch.getGridSizeZ(),
                     launch.getBlockSizeY(), launch.getBlockSizeZ()}) {
    std::optional<int64_t> constant = getConstantIntValue(size);
    if (!constant || *constant != 1)
      return launch.emitError(
          "the GPU emulation needs one-dimensional grids and blocks");
  }
  if (launch.getAsyncToken() || !launch.getAsyncDependencies().empty() ||
      launch.getDynamicSharedMemorySize() || launch.hasClusterSize() ||
      launch.getAsyncObject())
    return launch.emitError("the GPU emulation needs a plain synchronous "
                            "launch without shared memory or clusters");
  if (kernel.getNumWorkgroupAttributions() ||
      kernel.getNumPrivateAttributions())
    return kernel.emitError("the GPU emulation needs a kernel without "
                            "workgroup or private memory");
  // The block size the kernel was compiled for (its strides assume it),
  // and one a GPU can launch.
  std::optional<int64_t> threads = getConstantIntValue(launch.getBlockSizeX());
  std::optional<ArrayRef<int32_t>> known = kernel.getKnownBlockSize();
  if (!threads || *threads < 1 || *threads > 1024 ||
      (known && (*known)[0] != *threads))
    return launch.emitError("the GPU emulation needs a constant block of 1 "
                            "to 1024 threads, the kernel's known_block_size");
  Block &body = kernel.getBody().front();
  WalkResult walk = kernel.walk([&](Operation *op) {
    if (op == kernel)
      return WalkResult::advance();
    if (!isa_and_nonnull<gpu::GPUDialect>(op->getDialect())) {
      if (failed(checkAccess(op)))
        return WalkResult::interrupt();
      return WalkResult::advance();
    }
    if (isa<gpu::ReturnOp>(op))
      return WalkResult::advance();
    if (isa<gpu::ThreadIdOp, gpu::BlockIdOp, gpu::BlockDimOp, gpu::GridDimOp>(
            op)) {
      if (op->getBlock() == &body)
        return WalkResult::advance();
      op->emitError("the GPU emulation needs the indices at the top of the "
                    "kernel");
      return WalkResult::interrupt();
    }
    auto all = dyn_cast<gpu::AllReduceOp>(op);
    if (!all) {
      op->emitError("the GPU emulation cannot run '")
          << op->getName() << "' on the host";
      return WalkResult::interrupt();
    }
    if (all->getBlock() != &body || reduce) {
      op->emitError("the GPU emulation needs at most one gpu.all_reduce, at "
                    "the top of the kernel");
      return WalkResult::interrupt();
    }
    if (!all.getOp() || *all.getOp() != gpu::AllReduceOperation::ADD ||
        !all.getBody().empty() || !isa<FloatType>(all.getType())) {
      op->emitError("the GPU emulation only sums floats (gpu.all_reduce "
                    "add)");
      return WalkResult::interrupt();
    }
    reduce = all;
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  if (!reduce)
    return success();
  // The ops before the sum run again, for each thread, with the ops after
  // it: only those the later ops need, and only when they write nothing.
  Block::iterator split = reduce->getIterator();
  SmallVector<Operation *> worklist;
  auto need = [&](Value value) {
    Operation *def = value.getDefiningOp();
    if (def && def->getBlock() == &body && def->isBeforeInBlock(reduce) &&
        neededAfter.insert(def).second)
      worklist.push_back(def);
  };
  for (Operation &op : llvm::make_range(std::next(split), body.end()))
    op.walk([&](Operation *nested) {
      for (Value operand : nested->getOperands())
        if (operand != reduce.getResult())
          need(operand);
    });
  while (!worklist.empty()) {
    Operation *op = worklist.pop_back_val();
    op->walk([&](Operation *nested) {
      for (Value operand : nested->getOperands())
        need(operand);
    });
  }
  for (Operation &op : llvm::make_range(body.begin(), split))
    if (!writesNothing(&op))
      return op.emitError("the GPU emulation needs a kernel that writes "
                          "nothing before its gpu.all_reduce");
  return success();
}

void LaunchEmulator::forEach(OpBuilder &b, Value count,
                             function_ref<void(OpBuilder &, Value)> body) {
  Location loc = launch.getLoc();
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  scf::ForOp::create(
      b, loc, zero, count, one, ValueRange(),
      [&](OpBuilder &nested, Location loc, Value iv, ValueRange) {
        body(nested, iv);
        scf::YieldOp::create(nested, loc);
      });
}

void LaunchEmulator::reportAccesses(Operation *op, Value thread) {
  Location loc = launch.getLoc();
  op->walk([&](Operation *nested) {
    Value memref;
    ValueRange indices;
    bool write;
    if (auto load = dyn_cast<memref::LoadOp>(nested)) {
      memref = load.getMemRef();
      indices = load.getIndices();
      write = false;
    } else if (auto store = dyn_cast<memref::StoreOp>(nested)) {
      memref = store.getMemRef();
      indices = store.getIndices();
      write = true;
    } else {
      return;
    }
    // The element's address: the aligned pointer plus (offset + the
    // indices times the strides) elements.
    OpBuilder b(nested);
    auto type = cast<MemRefType>(memref.getType());
    auto metadata = memref::ExtractStridedMetadataOp::create(b, loc, memref);
    Value linear = metadata.getOffset();
    for (auto [index, stride] : llvm::zip(indices, metadata.getStrides()))
      linear = arith::AddIOp::create(
          b, loc, linear, arith::MulIOp::create(b, loc, index, stride));
    int64_t bytes = (type.getElementTypeBitWidth() + 7) / 8;
    Value base = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, memref);
    Value address = arith::AddIOp::create(
        b, loc, base,
        arith::MulIOp::create(b, loc, linear,
                              arith::ConstantIndexOp::create(b, loc, bytes)));
    Type i64 = b.getI64Type();
    func::CallOp::create(
        b, loc, checks.access,
        ValueRange{arith::IndexCastOp::create(b, loc, i64, address),
                   arith::IndexCastOp::create(b, loc, i64, thread),
                   arith::ConstantIntOp::create(b, loc, write, 32)});
  });
}

void LaunchEmulator::cloneBody(OpBuilder &b, IRMapping &map,
                               Block::iterator first, Block::iterator last,
                               Value block, Value thread,
                               function_ref<bool(Operation *)> keep) {
  Location loc = launch.getLoc();
  // Dimensions y and z have one index, 0, and size 1.
  auto pick = [&](gpu::Dimension dim, Value x, int64_t other) -> Value {
    if (dim == gpu::Dimension::x)
      return x;
    return arith::ConstantIndexOp::create(b, loc, other);
  };
  // The thread's number in the launch, for the race check.
  Value global = arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, block, launch.getBlockSizeX()),
      thread);
  for (Operation &op : llvm::make_range(first, last)) {
    if (auto id = dyn_cast<gpu::ThreadIdOp>(op))
      map.map(id.getResult(), pick(id.getDimension(), thread, 0));
    else if (auto id = dyn_cast<gpu::BlockIdOp>(op))
      map.map(id.getResult(), pick(id.getDimension(), block, 0));
    else if (auto dim = dyn_cast<gpu::BlockDimOp>(op))
      map.map(dim.getResult(),
              pick(dim.getDimension(), launch.getBlockSizeX(), 1));
    else if (auto dim = dyn_cast<gpu::GridDimOp>(op))
      map.map(dim.getResult(),
              pick(dim.getDimension(), launch.getGridSizeX(), 1));
    else if (!isa<gpu::ReturnOp>(op) && keep(&op)) {
      Operation *copy = b.clone(op, map);
      reportAccesses(copy, global);
      checks.reportFailures(copy, number);
    }
  }
}

LogicalResult LaunchEmulator::emulate() {
  if (failed(analyse()))
    return failure();
  OpBuilder b(launch);
  Location loc = launch.getLoc();
  Block &body = kernel.getBody().front();
  IRMapping map;
  for (auto [arg, operand] :
       llvm::zip(kernel.getArguments(), launch.getKernelOperands()))
    map.map(arg, operand);
  Value grid = launch.getGridSizeX(), threads = launch.getBlockSizeX();
  auto all = [](Operation *) { return true; };
  func::CallOp::create(
      b, loc, checks.launch,
      ValueRange{arith::ConstantIntOp::create(b, loc, number, 64)});

  if (!reduce) {
    forEach(b, grid, [&](OpBuilder &b, Value block) {
      forEach(b, threads, [&](OpBuilder &b, Value thread) {
        IRMapping local = map;
        cloneBody(b, local, body.begin(), body.end(), block, thread, all);
      });
    });
    launch.erase();
    return success();
  }

  // Each thread's share of the sum, in a buffer of the block's size.
  Type element = reduce.getType();
  auto sharesType = MemRefType::get({ShapedType::kDynamic}, element);
  Value shares = memref::AllocOp::create(b, loc, sharesType, threads);
  Block::iterator split = reduce->getIterator();
  forEach(b, grid, [&](OpBuilder &b, Value block) {
    forEach(b, threads, [&](OpBuilder &b, Value thread) {
      IRMapping local = map;
      cloneBody(b, local, body.begin(), split, block, thread, all);
      memref::StoreOp::create(b, loc, local.lookup(reduce.getValue()), shares,
                              thread);
    });
    // The shares summed in thread order.
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    Value init =
        arith::ConstantOp::create(b, loc, element, b.getZeroAttr(element));
    auto sum = scf::ForOp::create(
        b, loc, zero, threads, one, ValueRange{init},
        [&](OpBuilder &nested, Location loc, Value iv, ValueRange acc) {
          Value share = memref::LoadOp::create(nested, loc, shares, iv);
          Value next = arith::AddFOp::create(nested, loc, acc[0], share);
          scf::YieldOp::create(nested, loc, next);
        });
    forEach(b, threads, [&](OpBuilder &b, Value thread) {
      IRMapping local = map;
      cloneBody(b, local, body.begin(), split, block, thread,
                [&](Operation *op) { return neededAfter.contains(op); });
      local.map(reduce.getResult(), sum.getResult(0));
      cloneBody(b, local, std::next(split), body.end(), block, thread, all);
    });
  });
  memref::DeallocOp::create(b, loc, shares);
  launch.erase();
  return success();
}

RuntimeChecks::RuntimeChecks(ModuleOp module, SymbolTable &symbols)
    : module(module), symbols(symbols) {
  OpBuilder b(module.getBodyRegion());
  Type i64 = b.getI64Type(), i32 = b.getI32Type();
  auto declare = [&](std::string_view name, TypeRange inputs) {
    StringRef symbol(name.data(), name.size());
    if (auto existing = symbols.lookup<func::FuncOp>(symbol))
      return existing;
    auto fn = func::FuncOp::create(b, module.getLoc(), symbol,
                                   b.getFunctionType(inputs, {}));
    fn.setPrivate();
    symbols.insert(fn);
    return fn;
  };
  launch = declare(contract::kEmuLaunchFn, {i64});
  access = declare(contract::kEmuAccessFn, {i64, i64, i32});
  fail = declare(contract::kEmuFailFn, {i64, i64, i64});
}

memref::GlobalOp RuntimeChecks::message(StringRef text) {
  memref::GlobalOp &global = messages[text];
  if (global)
    return global;
  OpBuilder b(module.getBodyRegion());
  auto type =
      MemRefType::get({static_cast<int64_t>(text.size())}, b.getI8Type());
  auto bytes = DenseElementsAttr::get(
      RankedTensorType::get(type.getShape(), b.getI8Type()),
      ArrayRef<int8_t>(reinterpret_cast<const int8_t *>(text.data()),
                       text.size()));
  global = memref::GlobalOp::create(
      b, module.getLoc(), "gps_emu_message", b.getStringAttr("private"), type,
      bytes, /*constant=*/true, /*alignment=*/IntegerAttr());
  symbols.insert(global); // renamed to be unique
  return global;
}

void RuntimeChecks::reportFailures(Operation *op, int64_t number) {
  SmallVector<cf::AssertOp> asserts;
  op->walk([&](cf::AssertOp check) { asserts.push_back(check); });
  for (cf::AssertOp check : asserts) {
    OpBuilder b(check);
    Location loc = check.getLoc();
    Value failed = arith::XOrIOp::create(
        b, loc, check.getArg(), arith::ConstantIntOp::create(b, loc, 1, 1));
    memref::GlobalOp text = message(check.getMsg());
    auto ifFailed = scf::IfOp::create(b, loc, failed, /*withElse=*/false);
    b.setInsertionPoint(ifFailed.thenBlock()->getTerminator());
    Value bytes =
        memref::GetGlobalOp::create(b, loc, text.getType(), text.getSymName());
    Type i64 = b.getI64Type();
    Value address = arith::IndexCastOp::create(
        b, loc, i64,
        memref::ExtractAlignedPointerAsIndexOp::create(b, loc, bytes));
    func::CallOp::create(
        b, loc, fail,
        ValueRange{arith::ConstantIntOp::create(b, loc, number, 64), address,
                   arith::ConstantIntOp::create(
                       b, loc, text.getType().getNumElements(), 64)});
    check.erase();
  }
}

/// The host function a call of a device function of the runtime becomes,
/// or an empty string.
static StringRef hostCounterpart(StringRef callee) {
  auto is = [&](std::string_view fn) {
    return callee == StringRef(fn.data(), fn.size());
  };
  if (is(contract::kCudaSgemmFn) || is(contract::kCudaSgemmTF32Fn))
    return StringRef(contract::kSgemmFn.data(), contract::kSgemmFn.size());
  if (is(contract::kCudaNormalFn))
    return StringRef(contract::kNormalFn.data(), contract::kNormalFn.size());
  return "";
}

void EmulateGPUPass::runOnOperation() {
  ModuleOp module = getOperation();
  SymbolTable symbols(module);

  RuntimeChecks checks(module, symbols);

  // The launches, numbered in the module's order, then the kernels they
  // ran.
  SmallVector<gpu::LaunchFuncOp> launches;
  module.walk([&](gpu::LaunchFuncOp launch) { launches.push_back(launch); });
  for (auto [number, launch] : llvm::enumerate(launches)) {
    auto kernel = SymbolTable::lookupNearestSymbolFrom<gpu::GPUFuncOp>(
        launch, launch.getKernel());
    if (!kernel) {
      launch.emitError("the kernel '") << launch.getKernel() << "' is missing";
      return signalPassFailure();
    }
    if (failed(LaunchEmulator(launch, kernel, number, checks).emulate()))
      return signalPassFailure();
  }

  // The host's device memory becomes host memory.
  SmallVector<Operation *> deviceOps;
  module.walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (isa<gpu::GPUModuleOp>(op))
      return WalkResult::skip();
    if (isa_and_nonnull<gpu::GPUDialect>(op->getDialect()))
      deviceOps.push_back(op);
    return WalkResult::advance();
  });
  for (Operation *op : deviceOps) {
    OpBuilder b(op);
    if (auto alloc = dyn_cast<gpu::AllocOp>(op);
        alloc && !alloc.getAsyncToken() && !alloc.getHostShared()) {
      auto host = memref::AllocOp::create(b, alloc.getLoc(), alloc.getType(),
                                          alloc.getDynamicSizes(),
                                          alloc.getSymbolOperands());
      // Fresh device memory holds anything: a kernel that reads it before
      // it is written reads NaN here, which shows in the numbers.
      if (auto element = dyn_cast<FloatType>(alloc.getType().getElementType()))
        linalg::FillOp::create(
            b, alloc.getLoc(),
            ValueRange{arith::ConstantOp::create(
                b, alloc.getLoc(), element,
                b.getFloatAttr(element,
                               APFloat::getQNaN(element.getFloatSemantics())))},
            ValueRange{host.getResult()});
      alloc.getMemref().replaceAllUsesWith(host.getResult());
    } else if (auto dealloc = dyn_cast<gpu::DeallocOp>(op);
               dealloc && !dealloc.getAsyncToken()) {
      memref::DeallocOp::create(b, dealloc.getLoc(), dealloc.getMemref());
    } else if (auto copy = dyn_cast<gpu::MemcpyOp>(op);
               copy && !copy.getAsyncToken()) {
      memref::CopyOp::create(b, copy.getLoc(), copy.getSrc(), copy.getDst());
    } else {
      op->emitError("the GPU emulation cannot run '")
          << op->getName() << "' on the host";
      return signalPassFailure();
    }
    op->erase();
  }

  // A graph's recording has nothing to record: the buffer that
  // gps_rt_cuda_graph_begin returns, holding the call's `stream`, is a host
  // buffer the function writes itself.
  StringRef graphBegin(contract::kCudaGraphBeginFn.data(),
                       contract::kCudaGraphBeginFn.size());
  SmallVector<func::CallOp> graphCalls;
  module.walk([&](func::CallOp call) {
    if (call.getCallee() == graphBegin)
      graphCalls.push_back(call);
  });
  for (func::CallOp call : graphCalls) {
    auto type = call.getNumResults() == 1
                    ? dyn_cast<MemRefType>(call.getResult(0).getType())
                    : MemRefType();
    if (call.getNumOperands() != 3 || !type || type.getRank() != 1 ||
        type.getDimSize(0) != 1 ||
        call.getOperand(2).getType() != type.getElementType()) {
      call.emitError("the GPU emulation expects gps_rt_cuda_graph_begin("
                     "entry, signature, stream) -> memref<1xi64>");
      return signalPassFailure();
    }
    auto fn = dyn_cast<func::FuncOp>(call->getParentOp());
    if (!fn) {
      call.emitError("the GPU emulation expects gps_rt_cuda_graph_begin in "
                     "the entry block of a function");
      return signalPassFailure();
    }
    OpBuilder b(call);
    Location loc = call.getLoc();
    Value scalar = memref::AllocOp::create(b, loc, type);
    memref::StoreOp::create(
        b, loc, call.getOperand(2), scalar,
        ValueRange{arith::ConstantIndexOp::create(b, loc, 0)});
    call.getResult(0).replaceAllUsesWith(scalar);
    fn.walk([&](func::ReturnOp ret) {
      OpBuilder at(ret);
      memref::DeallocOp::create(at, loc, scalar);
    });
    call.erase();
  }
  if (auto begin = symbols.lookup<func::FuncOp>(graphBegin);
      begin && begin.symbolKnownUseEmpty(module))
    symbols.erase(begin);

  // The runtime's device functions become its host ones (same signatures).
  for (auto fn : llvm::make_early_inc_range(module.getOps<func::FuncOp>())) {
    StringRef host = hostCounterpart(fn.getSymName());
    if (host.empty()) {
      if (fn.isDeclaration() && fn.getSymName().starts_with("gps_rt_cuda_")) {
        fn.emitError("the GPU emulation has no host counterpart of '")
            << fn.getSymName() << "'";
        return signalPassFailure();
      }
      continue;
    }
    StringAttr name = StringAttr::get(&getContext(), host);
    if (!symbols.lookup(host)) {
      if (failed(symbols.rename(fn, name)))
        return signalPassFailure();
      continue;
    }
    // The TF32 form's declaration when the FP32 one is there already.
    if (failed(SymbolTable::replaceAllSymbolUses(fn, name, module)))
      return signalPassFailure();
    symbols.erase(fn);
  }

  for (auto kernels :
       llvm::make_early_inc_range(module.getOps<gpu::GPUModuleOp>()))
    kernels.erase();
  // The host code's own checks (the views it makes of its buffers).
  for (auto fn : module.getOps<func::FuncOp>())
    checks.reportFailures(fn, /*launch=*/-1);
  module->removeAttr(gpu::GPUDialect::getContainerModuleAttrName());
}
