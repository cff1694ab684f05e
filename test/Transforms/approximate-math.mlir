// RUN: gps-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(gps-approximate-math))' | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>

// An elementwise loop: exp, log1p and tanh become arithmetic.
// CHECK-LABEL: func.func @elementwise(
// CHECK:         linalg.generic
// CHECK-NOT:       math.exp
// CHECK-NOT:       math.log1p
// CHECK-NOT:       math.tanh
// CHECK:           math.fma
// CHECK:           linalg.yield
func.func @elementwise(%x: memref<?x64xf32>, %y: memref<?x64xf32>) {
  linalg.generic {indexing_maps = [#id, #id],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<?x64xf32>) outs(%y : memref<?x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %e = math.exp %in : f32
    %l = math.log1p %e : f32
    %t = math.tanh %l : f32
    linalg.yield %t : f32
  }
  return
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0, 0)>

// An innermost reduction stays a scalar loop: libm's calls stay.
// CHECK-LABEL: func.func @row_sum(
// CHECK:         linalg.generic
// CHECK:           math.exp
// CHECK:           math.log1p
// CHECK-NOT:       math.fma
// CHECK:           linalg.yield
func.func @row_sum(%x: memref<?x64xf32>, %y: memref<?x1xf32>) {
  linalg.generic {indexing_maps = [#id, #row],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x64xf32>) outs(%y : memref<?x1xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %e = math.exp %in : f32
    %l = math.log1p %e : f32
    %s = arith.addf %acc, %l : f32
    linalg.yield %s : f32
  }
  return
}

// -----

#id = affine_map<(d0) -> (d0)>

// Other types are left to libm.
// CHECK-LABEL: func.func @double(
// CHECK:         math.exp {{.*}} : f64
func.func @double(%x: memref<?xf64>, %y: memref<?xf64>) {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : memref<?xf64>) outs(%y : memref<?xf64>) {
  ^bb0(%in: f64, %out: f64):
    %e = math.exp %in : f64
    linalg.yield %e : f64
  }
  return
}
