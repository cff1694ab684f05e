//===- GPSCanonicalize.cpp - sums of padded pieces ------------------------===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// Canonicalization patterns of the gps math ops. Reverse mode sums the
// adjoints of a value's uses, and the adjoint of a gps.slice is its gradient
// padded with zeros (a gps.concat with gps.zeros pieces). A value read in
// pieces (an LSTM's gate pre-activations, a Gaussian's mean and scale) thus
// gets a sum of padded pieces as its gradient: every addition but the
// non-zero parts is work on zeros, and each padded piece is one more buffer
// filled and copied. These patterns add only the parts that are not zeros
// and assemble the pieces once. A parameter matrix read by rows (gps.row)
// gets gps.put_rows the same way.
//
// x + 0 is x for every x but -0, whose sum with +0 is +0: the rewritten
// program can differ from the written one only in the sign of a zero.
//
//===----------------------------------------------------------------------===//

#include "gps/Dialect/GPS/GPSOps.h"

#include "mlir/IR/PatternMatch.h"

#include <map>

using namespace mlir;
using namespace gps;

/// True when `v` is known to be zeros.
static bool isZeros(Value v) { return v.getDefiningOp<ZerosOp>() != nullptr; }

namespace {

/// `size` features of a batch tensor along the feature axis: `value`, or
/// zeros where `value` is null.
struct Piece {
  int64_t size;
  Value value;
};

/// The pieces of `v`: a gps.concat's inputs, else `v` whole.
SmallVector<Piece> piecesOf(Value v) {
  SmallVector<Piece> pieces;
  auto concat = v.getDefiningOp<ConcatOp>();
  ValueRange parts = concat ? concat.getInputs() : ValueRange(v);
  for (Value part : parts)
    pieces.push_back(
        {getFeatureSize(part.getType()), isZeros(part) ? Value() : part});
  return pieces;
}

/// The offsets at which `pieces` start, and their end.
SmallVector<int64_t> boundariesOf(ArrayRef<Piece> pieces) {
  SmallVector<int64_t> cuts{0};
  for (const Piece &piece : pieces)
    cuts.push_back(cuts.back() + piece.size);
  return cuts;
}

/// Builds a gps.concat of `pieces`, zero pieces next to each other merged
/// into one; a single piece is itself.
Value assemble(PatternRewriter &rewriter, Location loc, Type type,
               ArrayRef<Piece> pieces) {
  SmallVector<Value> parts;
  int64_t zeros = 0;
  auto flushZeros = [&] {
    if (zeros == 0)
      return;
    parts.push_back(ZerosOp::create(
        rewriter, loc, getBatchTensorType(rewriter.getContext(), zeros)));
    zeros = 0;
  };
  for (const Piece &piece : pieces) {
    if (!piece.value) {
      zeros += piece.size;
      continue;
    }
    flushZeros();
    parts.push_back(piece.value);
  }
  flushZeros();
  if (parts.size() == 1)
    return parts.front();
  return ConcatOp::create(rewriter, loc, type, parts);
}

/// x + 0 = 0 + x = x.
struct AddZeros : public OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AddOp op,
                                PatternRewriter &rewriter) const override {
    if (isZeros(op.getRhs())) {
      rewriter.replaceOp(op, op.getLhs());
      return success();
    }
    if (isZeros(op.getLhs())) {
      rewriter.replaceOp(op, op.getRhs());
      return success();
    }
    return rewriter.notifyMatchFailure(op, "no operand is zeros");
  }
};

/// concat(a...) + concat(b...) = concat(a0 + b0, ...): the sum, piece by
/// piece, of two concatenations, where a piece of either side that is not
/// zeros lies within one piece of the other. A sum with a zero piece is the
/// other piece, so only the non-zero pieces that overlap are added.
struct AddConcats : public OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AddOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.getLhs().getDefiningOp<ConcatOp>() ||
        !op.getRhs().getDefiningOp<ConcatOp>())
      return rewriter.notifyMatchFailure(op, "not a sum of two concats");
    SmallVector<Piece> lhs = piecesOf(op.getLhs());
    SmallVector<Piece> rhs = piecesOf(op.getRhs());
    SmallVector<int64_t> cuts = boundariesOf(lhs);
    llvm::append_range(cuts, boundariesOf(rhs));
    llvm::sort(cuts);
    cuts.erase(llvm::unique(cuts), cuts.end());

    // Each side's pieces split at every cut of the other side: a zero piece
    // splits into zero pieces; a non-zero piece may not split.
    auto split = [&](ArrayRef<Piece> pieces,
                     SmallVectorImpl<Piece> &out) -> bool {
      const int64_t *cut = cuts.begin();
      int64_t start = 0;
      for (const Piece &piece : pieces) {
        int64_t end = start + piece.size;
        for (++cut; *cut < end; ++cut) {
          if (piece.value)
            return false;
          out.push_back({*cut - start, Value()});
          start = *cut;
        }
        out.push_back({end - start, piece.value});
        start = end;
      }
      return true;
    };
    SmallVector<Piece> lhsSplit, rhsSplit;
    if (!split(lhs, lhsSplit) || !split(rhs, rhsSplit))
      return rewriter.notifyMatchFailure(
          op, "a cut of one side splits a non-zero piece of the other");

    SmallVector<Piece> sum;
    for (auto [a, b] : llvm::zip_equal(lhsSplit, rhsSplit)) {
      Value value = a.value;
      if (a.value && b.value)
        value = AddOp::create(rewriter, op.getLoc(), a.value, b.value);
      else if (b.value)
        value = b.value;
      sum.push_back({a.size, value});
    }
    rewriter.replaceOp(op, assemble(rewriter, op.getLoc(), op.getType(), sum));
    return success();
  }
};

/// x - 0 = x.
struct SubZeros : public OpRewritePattern<SubOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SubOp op,
                                PatternRewriter &rewriter) const override {
    if (!isZeros(op.getRhs()))
      return rewriter.notifyMatchFailure(op, "the subtrahend is not zeros");
    rewriter.replaceOp(op, op.getLhs());
    return success();
  }
};

/// A concat of one input is that input; a concat of concats is one concat;
/// zero pieces next to each other are one, and a concat of zeros is zeros.
struct FlattenConcat : public OpRewritePattern<ConcatOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ConcatOp op,
                                PatternRewriter &rewriter) const override {
    SmallVector<Piece> pieces;
    bool changed = op.getInputs().size() == 1;
    for (Value input : op.getInputs()) {
      SmallVector<Piece> inner = piecesOf(input);
      changed |= inner.size() > 1;
      for (const Piece &piece : inner) {
        changed |= !piece.value && !pieces.empty() && !pieces.back().value;
        pieces.push_back(piece);
      }
    }
    if (!changed)
      return rewriter.notifyMatchFailure(op, "nothing to merge");
    rewriter.replaceOp(op,
                       assemble(rewriter, op.getLoc(), op.getType(), pieces));
    return success();
  }
};

/// A slice of a concat that is one of its pieces is that piece; a slice of
/// zeros, or of a zero piece, is zeros.
struct SliceOfPieces : public OpRewritePattern<SliceOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SliceOp op,
                                PatternRewriter &rewriter) const override {
    auto offset = static_cast<int64_t>(op.getOffset());
    auto size = static_cast<int64_t>(op.getSize());
    int64_t start = 0;
    for (const Piece &piece : piecesOf(op.getInput())) {
      int64_t end = start + piece.size;
      if (start <= offset && offset + size <= end) {
        if (!piece.value) {
          rewriter.replaceOpWithNewOp<ZerosOp>(op, op.getType());
          return success();
        }
        if (start == offset && end == offset + size) {
          rewriter.replaceOp(op, piece.value);
          return success();
        }
        break;
      }
      start = end;
    }
    return rewriter.notifyMatchFailure(op, "the slice is not a whole piece");
  }
};

/// put_rows(a..., I) + put_rows(b..., J) = put_rows over the rows of both,
/// a row that both set being the sum of the two. The gradient of a
/// parameter matrix read by rows (an LSTM's peephole weights) is then one
/// matrix, not a sum of matrices that are mostly zeros.
struct AddPutRows : public OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AddOp op,
                                PatternRewriter &rewriter) const override {
    auto lhs = op.getLhs().getDefiningOp<PutRowsOp>();
    auto rhs = op.getRhs().getDefiningOp<PutRowsOp>();
    if (!lhs || !rhs)
      return rewriter.notifyMatchFailure(op, "not a sum of two put_rows");
    std::map<int64_t, Value> rows;
    for (auto [input, index] :
         llvm::zip_equal(lhs.getInputs(), lhs.getIndices()))
      rows[index] = input;
    for (auto [input, index] :
         llvm::zip_equal(rhs.getInputs(), rhs.getIndices())) {
      Value &row = rows[index];
      row = row ? AddOp::create(rewriter, op.getLoc(), row, input).getResult()
                : input;
    }
    SmallVector<Value> inputs;
    SmallVector<int64_t> indices;
    for (auto [index, input] : rows) {
      indices.push_back(index);
      inputs.push_back(input);
    }
    rewriter.replaceOpWithNewOp<PutRowsOp>(op, op.getType(), inputs, indices);
    return success();
  }
};

/// A row of put_rows is the input put there, or zeros.
struct RowOfPutRows : public OpRewritePattern<RowOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(RowOp op,
                                PatternRewriter &rewriter) const override {
    auto rows = op.getInput().getDefiningOp<PutRowsOp>();
    if (!rows)
      return rewriter.notifyMatchFailure(op, "not a row of put_rows");
    for (auto [input, index] :
         llvm::zip_equal(rows.getInputs(), rows.getIndices()))
      if (index == static_cast<int64_t>(op.getIndex())) {
        rewriter.replaceOp(op, input);
        return success();
      }
    rewriter.replaceOpWithNewOp<ZerosOp>(op, op.getType());
    return success();
  }
};

} // namespace

void AddOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                        MLIRContext *context) {
  results.add<AddZeros, AddConcats, AddPutRows>(context);
}

void SubOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                        MLIRContext *context) {
  results.add<SubZeros>(context);
}

void ConcatOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                           MLIRContext *context) {
  results.add<FlattenConcat>(context);
}

void SliceOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                          MLIRContext *context) {
  results.add<SliceOfPieces>(context);
}

void RowOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                        MLIRContext *context) {
  results.add<RowOfPutRows>(context);
}
