//===- FoldCopies.cpp - the gps-fold-copies pass --------------------------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// After bufferization a value computed into a fresh buffer and then copied
// into its place (a tape slot, a slice of the gradient) is computed in its
// place instead: the copy, and on the GPU its kernel, go away.
//
//===----------------------------------------------------------------------===//

#include "gps/Dialect/GPS/GPSDialect.h"
#include "gps/Dialect/GPS/GPSPasses.h"
#include "gps/Transforms/BufferAliases.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace gps {
#define GEN_PASS_DEF_FOLDCOPIESPASS
#include "gps/Dialect/GPS/GPSPasses.h.inc"
} // namespace gps

using namespace mlir;
using gps::mayAlias;
using gps::mayOverlap;
using gps::rootOf;
using gps::sgemmCall;
using gps::staticSpan;

namespace {
struct FoldCopiesPass : public gps::impl::FoldCopiesPassBase<FoldCopiesPass> {
  void runOnOperation() override;
};
} // namespace

/// True when `cast` passes its buffer to the runtime's sgemm calls only,
/// as the fully strided type they take (so that a view of any layout may
/// stand in), all of them in its block before `before`.
static bool onlyToSgemm(memref::CastOp cast, Operation *before) {
  auto type = llvm::dyn_cast<MemRefType>(cast.getType());
  auto layout =
      type ? llvm::dyn_cast<StridedLayoutAttr>(type.getLayout()) : nullptr;
  if (!layout || !ShapedType::isDynamic(layout.getOffset()) ||
      !llvm::all_of(layout.getStrides(), ShapedType::isDynamic))
    return false;
  return llvm::all_of(cast->getUsers(), [&](Operation *user) {
    return sgemmCall(user) && user->getBlock() == before->getBlock() &&
           user->isBeforeInBlock(before);
  });
}

/// True when `use`, before `copy`, accesses the buffer in place, element by
/// element, so that any other buffer of its type and shape could stand in
/// for it: an operand of a linalg op, of a load or store, of a copy, or of
/// the runtime's sgemm (through a cast).
static bool inPlace(OpOperand &use, Operation *copy) {
  Operation *op = use.getOwner();
  if (auto cast = llvm::dyn_cast<memref::CastOp>(op))
    return onlyToSgemm(cast, copy);
  return llvm::isa<linalg::LinalgOp, memref::LoadOp, memref::StoreOp,
                   memref::CopyOp>(op);
}

/// True when `use` only reads the memory it names: an input of a linalg
/// op, a load, the source of a copy, or through a cast a factor of the
/// runtime's sgemm calls.
static bool onlyReads(OpOperand &use) {
  Operation *op = use.getOwner();
  if (auto linalgOp = llvm::dyn_cast<linalg::LinalgOp>(op))
    return linalgOp.isDpsInput(&use);
  if (llvm::isa<memref::LoadOp>(op))
    return true;
  if (auto copy = llvm::dyn_cast<memref::CopyOp>(op))
    return copy.getSource() == use.get() && copy.getTarget() != use.get();
  auto factor = [](OpOperand &operand) {
    return sgemmCall(operand.getOwner()) &&
           (operand.getOperandNumber() == 3 || operand.getOperandNumber() == 4);
  };
  if (auto cast = llvm::dyn_cast<memref::CastOp>(op))
    return llvm::all_of(cast->getUses(), factor);
  return factor(use);
}

/// True when `use`, after `copy` in its block, only reads the buffer in
/// place: an input of a linalg op, a load, the source of a copy, or, through
/// a cast to the fully strided type, a factor of the runtime's sgemm calls
/// (all in the block, after the copy). The ops that read are added to
/// `readers`.
static bool readsAfter(OpOperand &use, Operation *copy,
                       SmallVectorImpl<Operation *> &readers) {
  Operation *op = use.getOwner();
  if (op->getBlock() != copy->getBlock() || !copy->isBeforeInBlock(op))
    return false;
  readers.push_back(op);
  // The sgemm takes its factors through casts to the fully strided type
  // (onlyToSgemm), never directly.
  if (sgemmCall(op) || !onlyReads(use))
    return false;
  auto cast = llvm::dyn_cast<memref::CastOp>(op);
  if (!cast)
    return true;
  if (!onlyToSgemm(cast, op->getBlock()->getTerminator()))
    return false;
  llvm::append_range(readers, cast->getUsers());
  return true;
}

/// True when an op in (`first`, `last`) of one block, or nested in one, may
/// access the memory of `target` (whose root is `root`): mayOverlap. Views
/// only name memory.
static bool touchedBetween(Operation *first, Operation *last, Value target,
                           Value root) {
  auto touches = [&](Operation *op) {
    return op
        ->walk([&](Operation *inner) {
          if (llvm::isa<ViewLikeOpInterface, memref::DimOp,
                        memref::ExtractStridedMetadataOp>(inner))
            return WalkResult::advance();
          for (Value operand : inner->getOperands())
            if (llvm::isa<BaseMemRefType>(operand.getType()) &&
                mayOverlap(operand, target, root))
              return WalkResult::interrupt();
          return WalkResult::advance();
        })
        .wasInterrupted();
  };
  // The ops nested in `first` (a loop whose steps use the buffer) run in
  // the span too.
  for (Region &region : first->getRegions())
    for (Operation &op : region.getOps())
      if (touches(&op))
        return true;
  for (Operation *op = first->getNextNode(); op && op != last;
       op = op->getNextNode())
    if (touches(op))
      return true;
  return false;
}

/// True when an op in (`first`, `last`) of one block, or nested in one, may
/// write the memory of `target` (whose root is `root`): touchedBetween,
/// except that reads do not count.
static bool writtenBetween(Operation *first, Operation *last, Value target,
                           Value root) {
  for (Operation *op = first->getNextNode(); op && op != last;
       op = op->getNextNode()) {
    WalkResult found = op->walk([&](Operation *inner) {
      if (llvm::isa<ViewLikeOpInterface, memref::DimOp,
                    memref::ExtractStridedMetadataOp>(inner))
        return WalkResult::advance();
      for (OpOperand &operand : inner->getOpOperands())
        if (llvm::isa<BaseMemRefType>(operand.get().getType()) &&
            !onlyReads(operand) && mayOverlap(operand.get(), target, root))
          return WalkResult::interrupt();
      return WalkResult::advance();
    });
    if (found.wasInterrupted())
      return true;
  }
  return false;
}

/// `target`, or a copy of the views that make it, available right before
/// `at`; null when a view's other operands are not. The allocation the
/// views are of moves up to `at` when it is in `at`'s block and its sizes
/// are available there (a concat's buffer, allocated after the values
/// copied into it are computed).
static Value viewBefore(Value target, Operation *at, DominanceInfo &dom) {
  if (dom.properlyDominates(target, at))
    return target;
  SmallVector<Operation *> chain;
  Value value = target;
  while (!dom.properlyDominates(value, at)) {
    Operation *def = value.getDefiningOp();
    if (auto alloc = llvm::dyn_cast_or_null<memref::AllocOp>(def)) {
      if (alloc->getBlock() != at->getBlock() ||
          !llvm::all_of(alloc->getOperands(), [&](Value size) {
            return dom.properlyDominates(size, at);
          }))
        return nullptr;
      alloc->moveBefore(at);
      break;
    }
    auto view = llvm::dyn_cast_or_null<ViewLikeOpInterface>(def);
    if (!view || def->getNumResults() != 1 || def->getNumRegions() != 0)
      return nullptr;
    for (Value operand : def->getOperands())
      if (operand != view.getViewSource() &&
          !dom.properlyDominates(operand, at))
        return nullptr;
    chain.push_back(def);
    value = view.getViewSource();
  }
  OpBuilder b(at);
  IRMapping map;
  for (Operation *def : llvm::reverse(chain))
    b.clone(*def, map);
  return map.lookupOrDefault(target);
}

/// Folds `copy` (of a fresh buffer into its place) when it is safe.
static bool fold(memref::CopyOp copy, DominanceInfo &dom) {
  Value source = copy.getSource(), target = copy.getTarget();
  auto alloc = source.getDefiningOp<memref::AllocOp>();
  if (!alloc || alloc->getBlock() != copy->getBlock())
    return false;
  Block *block = copy->getBlock();
  // Every use of the fresh buffer is in this block. Up to the copy they
  // access it in place; after it they only read it (the value is both kept
  // and copied, a tape slot say), and so may read the target instead.
  // `first` and `last` are the earliest and the latest. A fresh buffer
  // holds nothing before it is written, so the target's old values may
  // stand in for that.
  // A piece of the buffer (a memref.subview of it: a concatenation's
  // columns, written in place before the copy) counts as the buffer: the
  // piece is then taken of the target instead.
  // A use nested in an op of the block before the copy (a gradient
  // accumulated in place by the steps of a loop) counts as that op's, when
  // it accesses the buffer in place.
  Operation *first = copy, *last = copy;
  SmallVector<Operation *> users, nested;
  SmallVector<memref::SubViewOp> pieces;
  for (OpOperand &use : source.getUses()) {
    Operation *user = use.getOwner();
    if (user == copy)
      continue;
    if (user->getBlock() != block) {
      Operation *outer = block->findAncestorOpInBlock(*user);
      if (!outer || !outer->isBeforeInBlock(copy) ||
          !inPlace(use, user->getBlock()->getTerminator()))
        return false;
      users.push_back(outer);
      nested.push_back(user);
      if (llvm::isa<memref::CastOp>(user))
        llvm::append_range(nested, user->getUsers());
      continue;
    }
    if (auto piece = llvm::dyn_cast<memref::SubViewOp>(user)) {
      // Taken again of the target with the same offsets, sizes and
      // strides, a rank-reducing piece would not keep its rank.
      if (!piece->isBeforeInBlock(copy) ||
          piece.getType().getRank() != piece.getSourceType().getRank())
        return false;
      for (OpOperand &pieceUse : piece->getUses()) {
        Operation *pieceUser = pieceUse.getOwner();
        if (pieceUser->getBlock() != block ||
            !pieceUser->isBeforeInBlock(copy) || !inPlace(pieceUse, copy))
          return false;
        users.push_back(pieceUser);
      }
      pieces.push_back(piece);
      users.push_back(piece);
      continue;
    }
    if (copy->isBeforeInBlock(user)) {
      if (!readsAfter(use, copy, users))
        return false;
    } else if (!inPlace(use, copy)) {
      return false;
    }
    users.push_back(user);
  }
  for (Operation *user : users) {
    if (user->isBeforeInBlock(first))
      first = user;
    if (last->isBeforeInBlock(user))
      last = user;
  }
  if (first == copy)
    return false;
  // Up to the copy nothing else may touch the target's memory, which would
  // see the values early or clobber them; after it, up to the last read,
  // nothing may write it (reading it reads the value that was copied).
  // Nor may the other operands of the uses reach it.
  Value root = rootOf(target);
  if (mayAlias(root, source) || touchedBetween(first, copy, target, root) ||
      (last != copy && writtenBetween(copy, last, target, root)))
    return false;
  for (ArrayRef<Operation *> ops : {ArrayRef(users), ArrayRef(nested)})
    for (Operation *user : ops)
      for (Value operand : user->getOperands())
        if (operand != source && llvm::isa<BaseMemRefType>(operand.getType()) &&
            rootOf(operand) != source && mayOverlap(operand, target, root))
          return false;
  Value place = viewBefore(target, first, dom);
  if (!place)
    return false;
  // The pieces, of the target now: their layouts change, which the uses
  // in place take (linalg ops, loads, stores, copies, and casts to the
  // fully strided type of the runtime's sgemm).
  for (memref::SubViewOp piece : pieces) {
    OpBuilder b(piece);
    Value moved = memref::SubViewOp::create(
        b, piece.getLoc(), place, piece.getMixedOffsets(),
        piece.getMixedSizes(), piece.getMixedStrides());
    piece.getResult().replaceAllUsesWith(moved);
    piece.erase();
  }
  source.replaceAllUsesExcept(place, copy);
  copy.erase();
  alloc.erase();
  return true;
}

/// The fill that gives `buffer` (an allocation) its only contents: one
/// linalg.fill of a constant, every other use reading it and none through
/// a view. Null otherwise.
static linalg::FillOp onlyFill(Value buffer) {
  if (!buffer.getDefiningOp<memref::AllocOp>())
    return nullptr;
  linalg::FillOp fill;
  for (OpOperand &use : buffer.getUses()) {
    Operation *user = use.getOwner();
    if (auto f = llvm::dyn_cast<linalg::FillOp>(user)) {
      if (fill || !matchPattern(f.getInputs()[0], m_Constant()))
        return nullptr;
      fill = f;
      continue;
    }
    bool reads = false;
    if (auto generic = llvm::dyn_cast<linalg::GenericOp>(user))
      reads = generic.isDpsInput(&use);
    else if (auto copy = llvm::dyn_cast<memref::CopyOp>(user))
      reads = copy.getSource() == buffer && copy.getTarget() != buffer;
    else
      reads = llvm::isa<memref::LoadOp>(user);
    if (!reads)
      return nullptr;
  }
  return fill;
}

/// A copy of a buffer that only holds a fill's constant (a zero shared by
/// the accumulators it initialises) becomes that fill of the target: the
/// same values, written without reading any.
static bool copyToFill(memref::CopyOp copy, DominanceInfo &dom) {
  linalg::FillOp fill = onlyFill(copy.getSource());
  if (!fill || !dom.properlyDominates(fill.getOperation(), copy))
    return false;
  OpBuilder b(copy);
  linalg::FillOp::create(b, copy.getLoc(), fill.getInputs()[0],
                         copy.getTarget());
  copy.erase();
  return true;
}

/// A zero fill whose buffer the runtime's sgemm next accumulates onto
/// (beta = 1: a gradient's first contribution), nothing else touching it in
/// between and neither factor reaching it: the sgemm overwrites the buffer
/// instead (beta = 0) and the fill goes. The numbers are the same but for
/// the sign of a zero (x + 0 makes -0 into +0).
static bool foldFillIntoProduct(linalg::FillOp fill) {
  if (!fill.hasPureBufferSemantics() ||
      !matchPattern(fill.getInputs()[0], m_AnyZeroFloat()))
    return false;
  Value target = fill.getOutputs()[0];
  func::CallOp product;
  for (Operation *user : target.getUsers()) {
    auto cast = llvm::dyn_cast<memref::CastOp>(user);
    if (!cast)
      continue;
    for (OpOperand &use : cast->getUses()) {
      func::CallOp call = sgemmCall(use.getOwner());
      if (!call || use.getOperandNumber() != 6 ||
          call->getBlock() != fill->getBlock() || !fill->isBeforeInBlock(call))
        continue;
      if (!product || call->isBeforeInBlock(product))
        product = call;
    }
  }
  if (!product || !matchPattern(product.getOperand(5), m_OneFloat()))
    return false;
  Value root = rootOf(target);
  if (touchedBetween(fill, product, target, root) ||
      mayOverlap(product.getOperand(3), target, root) ||
      mayOverlap(product.getOperand(4), target, root))
    return false;
  OpBuilder b(product);
  Value zero = arith::ConstantOp::create(
      b, product.getLoc(), b.getZeroAttr(product.getOperand(5).getType()));
  product->setOperand(5, zero);
  fill.erase();
  return true;
}

/// Fills of one constant, run one after the other (nothing between them
/// but ops without memory effects), of contiguous views of one buffer
/// whose spans (staticSpan) adjoin, become one fill of the span they make:
/// the zeroed gradients of the parameters, slices of one vector, in one
/// kernel instead of one each.
static void mergeFills(Block &block) {
  // The span of a fill's target, when the target's elements are all of it.
  auto contiguousSpan =
      [](linalg::FillOp fill) -> std::optional<std::pair<int64_t, int64_t>> {
    if (!fill.hasPureBufferSemantics())
      return std::nullopt;
    Value target = fill.getOutputs()[0];
    auto type = llvm::dyn_cast<MemRefType>(target.getType());
    std::optional<std::pair<int64_t, int64_t>> span = staticSpan(target);
    if (!type || !span || type.getNumElements() != span->second - span->first)
      return std::nullopt;
    return span;
  };
  SmallVector<linalg::FillOp> run;
  auto flush = [&] {
    // Fills grouped by buffer and value, then by adjoining spans.
    llvm::sort(run, [&](linalg::FillOp a, linalg::FillOp b) {
      return contiguousSpan(a)->first < contiguousSpan(b)->first;
    });
    llvm::SmallPtrSet<Operation *, 8> merged;
    for (unsigned i = 0; i < run.size(); ++i) {
      if (merged.count(run[i]))
        continue;
      Value root = rootOf(run[i].getOutputs()[0]);
      Attribute value;
      matchPattern(run[i].getInputs()[0], m_Constant(&value));
      auto [begin, end] = *contiguousSpan(run[i]);
      SmallVector<linalg::FillOp> group{run[i]};
      for (unsigned j = i + 1; j < run.size(); ++j) {
        Attribute other;
        auto span = *contiguousSpan(run[j]);
        if (merged.count(run[j]) || rootOf(run[j].getOutputs()[0]) != root ||
            !matchPattern(run[j].getInputs()[0], m_Constant(&other)) ||
            other != value || span.first != end)
          continue;
        end = span.second;
        group.push_back(run[j]);
      }
      if (group.size() < 2)
        continue;
      // The merged fill writes its span where the group's first fill was:
      // no other fill of the run (which writes in between) may reach it.
      auto reaches = [&](linalg::FillOp fill) {
        if (llvm::is_contained(group, fill))
          return false;
        Value other = rootOf(fill.getOutputs()[0]);
        if (other != root)
          return mayAlias(other, root);
        auto span = *contiguousSpan(fill);
        return span.first < end && begin < span.second;
      };
      if (llvm::any_of(run, reaches))
        continue;
      // At the first fill of the group in the block, which the root and
      // the value dominate (they are operands of it).
      linalg::FillOp at = group.front();
      for (linalg::FillOp fill : group)
        if (fill->isBeforeInBlock(at))
          at = fill;
      OpBuilder b(at);
      auto rootType = llvm::cast<MemRefType>(root.getType());
      auto type =
          MemRefType::get({end - begin}, rootType.getElementType(),
                          StridedLayoutAttr::get(b.getContext(), begin, {1}),
                          rootType.getMemorySpace());
      Value whole = memref::ReinterpretCastOp::create(
          b, at.getLoc(), type, root, begin, {end - begin}, {1});
      linalg::FillOp::create(b, at.getLoc(), at.getInputs()[0], whole);
      for (linalg::FillOp fill : group)
        merged.insert(fill);
    }
    // Erased once the run is done: the checks of the later groups read
    // the merged fills' spans.
    for (linalg::FillOp fill : run)
      if (merged.count(fill))
        fill.erase();
    run.clear();
  };
  for (Operation &op : llvm::make_early_inc_range(block)) {
    if (auto fill = llvm::dyn_cast<linalg::FillOp>(op)) {
      if (contiguousSpan(fill) &&
          matchPattern(fill.getInputs()[0], m_Constant())) {
        run.push_back(fill);
        continue;
      }
    } else if (isMemoryEffectFree(&op) && op.getNumRegions() == 0) {
      continue;
    }
    flush();
  }
  flush();
}

/// Erases an allocation that is only ever filled/// Erases an allocation that
/// is only ever filled (its copies became fills of their targets, copyToFill):
/// nothing reads what the fills write.
static void eraseIfOnlyFilled(memref::AllocOp alloc) {
  if (!llvm::all_of(alloc->getUsers(), [&](Operation *user) {
        auto fill = llvm::dyn_cast<linalg::FillOp>(user);
        return fill && fill.hasPureBufferSemantics() &&
               fill.getOutputs()[0] == alloc.getResult();
      }))
    return;
  for (Operation *user : llvm::make_early_inc_range(alloc->getUsers()))
    user->erase();
  alloc.erase();
}

void FoldCopiesPass::runOnOperation() {
  DominanceInfo dom(getOperation());
  SmallVector<memref::CopyOp> copies;
  getOperation().walk([&](memref::CopyOp copy) { copies.push_back(copy); });
  for (memref::CopyOp copy : copies)
    copyToFill(copy, dom);
  SmallVector<memref::AllocOp> allocs;
  getOperation().walk([&](memref::AllocOp alloc) { allocs.push_back(alloc); });
  for (memref::AllocOp alloc : allocs)
    eraseIfOnlyFilled(alloc);
  copies.clear();
  getOperation().walk([&](memref::CopyOp copy) { copies.push_back(copy); });
  for (memref::CopyOp copy : copies)
    fold(copy, dom);
  SmallVector<linalg::FillOp> fills;
  getOperation().walk([&](linalg::FillOp fill) { fills.push_back(fill); });
  for (linalg::FillOp fill : fills)
    foldFillIntoProduct(fill);
  SmallVector<Block *> blocks;
  getOperation().walk([&](Block *block) { blocks.push_back(block); });
  for (Block *block : blocks)
    mergeFills(*block);
}
