//===- GPSInterfaces.td - gps op interfaces ----------------*- tablegen -*-===//
//
// Interfaces of the gps dialect: DifferentiableOpInterface drives
// gps-autodiff.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_DIALECT_GPS_GPSINTERFACES_TD
#define GPS_DIALECT_GPS_GPSINTERFACES_TD

include "mlir/IR/OpBase.td"

def GPS_DifferentiableOpInterface : OpInterface<"DifferentiableOpInterface"> {
  let cppNamespace = "::gps";
  let description = [{
    An op that knows its reverse-mode derivative. Given the adjoints of its
    results, `buildAdjoint` emits, at the builder's insertion point, the ops
    that compute the adjoints of its operands (vector-Jacobian products).

    * `resultAdjoints` has one entry per result; a null entry is zero.
    * `primal` maps a value of the forward computation (an operand or a
      result of this op) to where it can be read at the insertion point:
      itself in straight-line code, a tape read inside a reversed loop.
    * `operandAdjoints` receives one entry per operand, null where the
      operand has no adjoint (it is not a float value, or the derivative is
      zero).

    An op without this interface cannot be differentiated: `gps-autodiff`
    reports it at the op's location.
  }];
  let methods = [
    InterfaceMethod<
      "Emits the adjoints of the operands given those of the results.",
      "::mlir::LogicalResult", "buildAdjoint",
      (ins "::mlir::OpBuilder &":$builder,
           "::mlir::ArrayRef<::mlir::Value>":$resultAdjoints,
           "::llvm::function_ref<::mlir::Value(::mlir::Value)>":$primal,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandAdjoints)>
  ];
}

#endif // GPS_DIALECT_GPS_GPSINTERFACES_TD
