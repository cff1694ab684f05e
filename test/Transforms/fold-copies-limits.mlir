// RUN: gps-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(gps-fold-copies))' | FileCheck %s

// Cases at the edges of gps-fold-copies' rules (fold-copies.mlir has the
// rules themselves).

// A piece of the buffer that reduces rank (a row) cannot be taken again of
// the target with its rank: the copy stays, and the IR stays valid.
// CHECK-LABEL: func.func @rank_reducing_piece(
// CHECK:         %[[A:.*]] = memref.alloc() : memref<2x4xf32>
// CHECK:         %[[ROW:.*]] = memref.subview %[[A]][1, 0] [1, 4] [1, 1] : memref<2x4xf32> to memref<4xf32, strided<[1], offset: 4>>
// CHECK:         linalg.generic {{.*}} outs(%[[ROW]] :
// CHECK:         memref.copy %[[A]],
func.func @rank_reducing_piece(%x: memref<4xf32>, %out: memref<2x4xf32>) attributes {gps.batch_arg = 0 : i64} {
  %a = memref.alloc() : memref<2x4xf32>
  %row = memref.subview %a[1, 0] [1, 4] [1, 1] : memref<2x4xf32> to memref<4xf32, strided<[1], offset: 4>>
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%x : memref<4xf32>) outs(%row : memref<4xf32, strided<[1], offset: 4>>) {
  ^bb0(%i: f32, %o: f32):
    linalg.yield %i : f32
  }
  memref.copy %a, %out : memref<2x4xf32> to memref<2x4xf32>
  return
}

// -----

// Fills that would merge ([0, 4) and [4, 8) with zeros) around a fill of
// another value that reaches the merged span ([4, 8) with ones, written
// between them): merging would move the last write before it, so they
// stay, in order.
// CHECK-LABEL: func.func @fill_between(
// CHECK:         linalg.fill ins(%[[Z:.*]] : f32) outs(%{{.*}} : memref<4xf32, strided<[1]>>)
// CHECK-NEXT:    memref.reinterpret_cast
// CHECK-NEXT:    linalg.fill ins(%[[O:.*]] : f32) outs(%{{.*}} : memref<4xf32, strided<[1], offset: 4>>)
// CHECK-NEXT:    memref.reinterpret_cast
// CHECK-NEXT:    linalg.fill ins(%[[Z]] : f32) outs(%{{.*}} : memref<4xf32, strided<[1], offset: 4>>)
func.func @fill_between(%g: memref<8xf32>) attributes {gps.batch_arg = 0 : i64} {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %a = memref.reinterpret_cast %g to offset: [0], sizes: [4], strides: [1] : memref<8xf32> to memref<4xf32, strided<[1]>>
  linalg.fill ins(%zero : f32) outs(%a : memref<4xf32, strided<[1]>>)
  %b = memref.reinterpret_cast %g to offset: [4], sizes: [4], strides: [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: 4>>
  linalg.fill ins(%one : f32) outs(%b : memref<4xf32, strided<[1], offset: 4>>)
  %c = memref.reinterpret_cast %g to offset: [4], sizes: [4], strides: [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: 4>>
  linalg.fill ins(%zero : f32) outs(%c : memref<4xf32, strided<[1], offset: 4>>)
  return
}

// -----

// A fill of a buffer that may be the same memory (another argument of a
// function that is not an entry point) between two fills that would merge:
// they stay.
// CHECK-LABEL: func.func @fill_of_alias_between(
// CHECK-COUNT-3: linalg.fill
func.func @fill_of_alias_between(%g: memref<8xf32>, %h: memref<8xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %a = memref.reinterpret_cast %g to offset: [0], sizes: [4], strides: [1] : memref<8xf32> to memref<4xf32, strided<[1]>>
  linalg.fill ins(%zero : f32) outs(%a : memref<4xf32, strided<[1]>>)
  linalg.fill ins(%one : f32) outs(%h : memref<8xf32>)
  %c = memref.reinterpret_cast %g to offset: [4], sizes: [4], strides: [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: 4>>
  linalg.fill ins(%zero : f32) outs(%c : memref<4xf32, strided<[1], offset: 4>>)
  return
}

// -----

// The merged fill's view keeps the buffer's memory space.
// CHECK-LABEL: func.func @memory_space(
// CHECK:         memref.reinterpret_cast %{{.*}} to offset: [0], sizes: [8], strides: [1] : memref<8xf32, 1> to memref<8xf32, strided<[1]>, 1>
// CHECK-NEXT:    linalg.fill
// CHECK-NOT:     linalg.fill
func.func @memory_space(%g: memref<8xf32, 1>) attributes {gps.batch_arg = 0 : i64} {
  %zero = arith.constant 0.0 : f32
  %a = memref.reinterpret_cast %g to offset: [0], sizes: [4], strides: [1] : memref<8xf32, 1> to memref<4xf32, strided<[1]>, 1>
  linalg.fill ins(%zero : f32) outs(%a : memref<4xf32, strided<[1]>, 1>)
  %c = memref.reinterpret_cast %g to offset: [4], sizes: [4], strides: [1] : memref<8xf32, 1> to memref<4xf32, strided<[1], offset: 4>, 1>
  linalg.fill ins(%zero : f32) outs(%c : memref<4xf32, strided<[1], offset: 4>, 1>)
  return
}

// -----

// Two groups in one run, their fills interleaved: [0, 2) and [2, 4) become
// one fill, [10, 12) and [12, 14) another (the second group's check reads
// the first group's fills, which go only once the run is done).
// CHECK-LABEL: func.func @two_groups(
// CHECK:         memref.reinterpret_cast %{{.*}} to offset: [0], sizes: [4], strides: [1]
// CHECK-NEXT:    linalg.fill
// CHECK:         memref.reinterpret_cast %{{.*}} to offset: [10], sizes: [4], strides: [1]
// CHECK-NEXT:    linalg.fill
// CHECK-NOT:     linalg.fill
func.func @two_groups(%g: memref<16xf32>) attributes {gps.batch_arg = 0 : i64} {
  %zero = arith.constant 0.0 : f32
  %a = memref.reinterpret_cast %g to offset: [0], sizes: [2], strides: [1] : memref<16xf32> to memref<2xf32, strided<[1]>>
  linalg.fill ins(%zero : f32) outs(%a : memref<2xf32, strided<[1]>>)
  %b = memref.reinterpret_cast %g to offset: [10], sizes: [2], strides: [1] : memref<16xf32> to memref<2xf32, strided<[1], offset: 10>>
  linalg.fill ins(%zero : f32) outs(%b : memref<2xf32, strided<[1], offset: 10>>)
  %c = memref.reinterpret_cast %g to offset: [2], sizes: [2], strides: [1] : memref<16xf32> to memref<2xf32, strided<[1], offset: 2>>
  linalg.fill ins(%zero : f32) outs(%c : memref<2xf32, strided<[1], offset: 2>>)
  %d = memref.reinterpret_cast %g to offset: [12], sizes: [2], strides: [1] : memref<16xf32> to memref<2xf32, strided<[1], offset: 12>>
  linalg.fill ins(%zero : f32) outs(%d : memref<2xf32, strided<[1], offset: 12>>)
  return
}
