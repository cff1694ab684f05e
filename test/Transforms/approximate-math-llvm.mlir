// The CPU pipeline approximates the functions of elementwise loops, and LLVM
// then vectorises those loops (here for AVX2: 8 floats); an innermost
// reduction keeps its libm calls.
// RUN: gps-opt %s --gps-cpu-codegen-pipeline | mlir-translate --mlir-to-llvmir | opt -O3 -mcpu=x86-64-v3 -mtriple=x86_64-unknown-linux-gnu -S | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0, 0)>

// CHECK-LABEL: define void @elementwise(
// CHECK-NOT:     {{@llvm.exp|@expf|@llvm.log|@log1pf|@llvm.tanh|@tanhf}}
// CHECK:         call <8 x float> @llvm.fma.v8f32(
// CHECK-NOT:     {{@llvm.exp|@expf|@llvm.log|@log1pf|@llvm.tanh|@tanhf}}
// CHECK:         ret void
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

// CHECK-LABEL: define void @row_sum(
// CHECK:         call float @llvm.exp.f32(
// MathToLLVM lowers log1p(x) to log(1 + x).
// CHECK:         call float @llvm.log.f32(
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
