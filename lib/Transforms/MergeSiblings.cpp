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

/// Merges the siblings of `block` (the pass's description says which).
static void mergeSiblings(Block &block) {
  auto candidate = [](Operation *op) -> linalg::GenericOp {
    auto generic = llvm::dyn_cast<linalg::GenericOp>(op);
    if (!generic || !generic.hasPureBufferSemantics() ||
        generic.getNumParallelLoops() == 0 || !loopSizes(generic))
      return nullptr;
    return generic;
  };
  // True when a buffer operand of `reader` may reach an output of
  // `writer`.
  auto conflicts = [](linalg::GenericOp writer, linalg::GenericOp reader) {
    for (Value out : writer.getDpsInits())
      for (Value operand : reader->getOperands())
        if (llvm::isa<BaseMemRefType>(operand.getType()) &&
            mayOverlap(operand, out, rootOf(out)))
          return true;
    return false;
  };
  linalg::GenericOp previous;
  for (Operation &op : llvm::make_early_inc_range(block)) {
    linalg::GenericOp next = candidate(&op);
    if (!next) {
      if (!isMemoryEffectFree(&op) || op.getNumRegions() != 0)
        previous = nullptr;
      continue;
    }
    linalg::GenericOp first = previous;
    previous = next;
    // A bound on what one kernel takes: its arguments and registers grow
    // with each merge.
    if (!first ||
        first.getIteratorTypesArray() != next.getIteratorTypesArray() ||
        first->getNumOperands() + next->getNumOperands() > kMaxOperands)
      continue;
    if (*loopSizes(first) != *loopSizes(next))
      continue;
    if (conflicts(first, next) || conflicts(next, first))
      continue;
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
    previous = merged;
  }
}

void MergeSiblingsPass::runOnOperation() {
  SmallVector<Block *> blocks;
  getOperation().walk([&](Block *block) { blocks.push_back(block); });
  for (Block *block : blocks)
    mergeSiblings(*block);
}
