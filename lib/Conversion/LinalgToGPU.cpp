//===- LinalgToGPU.cpp - the convert-linalg-to-gpu pass -------------------===//
//
// Outlines every loop nest on buffers into a kernel of one gpu.module, and
// moves the host's remaining element accesses into one-thread kernels, so
// that host code only allocates, calls the runtime and launches.
//
//===----------------------------------------------------------------------===//

#include "gps/Dialect/GPS/GPSPasses.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

namespace gps {
#define GEN_PASS_DEF_CONVERTLINALGTOGPUPASS
#include "gps/Dialect/GPS/GPSPasses.h.inc"
} // namespace gps

using namespace mlir;

/// The gpu.module every kernel of a model goes into.
static constexpr llvm::StringLiteral kKernelModule = "gps_kernels";

namespace {

struct ConvertLinalgToGPUPass
    : public gps::impl::ConvertLinalgToGPUPassBase<ConvertLinalgToGPUPass> {
  using Base::Base;
  void runOnOperation() override;
};

/// Builds the kernels of one module.
class KernelBuilder {
public:
  KernelBuilder(ModuleOp module, int64_t blockSize, int64_t reduceBlockSize)
      : module(module), blockSize(blockSize),
        reduceBlockSize(reduceBlockSize) {}

  /// Replaces `op` by a launch of a new kernel that runs its loops.
  LogicalResult outline(linalg::GenericOp op);

  /// Replaces the host `memref.store`s `stores`, consecutive in one block,
  /// by a one-thread kernel that computes their values and stores them.
  LogicalResult sinkStores(ArrayRef<memref::StoreOp> stores);

private:
  /// A new kernel, named after the host function `op` is in, of `threads`
  /// threads per block, that needs the host values `uses`: the constants
  /// among them are rebuilt at its start, the others become its arguments,
  /// in order, and are appended to `passed`. `map` takes each value in
  /// `uses` to the kernel's.
  gpu::GPUFuncOp createKernel(Operation *op, ArrayRef<Value> uses,
                              int64_t threads, IRMapping &map,
                              SmallVectorImpl<Value> &passed);
  /// The values `op`'s indexing map `map` gives at the loop indices `ivs`.
  SmallVector<Value> indices(OpBuilder &b, Location loc, AffineMap map,
                             ValueRange ivs);
  /// Emits one iteration of `op`'s body at `ivs` in the kernel, the body's
  /// values mapped by `map`. Returns the values the body yields; stores them
  /// unless `store` is false.
  SmallVector<Value> emitBody(OpBuilder &b, linalg::GenericOp op,
                              IRMapping &map, ValueRange ivs, bool store);

  ModuleOp module;
  int64_t blockSize, reduceBlockSize;
  gpu::GPUModuleOp kernels;
  unsigned counter = 0;
};

} // namespace

/// The operand of `generic` whose body sums into its only output: the body
/// yields `addf(x, out)` and uses `out` nowhere else. Null otherwise.
static arith::AddFOp sumInto(linalg::GenericOp generic) {
  if (generic.getNumDpsInits() != 1)
    return nullptr;
  Block &body = generic.getRegion().front();
  BlockArgument out = body.getArguments().back();
  auto yield = llvm::cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getValues()[0].getDefiningOp<arith::AddFOp>();
  if (!add || add->getBlock() != &body || !out.hasOneUse() ||
      !add.getResult().hasOneUse())
    return nullptr;
  if (add.getLhs() != out && add.getRhs() != out)
    return nullptr;
  return add;
}

gpu::GPUFuncOp KernelBuilder::createKernel(Operation *op, ArrayRef<Value> uses,
                                           int64_t threads, IRMapping &map,
                                           SmallVectorImpl<Value> &passed) {
  SmallVector<Operation *> constants;
  for (Value value : uses) {
    if (Operation *def = value.getDefiningOp();
        def && def->hasTrait<OpTrait::ConstantLike>())
      constants.push_back(def);
    else
      passed.push_back(value);
  }
  MLIRContext *ctx = module.getContext();
  OpBuilder b(ctx);
  if (!kernels) {
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                    b.getUnitAttr());
    b.setInsertionPointToEnd(module.getBody());
    kernels = gpu::GPUModuleOp::create(b, module.getLoc(), kKernelModule);
  }
  auto host = op->getParentOfType<FunctionOpInterface>();
  std::string name =
      (host ? host.getName().str() : std::string("gps")) + "_k" +
      std::to_string(counter++);
  b.setInsertionPointToEnd(kernels.getBody());
  auto type = b.getFunctionType(TypeRange(ValueRange(passed)), {});
  auto fn = gpu::GPUFuncOp::create(b, op->getLoc(), name, type);
  fn->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  fn.setKnownBlockSizeAttr(
      b.getDenseI32ArrayAttr({static_cast<int32_t>(threads), 1, 1}));
  for (auto [value, arg] : llvm::zip(passed, fn.getArguments()))
    map.map(value, arg);
  b.setInsertionPointToStart(&fn.front());
  for (Operation *def : constants)
    b.clone(*def, map);
  return fn;
}

SmallVector<Value> KernelBuilder::indices(OpBuilder &b, Location loc,
                                          AffineMap map, ValueRange ivs) {
  SmallVector<Value> result;
  for (AffineExpr expr : map.getResults()) {
    if (auto dim = llvm::dyn_cast<AffineDimExpr>(expr)) {
      result.push_back(ivs[dim.getPosition()]);
      continue;
    }
    auto one = AffineMap::get(map.getNumDims(), map.getNumSymbols(), expr);
    result.push_back(affine::AffineApplyOp::create(b, loc, one, ivs));
  }
  return result;
}

SmallVector<Value> KernelBuilder::emitBody(OpBuilder &b, linalg::GenericOp op,
                                           IRMapping &map, ValueRange ivs,
                                           bool store) {
  Location loc = op.getLoc();
  Block &body = op.getRegion().front();
  for (OpOperand &operand : op->getOpOperands()) {
    BlockArgument arg = body.getArgument(operand.getOperandNumber());
    if (map.contains(arg) || arg.use_empty())
      continue;
    Value source = map.lookup(operand.get());
    if (!llvm::isa<MemRefType>(source.getType())) {
      map.map(arg, source);
      continue;
    }
    AffineMap indexing = op.getMatchingIndexingMap(&operand);
    map.map(arg, memref::LoadOp::create(b, loc, source,
                                        indices(b, loc, indexing, ivs)));
  }
  for (Operation &inner : body.without_terminator()) {
    if (auto index = llvm::dyn_cast<linalg::IndexOp>(inner)) {
      map.map(index.getResult(), ivs[index.getDim()]);
      continue;
    }
    b.clone(inner, map);
  }
  auto yield = llvm::cast<linalg::YieldOp>(body.getTerminator());
  SmallVector<Value> values;
  for (auto [value, init] :
       llvm::zip(yield.getValues(), op.getDpsInitsMutable())) {
    Value result = map.lookupOrDefault(value);
    values.push_back(result);
    if (store)
      memref::StoreOp::create(
          b, loc, result, map.lookup(init.get()),
          indices(b, loc, op.getMatchingIndexingMap(&init), ivs));
  }
  return values;
}

/// The loop indices of the flat index `flat` over the loops `dims` of
/// extents `sizes` (the last dim varies fastest), written into `ivs`.
static void delinearize(OpBuilder &b, Location loc, Value flat,
                        ArrayRef<unsigned> dims, ValueRange sizes,
                        SmallVectorImpl<Value> &ivs) {
  for (unsigned dim : llvm::reverse(dims)) {
    if (dim == dims.front()) {
      ivs[dim] = flat;
      break;
    }
    ivs[dim] = arith::RemUIOp::create(b, loc, flat, sizes[dim]);
    flat = arith::DivUIOp::create(b, loc, flat, sizes[dim]);
  }
}

/// The product of `sizes[d]` over `dims` (1 for none).
static Value product(OpBuilder &b, Location loc, ArrayRef<unsigned> dims,
                     ValueRange sizes) {
  Value total = arith::ConstantIndexOp::create(b, loc, 1);
  for (unsigned dim : dims)
    total = arith::MulIOp::create(b, loc, total, sizes[dim]);
  return total;
}

LogicalResult KernelBuilder::outline(linalg::GenericOp op) {
  Location loc = op.getLoc();
  OpBuilder host(op);

  // The loop extents, computed on the host and passed in.
  SmallVector<Value> sizes;
  for (Range range : llvm::cast<linalg::LinalgOp>(op.getOperation())
                          .createLoopRanges(host, loc))
    sizes.push_back(getValueOrCreateConstantIndexOp(host, loc, range.size));
  SmallVector<unsigned> parallel, reduction;
  for (auto [dim, type] : llvm::enumerate(op.getIteratorTypesArray()))
    (type == utils::IteratorType::parallel ? parallel : reduction)
        .push_back(dim);

  // The kernel needs the operands, the extents and the values the body
  // uses from above.
  llvm::SetVector<Value> uses(op->operand_begin(), op->operand_end());
  uses.insert(sizes.begin(), sizes.end());
  getUsedValuesDefinedAbove(op.getRegion(), uses);

  arith::AddFOp sum = parallel.empty() && !reduction.empty() ? sumInto(op)
                                                             : nullptr;
  int64_t threads = sum ? reduceBlockSize : parallel.empty() ? 1 : blockSize;
  IRMapping map;
  SmallVector<Value> args;
  gpu::GPUFuncOp kernel =
      createKernel(op, uses.getArrayRef(), threads, map, args);
  OpBuilder b = OpBuilder::atBlockEnd(&kernel.front());
  SmallVector<Value> kernelSizes;
  for (Value size : sizes)
    kernelSizes.push_back(map.lookup(size));
  SmallVector<Value> ivs(sizes.size());
  Value tid = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);

  // The reduction loops in order, around one iteration of the body.
  auto reductionLoops = [&](OpBuilder &b) {
    OpBuilder::InsertionGuard guard(b);
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    for (unsigned dim : reduction) {
      auto loop = scf::ForOp::create(b, loc, zero, kernelSizes[dim], one);
      ivs[dim] = loop.getInductionVar();
      b.setInsertionPoint(loop.getBody()->getTerminator());
    }
    IRMapping iteration = map;
    emitBody(b, op, iteration, ivs, /*store=*/true);
  };

  if (sum) {
    // A block-wide sum: each thread adds up a strided share of the
    // flattened iteration space; gpu.all_reduce combines the shares.
    Block &body = op.getRegion().front();
    Value out = body.getArguments().back();
    Type elem = out.getType();
    Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(elem));
    Value total = product(b, loc, reduction, kernelSizes);
    Value stride = arith::ConstantIndexOp::create(b, loc, threads);
    auto loop = scf::ForOp::create(b, loc, tid, total, stride, zero);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      delinearize(b, loc, loop.getInductionVar(), reduction, kernelSizes,
                  ivs);
      IRMapping iteration = map;
      iteration.map(out, loop.getRegionIterArgs()[0]);
      SmallVector<Value> next = emitBody(b, op, iteration, ivs, false);
      scf::YieldOp::create(b, loc, next);
    }
    Value all = gpu::AllReduceOp::create(
        b, loc, loop.getResult(0),
        gpu::AllReduceOperationAttr::get(b.getContext(),
                                         gpu::AllReduceOperation::ADD),
        /*uniform=*/true);
    Value first = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::eq, tid,
        arith::ConstantIndexOp::create(b, loc, 0));
    auto ifFirst = scf::IfOp::create(b, loc, first, /*withElse=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(ifFirst.thenBlock()->getTerminator());
    OpOperand &init = op.getDpsInitsMutable()[0];
    Value zeroIndex = arith::ConstantIndexOp::create(b, loc, 0);
    SmallVector<Value> at(sizes.size(), zeroIndex);
    SmallVector<Value> where =
        indices(b, loc, op.getMatchingIndexingMap(&init), at);
    Value buffer = map.lookup(init.get());
    Value old = memref::LoadOp::create(b, loc, buffer, where);
    Value result = sum.getLhs() == out
                       ? arith::AddFOp::create(b, loc, old, all)
                       : arith::AddFOp::create(b, loc, all, old);
    memref::StoreOp::create(b, loc, result, buffer, where);
  } else if (parallel.empty()) {
    // A reduction that is not a sum runs in order on one thread.
    reductionLoops(b);
  } else {
    // One thread per point of the parallel iteration space.
    Value block = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
    Value width = arith::ConstantIndexOp::create(b, loc, threads);
    Value flat = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, block, width), tid);
    Value total = product(b, loc, parallel, kernelSizes);
    Value inside = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                         flat, total);
    auto ifInside = scf::IfOp::create(b, loc, inside, /*withElse=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(ifInside.thenBlock()->getTerminator());
    delinearize(b, loc, flat, parallel, kernelSizes, ivs);
    reductionLoops(b);
  }
  gpu::ReturnOp::create(b, loc);

  // The launch: enough blocks to cover the parallel points (at least one).
  Value one = arith::ConstantIndexOp::create(host, loc, 1);
  Value grid = one;
  if (!sum && !parallel.empty()) {
    Value total = product(host, loc, parallel, sizes);
    Value width = arith::ConstantIndexOp::create(host, loc, threads);
    grid = arith::MaxUIOp::create(
        host, loc, arith::CeilDivUIOp::create(host, loc, total, width), one);
  }
  Value blockThreads = arith::ConstantIndexOp::create(host, loc, threads);
  gpu::LaunchFuncOp::create(host, loc, kernel, gpu::KernelDim3{grid, one, one},
                            gpu::KernelDim3{blockThreads, one, one},
                            /*dynamicSharedMemorySize=*/Value(), args);
  op.erase();
  return success();
}

/// True when `memref` is one of the model's buffers, which live on the
/// device. Buffers of other elements (index, i1) are the buffer
/// deallocation's bookkeeping, which stays on the host.
static bool isDeviceBuffer(Value memref) {
  return llvm::isa<FloatType>(
      llvm::cast<MemRefType>(memref.getType()).getElementType());
}

/// True when `op` may be moved past or cloned into a kernel with its
/// operands: it computes a value from its operands and reads no memory.
static bool isScalarCompute(Operation *op) {
  return op->getNumRegions() == 0 && isMemoryEffectFree(op) &&
         llvm::all_of(op->getResultTypes(), [](Type type) {
           return type.isIntOrIndexOrFloat();
         });
}

/// Adds to `roots` the buffers `value` may be a view of: allocations and
/// the entry's arguments, through views, loop state and branches. Returns
/// false when it may be a view of anything else.
static bool collectRoots(Value value, llvm::SmallPtrSetImpl<Value> &roots,
                         llvm::SmallPtrSetImpl<Value> &visited) {
  if (!visited.insert(value).second)
    return true;
  if (auto arg = llvm::dyn_cast<BlockArgument>(value)) {
    Operation *owner = arg.getOwner()->getParentOp();
    if (arg.getOwner()->isEntryBlock() &&
        llvm::isa<FunctionOpInterface>(owner)) {
      roots.insert(value);
      return true;
    }
    // Loop state: its initial value or what an iteration yields.
    if (auto loop = llvm::dyn_cast<scf::ForOp>(owner)) {
      if (arg == loop.getInductionVar())
        return false;
      OpOperand *init = loop.getTiedLoopInit(arg);
      OpOperand *yielded = loop.getTiedLoopYieldedValue(arg);
      return init && yielded && collectRoots(init->get(), roots, visited) &&
             collectRoots(yielded->get(), roots, visited);
    }
    return false;
  }
  Operation *def = value.getDefiningOp();
  if (llvm::isa<memref::AllocOp, memref::AllocaOp>(def)) {
    roots.insert(value);
    return true;
  }
  if (auto view = llvm::dyn_cast<ViewLikeOpInterface>(def))
    return collectRoots(view.getViewSource(), roots, visited);
  auto result = llvm::cast<OpResult>(value);
  if (auto loop = llvm::dyn_cast<scf::ForOp>(def))
    return collectRoots(loop.getInits()[result.getResultNumber()], roots,
                        visited) &&
           collectRoots(loop.getYieldedValues()[result.getResultNumber()],
                        roots, visited);
  if (auto branch = llvm::dyn_cast<scf::IfOp>(def))
    return collectRoots(branch.thenYield()->getOperand(
                            result.getResultNumber()),
                        roots, visited) &&
           (branch.getElseRegion().empty() ||
            collectRoots(branch.elseYield()->getOperand(
                             result.getResultNumber()),
                         roots, visited));
  return false;
}

/// True when the buffers `a` and `b` may overlap. Allocations are distinct
/// from each other and from the entry's arguments, which the trainer passes
/// as distinct buffers.
static bool mayAlias(Value a, Value b) {
  llvm::SmallPtrSet<Value, 4> rootsA, rootsB, visited;
  if (!collectRoots(a, rootsA, visited))
    return true;
  visited.clear();
  if (!collectRoots(b, rootsB, visited))
    return true;
  return llvm::any_of(rootsA, [&](Value v) { return rootsB.contains(v); });
}

/// True when `op` may access the contents of a buffer that may overlap
/// `buffer` (reading its shape does not count).
static bool touches(Operation *op, Value buffer) {
  if (isMemoryEffectFree(op))
    return false;
  return llvm::any_of(op->getOperands(), [&](Value operand) {
    return llvm::isa<MemRefType>(operand.getType()) &&
           mayAlias(operand, buffer);
  });
}

LogicalResult KernelBuilder::sinkStores(ArrayRef<memref::StoreOp> stores) {
  memref::StoreOp store = stores.front();
  Block *block = store->getBlock();
  // The stores' backward slice in their block: loads and scalar arithmetic.
  llvm::SetVector<Operation *> slice;
  SmallVector<Value> work;
  for (memref::StoreOp each : stores)
    llvm::append_range(work, each->getOperands());
  while (!work.empty()) {
    Value value = work.pop_back_val();
    Operation *def = value.getDefiningOp();
    if (!def || def->getBlock() != block || slice.contains(def))
      continue;
    auto load = llvm::dyn_cast<memref::LoadOp>(def);
    if (load ? !isDeviceBuffer(load.getMemRef()) : !isScalarCompute(def))
      continue;
    slice.insert(def);
    llvm::append_range(work, def->getOperands());
  }
  SmallVector<Operation *> ordered(slice.begin(), slice.end());
  llvm::sort(ordered, [](Operation *a, Operation *b) {
    return a->isBeforeInBlock(b);
  });

  // Arguments: what the slice and the store use from outside the slice.
  llvm::SetVector<Value> args;
  auto collect = [&](Operation *op) {
    for (Value operand : op->getOperands()) {
      Operation *def = operand.getDefiningOp();
      if (!def || !slice.contains(def))
        args.insert(operand);
    }
  };
  for (Operation *op : ordered)
    collect(op);
  for (memref::StoreOp each : stores)
    collect(each);

  // The kernel runs as early as its inputs allow, just after the last op
  // of the slice or the last argument defined in this block: the loads
  // then read what they read on the host.
  Operation *last = ordered.empty() ? nullptr : ordered.back();
  for (Value value : args) {
    Operation *def = value.getDefiningOp();
    if (def && def->getBlock() == block &&
        (!last || last->isBeforeInBlock(def)))
      last = def;
  }
  Operation *at = last ? last->getNextNode() : &block->front();
  // Nothing between there and a store may use the buffer it writes.
  llvm::SmallPtrSet<Operation *, 4> group;
  for (memref::StoreOp each : stores)
    group.insert(each);
  for (memref::StoreOp each : stores) {
    Value target = each.getMemRef();
    for (Operation *it = at; it != each.getOperation();
         it = it->getNextNode())
      if (!slice.contains(it) && !group.contains(it) && touches(it, target)) {
        InFlightDiagnostic diag = each.emitOpError("cannot move to the GPU: '")
                                  << it->getName()
                                  << "' uses the buffer it writes before it";
        diag.attachNote(it->getLoc()) << "this op";
        return diag;
      }
  }
  // Nothing between a load and there may write what the load read; a
  // dealloc of it moves after the kernel.
  SmallVector<Operation *> deallocs;
  for (Operation *op : ordered) {
    auto load = llvm::dyn_cast<memref::LoadOp>(op);
    if (!load)
      continue;
    Value root = load.getMemRef();
    for (Operation *it = load->getNextNode(); it != at;
         it = it->getNextNode()) {
      if (slice.contains(it) || !touches(it, root) ||
          llvm::isa<memref::LoadOp>(it))
        continue;
      if (llvm::isa<memref::DeallocOp>(it)) {
        deallocs.push_back(it);
        continue;
      }
      InFlightDiagnostic diag =
          store.emitOpError(
              "cannot move to the GPU: a value it stores is read before '")
          << it->getName() << "' may write the buffer";
      diag.attachNote(it->getLoc()) << "this op";
      return diag;
    }
  }

  IRMapping map;
  SmallVector<Value> passed;
  gpu::GPUFuncOp kernel =
      createKernel(store, args.getArrayRef(), 1, map, passed);
  OpBuilder b = OpBuilder::atBlockEnd(&kernel.front());
  for (Operation *op : ordered)
    b.clone(*op, map);
  for (memref::StoreOp each : stores)
    b.clone(*each, map);
  gpu::ReturnOp::create(b, store.getLoc());

  OpBuilder host(block, Block::iterator(at));
  Value one = arith::ConstantIndexOp::create(host, store.getLoc(), 1);
  auto launch = gpu::LaunchFuncOp::create(
      host, store.getLoc(), kernel, gpu::KernelDim3{one, one, one},
      gpu::KernelDim3{one, one, one}, Value(), passed);
  for (Operation *dealloc : deallocs)
    dealloc->moveAfter(launch);
  for (memref::StoreOp each : stores)
    each.erase();
  // What only the stores needed is dead on the host now.
  for (Operation *op : llvm::reverse(ordered))
    if (op->use_empty())
      op->erase();
  return success();
}

void ConvertLinalgToGPUPass::runOnOperation() {
  ModuleOp module = getOperation();
  MLIRContext *ctx = &getContext();
  IRRewriter rewriter(ctx);
  auto onHost = [](Operation *op) {
    return !op->getParentOfType<gpu::GPUModuleOp>();
  };

  // Copies and named ops become linalg.generic.
  SmallVector<memref::CopyOp> copies;
  module.walk([&](memref::CopyOp op) {
    if (onHost(op))
      copies.push_back(op);
  });
  for (memref::CopyOp copy : copies) {
    rewriter.setInsertionPoint(copy);
    linalg::CopyOp::create(rewriter, copy.getLoc(), copy.getSource(),
                           copy.getTarget());
    rewriter.eraseOp(copy);
  }
  SmallVector<linalg::LinalgOp> named;
  module.walk([&](linalg::LinalgOp op) {
    if (!llvm::isa<linalg::GenericOp>(op) && onHost(op))
      named.push_back(op);
  });
  for (linalg::LinalgOp op : named) {
    rewriter.setInsertionPoint(op);
    if (failed(linalg::generalizeNamedOp(rewriter, op))) {
      op.emitOpError("has no GPU lowering (cannot be generalized)");
      return signalPassFailure();
    }
  }

  KernelBuilder builder(module, blockSize, reduceBlockSize);
  SmallVector<linalg::GenericOp> generics;
  module.walk([&](linalg::GenericOp op) {
    if (onHost(op))
      generics.push_back(op);
  });
  for (linalg::GenericOp op : generics) {
    if (!op.hasPureBufferSemantics()) {
      op.emitOpError("must be on buffers before convert-linalg-to-gpu");
      return signalPassFailure();
    }
    if (failed(builder.outline(op)))
      return signalPassFailure();
  }

  // Host stores, grouped into runs with only loads and scalar arithmetic
  // between them: one kernel per run.
  SmallVector<SmallVector<memref::StoreOp>> runs;
  module.walk([&](memref::StoreOp op) {
    if (!onHost(op) || !isDeviceBuffer(op.getMemRef()))
      return;
    if (!runs.empty()) {
      memref::StoreOp prev = runs.back().back();
      bool adjacent = prev->getBlock() == op->getBlock();
      for (Operation *it = prev->getNextNode(); adjacent && it != op;
           it = it->getNextNode())
        adjacent = llvm::isa<memref::LoadOp>(it) || isScalarCompute(it);
      if (adjacent) {
        runs.back().push_back(op);
        return;
      }
    }
    runs.push_back({op});
  });
  for (ArrayRef<memref::StoreOp> run : runs)
    if (failed(builder.sinkStores(run)))
      return signalPassFailure();

  WalkResult leftover = module.walk([&](memref::LoadOp load) {
    if (!onHost(load) || load.use_empty() || !isDeviceBuffer(load.getMemRef()))
      return WalkResult::advance();
    load.emitOpError("reads device memory on the host (its value is used by '")
        << (*load->getUsers().begin())->getName() << "')";
    return WalkResult::interrupt();
  });
  if (leftover.wasInterrupted())
    return signalPassFailure();
}
