// RUN: gps-opt %s --split-input-file --gps-build-entries | FileCheck %s
// RUN: gps-opt %s --split-input-file --gps-build-entries=abi-version=7 | FileCheck %s --check-prefix=ABI7

// The loss and its gradient become the trainer's C-ABI entry points on
// memrefs: data rows, mask rows, the flat parameter vector (and gradient
// vector), the term outputs, key and stream. The model becomes the manifest.

gps.model @imp steps = 2 {
  gps.data @x : real tensor<?x2xf32> in [0.0, 1.0]
  gps.mask @m on @x : mcar(5.000000e-01)
  gps.param @w : tensor<2x3xf32> init glorot
  gps.param @b : tensor<3xf32> init zeros
  gps.net @f "affine(2 -> 3)" : (tensor<?x2xf32>) -> tensor<?x3xf32> {
  ^bb0(%a: tensor<?x2xf32>):
    %w = gps.read_param @w : tensor<2x3xf32>
    %b = gps.read_param @b : tensor<3xf32>
    %y = gps.affine %a, %w, %b : tensor<?x2xf32>, tensor<2x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
    gps.return %y : tensor<?x3xf32>
  }
  gps.policy primary @p reads [] {
    %b = gps.read_param @b : tensor<3xf32>
  }
  gps.policy guide @q reads ["x"] {
  ^bb0(%x: tensor<?x2xf32>):
    %y = gps.call @f(%x) : (tensor<?x2xf32>) -> tensor<?x3xf32>
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
func.func @gps_loss(%xk: tensor<?x2xf32> {gps.read = "x.known"}, %m: tensor<?x2xf32> {gps.read = "m"}, %xm: tensor<?x2xf32> {gps.read = "x.missing"}, %w: tensor<2x3xf32> {gps.param = "w"}, %b: tensor<3xf32> {gps.param = "b"}, %key: i64 {gps.rng = "key"}, %stream: i64 {gps.rng = "stream"}) -> (f32, f32) attributes {gps.terms = [#gps.term<objective>, #gps.term<nll>]} {
  %y = gps.gemm %xk, %w : tensor<?x2xf32>, tensor<2x3xf32> -> tensor<?x3xf32>
  %s = gps.sum %y : tensor<?x3xf32> -> tensor<?x1xf32>
  %l = gps.mean %s : tensor<?x1xf32> -> f32
  %n = gps.noise "z" key %key stream %stream : tensor<?x2xf32>
  %t = gps.sum %n : tensor<?x2xf32> -> tensor<?x1xf32>
  %u = gps.mean %t : tensor<?x1xf32> -> f32
  return %l, %u : f32, f32
}
func.func @gps_loss_grad(%xk: tensor<?x2xf32> {gps.read = "x.known"}, %m: tensor<?x2xf32> {gps.read = "m"}, %xm: tensor<?x2xf32> {gps.read = "x.missing"}, %w: tensor<2x3xf32> {gps.param = "w"}, %b: tensor<3xf32> {gps.param = "b"}, %key: i64 {gps.rng = "key"}, %stream: i64 {gps.rng = "stream"}) -> (f32, f32, tensor<2x3xf32>, tensor<3xf32>) attributes {gps.terms = [#gps.term<objective>, #gps.term<nll>]} {
  %y = gps.gemm %xk, %w : tensor<?x2xf32>, tensor<2x3xf32> -> tensor<?x3xf32>
  %s = gps.sum %y : tensor<?x3xf32> -> tensor<?x1xf32>
  %l = gps.mean %s : tensor<?x1xf32> -> f32
  %dw = gps.zeros : tensor<2x3xf32>
  %db = gps.zeros : tensor<3xf32>
  return %l, %l, %dw, %db : f32, f32, tensor<2x3xf32>, tensor<3xf32>
}

// CHECK-LABEL: func.func @gps_model_train(
// CHECK-SAME:    %[[X:[^:]*]]: memref<?x?xf32>, %[[M:[^:]*]]: memref<?x?xf32>, %[[P:[^:]*]]: memref<?xf32>, %[[G:[^:]*]]: memref<?xf32>, %[[T:[^:]*]]: memref<?xf32>, %{{[^:]*}}: i64, %{{[^:]*}}: i64)
// CHECK-SAME:    attributes {gps.batch_arg = 0 : i64, llvm.emit_c_interface} {
// x.known = x * m.
// CHECK-NEXT:    %[[XT:.*]] = bufferization.to_tensor %[[X]] restrict : memref<?x?xf32> to tensor<?x?xf32>
// CHECK-NEXT:    %[[XC:.*]] = tensor.cast %[[XT]] : tensor<?x?xf32> to tensor<?x2xf32>
// CHECK-NEXT:    %[[MT:.*]] = bufferization.to_tensor %[[M]] restrict : memref<?x?xf32> to tensor<?x?xf32>
// CHECK-NEXT:    %[[MC:.*]] = tensor.cast %[[MT]] : tensor<?x?xf32> to tensor<?x2xf32>
// CHECK-NEXT:    %[[XK:.*]] = gps.mul %[[XC]], %[[MC]] : tensor<?x2xf32>
// The mask itself.
// CHECK-NEXT:    bufferization.to_tensor %[[M]] restrict
// CHECK-NEXT:    tensor.cast
// x.missing = x * (1 - m).
// CHECK-NEXT:    bufferization.to_tensor %[[X]] restrict
// CHECK-NEXT:    %[[XC2:.*]] = tensor.cast
// CHECK-NEXT:    bufferization.to_tensor %[[M]] restrict
// CHECK-NEXT:    %[[MC2:.*]] = tensor.cast
// CHECK-NEXT:    %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:    %[[ONES:.*]] = gps.splat %[[ONE]] : tensor<?x2xf32>
// CHECK-NEXT:    %[[U:.*]] = gps.sub %[[ONES]], %[[MC2]]
// CHECK-NEXT:    gps.mul %[[XC2]], %[[U]]
// Parameters are views of the flat vector at the manifest's offsets.
// CHECK-NEXT:    %[[WV:.*]] = memref.reinterpret_cast %[[P]] to offset: [0], sizes: [2, 3], strides: [3, 1] : memref<?xf32> to memref<2x3xf32, strided<[3, 1]>>
// CHECK-NEXT:    %[[W:.*]] = bufferization.to_tensor %[[WV]] restrict : memref<2x3xf32, strided<[3, 1]>> to tensor<2x3xf32>
// CHECK-NEXT:    %[[BV:.*]] = memref.reinterpret_cast %[[P]] to offset: [6], sizes: [3], strides: [1] : memref<?xf32> to memref<3xf32, strided<[1], offset: 6>>
// CHECK-NEXT:    bufferization.to_tensor %[[BV]] restrict
// The gradient's body on them.
// CHECK-NEXT:    gps.gemm %[[XK]], %[[W]]
// CHECK:         %[[L:.*]] = gps.mean
// CHECK-NEXT:    %[[DW:.*]] = gps.zeros : tensor<2x3xf32>
// CHECK-NEXT:    %[[DB:.*]] = gps.zeros : tensor<3xf32>
// The terms, then the gradients written into views of the gradient vector.
// CHECK-NEXT:    %[[C0:.*]] = arith.constant 0 : index
// CHECK-NEXT:    memref.store %[[L]], %[[T]][%[[C0]]] : memref<?xf32>
// CHECK-NEXT:    %[[C1:.*]] = arith.constant 1 : index
// CHECK-NEXT:    memref.store %[[L]], %[[T]][%[[C1]]] : memref<?xf32>
// CHECK-NEXT:    %[[DWV:.*]] = memref.reinterpret_cast %[[G]] to offset: [0], sizes: [2, 3], strides: [3, 1]
// CHECK-NEXT:    bufferization.materialize_in_destination %[[DW]] in restrict writable %[[DWV]]
// CHECK-NEXT:    %[[DBV:.*]] = memref.reinterpret_cast %[[G]] to offset: [6], sizes: [3], strides: [1]
// CHECK-NEXT:    bufferization.materialize_in_destination %[[DB]] in restrict writable %[[DBV]]
// CHECK-NEXT:    return
// CHECK-NEXT:  }

// Evaluation has no gradient vector, and runs the loss (with its noise).
// CHECK-LABEL: func.func @gps_model_eval(
// CHECK-SAME:    %{{[^:]*}}: memref<?x?xf32>, %{{[^:]*}}: memref<?x?xf32>, %{{[^:]*}}: memref<?xf32>, %[[T:[^:]*]]: memref<?xf32>, %[[KEY:[^:]*]]: i64, %[[STREAM:[^:]*]]: i64)
// CHECK-SAME:    attributes {gps.batch_arg = 0 : i64, llvm.emit_c_interface} {
// CHECK-NOT:     materialize_in_destination
// CHECK:         %[[L:.*]] = gps.mean
// CHECK-NEXT:    gps.noise "z" key %[[KEY]] stream %[[STREAM]]
// CHECK:         %[[U:.*]] = gps.mean
// CHECK:         memref.store %[[L]], %[[T]][%{{.*}}]
// CHECK:         memref.store %[[U]], %[[T]][%{{.*}}]
// CHECK-NOT:     materialize_in_destination
// CHECK:         return

// The manifest: data, mask, parameters with their offsets, the net that
// owns each and the policies that read it (b: the guide through the net f,
// the primary directly), terms.
// CHECK:       llvm.mlir.global internal constant @gps_manifest("{
// CHECK-SAME:    \22abi\22:3,
// CHECK-SAME:    \22data\22:{\22dim\22:2,\22hi\22:1,\22kind\22:\22real\22,\22lo\22:0,\22name\22:\22x\22},
// CHECK-SAME:    \22mask\22:{\22amount\22:0.5,\22kind\22:\22mcar\22,\22name\22:\22m\22},
// CHECK-SAME:    \22model\22:\22imp\22,
// CHECK-SAME:    \22param_count\22:9,
// CHECK-SAME:    \22params\22:[{\22init\22:\22glorot\22,\22name\22:\22w\22,\22net\22:\22f\22,\22offset\22:0,\22policies\22:[\22guide\22],\22shape\22:[2,3]},{\22init\22:\22zeros\22,\22name\22:\22b\22,\22net\22:\22f\22,\22offset\22:6,\22policies\22:[\22primary\22,\22guide\22],\22shape\22:[3]}],
// CHECK-SAME:    \22steps\22:2,
// CHECK-SAME:    \22terms\22:[\22objective\22,\22nll\22]}\00")
// CHECK:       llvm.func @gps_model_manifest() -> !llvm.ptr {
// CHECK-NEXT:    %[[A:.*]] = llvm.mlir.addressof @gps_manifest : !llvm.ptr
// CHECK-NEXT:    llvm.return %[[A]] : !llvm.ptr
// gps_model_check_abi hands the runtime the ABI version (3) and magic
// ("GPSR") the code was compiled against.
// CHECK:       llvm.func @gps_rt_check_abi(i32, i32)
// CHECK:       llvm.func @gps_model_check_abi() {
// CHECK-NEXT:    %[[V:.*]] = llvm.mlir.constant(3 : i32) : i32
// CHECK-NEXT:    %[[M:.*]] = llvm.mlir.constant(1196446546 : i32) : i32
// CHECK-NEXT:    llvm.call @gps_rt_check_abi(%[[V]], %[[M]]) : (i32, i32) -> ()
// The loss functions and the model are gone.
// CHECK-NOT:   gps.model
// CHECK-NOT:   @gps_loss

// -----

// A model without a mask or a data range: the manifest's mask is null.
gps.model @plain steps = 0 {
  gps.data @x : bits tensor<?x3xf32>
  gps.param @c : tensor<3xf32> init ones
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
func.func @gps_loss(%x: tensor<?x3xf32> {gps.read = "x"}, %c: tensor<3xf32> {gps.param = "c"}, %key: i64 {gps.rng = "key"}, %stream: i64 {gps.rng = "stream"}) -> (f32, f32) attributes {gps.terms = [#gps.term<objective>, #gps.term<nll>]} {
  %s = gps.sum %x : tensor<?x3xf32> -> tensor<?x1xf32>
  %l = gps.mean %s : tensor<?x1xf32> -> f32
  return %l, %l : f32, f32
}
func.func @gps_loss_grad(%x: tensor<?x3xf32> {gps.read = "x"}, %c: tensor<3xf32> {gps.param = "c"}, %key: i64 {gps.rng = "key"}, %stream: i64 {gps.rng = "stream"}) -> (f32, f32, tensor<3xf32>) attributes {gps.terms = [#gps.term<objective>, #gps.term<nll>]} {
  %s = gps.sum %x : tensor<?x3xf32> -> tensor<?x1xf32>
  %l = gps.mean %s : tensor<?x1xf32> -> f32
  %dc = gps.zeros : tensor<3xf32>
  return %l, %l, %dc : f32, f32, tensor<3xf32>
}

// The data rows are the input itself.
// CHECK-LABEL: func.func @gps_model_train(
// CHECK-SAME:    %[[X:[^:]*]]: memref<?x?xf32>,
// CHECK-NEXT:    %[[XT:.*]] = bufferization.to_tensor %[[X]] restrict
// CHECK-NEXT:    %[[XC:.*]] = tensor.cast %[[XT]]
// CHECK-NOT:     gps.mul
// CHECK:         gps.sum %[[XC]]
// CHECK:       llvm.mlir.global internal constant @gps_manifest(
// CHECK-SAME:    \22data\22:{\22dim\22:3,\22kind\22:\22bits\22,\22name\22:\22x\22},\22mask\22:null,
// CHECK-SAME:    \22param_count\22:3,

// abi-version stamps another version on the manifest and the start-up check
// (for testing the check).
// ABI7: \22abi\22:7,
// ABI7: llvm.func @gps_model_check_abi() {
// ABI7-NEXT: llvm.mlir.constant(7 : i32) : i32
