// RUN: gps-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(gps-merge-siblings))' | FileCheck %s

#rows = affine_map<(d0, d1) -> (d0, d1)>
#cols = affine_map<(d0, d1) -> (d1)>

// Three column sums over one batch into slices of one vector that their
// types show apart (the peephole gradients of an LSTM), in an entry point,
// whose arguments are distinct buffers: one op, each body as it was, in
// order, so each sum is computed as before.
// CHECK-LABEL: func.func @column_sums(
// CHECK-SAME:    %[[X:[^:]*]]: memref<?x12xf32>, %[[G:[^:]*]]: memref<12xf32>)
// CHECK:         %[[A:.*]] = memref.subview %[[X]][0, 0]
// CHECK:         %[[G0:.*]] = memref.subview %[[G]][0] [4] [1]
// CHECK:         %[[B:.*]] = memref.subview %[[X]][0, 4]
// CHECK:         %[[G1:.*]] = memref.subview %[[G]][4] [4] [1]
// CHECK:         %[[C:.*]] = memref.subview %[[X]][0, 8]
// CHECK:         %[[G2:.*]] = memref.subview %[[G]][8] [4] [1]
// CHECK:         linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}, #[[COLS:.*]], #[[COLS]], #[[COLS]]], iterator_types = ["reduction", "parallel"]}
// CHECK-SAME:        ins(%[[A]], %[[B]], %[[C]] : {{.*}}) outs(%[[G0]], %[[G1]], %[[G2]] : {{.*}})
// CHECK-NEXT:    ^bb0(%[[I0:.*]]: f32, %[[I1:.*]]: f32, %[[I2:.*]]: f32, %[[O0:.*]]: f32, %[[O1:.*]]: f32, %[[O2:.*]]: f32):
// CHECK-NEXT:      %[[S0:.*]] = arith.addf %[[I0]], %[[O0]]
// CHECK-NEXT:      %[[P:.*]] = arith.mulf %[[I1]], %[[I1]]
// CHECK-NEXT:      %[[S1:.*]] = arith.addf %[[P]], %[[O1]]
// CHECK-NEXT:      %[[S2:.*]] = arith.addf %[[I2]], %[[O2]]
// CHECK-NEXT:      linalg.yield %[[S0]], %[[S1]], %[[S2]]
// CHECK-NOT:     linalg.generic
// CHECK:         return
func.func @column_sums(%x: memref<?x12xf32>, %g: memref<12xf32>) attributes {gps.batch_arg = 0 : i64} {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x12xf32>
  %a = memref.subview %x[0, 0] [%n, 4] [1, 1] : memref<?x12xf32> to memref<?x4xf32, strided<[12, 1]>>
  %g0 = memref.subview %g[0] [4] [1] : memref<12xf32> to memref<4xf32, strided<[1]>>
  linalg.generic {indexing_maps = [#rows, #cols], iterator_types = ["reduction", "parallel"]}
      ins(%a : memref<?x4xf32, strided<[12, 1]>>) outs(%g0 : memref<4xf32, strided<[1]>>) {
  ^bb0(%v: f32, %o: f32):
    %s = arith.addf %v, %o : f32
    linalg.yield %s : f32
  }
  %b = memref.subview %x[0, 4] [%n, 4] [1, 1] : memref<?x12xf32> to memref<?x4xf32, strided<[12, 1], offset: 4>>
  %g1 = memref.subview %g[4] [4] [1] : memref<12xf32> to memref<4xf32, strided<[1], offset: 4>>
  linalg.generic {indexing_maps = [#rows, #cols], iterator_types = ["reduction", "parallel"]}
      ins(%b : memref<?x4xf32, strided<[12, 1], offset: 4>>) outs(%g1 : memref<4xf32, strided<[1], offset: 4>>) {
  ^bb0(%v: f32, %o: f32):
    %p = arith.mulf %v, %v : f32
    %s = arith.addf %p, %o : f32
    linalg.yield %s : f32
  }
  %c = memref.subview %x[0, 8] [%n, 4] [1, 1] : memref<?x12xf32> to memref<?x4xf32, strided<[12, 1], offset: 8>>
  %g2 = memref.subview %g[8] [4] [1] : memref<12xf32> to memref<4xf32, strided<[1], offset: 8>>
  linalg.generic {indexing_maps = [#rows, #cols], iterator_types = ["reduction", "parallel"]}
      ins(%c : memref<?x4xf32, strided<[12, 1], offset: 8>>) outs(%g2 : memref<4xf32, strided<[1], offset: 8>>) {
  ^bb0(%v: f32, %o: f32):
    %s = arith.addf %v, %o : f32
    linalg.yield %s : f32
  }
  return
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// Elementwise nests over a batch of one size (the same value), writing
// fresh buffers: merged. One over a batch of another size stays.
// CHECK-LABEL: func.func @batch_sizes(
// CHECK-SAME:    %[[X:[^:]*]]: memref<?x3xf32>, %[[N:[^:]*]]: index, %[[M:[^:]*]]: index)
// CHECK:         %[[P:.*]] = memref.alloc(%[[N]])
// CHECK:         %[[Q:.*]] = memref.alloc(%[[N]])
// CHECK:         %[[R:.*]] = memref.alloc(%[[M]])
// CHECK:         linalg.generic {{.*}} outs(%[[P]], %[[Q]] :
// CHECK:         linalg.generic {{.*}} outs(%[[R]] :
// CHECK-NOT:     linalg.generic
func.func @batch_sizes(%x: memref<?x3xf32>, %n: index, %m: index) -> (memref<?x3xf32>, memref<?x3xf32>, memref<?x3xf32>) {
  %p = memref.alloc(%n) : memref<?x3xf32>
  %q = memref.alloc(%n) : memref<?x3xf32>
  %r = memref.alloc(%m) : memref<?x3xf32>
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]} outs(%p : memref<?x3xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %f = arith.index_cast %i : index to i32
    %v = arith.sitofp %f : i32 to f32
    linalg.yield %v : f32
  }
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]} outs(%q : memref<?x3xf32>) {
  ^bb0(%o: f32):
    %one = arith.constant 1.0 : f32
    linalg.yield %one : f32
  }
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]} outs(%r : memref<?x3xf32>) {
  ^bb0(%o: f32):
    %one = arith.constant 1.0 : f32
    linalg.yield %one : f32
  }
  return %p, %q, %r : memref<?x3xf32>, memref<?x3xf32>, memref<?x3xf32>
}

// -----

#id = affine_map<(d0) -> (d0)>

// The second reads what the first writes: merged, it would read element
// i + 1 before the first wrote it. Not merged.
// CHECK-LABEL: func.func @reads_the_first(
// CHECK:         linalg.generic
// CHECK:         linalg.generic
func.func @reads_the_first(%x: memref<8xf32>, %y: memref<4xf32>) -> memref<8xf32> {
  %a = memref.alloc() : memref<8xf32>
  %lo = memref.subview %a[0] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1]>>
  %hi = memref.subview %a[1] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: 1>>
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]} outs(%lo : memref<4xf32, strided<[1]>>) {
  ^bb0(%o: f32):
    %one = arith.constant 1.0 : f32
    linalg.yield %one : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%hi : memref<4xf32, strided<[1], offset: 1>>) outs(%y : memref<4xf32>) {
  ^bb0(%v: f32, %o: f32):
    linalg.yield %v : f32
  }
  return %a : memref<8xf32>
}

// -----

#id = affine_map<(d0) -> (d0)>

// Both write buffers that may be one (two arguments of a function that is
// not an entry point), or overlapping slices of one: not merged.
// CHECK-LABEL: func.func @may_alias(
// CHECK:         linalg.generic
// CHECK:         linalg.generic
// CHECK-LABEL: func.func @overlapping_slices(
// CHECK:         linalg.generic
// CHECK:         linalg.generic
func.func @may_alias(%u: memref<4xf32>, %v: memref<4xf32>) {
  %one = arith.constant 1.0 : f32
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]} outs(%u : memref<4xf32>) {
  ^bb0(%o: f32):
    linalg.yield %one : f32
  }
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]} outs(%v : memref<4xf32>) {
  ^bb0(%o: f32):
    %two = arith.addf %o, %o : f32
    linalg.yield %two : f32
  }
  return
}
func.func @overlapping_slices(%g: memref<8xf32>) {
  %one = arith.constant 1.0 : f32
  %a = memref.subview %g[0] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1]>>
  %b = memref.subview %g[2] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: 2>>
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]} outs(%a : memref<4xf32, strided<[1]>>) {
  ^bb0(%o: f32):
    linalg.yield %one : f32
  }
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]} outs(%b : memref<4xf32, strided<[1], offset: 2>>) {
  ^bb0(%o: f32):
    %two = arith.addf %o, %o : f32
    linalg.yield %two : f32
  }
  return
}

// -----

#id = affine_map<(d0) -> (d0)>
#all = affine_map<(d0) -> ()>

// Sums over all of their points (block-wide reductions on the GPU) stay
// alone, and so does a nest that a copy after it overwrites.
// CHECK-LABEL: func.func @not_neighbours(
// CHECK:         linalg.generic
// CHECK:         linalg.generic
// CHECK:         linalg.generic
// CHECK:         memref.copy
// CHECK:         linalg.generic
func.func @not_neighbours(%x: memref<4xf32>, %s: memref<f32>, %t: memref<f32>, %y: memref<4xf32>, %z: memref<4xf32>) attributes {gps.batch_arg = 0 : i64} {
  linalg.generic {indexing_maps = [#id, #all], iterator_types = ["reduction"]} ins(%x : memref<4xf32>) outs(%s : memref<f32>) {
  ^bb0(%v: f32, %o: f32):
    %a = arith.addf %v, %o : f32
    linalg.yield %a : f32
  }
  linalg.generic {indexing_maps = [#id, #all], iterator_types = ["reduction"]} ins(%x : memref<4xf32>) outs(%t : memref<f32>) {
  ^bb0(%v: f32, %o: f32):
    %a = arith.addf %v, %o : f32
    linalg.yield %a : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%x : memref<4xf32>) outs(%y : memref<4xf32>) {
  ^bb0(%v: f32, %o: f32):
    linalg.yield %v : f32
  }
  memref.copy %x, %y : memref<4xf32> to memref<4xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%x : memref<4xf32>) outs(%z : memref<4xf32>) {
  ^bb0(%v: f32, %o: f32):
    linalg.yield %v : f32
  }
  return
}

// -----

#id = affine_map<(d0) -> (d0)>

// The second writes what the first reads: merged, the first would read
// element i + 1 after the second wrote it. Not merged.
// CHECK-LABEL: func.func @writes_what_the_first_reads(
// CHECK:         linalg.generic
// CHECK:         linalg.generic
func.func @writes_what_the_first_reads(%y: memref<4xf32>) -> memref<8xf32> {
  %a = memref.alloc() : memref<8xf32>
  %lo = memref.subview %a[0] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1]>>
  %hi = memref.subview %a[1] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: 1>>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%hi : memref<4xf32, strided<[1], offset: 1>>) outs(%y : memref<4xf32>) {
  ^bb0(%v: f32, %o: f32):
    linalg.yield %v : f32
  }
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]} outs(%lo : memref<4xf32, strided<[1]>>) {
  ^bb0(%o: f32):
    %one = arith.constant 1.0 : f32
    linalg.yield %one : f32
  }
  return %a : memref<8xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#t = affine_map<(d0, d1) -> (d1, d0)>

// Other loops: another iterator order, sizes 3x4 against 4x3, dimension 0
// of an argument against its dimension 1 stay apart. The transposed read
// of the 3x4 operand runs over 4x3 loops: it joins the first, past the two
// between them, which touch neither.
// CHECK-LABEL: func.func @other_loops(
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK:         linalg.generic {{.*}} outs(%{{.*}} : memref<3x4xf32>)
// CHECK:         linalg.generic {{.*}} outs(%{{.*}}, %{{.*}} : memref<4x3xf32>, memref<4x3xf32>)
// CHECK:         linalg.generic {{.*}} outs(%{{.*}} : memref<?x?xf32>)
// CHECK:         linalg.generic {{.*}} outs(%{{.*}} : memref<?x?xf32>)
// CHECK-NOT:     linalg.generic
func.func @other_loops(%x: memref<4x3xf32>, %y: memref<3x4xf32>, %z: memref<?x?xf32>) -> (memref<4x3xf32>, memref<4x3xf32>, memref<3x4xf32>, memref<4x3xf32>, memref<?x?xf32>, memref<?x?xf32>) attributes {gps.batch_arg = 0 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %p = memref.alloc() : memref<4x3xf32>
  %q = memref.alloc() : memref<4x3xf32>
  %r = memref.alloc() : memref<3x4xf32>
  %s = memref.alloc() : memref<4x3xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%x : memref<4x3xf32>) outs(%p : memref<4x3xf32>) {
  ^bb0(%v: f32, %o: f32):
    linalg.yield %v : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "reduction"]} ins(%x : memref<4x3xf32>) outs(%q : memref<4x3xf32>) {
  ^bb0(%v: f32, %o: f32):
    linalg.yield %v : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%y : memref<3x4xf32>) outs(%r : memref<3x4xf32>) {
  ^bb0(%v: f32, %o: f32):
    linalg.yield %v : f32
  }
  linalg.generic {indexing_maps = [#t, #id], iterator_types = ["parallel", "parallel"]} ins(%y : memref<3x4xf32>) outs(%s : memref<4x3xf32>) {
  ^bb0(%v: f32, %o: f32):
    linalg.yield %v : f32
  }
  %n = memref.dim %z, %c0 : memref<?x?xf32>
  %m = memref.dim %z, %c1 : memref<?x?xf32>
  %u = memref.alloc(%n, %m) : memref<?x?xf32>
  %w = memref.alloc(%m, %n) : memref<?x?xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%z : memref<?x?xf32>) outs(%u : memref<?x?xf32>) {
  ^bb0(%v: f32, %o: f32):
    linalg.yield %v : f32
  }
  linalg.generic {indexing_maps = [#t, #id], iterator_types = ["parallel", "parallel"]} ins(%z : memref<?x?xf32>) outs(%w : memref<?x?xf32>) {
  ^bb0(%v: f32, %o: f32):
    linalg.yield %v : f32
  }
  return %p, %q, %r, %s, %u, %w : memref<4x3xf32>, memref<4x3xf32>, memref<3x4xf32>, memref<4x3xf32>, memref<?x?xf32>, memref<?x?xf32>
}

// -----

#id = affine_map<(d0) -> (d0)>
#rev = affine_map<(d0) -> (-d0 + 3)>

// A loop's carried buffer may be its initial one, here either of two
// buffers an arith.select chose: the first reads one of them (reversed),
// the second zeroes the carried buffer. Not merged.
// CHECK-LABEL: func.func @carried_select(
// CHECK:         scf.for
// CHECK:           linalg.generic
// CHECK:           linalg.generic
func.func @carried_select(%c: i1, %steps: index) -> memref<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %x = memref.alloc() : memref<4xf32>
  %y = memref.alloc() : memref<4xf32>
  %s = arith.select %c, %x, %y : memref<4xf32>
  %r = scf.for %i = %c0 to %steps step %c1 iter_args(%acc = %s) -> (memref<4xf32>) {
    %t = memref.alloc() : memref<4xf32>
    linalg.generic {indexing_maps = [#rev, #id], iterator_types = ["parallel"]} ins(%x : memref<4xf32>) outs(%t : memref<4xf32>) {
    ^bb0(%v: f32, %o: f32):
      linalg.yield %v : f32
    }
    linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]} outs(%acc : memref<4xf32>) {
    ^bb0(%o: f32):
      %zero = arith.constant 0.0 : f32
      linalg.yield %zero : f32
    }
    scf.yield %acc : memref<4xf32>
  }
  return %r : memref<4xf32>
}

// -----

#id = affine_map<(d0) -> (d0)>
#s = affine_map<(d0) -> ()>

// A scalar input, and a value defined between the two that the second's
// body uses: merged where the second was.
// CHECK-LABEL: func.func @scalars(
// CHECK-SAME:    %[[X:[^:]*]]: memref<4xf32>, %[[K:[^:]*]]: f32)
// CHECK:         %[[A:.*]] = memref.alloc()
// CHECK:         %[[B:.*]] = memref.alloc()
// CHECK:         %[[TWO:.*]] = arith.addf %[[K]], %[[K]]
// CHECK-NEXT:    linalg.generic {{.*}} ins(%[[X]], %[[K]], %[[X]] : memref<4xf32>, f32, memref<4xf32>) outs(%[[A]], %[[B]] :
// CHECK:           arith.mulf %{{.*}}, %[[TWO]]
// CHECK-NOT:     linalg.generic
func.func @scalars(%x: memref<4xf32>, %k: f32) -> (memref<4xf32>, memref<4xf32>) {
  %a = memref.alloc() : memref<4xf32>
  %b = memref.alloc() : memref<4xf32>
  linalg.generic {indexing_maps = [#id, #s, #id], iterator_types = ["parallel"]} ins(%x, %k : memref<4xf32>, f32) outs(%a : memref<4xf32>) {
  ^bb0(%v: f32, %w: f32, %o: f32):
    %p = arith.mulf %v, %w : f32
    linalg.yield %p : f32
  }
  %two = arith.addf %k, %k : f32
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%x : memref<4xf32>) outs(%b : memref<4xf32>) {
  ^bb0(%v: f32, %o: f32):
    %p = arith.mulf %v, %two : f32
    linalg.yield %p : f32
  }
  return %a, %b : memref<4xf32>, memref<4xf32>
}
