//===- MemoryReport.cpp - the arena memory of one call, at compile time ---===//
//
// The lowered entry points allocate every buffer with memref.alloc and free
// it with memref.dealloc after its last use; where ownership is decided at
// run time (a buffer carried around a step loop, or one that may alias a
// result), the deallocation pipeline guards the dealloc with a condition,
// computed from ownership flags and, through its dealloc_helper function,
// from comparisons of buffer addresses. None of these depend on the data:
// they are functions of the batch (the leading dimension of the batch
// argument) and of constants. So the arena's accounting of one call is
// computed here by running the memory operations of the IR on abstract
// values: integers (indices, i1 flags, addresses) and buffers, each with
// its size and whether it is live. Loops and conditionals run with their
// concrete bounds and conditions; operations on the data (linalg, BLAS
// calls, copies, loads and stores of floats) are skipped.
//
//===----------------------------------------------------------------------===//

#include "gps/Target/MemoryReport.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Format.h"

#include <map>
#include <optional>

using namespace mlir;

namespace {

/// An abstract value: a known integer (index, iN), a buffer (with the sizes
/// of the memref viewing it, kDynamic where unknown), or unknown.
struct AbstractValue {
  std::optional<int64_t> scalar;
  int buffer = -1;
  SmallVector<int64_t, 4> sizes;
};

struct Buffer {
  uint64_t bytes = 0;
  /// Allocated by the arena (memref.alloc), not an argument, a global or a
  /// stack buffer.
  bool arena = false;
  bool live = true;
  bool tape = false;
};

/// One run of an entry point's memory operations.
class MemoryRun {
public:
  MemoryRun(ModuleOp module, int64_t batch) : module(module), batch(batch) {}

  FailureOr<gps::EntryMemory> run(func::FuncOp entry);

private:
  LogicalResult runRegion(Region &region, ArrayRef<AbstractValue> arguments,
                          SmallVectorImpl<AbstractValue> &yielded);
  LogicalResult runOp(Operation &op);
  LogicalResult runFor(scf::ForOp loop);
  LogicalResult runIf(scf::IfOp branch);
  LogicalResult runCall(func::CallOp call);
  LogicalResult runAlloc(Operation *op, MemRefType type, ValueRange dynamic,
                         std::optional<uint64_t> alignment, bool arena);

  /// Whether running `op` can change the arena or the flags deciding it.
  bool matters(Operation *op);

  AbstractValue get(Value value) {
    auto it = env.find(value);
    return it == env.end() ? AbstractValue() : it->second;
  }
  std::optional<int64_t> scalar(Value value) { return get(value).scalar; }
  void setScalar(Value value, std::optional<int64_t> v) {
    AbstractValue abstract;
    if (v && value.getType().isInteger(1))
      v = *v & 1;
    abstract.scalar = v;
    env[value] = abstract;
  }
  /// A buffer outside the arena (an argument, a global, the stack).
  int externalBuffer() {
    buffers.push_back(Buffer{0, false, true, false});
    return int(buffers.size()) - 1;
  }
  static SmallVector<int64_t, 4> staticSizes(Type type) {
    if (auto memref = dyn_cast<MemRefType>(type))
      return SmallVector<int64_t, 4>(memref.getShape());
    return {};
  }

  ModuleOp module;
  int64_t batch;
  DenseMap<Value, AbstractValue> env;
  std::vector<Buffer> buffers;
  /// Contents of the small index and i1 buffers the deallocation code
  /// fills, by buffer and linear index.
  std::map<std::pair<int, int64_t>, std::optional<int64_t>> contents;
  DenseMap<Operation *, bool> mattersCache;
  llvm::StringMap<int> globals;
  unsigned callDepth = 0;
  uint64_t used = 0, tapeUsed = 0;
  gps::EntryMemory result;
};

} // namespace

bool MemoryRun::matters(Operation *op) {
  auto it = mattersCache.find(op);
  if (it != mattersCache.end())
    return it->second;
  bool found = false;
  op->walk([&](Operation *inner) {
    if (isa<memref::AllocOp, memref::DeallocOp, memref::ReallocOp>(inner))
      found = true;
    else if (auto store = dyn_cast<memref::StoreOp>(inner))
      found |= !isa<FloatType>(store.getMemRefType().getElementType());
    else if (auto call = dyn_cast<func::CallOp>(inner)) {
      auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
      found |= callee && !callee.isDeclaration();
    }
    return found ? WalkResult::interrupt() : WalkResult::advance();
  });
  mattersCache[op] = found;
  return found;
}

FailureOr<gps::EntryMemory> MemoryRun::run(func::FuncOp entry) {
  result = gps::EntryMemory();
  result.entry = entry.getName().str();
  int64_t batchArg = 0;
  if (auto attr = entry->getAttrOfType<IntegerAttr>("gps.batch_arg"))
    batchArg = attr.getInt();
  SmallVector<AbstractValue> arguments;
  for (auto [index, argument] : llvm::enumerate(entry.getArguments())) {
    AbstractValue abstract;
    if (isa<MemRefType>(argument.getType())) {
      abstract.buffer = externalBuffer();
      abstract.sizes = staticSizes(argument.getType());
      if (int64_t(index) == batchArg && !abstract.sizes.empty())
        abstract.sizes[0] = batch;
    }
    arguments.push_back(abstract);
  }
  SmallVector<AbstractValue> returned;
  if (failed(runRegion(entry.getBody(), arguments, returned)))
    return failure();
  for (const Buffer &buffer : buffers)
    result.liveAtReturn += buffer.arena && buffer.live;
  return result;
}

LogicalResult MemoryRun::runRegion(Region &region,
                                   ArrayRef<AbstractValue> arguments,
                                   SmallVectorImpl<AbstractValue> &yielded) {
  if (!region.hasOneBlock())
    return region.getParentOp()->emitError(
        "the memory report needs structured control flow (one block)");
  Block &block = region.front();
  for (auto [argument, value] : llvm::zip(block.getArguments(), arguments))
    env[argument] = value;
  for (Operation &op : block) {
    if (op.hasTrait<OpTrait::IsTerminator>()) {
      yielded.clear();
      for (Value operand : op.getOperands())
        yielded.push_back(get(operand));
      return success();
    }
    if (failed(runOp(op)))
      return failure();
  }
  return success();
}

LogicalResult MemoryRun::runAlloc(Operation *op, MemRefType type,
                                  ValueRange dynamic,
                                  std::optional<uint64_t> alignment,
                                  bool arena) {
  AbstractValue abstract;
  abstract.sizes = staticSizes(type);
  uint64_t elements = 1;
  auto dynamicSize = dynamic.begin();
  for (int64_t &size : abstract.sizes) {
    if (ShapedType::isDynamic(size)) {
      std::optional<int64_t> known = scalar(*dynamicSize++);
      if (!known || *known < 0)
        return op->emitError("the memory report cannot size this buffer at "
                             "batch ")
               << batch << " (a size not computable from the batch)";
      size = *known;
    }
    elements *= uint64_t(size);
  }
  Type element = type.getElementType();
  uint64_t elementBytes =
      element.isIndex() ? 8 : (element.getIntOrFloatBitWidth() + 7) / 8;
  Buffer buffer;
  // The memref lowering asks an aligned allocation for `alignment` more
  // bytes and aligns the pointer itself.
  buffer.bytes = elements * elementBytes + (alignment ? *alignment : 0);
  buffer.arena = arena;
  buffer.tape = type.getRank() >= 3 && !type.isDynamicDim(0) &&
                type.isDynamicDim(1);
  buffers.push_back(buffer);
  abstract.buffer = int(buffers.size()) - 1;
  env[op->getResult(0)] = abstract;
  if (!arena)
    return success();
  ++result.allocations;
  used += buffer.bytes;
  if (buffer.tape)
    tapeUsed += buffer.bytes;
  if (used > result.peakBytes) {
    result.peakBytes = used;
    result.tapeBytesAtPeak = tapeUsed;
  }
  return success();
}

LogicalResult MemoryRun::runFor(scf::ForOp loop) {
  std::optional<int64_t> lb = scalar(loop.getLowerBound());
  std::optional<int64_t> ub = scalar(loop.getUpperBound());
  std::optional<int64_t> step = scalar(loop.getStep());
  SmallVector<AbstractValue> values;
  for (Value init : loop.getInitArgs())
    values.push_back(get(init));
  if (!lb || !ub || !step || *step <= 0) {
    if (matters(loop))
      return loop.emitError("the memory report needs the trip count of this "
                            "loop at batch ")
             << batch;
    for (Value result : loop.getResults())
      env[result] = AbstractValue();
    return success();
  }
  for (int64_t iv = *lb; iv < *ub; iv += *step) {
    SmallVector<AbstractValue> arguments;
    AbstractValue induction;
    induction.scalar = iv;
    arguments.push_back(induction);
    arguments.append(values.begin(), values.end());
    if (failed(runRegion(loop.getRegion(), arguments, values)))
      return failure();
  }
  for (auto [result, value] : llvm::zip(loop.getResults(), values))
    env[result] = value;
  return success();
}

LogicalResult MemoryRun::runIf(scf::IfOp branch) {
  std::optional<int64_t> condition = scalar(branch.getCondition());
  if (!condition) {
    if (matters(branch))
      return branch.emitError("the memory report needs this condition at "
                              "batch ")
             << batch << " (it decides an allocation or a deallocation)";
    for (Value result : branch.getResults())
      env[result] = AbstractValue();
    return success();
  }
  Region &taken = *condition ? branch.getThenRegion() : branch.getElseRegion();
  SmallVector<AbstractValue> values;
  if (!taken.empty() && failed(runRegion(taken, {}, values)))
    return failure();
  for (auto [index, result] : llvm::enumerate(branch.getResults()))
    env[result] = index < values.size() ? values[index] : AbstractValue();
  return success();
}

LogicalResult MemoryRun::runCall(func::CallOp call) {
  auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
  if (!callee || callee.isDeclaration()) {
    // A runtime function (sgemm, the noise): it allocates no arena buffer.
    for (Value result : call.getResults())
      env[result] = AbstractValue();
    return success();
  }
  if (callDepth > 16)
    return call.emitError("the memory report does not follow recursion");
  SmallVector<AbstractValue> arguments, returned;
  for (Value operand : call.getOperands())
    arguments.push_back(get(operand));
  ++callDepth;
  LogicalResult ran = runRegion(callee.getBody(), arguments, returned);
  --callDepth;
  if (failed(ran))
    return failure();
  for (auto [result, value] : llvm::zip(call.getResults(), returned))
    env[result] = value;
  return success();
}

/// The value of a two-operand integer operation, when it has one.
static std::optional<int64_t> fold(Operation &op, int64_t a, int64_t b) {
  if (isa<arith::AddIOp>(op))
    return a + b;
  if (isa<arith::SubIOp>(op))
    return a - b;
  if (isa<arith::MulIOp>(op))
    return a * b;
  if (isa<arith::DivSIOp, arith::DivUIOp, arith::FloorDivSIOp,
          arith::CeilDivSIOp, arith::CeilDivUIOp>(op)) {
    if (b == 0)
      return std::nullopt;
    if (isa<arith::CeilDivSIOp, arith::CeilDivUIOp>(op))
      return (a + b - 1) / b;
    return a / b;
  }
  if (isa<arith::RemSIOp, arith::RemUIOp>(op))
    return b == 0 ? std::nullopt : std::optional<int64_t>(a % b);
  if (isa<arith::AndIOp>(op))
    return a & b;
  if (isa<arith::OrIOp>(op))
    return a | b;
  if (isa<arith::XOrIOp>(op))
    return a ^ b;
  if (isa<arith::MaxSIOp, arith::MaxUIOp>(op))
    return std::max(a, b);
  if (isa<arith::MinSIOp, arith::MinUIOp>(op))
    return std::min(a, b);
  if (auto cmp = dyn_cast<arith::CmpIOp>(op)) {
    auto ua = uint64_t(a), ub = uint64_t(b);
    switch (cmp.getPredicate()) {
    case arith::CmpIPredicate::eq:
      return a == b;
    case arith::CmpIPredicate::ne:
      return a != b;
    case arith::CmpIPredicate::slt:
      return a < b;
    case arith::CmpIPredicate::sle:
      return a <= b;
    case arith::CmpIPredicate::sgt:
      return a > b;
    case arith::CmpIPredicate::sge:
      return a >= b;
    case arith::CmpIPredicate::ult:
      return ua < ub;
    case arith::CmpIPredicate::ule:
      return ua <= ub;
    case arith::CmpIPredicate::ugt:
      return ua > ub;
    case arith::CmpIPredicate::uge:
      return ua >= ub;
    }
  }
  return std::nullopt;
}

LogicalResult MemoryRun::runOp(Operation &op) {
  if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
    std::optional<int64_t> value;
    if (auto integer = dyn_cast<IntegerAttr>(constant.getValue()))
      value = integer.getType().isInteger(1)
                  ? int64_t(integer.getValue().getZExtValue())
                  : integer.getValue().getSExtValue();
    setScalar(constant.getResult(), value);
    return success();
  }
  if (isa<arith::IndexCastOp, arith::IndexCastUIOp, arith::ExtSIOp,
          arith::ExtUIOp, arith::TruncIOp>(op)) {
    setScalar(op.getResult(0), scalar(op.getOperand(0)));
    return success();
  }
  if (auto select = dyn_cast<arith::SelectOp>(op)) {
    std::optional<int64_t> condition = scalar(select.getCondition());
    if (!condition)
      env[select.getResult()] = AbstractValue();
    else
      env[select.getResult()] =
          get(*condition ? select.getTrueValue() : select.getFalseValue());
    return success();
  }
  if (op.getDialect() && isa<arith::ArithDialect>(op.getDialect()) &&
      op.getNumOperands() == 2 && op.getNumResults() == 1) {
    std::optional<int64_t> a = scalar(op.getOperand(0)),
                           b = scalar(op.getOperand(1));
    setScalar(op.getResult(0), a && b ? fold(op, *a, *b) : std::nullopt);
    return success();
  }
  if (auto loop = dyn_cast<scf::ForOp>(op))
    return runFor(loop);
  if (auto branch = dyn_cast<scf::IfOp>(op))
    return runIf(branch);
  if (auto call = dyn_cast<func::CallOp>(op))
    return runCall(call);
  if (auto alloc = dyn_cast<memref::AllocOp>(op))
    return runAlloc(&op, alloc.getType(), alloc.getDynamicSizes(),
                    alloc.getAlignment(), /*arena=*/true);
  if (auto alloca = dyn_cast<memref::AllocaOp>(op))
    return runAlloc(&op, alloca.getType(), alloca.getDynamicSizes(),
                    std::nullopt, /*arena=*/false);
  if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
    int id = get(dealloc.getMemref()).buffer;
    if (id < 0)
      return dealloc.emitError("the memory report cannot tell which buffer "
                               "this frees");
    Buffer &buffer = buffers[id];
    // The arena ignores a pointer it does not hold, as here.
    if (buffer.arena && buffer.live) {
      buffer.live = false;
      used -= buffer.bytes;
      if (buffer.tape)
        tapeUsed -= buffer.bytes;
    }
    return success();
  }
  if (auto global = dyn_cast<memref::GetGlobalOp>(op)) {
    auto [it, inserted] = globals.try_emplace(global.getName(), -1);
    if (inserted)
      it->second = externalBuffer();
    AbstractValue abstract;
    abstract.buffer = it->second;
    abstract.sizes = staticSizes(global.getType());
    env[global.getResult()] = abstract;
    return success();
  }
  if (auto dim = dyn_cast<memref::DimOp>(op)) {
    AbstractValue source = get(dim.getSource());
    std::optional<int64_t> index = scalar(dim.getIndex());
    std::optional<int64_t> size;
    if (index && *index >= 0 && *index < int64_t(source.sizes.size()) &&
        !ShapedType::isDynamic(source.sizes[*index]))
      size = source.sizes[*index];
    setScalar(dim.getResult(), size);
    return success();
  }
  if (auto pointer = dyn_cast<memref::ExtractAlignedPointerAsIndexOp>(op)) {
    // An address: equal for the views of one buffer, distinct otherwise.
    int id = get(pointer.getSource()).buffer;
    setScalar(pointer.getResult(),
              id < 0 ? std::nullopt : std::optional<int64_t>(4096 * (id + 1)));
    return success();
  }
  if (auto metadata = dyn_cast<memref::ExtractStridedMetadataOp>(op)) {
    AbstractValue base;
    base.buffer = get(metadata.getSource()).buffer;
    env[metadata.getBaseBuffer()] = base;
    for (Value result : op.getResults().drop_front())
      env[result] = AbstractValue();
    return success();
  }
  if (auto load = dyn_cast<memref::LoadOp>(op)) {
    AbstractValue source = get(load.getMemref());
    std::optional<int64_t> value;
    if (source.buffer >= 0 && load.getIndices().size() == 1)
      if (std::optional<int64_t> index = scalar(load.getIndices()[0])) {
        auto it = contents.find({source.buffer, *index});
        if (it != contents.end())
          value = it->second;
      }
    setScalar(load.getResult(), value);
    return success();
  }
  if (auto store = dyn_cast<memref::StoreOp>(op)) {
    AbstractValue target = get(store.getMemref());
    if (isa<FloatType>(store.getMemRefType().getElementType()) ||
        target.buffer < 0)
      return success();
    std::optional<int64_t> index;
    if (store.getIndices().size() == 1)
      index = scalar(store.getIndices()[0]);
    if (!index)
      return store.emitError("the memory report cannot tell where this "
                             "stores");
    contents[{target.buffer, *index}] = scalar(store.getValueToStore());
    return success();
  }
  // Views: the buffer of their source, with their own sizes.
  Value source;
  if (auto view = dyn_cast<ViewLikeOpInterface>(op))
    source = view.getViewSource();
  else if (auto cast = dyn_cast<memref::CastOp>(op))
    source = cast.getSource();
  if (source && op.getNumResults() == 1 &&
      isa<MemRefType>(op.getResult(0).getType())) {
    AbstractValue from = get(source);
    AbstractValue view;
    view.buffer = from.buffer;
    view.sizes = staticSizes(op.getResult(0).getType());
    if (auto sized = dyn_cast<OffsetSizeAndStrideOpInterface>(op)) {
      view.sizes.clear();
      for (OpFoldResult size : sized.getMixedSizes()) {
        if (auto attr = dyn_cast<Attribute>(size))
          view.sizes.push_back(cast<IntegerAttr>(attr).getInt());
        else
          view.sizes.push_back(
              scalar(cast<Value>(size)).value_or(ShapedType::kDynamic));
      }
    } else if (isa<memref::CastOp>(op) &&
               from.sizes.size() == view.sizes.size()) {
      for (auto [size, known] : llvm::zip(view.sizes, from.sizes))
        if (ShapedType::isDynamic(size))
          size = known;
    }
    env[op.getResult(0)] = view;
    return success();
  }
  for (Value result : op.getResults())
    if (isa<MemRefType>(result.getType()))
      return op.emitError("the memory report does not know the buffer '")
             << op.getName() << "' returns";
  if (op.getNumRegions() && matters(&op))
    return op.emitError("the memory report does not know how '")
           << op.getName() << "' runs its regions";
  for (Value result : op.getResults())
    env[result] = AbstractValue();
  return success();
}

FailureOr<gps::EntryMemory>
gps::computeEntryMemory(ModuleOp module, StringRef entry, int64_t batch) {
  auto fn = module.lookupSymbol<func::FuncOp>(entry);
  if (!fn || fn.isDeclaration())
    return module.emitError("no entry point '") << entry << "'";
  for (Operation &op : fn.getBody().front())
    if (op.getDialect() && op.getDialect()->getNamespace() == "llvm")
      return module.emitError("the memory report reads memref code "
                              "(--emit=mlir-lowered), not the LLVM dialect");
  MemoryRun run(module, batch);
  return run.run(fn);
}

LogicalResult gps::printMemoryReport(ModuleOp module, int64_t batch,
                                     llvm::raw_ostream &os) {
  os << llvm::format("%-26s %7s %14s %14s %10s %8s\n", "entry", "batch",
                     "peak bytes", "tape bytes", "peak MiB", "allocs");
  for (auto fn : module.getOps<func::FuncOp>()) {
    if (fn.isDeclaration() || fn.isPrivate())
      continue;
    FailureOr<EntryMemory> memory = computeEntryMemory(module, fn.getName(),
                                                       batch);
    if (failed(memory))
      return failure();
    // The optimizer's entries take no batch: "-".
    std::string batchText =
        fn->hasAttr("gps.batch_arg") ? std::to_string(batch) : "-";
    os << llvm::format("%-26s %7s %14llu %14llu %10.2f %8llu\n",
                       memory->entry.c_str(), batchText.c_str(),
                       static_cast<unsigned long long>(memory->peakBytes),
                       static_cast<unsigned long long>(
                           memory->tapeBytesAtPeak),
                       double(memory->peakBytes) / double(1 << 20),
                       static_cast<unsigned long long>(memory->allocations));
  }
  return success();
}
