//===- MergeSiblings.cpp - the gps-merge-siblings pass
//---------------------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// After bufferization, loop nests one after the other over the same
// iteration space that do not touch each other's outputs become one nest:
// on the GPU, one kernel instead of one each.
//
//===----------------------------------------------------------------------===//

#include "gps/Dialect/GPS/GPSPasses.h"
#include "gps/Transforms/BufferAliases.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace gps {
#define GEN_PASS_DEF_MERGESIBLINGSPASS
#include "gps/Dialect/GPS/GPSPasses.h.inc"
} // namespace gps

using namespace mlir;
using gps::mayOverlap;
using gps::rootOf;

namespace {
struct MergeSiblingsPass
    : public gps::impl::MergeSiblingsPassBase<MergeSiblingsPass> {
  void runOnOperation() override;
};
} // namespace

namespace {
/// A loop's size: a constant, a value, or dimension `dim` of a buffer that
/// nothing here sees the making of (an argument).
struct LoopSize {
  std::optional<int64_t> constant;
  Value value;
  int64_t dim = -1;

  bool operator==(const LoopSize &other) const {
    if (constant || other.constant)
      return constant == other.constant;
    return value == other.value && dim == other.dim;
  }
};
} // namespace

/// The size of dimension `d` of the buffer `value`, as its type, view or
/// allocation gives it; none for a rank-reducing view.
static std::optional<LoopSize> dimSize(Value value, unsigned d) {
  auto type = llvm::cast<MemRefType>(value.getType());
  if (!type.isDynamicDim(d))
    return LoopSize{type.getDimSize(d), Value(), -1};
  auto fromMixed = [](OpFoldResult size) {
    if (std::optional<int64_t> constant = getConstantIntValue(size))
      return LoopSize{*constant, Value(), -1};
    // memref.dim of a buffer is that buffer's dimension (the batch size,
    // read off an argument).
    if (auto dim = llvm::cast<Value>(size).getDefiningOp<memref::DimOp>())
      if (std::optional<int64_t> index = dim.getConstantIndex())
        return LoopSize{std::nullopt, dim.getSource(), *index};
    return LoopSize{std::nullopt, llvm::cast<Value>(size), -1};
  };
  while (auto cast = value.getDefiningOp<memref::CastOp>())
    value = cast.getSource();
  if (auto alloc = value.getDefiningOp<memref::AllocOp>())
    return fromMixed(alloc.getMixedSizes()[d]);
  if (auto view = value.getDefiningOp<memref::SubViewOp>()) {
    // A rank-reducing view's dimensions are not its source's.
    if (view.getSourceType().getRank() != type.getRank())
      return std::nullopt;
    return fromMixed(view.getMixedSizes()[d]);
  }
  if (auto view = value.getDefiningOp<memref::ReinterpretCastOp>())
    return fromMixed(view.getMixedSizes()[d]);
  return LoopSize{std::nullopt, value, static_cast<int64_t>(d)};
}

/// The sizes of the loops of `op`, each as the first operand dimension its
/// indexing maps give it says (dimSize), or none.
static std::optional<SmallVector<LoopSize>> loopSizes(linalg::GenericOp op) {
  SmallVector<std::optional<LoopSize>> sizes(op.getNumLoops());
  for (OpOperand &operand : op->getOpOperands()) {
    if (!llvm::isa<MemRefType>(operand.get().getType()))
      continue;
    AffineMap map = op.getMatchingIndexingMap(&operand);
    for (auto [i, expr] : llvm::enumerate(map.getResults()))
      if (auto dim = llvm::dyn_cast<AffineDimExpr>(expr))
        if (!sizes[dim.getPosition()])
          sizes[dim.getPosition()] = dimSize(operand.get(), i);
  }
  SmallVector<LoopSize> result;
  for (std::optional<LoopSize> size : sizes) {
    if (!size)
      return std::nullopt;
    result.push_back(*size);
  }
  return result;
}

/// The most operands a merged op may have.
static constexpr unsigned kMaxOperands = 32;

/// The most generic ops one may sink past to meet its sibling, and the
/// most earlier generics a later one looks back to.
static constexpr unsigned kMaxBetween = 64, kMaxPending = 8;

/// The buffers `op` may read and write, when it is an op whose accesses
/// are known: one without memory effects or regions, an allocation (a
/// buffer no earlier op can name), a linalg op on buffers, a copy, or the
/// runtime's sgemm. False for anything else.
static bool accesses(Operation *op, SmallVectorImpl<Value> &reads,
                     SmallVectorImpl<Value> &writes) {
  if ((isMemoryEffectFree(op) && op->getNumRegions() == 0) ||
      llvm::isa<memref::AllocOp>(op))
    return true;
  auto buffers = [](ValueRange values, SmallVectorImpl<Value> &into) {
    for (Value value : values)
      if (llvm::isa<BaseMemRefType>(value.getType()))
        into.push_back(value);
  };
  if (auto linalgOp = llvm::dyn_cast<linalg::LinalgOp>(op)) {
    // Its body sees elements only (no load or store of a buffer it
    // captures).
    if (!linalgOp.hasPureBufferSemantics() ||
        !llvm::all_of(
            linalgOp.getBlock()->without_terminator(),
            [](Operation &inner) { return isMemoryEffectFree(&inner); }))
      return false;
    buffers(op->getOperands(), reads);
    buffers(linalgOp.getDpsInits(), writes);
    return true;
  }
  if (auto copy = llvm::dyn_cast<memref::CopyOp>(op)) {
    reads.push_back(copy.getSource());
    writes.push_back(copy.getTarget());
    return true;
  }
  if (func::CallOp call = gps::sgemmCall(op);
      call && call.getNumOperands() == 7) {
    buffers(op->getOperands(), reads);
    writes.push_back(call.getOperand(6));
    return true;
  }
  return false;
}

/// True when something `writes` names may be memory that something in
/// `touched` names.
static bool overlap(ArrayRef<Value> writes, ArrayRef<Value> touched) {
  for (Value written : writes)
    for (Value other : touched)
      if (mayOverlap(other, written, rootOf(written)))
        return true;
  return false;
}

/// Merges the siblings of `block` (the pass's description says which).
static void mergeSiblings(Block &block) {
  auto candidate = [](Operation *op) -> linalg::GenericOp {
    auto generic = llvm::dyn_cast<linalg::GenericOp>(op);
    if (!generic || !generic.hasPureBufferSemantics() ||
        generic.getNumParallelLoops() == 0 || !loopSizes(generic))
      return nullptr;
    return generic;
  };
  // The earlier generics a later one may merge with, and what each may
  // not sink past: the buffers the ops after it write and touch.
  struct Pending {
    linalg::GenericOp op;
    SmallVector<Value> reads, writes;
    SmallVector<Value> laterReads, laterWrites;
    unsigned between = 0;
  };
  std::vector<Pending> pending;
  for (Operation &op : llvm::make_early_inc_range(block)) {
    linalg::GenericOp next = candidate(&op);
    SmallVector<Value> reads, writes;
    if (!accesses(&op, reads, writes)) {
      pending.clear();
      continue;
    }
    // The earlier generic this one merges with: the latest of the same
    // loops that it does not touch and that can sink to it, past what is
    // between them.
    linalg::GenericOp first;
    if (next) {
      SmallVector<Value> nextTouched(reads);
      llvm::append_range(nextTouched, writes);
      for (Pending &earlier : llvm::reverse(pending)) {
        SmallVector<Value> touched(earlier.reads);
        llvm::append_range(touched, earlier.writes);
        SmallVector<Value> laterTouched(earlier.laterReads);
        llvm::append_range(laterTouched, earlier.laterWrites);
        linalg::GenericOp candidateOp = earlier.op;
        if (candidateOp.getIteratorTypesArray() !=
                next.getIteratorTypesArray() ||
            candidateOp->getNumOperands() + next->getNumOperands() >
                kMaxOperands ||
            *loopSizes(candidateOp) != *loopSizes(next) ||
            overlap(earlier.writes, nextTouched) || overlap(writes, touched) ||
            overlap(earlier.laterWrites, touched) ||
            overlap(earlier.writes, laterTouched))
          continue;
        first = candidateOp;
        break;
      }
    }
    // What the pending generics would sink past. (The generics between
    // `first` and `next` need not add `first`'s accesses, which now come
    // after them: it sank past them, so it touches nothing they write, nor
    // they anything it writes.)
    for (Pending &earlier : pending) {
      llvm::append_range(earlier.laterReads, reads);
      llvm::append_range(earlier.laterWrites, writes);
      if (llvm::isa<linalg::LinalgOp>(op) ||
          llvm::isa<func::CallOp, memref::CopyOp>(op))
        ++earlier.between;
    }
    llvm::erase_if(pending, [&](const Pending &earlier) {
      return earlier.op == first || earlier.between > kMaxBetween;
    });
    if (!next)
      continue;
    if (!first) {
      pending.push_back({next, reads, writes, {}, {}, 0});
      if (pending.size() > kMaxPending)
        pending.erase(pending.begin());
      continue;
    }
    // Where `next` is: every operand of both is defined by then.
    OpBuilder builder(next);
    SmallVector<Value> inputs(first.getDpsInputs());
    llvm::append_range(inputs, next.getDpsInputs());
    SmallVector<Value> outputs(first.getDpsInits());
    llvm::append_range(outputs, next.getDpsInits());
    SmallVector<AffineMap> maps;
    for (linalg::GenericOp each : {first, next})
      for (OpOperand *input : each.getDpsInputOperands())
        maps.push_back(each.getMatchingIndexingMap(input));
    for (linalg::GenericOp each : {first, next})
      for (OpOperand &init : each.getDpsInitsMutable())
        maps.push_back(each.getMatchingIndexingMap(&init));
    Location loc = builder.getFusedLoc({first.getLoc(), next.getLoc()});
    auto merged =
        linalg::GenericOp::create(builder, loc, TypeRange(), inputs, outputs,
                                  maps, first.getIteratorTypesArray());
    // The block's arguments in the operands' order: both ops' inputs,
    // then both ops' outputs.
    Block *body = builder.createBlock(&merged.getRegion());
    DenseMap<Operation *, SmallVector<Value>> inputArgs, initArgs;
    auto addArgs = [&](linalg::GenericOp each, bool inits) {
      Block &old = each.getRegion().front();
      unsigned begin = inits ? each.getNumDpsInputs() : 0;
      unsigned end = inits ? old.getNumArguments() : each.getNumDpsInputs();
      for (unsigned i = begin; i < end; ++i)
        (inits ? initArgs : inputArgs)[each].push_back(body->addArgument(
            old.getArgument(i).getType(), old.getArgument(i).getLoc()));
    };
    addArgs(first, false);
    addArgs(next, false);
    addArgs(first, true);
    addArgs(next, true);
    builder.setInsertionPointToStart(body);
    SmallVector<Value> yielded;
    for (linalg::GenericOp each : {first, next}) {
      IRMapping map;
      Block &old = each.getRegion().front();
      SmallVector<Value> args(inputArgs[each]);
      llvm::append_range(args, initArgs[each]);
      for (auto [from, to] : llvm::zip_equal(old.getArguments(), args))
        map.map(from, to);
      for (Operation &inner : old.without_terminator())
        builder.clone(inner, map);
      for (Value value :
           llvm::cast<linalg::YieldOp>(old.getTerminator()).getValues())
        yielded.push_back(map.lookupOrDefault(value));
    }
    linalg::YieldOp::create(builder, loc, yielded);
    first.erase();
    next.erase();
    SmallVector<Value> mergedReads, mergedWrites;
    accesses(merged, mergedReads, mergedWrites);
    pending.push_back({merged, mergedReads, mergedWrites, {}, {}, 0});
    if (pending.size() > kMaxPending)
      pending.erase(pending.begin());
  }
}

void MergeSiblingsPass::runOnOperation() {
  SmallVector<Block *> blocks;
  getOperation().walk([&](Block *block) { blocks.push_back(block); });
  for (Block *block : blocks)
    mergeSiblings(*block);
}
