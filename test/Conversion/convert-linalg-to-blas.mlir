// RUN: gps-opt %s --split-input-file --convert-linalg-to-blas | FileCheck %s

// Each linalg.matmul on buffers becomes gps_rt_sgemm(transA, transB, alpha,
// A, B, beta, C) on strided views; a zero fill of C just before it is folded
// into beta = 0.

// CHECK:       func.func private @gps_rt_sgemm(i32, i32, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>) attributes {llvm.emit_c_interface}
// CHECK-NOT:   func.func private @gps_rt_sgemm

// CHECK-LABEL: func.func @zero_init(
// CHECK-SAME:    %[[A:[^:]*]]: memref<?x3xf32>, %[[B:[^:]*]]: memref<3x2xf32>, %[[C:[^:]*]]: memref<?x2xf32>)
// CHECK-NOT:     linalg.fill
// CHECK:         %[[TA:.*]] = arith.constant 0 : i32
// CHECK-NEXT:    %[[TB:.*]] = arith.constant 0 : i32
// CHECK-NEXT:    %[[ALPHA:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:    %[[AV:.*]] = memref.cast %[[A]] : memref<?x3xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK-NEXT:    %[[BV:.*]] = memref.cast %[[B]] : memref<3x2xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK-NEXT:    %[[BETA:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:    %[[CV:.*]] = memref.cast %[[C]] : memref<?x2xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK-NEXT:    call @gps_rt_sgemm(%[[TA]], %[[TB]], %[[ALPHA]], %[[AV]], %[[BV]], %[[BETA]], %[[CV]])
// CHECK-NOT:     linalg.matmul
// CHECK:         return
func.func @zero_init(%a: memref<?x3xf32>, %b: memref<3x2xf32>, %c: memref<?x2xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<?x2xf32>)
  linalg.matmul ins(%a, %b : memref<?x3xf32>, memref<3x2xf32>) outs(%c : memref<?x2xf32>)
  return
}

// Without a zero fill the product accumulates into C: beta = 1. A is read
// transposed from its (k, m) map.
// CHECK-LABEL: func.func @accumulate_transposed_a(
// CHECK:         %[[TA:.*]] = arith.constant 1 : i32
// CHECK-NEXT:    %[[TB:.*]] = arith.constant 0 : i32
// CHECK-NEXT:    %[[ALPHA:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:    %[[AV:.*]] = memref.cast
// CHECK-NEXT:    %[[BV:.*]] = memref.cast
// CHECK-NEXT:    %[[BETA:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:    %[[CV:.*]] = memref.cast
// CHECK-NEXT:    call @gps_rt_sgemm(%[[TA]], %[[TB]], %[[ALPHA]], %[[AV]], %[[BV]], %[[BETA]], %[[CV]])
func.func @accumulate_transposed_a(%x: memref<?x3xf32>, %dy: memref<?x2xf32>, %dw: memref<3x2xf32>) {
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %dy : memref<?x3xf32>, memref<?x2xf32>) outs(%dw : memref<3x2xf32>)
  return
}

// B read transposed from its (n, k) map. A fill of another value, or of
// another buffer, is kept.
// CHECK-LABEL: func.func @transposed_b(
// CHECK-SAME:    %{{[^:]*}}: memref<?x2xf32>, %{{[^:]*}}: memref<3x2xf32>, %[[C:[^:]*]]: memref<?x3xf32>, %[[D:[^:]*]]: memref<?x3xf32>)
// CHECK:         linalg.fill ins(%{{.*}} : f32) outs(%[[C]] : memref<?x3xf32>)
// CHECK:         %[[TA:.*]] = arith.constant 0 : i32
// CHECK-NEXT:    %[[TB:.*]] = arith.constant 1 : i32
// CHECK-NEXT:    %[[ALPHA:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:    memref.cast
// CHECK-NEXT:    memref.cast
// CHECK-NEXT:    %[[BETA:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:    memref.cast
// CHECK-NEXT:    call @gps_rt_sgemm(%[[TA]], %[[TB]], %[[ALPHA]], %{{.*}}, %{{.*}}, %[[BETA]], %{{.*}})
// CHECK:         linalg.fill ins(%{{.*}} : f32) outs(%[[C]] : memref<?x3xf32>)
// CHECK:         memref.cast
// CHECK-NEXT:    memref.cast
// CHECK-NEXT:    %[[BETA2:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:    %[[DV:.*]] = memref.cast %[[D]]
// CHECK-NEXT:    call @gps_rt_sgemm(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[BETA2]], %[[DV]])
func.func @transposed_b(%dy: memref<?x2xf32>, %w: memref<3x2xf32>, %c: memref<?x3xf32>, %d: memref<?x3xf32>) {
  %one = arith.constant 1.0 : f32
  linalg.fill ins(%one : f32) outs(%c : memref<?x3xf32>)
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%dy, %w : memref<?x2xf32>, memref<3x2xf32>) outs(%c : memref<?x3xf32>)
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<?x3xf32>)
  linalg.matmul ins(%dy, %w : memref<?x2xf32>, memref<3x2xf32>) outs(%d : memref<?x3xf32>)
  return
}

// A matmul on tensors is left for bufferization.
// CHECK-LABEL: func.func @on_tensors(
// CHECK:         linalg.matmul
// CHECK-NOT:     call @gps_rt_sgemm
func.func @on_tensors(%a: tensor<4x3xf32>, %b: tensor<3x2xf32>, %c: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<4x3xf32>, tensor<3x2xf32>) outs(%c : tensor<4x2xf32>) -> tensor<4x2xf32>
  return %r : tensor<4x2xf32>
}

// -----

// A module without matrix products gets no declaration.
// CHECK-NOT:   @gps_rt_sgemm
func.func @none(%c: memref<4xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<4xf32>)
  return
}
