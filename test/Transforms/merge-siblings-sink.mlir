// RUN: gps-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(gps-merge-siblings))' | FileCheck %s

#rows = affine_map<(d0, d1) -> (d0, d1)>
#cols = affine_map<(d0, d1) -> (d1)>

// Two column sums (bias gradients) with an sgemm and a nest between them
// that touch neither: the first moves down to the second, one op.
// CHECK-LABEL: func.func @past_products(
// CHECK-SAME:    %[[X:[^:]*]]: memref<?x8xf32>, %[[W:[^:]*]]: memref<8x8xf32>, %[[G:[^:]*]]: memref<16xf32>)
// CHECK:         call @gps_rt_sgemm(
// CHECK:         linalg.generic {{.*}} outs(%[[H:.*]] : memref<?x8xf32>)
// CHECK:         linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]
// CHECK-SAME:        outs(%{{.*}}, %{{.*}} : memref<8xf32, strided<[1]>>, memref<8xf32, strided<[1], offset: 8>>)
// CHECK-NOT:     linalg.generic
// CHECK:         return
func.func private @gps_rt_sgemm(i32, i32, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>)
func.func @past_products(%x: memref<?x8xf32>, %w: memref<8x8xf32>, %g: memref<16xf32>) attributes {gps.batch_arg = 0 : i64} {
  %c0 = arith.constant 0 : index
  %i0 = arith.constant 0 : i32
  %one = arith.constant 1.0 : f32
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x8xf32>
  %g0 = memref.subview %g[0] [8] [1] : memref<16xf32> to memref<8xf32, strided<[1]>>
  linalg.generic {indexing_maps = [#rows, #cols], iterator_types = ["reduction", "parallel"]}
      ins(%x : memref<?x8xf32>) outs(%g0 : memref<8xf32, strided<[1]>>) {
  ^bb0(%v: f32, %o: f32):
    %s = arith.addf %v, %o : f32
    linalg.yield %s : f32
  }
  %y = memref.alloc(%n) : memref<?x8xf32>
  %xc = memref.cast %x : memref<?x8xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  %wc = memref.cast %w : memref<8x8xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  %yc = memref.cast %y : memref<?x8xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  call @gps_rt_sgemm(%i0, %i0, %one, %xc, %wc, %zero, %yc) : (i32, i32, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
  %h = memref.alloc(%n) : memref<?x8xf32>
  linalg.generic {indexing_maps = [#rows, #rows], iterator_types = ["parallel", "parallel"]}
      ins(%y : memref<?x8xf32>) outs(%h : memref<?x8xf32>) {
  ^bb0(%v: f32, %o: f32):
    %t = math.tanh %v : f32
    linalg.yield %t : f32
  }
  %g1 = memref.subview %g[8] [8] [1] : memref<16xf32> to memref<8xf32, strided<[1], offset: 8>>
  linalg.generic {indexing_maps = [#rows, #cols], iterator_types = ["reduction", "parallel"]}
      ins(%h : memref<?x8xf32>) outs(%g1 : memref<8xf32, strided<[1], offset: 8>>) {
  ^bb0(%v: f32, %o: f32):
    %s = arith.addf %v, %o : f32
    linalg.yield %s : f32
  }
  return
}

// -----

#rows = affine_map<(d0, d1) -> (d0, d1)>
#cols = affine_map<(d0, d1) -> (d1)>

// The op between writes what the first reads (an sgemm into its input),
// or reads what the first writes: the first cannot move down. Not merged.
// (Both sums run over the same loops: without the op between, each pair
// is merged, as @past_products shows.)
// CHECK-LABEL: func.func @between_writes_the_input(
// CHECK-COUNT-2: linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]
// CHECK-LABEL: func.func @between_reads_the_output(
// CHECK:         linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK:         linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]
func.func private @gps_rt_sgemm(i32, i32, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>)
func.func @between_writes_the_input(%w: memref<8x8xf32>, %z: memref<?x8xf32>, %g: memref<16xf32>, %n: index) attributes {gps.batch_arg = 0 : i64} {
  %i0 = arith.constant 0 : i32
  %one = arith.constant 1.0 : f32
  %zero = arith.constant 0.0 : f32
  %x = memref.alloc(%n) : memref<?x8xf32>
  %y = memref.alloc(%n) : memref<?x8xf32>
  %g0 = memref.subview %g[0] [8] [1] : memref<16xf32> to memref<8xf32, strided<[1]>>
  linalg.generic {indexing_maps = [#rows, #cols], iterator_types = ["reduction", "parallel"]}
      ins(%x : memref<?x8xf32>) outs(%g0 : memref<8xf32, strided<[1]>>) {
  ^bb0(%v: f32, %o: f32):
    %s = arith.addf %v, %o : f32
    linalg.yield %s : f32
  }
  %zc = memref.cast %z : memref<?x8xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  %wc = memref.cast %w : memref<8x8xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  %xc = memref.cast %x : memref<?x8xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  call @gps_rt_sgemm(%i0, %i0, %one, %zc, %wc, %zero, %xc) : (i32, i32, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
  %g1 = memref.subview %g[8] [8] [1] : memref<16xf32> to memref<8xf32, strided<[1], offset: 8>>
  linalg.generic {indexing_maps = [#rows, #cols], iterator_types = ["reduction", "parallel"]}
      ins(%y : memref<?x8xf32>) outs(%g1 : memref<8xf32, strided<[1], offset: 8>>) {
  ^bb0(%v: f32, %o: f32):
    %s = arith.addf %v, %o : f32
    linalg.yield %s : f32
  }
  return
}
func.func @between_reads_the_output(%x: memref<?x8xf32>, %z: memref<?x8xf32>, %g: memref<16xf32>, %out: memref<?x8xf32>) attributes {gps.batch_arg = 0 : i64} {
  %g0 = memref.subview %g[0] [8] [1] : memref<16xf32> to memref<8xf32, strided<[1]>>
  linalg.generic {indexing_maps = [#rows, #cols], iterator_types = ["reduction", "parallel"]}
      ins(%x : memref<?x8xf32>) outs(%g0 : memref<8xf32, strided<[1]>>) {
  ^bb0(%v: f32, %o: f32):
    %s = arith.addf %v, %o : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#cols, #rows], iterator_types = ["parallel", "parallel"]}
      ins(%g0 : memref<8xf32, strided<[1]>>) outs(%out : memref<?x8xf32>) {
  ^bb0(%v: f32, %o: f32):
    linalg.yield %v : f32
  }
  %g1 = memref.subview %g[8] [8] [1] : memref<16xf32> to memref<8xf32, strided<[1], offset: 8>>
  linalg.generic {indexing_maps = [#rows, #cols], iterator_types = ["reduction", "parallel"]}
      ins(%x : memref<?x8xf32>) outs(%g1 : memref<8xf32, strided<[1], offset: 8>>) {
  ^bb0(%v: f32, %o: f32):
    %s = arith.addf %v, %o : f32
    linalg.yield %s : f32
  }
  return
}

// -----

#rows = affine_map<(d0, d1) -> (d0, d1)>
#cols = affine_map<(d0, d1) -> (d1)>

// A call of anything but the runtime's sgemm between them: its accesses
// are unknown. Not merged.
// CHECK-LABEL: func.func @past_a_call(
// CHECK:         linalg.generic
// CHECK:         call @unknown
// CHECK:         linalg.generic
func.func private @unknown()
func.func @past_a_call(%x: memref<?x8xf32>, %z: memref<?x8xf32>, %g: memref<16xf32>) attributes {gps.batch_arg = 0 : i64} {
  %g0 = memref.subview %g[0] [8] [1] : memref<16xf32> to memref<8xf32, strided<[1]>>
  linalg.generic {indexing_maps = [#rows, #cols], iterator_types = ["reduction", "parallel"]}
      ins(%x : memref<?x8xf32>) outs(%g0 : memref<8xf32, strided<[1]>>) {
  ^bb0(%v: f32, %o: f32):
    %s = arith.addf %v, %o : f32
    linalg.yield %s : f32
  }
  call @unknown() : () -> ()
  %g1 = memref.subview %g[8] [8] [1] : memref<16xf32> to memref<8xf32, strided<[1], offset: 8>>
  linalg.generic {indexing_maps = [#rows, #cols], iterator_types = ["reduction", "parallel"]}
      ins(%x : memref<?x8xf32>) outs(%g1 : memref<8xf32, strided<[1], offset: 8>>) {
  ^bb0(%v: f32, %o: f32):
    %s = arith.addf %v, %o : f32
    linalg.yield %s : f32
  }
  return
}
