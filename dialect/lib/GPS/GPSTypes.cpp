//===- GPSTypes.cpp - gps dialect types and attributes --------------------===//
//
// Enums, attributes and types of the gps dialect.
//
//===----------------------------------------------------------------------===//

#include "gps/Dialect/GPS/GPSTypes.h"
#include "gps/Dialect/GPS/GPSDialect.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace gps;

#include "gps/Dialect/GPS/GPSEnums.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "gps/Dialect/GPS/GPSOpsTypes.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "gps/Dialect/GPS/GPSAttrs.cpp.inc"

void GPSDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "gps/Dialect/GPS/GPSAttrs.cpp.inc"
      >();
}

LogicalResult TermAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                               TermKind kind, StringAttr site,
                               std::optional<int64_t> first,
                               std::optional<int64_t> last) {
  if (first.has_value() != last.has_value())
    return emitError() << "a per-step term needs its first and last step";
  if (first.has_value() != static_cast<bool>(site))
    return emitError() << "a per-step term names its sample site, and only "
                          "a per-step term does";
  if (site && site.getValue().empty())
    return emitError() << "a per-step term's site has a name";
  if (first && *last < *first)
    return emitError() << "per-step term runs from step " << *first
                       << " to the earlier step " << *last;
  return success();
}

void GPSDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "gps/Dialect/GPS/GPSOpsTypes.cpp.inc"
      >();
}

LogicalResult DistType::verify(function_ref<InFlightDiagnostic()> emitError,
                               DistKind kind, int64_t size) {
  if (size <= 0)
    return emitError() << "distribution size must be positive, got " << size;
  return success();
}

LogicalResult TapeType::verify(function_ref<InFlightDiagnostic()> emitError,
                               int64_t length, Type element) {
  if (length <= 0)
    return emitError() << "tape length must be positive, got " << length;
  if (!isBatchTensor(element) && !isParamTensor(element))
    return emitError() << "tape elements must be batched or parameter "
                          "tensors";
  return success();
}

bool gps::isBatchTensor(Type type) {
  auto tensor = llvm::dyn_cast<RankedTensorType>(type);
  return tensor && tensor.getRank() == 2 && tensor.isDynamicDim(0) &&
         !tensor.isDynamicDim(1) && tensor.getDimSize(1) > 0 &&
         tensor.getElementType().isF32();
}

bool gps::isParamTensor(Type type) {
  auto tensor = llvm::dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape() || !tensor.getElementType().isF32())
    return false;
  if (tensor.getRank() != 1 && tensor.getRank() != 2)
    return false;
  return llvm::all_of(tensor.getShape(), [](int64_t d) { return d > 0; });
}

RankedTensorType gps::getBatchTensorType(MLIRContext *ctx, int64_t size) {
  return RankedTensorType::get({ShapedType::kDynamic, size},
                               Float32Type::get(ctx));
}

int64_t gps::getFeatureSize(Type batchTensor) {
  return llvm::cast<RankedTensorType>(batchTensor).getDimSize(1);
}
