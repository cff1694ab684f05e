//===- BufferAliases.cpp - which buffers may share memory -----------------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//

#include "gps/Transforms/BufferAliases.h"

#include "gps/Dialect/GPS/GPSDialect.h"
#include "gps/Runtime/Contract.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

using namespace mlir;
using gps::rootOf;

Value gps::rootOf(Value value) {
  while (auto view = value.getDefiningOp<ViewLikeOpInterface>())
    value = view.getViewSource();
  return value;
}

/// True when `root` (an allocation or an argument of the function) or a
/// view of it is only accessed in place: never carried by a loop or a
/// branch, passed to a call that returns a buffer, or returned, so that no
/// block argument inside the function can be it. (The runtime's sgemm,
/// which returns nothing, may take it.)
static bool staysPut(Value root) {
  SmallVector<Value> work{root};
  while (!work.empty()) {
    Value value = work.pop_back_val();
    for (OpOperand &use : value.getUses()) {
      Operation *user = use.getOwner();
      if (auto view = llvm::dyn_cast<ViewLikeOpInterface>(user)) {
        if (view.getViewSource() == value)
          for (Value result : user->getResults())
            work.push_back(result);
        continue;
      }
      // A linalg op's region sees elements, not the buffer.
      if (llvm::isa<linalg::LinalgOp>(user))
        continue;
      auto returnsBuffer = [](Operation *call) {
        return llvm::any_of(call->getResultTypes(), [](Type type) {
          return llvm::isa<BaseMemRefType>(type);
        });
      };
      // Anything else that gives a buffer back (a call, an arith.select of
      // two buffers) may give this one.
      if (user->hasTrait<OpTrait::IsTerminator>() ||
          user->getNumRegions() != 0 || returnsBuffer(user))
        return false;
    }
  }
  return true;
}

bool gps::mayAlias(Value a, Value b) {
  if (a == b)
    return true;
  // The function `v` is an argument of, or null.
  auto argumentOf = [](Value v) {
    auto arg = llvm::dyn_cast<BlockArgument>(v);
    return arg ? llvm::dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp())
               : func::FuncOp();
  };
  auto argument = [&](Value v) { return bool(argumentOf(v)); };
  auto entryArgument = [&](Value v) {
    func::FuncOp fn = argumentOf(v);
    return fn && fn->hasAttr(gps::GPSDialect::BatchArgAttrHelper::getNameStr());
  };
  if (entryArgument(a) && entryArgument(b))
    return false;
  auto fresh = [](Value v) { return bool(v.getDefiningOp<memref::AllocOp>()); };
  if ((fresh(a) && (fresh(b) || argument(b))) || (fresh(b) && argument(a)))
    return false;
  auto loopCarried = [&](Value v) {
    return llvm::isa<BlockArgument>(v) && !argument(v);
  };
  if ((fresh(a) || argument(a)) && loopCarried(b))
    return !staysPut(a);
  if ((fresh(b) || argument(b)) && loopCarried(a))
    return !staysPut(b);
  return true;
}

std::optional<std::pair<int64_t, int64_t>> gps::staticSpan(Value view) {
  // A cast changes the type, not the memory: its source's type may say.
  while (auto cast = view.getDefiningOp<memref::CastOp>())
    view = cast.getSource();
  auto rootType = llvm::dyn_cast<MemRefType>(rootOf(view).getType());
  auto type = llvm::dyn_cast<MemRefType>(view.getType());
  if (!rootType || !rootType.getLayout().isIdentity() || !type ||
      !type.hasStaticShape())
    return std::nullopt;
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)) ||
      ShapedType::isDynamic(offset) ||
      llvm::any_of(strides, ShapedType::isDynamic))
    return std::nullopt;
  int64_t last = offset;
  for (auto [size, stride] : llvm::zip(type.getShape(), strides)) {
    if (size == 0)
      return std::pair<int64_t, int64_t>{offset, offset};
    if (stride < 0)
      return std::nullopt;
    last += (size - 1) * stride;
  }
  return std::pair<int64_t, int64_t>{offset, last + 1};
}

/// `value` as `base + constant`, through arith.addi and arith.subi of
/// constants (base null for a constant): the slots t and t + 1 of a tape.
static std::pair<Value, int64_t> baseAndOffset(Value value) {
  int64_t offset = 0;
  while (true) {
    if (std::optional<int64_t> c = getConstantIntValue(value))
      return {Value(), offset + *c};
    if (auto add = value.getDefiningOp<arith::AddIOp>()) {
      if (std::optional<int64_t> c = getConstantIntValue(add.getRhs())) {
        offset += *c;
        value = add.getLhs();
        continue;
      }
      if (std::optional<int64_t> c = getConstantIntValue(add.getLhs())) {
        offset += *c;
        value = add.getRhs();
        continue;
      }
    }
    if (auto sub = value.getDefiningOp<arith::SubIOp>())
      if (std::optional<int64_t> c = getConstantIntValue(sub.getRhs())) {
        offset -= *c;
        value = sub.getLhs();
        continue;
      }
    return {value, offset};
  }
}

/// True when `a` and `b` (through casts) are memref.subviews of one buffer
/// of identity layout whose index ranges are apart in some dimension where
/// both sizes and strides are static and the offsets differ by a constant:
/// the columns [0, 250) and [750, 1000) of a batch of any size, or the
/// slots t and t + 1 of a tape. No element of one is then an element of
/// the other.
static bool disjointSubviews(Value a, Value b) {
  auto subview = [](Value v) {
    while (auto cast = v.getDefiningOp<memref::CastOp>())
      v = cast.getSource();
    return v.getDefiningOp<memref::SubViewOp>();
  };
  memref::SubViewOp x = subview(a), y = subview(b);
  if (!x || !y || x.getSource() != y.getSource() ||
      !x.getSourceType().getLayout().isIdentity())
    return false;
  // The offset of `view` in dimension `d` as base + constant, and the
  // static distance from its first index there to its last.
  auto range =
      [](memref::SubViewOp view,
         unsigned d) -> std::optional<std::tuple<Value, int64_t, int64_t>> {
    std::optional<int64_t> size = getConstantIntValue(view.getMixedSizes()[d]);
    std::optional<int64_t> stride =
        getConstantIntValue(view.getMixedStrides()[d]);
    if (!size || !stride || *size <= 0 || *stride <= 0)
      return std::nullopt;
    OpFoldResult offset = view.getMixedOffsets()[d];
    auto [base, first] =
        llvm::isa<Value>(offset)
            ? baseAndOffset(llvm::cast<Value>(offset))
            : std::pair<Value, int64_t>{Value(), *getConstantIntValue(offset)};
    return std::tuple<Value, int64_t, int64_t>{base, first,
                                               (*size - 1) * *stride};
  };
  for (unsigned d = 0, e = x.getSourceType().getRank(); d < e; ++d) {
    auto p = range(x, d), q = range(y, d);
    if (!p || !q || std::get<0>(*p) != std::get<0>(*q))
      continue;
    int64_t pFirst = std::get<1>(*p), pLast = pFirst + std::get<2>(*p);
    int64_t qFirst = std::get<1>(*q), qLast = qFirst + std::get<2>(*q);
    if (pLast < qFirst || qLast < pFirst)
      return true;
  }
  return false;
}

/// The allocations and function arguments whose memory `value` may name:
/// through views, and through the results and iteration arguments of
/// scf.for (their initial and yielded values: the buffer of a loop's state,
/// such as an adjoint carried by the backward loop). None when another
/// value may stand behind it (the result of a call, say).
static std::optional<SmallVector<Value>> possibleRoots(Value value) {
  SmallVector<Value> roots, work{value};
  llvm::SmallPtrSet<Value, 8> seen;
  while (!work.empty()) {
    Value v = rootOf(work.pop_back_val());
    if (!seen.insert(v).second)
      continue;
    if (v.getDefiningOp<memref::AllocOp>()) {
      roots.push_back(v);
      continue;
    }
    unsigned i;
    scf::ForOp loop;
    if (auto arg = llvm::dyn_cast<BlockArgument>(v)) {
      Operation *owner = arg.getOwner()->getParentOp();
      if (llvm::isa<func::FuncOp>(owner) && arg.getOwner()->isEntryBlock()) {
        roots.push_back(v);
        continue;
      }
      loop = llvm::dyn_cast<scf::ForOp>(owner);
      if (!loop || arg.getArgNumber() == 0)
        return std::nullopt;
      i = arg.getArgNumber() - 1;
    } else {
      loop = v.getDefiningOp<scf::ForOp>();
      if (!loop)
        return std::nullopt;
      i = llvm::cast<OpResult>(v).getResultNumber();
    }
    work.push_back(loop.getInitArgs()[i]);
    work.push_back(loop.getYieldedValues()[i]);
  }
  return roots;
}

bool gps::mayOverlap(Value operand, Value target, Value root) {
  Value other = rootOf(operand);
  if (!mayAlias(other, root))
    return false;
  if (other != root) {
    std::optional<SmallVector<Value>> roots = possibleRoots(other);
    return !roots || llvm::any_of(*roots, [&](Value candidate) {
      return mayAlias(candidate, root);
    });
  }
  if (disjointSubviews(operand, target))
    return false;
  auto a = staticSpan(operand), b = staticSpan(target);
  return !a || !b || (a->first < b->second && b->first < a->second);
}

func::CallOp gps::sgemmCall(Operation *op) {
  auto call = llvm::dyn_cast<func::CallOp>(op);
  StringRef sgemm(gps::rt::contract::kSgemmFn.data(),
                  gps::rt::contract::kSgemmFn.size());
  return call && call.getCallee() == sgemm ? call : func::CallOp();
}
