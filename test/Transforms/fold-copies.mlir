// RUN: gps-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(gps-fold-copies))' | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// A value computed into a fresh buffer, read, then copied into a slot of
// a tape: computed and read in the slot, no copy, no allocation. (The
// arguments of an entry point, gps.batch_arg, are distinct buffers where
// one of them is written.)
// CHECK-LABEL: func.func @into_slot(
// CHECK-SAME:    %[[X:[^:]*]]: memref<4x3xf32>, %[[TAPE:[^:]*]]: memref<2x4x3xf32>, %[[OUT:[^:]*]]: memref<4x3xf32>, %[[T:[^:]*]]: index)
// CHECK-NOT:     memref.alloc
// CHECK:         %[[SLOT:.*]] = memref.subview %[[TAPE]][%[[T]], 0, 0]
// CHECK:         linalg.generic {{.*}} ins(%[[X]] : memref<4x3xf32>) outs(%[[SLOT]] :
// CHECK:         linalg.generic {{.*}} ins(%[[SLOT]] : {{.*}}) outs(%[[OUT]] : memref<4x3xf32>)
// CHECK-NOT:     memref.copy
// CHECK:         return
func.func @into_slot(%x: memref<4x3xf32>, %tape: memref<2x4x3xf32>, %out: memref<4x3xf32>, %t: index) attributes {gps.batch_arg = 0 : i64} {
  %a = memref.alloc() : memref<4x3xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<4x3xf32>) outs(%a : memref<4x3xf32>) {
  ^bb0(%in: f32, %o: f32):
    %e = math.exp %in : f32
    linalg.yield %e : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<4x3xf32>) outs(%out : memref<4x3xf32>) {
  ^bb0(%in: f32, %o: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  }
  %slot = memref.subview %tape[%t, 0, 0] [1, 4, 3] [1, 1, 1] : memref<2x4x3xf32> to memref<4x3xf32, strided<[3, 1], offset: ?>>
  memref.copy %a, %slot : memref<4x3xf32> to memref<4x3xf32, strided<[3, 1], offset: ?>>
  return
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// Something between the write and the copy reads the tape: it must see the
// old slot, so the copy stays.
// CHECK-LABEL: func.func @read_between(
// CHECK:         memref.alloc
// CHECK:         memref.copy
func.func @read_between(%x: memref<4x3xf32>, %tape: memref<2x4x3xf32>, %t: index) -> f32 {
  %c0 = arith.constant 0 : index
  %a = memref.alloc() : memref<4x3xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<4x3xf32>) outs(%a : memref<4x3xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  %old = memref.load %tape[%t, %c0, %c0] : memref<2x4x3xf32>
  %slot = memref.subview %tape[%t, 0, 0] [1, 4, 3] [1, 1, 1] : memref<2x4x3xf32> to memref<4x3xf32, strided<[3, 1], offset: ?>>
  memref.copy %a, %slot : memref<4x3xf32> to memref<4x3xf32, strided<[3, 1], offset: ?>>
  return %old : f32
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#tr = affine_map<(d0, d1) -> (d1, d0)>

// The writer reads the memory it would write in place (here transposed):
// the copy stays.
// CHECK-LABEL: func.func @writer_reads_target(
// CHECK:         memref.alloc
// CHECK:         memref.copy
func.func @writer_reads_target(%m: memref<3x3xf32>) {
  %a = memref.alloc() : memref<3x3xf32>
  linalg.generic {indexing_maps = [#tr, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m : memref<3x3xf32>) outs(%a : memref<3x3xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  memref.copy %a, %m : memref<3x3xf32> to memref<3x3xf32>
  return
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// A sum accumulated in the fresh buffer (after a zero fill) is computed in
// the target like any other in-place use; a buffer that is also returned
// is not only copied, and its copy stays.
// CHECK-LABEL: func.func @accumulated(
// CHECK-SAME:    %[[X:[^:]*]]: memref<4x3xf32>, %[[OUT:[^:]*]]: memref<4xf32>, %[[OUT2:[^:]*]]: memref<4x3xf32>)
// CHECK:         linalg.fill {{.*}} outs(%[[OUT]] : memref<4xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[X]] : memref<4x3xf32>) outs(%[[OUT]] : memref<4xf32>)
// CHECK:         %[[B:.*]] = memref.alloc() : memref<4x3xf32>
// CHECK:         memref.copy %[[B]], %[[OUT2]]
// CHECK-NOT:     memref.copy
func.func @accumulated(%x: memref<4x3xf32>, %out: memref<4xf32>, %out2: memref<4x3xf32>) -> memref<4x3xf32> attributes {gps.batch_arg = 0 : i64} {
  %zero = arith.constant 0.0 : f32
  %a = memref.alloc() : memref<4xf32>
  linalg.fill ins(%zero : f32) outs(%a : memref<4xf32>)
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<4x3xf32>) outs(%a : memref<4xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %in, %o : f32
    linalg.yield %s : f32
  }
  memref.copy %a, %out : memref<4xf32> to memref<4xf32>
  %b = memref.alloc() : memref<4x3xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<4x3xf32>) outs(%b : memref<4x3xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  memref.copy %b, %out2 : memref<4x3xf32> to memref<4x3xf32>
  return %b : memref<4x3xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// In a loop: the tape is an allocation no loop carries, so the loop's
// carried buffer cannot be it and the copy folds. A copy into a carried
// buffer's root, with the carried buffer written between, stays.
// CHECK-LABEL: func.func @in_loop(
// CHECK:         scf.for
// CHECK-NOT:       memref.alloc() : memref<4x3xf32>
// CHECK:           %[[SLOT:.*]] = memref.subview
// CHECK:           linalg.generic {{.*}} outs(%[[SLOT]] :
// CHECK:           memref.alloc() : memref<4x3xf32>
// CHECK:           memref.copy
// CHECK-NOT:       memref.copy
// CHECK:           scf.yield
// CHECK:         memref.copy
func.func @in_loop(%x: memref<4x3xf32>, %state: memref<4x3xf32>, %out: memref<2x4x3xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %tape = memref.alloc() : memref<2x4x3xf32>
  %r = scf.for %t = %c0 to %c2 step %c1 iter_args(%s = %state) -> (memref<4x3xf32>) {
    %a = memref.alloc() : memref<4x3xf32>
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%x : memref<4x3xf32>) outs(%a : memref<4x3xf32>) {
    ^bb0(%in: f32, %o: f32):
      linalg.yield %in : f32
    }
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%x : memref<4x3xf32>) outs(%s : memref<4x3xf32>) {
    ^bb0(%in: f32, %o: f32):
      linalg.yield %in : f32
    }
    %slot = memref.subview %tape[%t, 0, 0] [1, 4, 3] [1, 1, 1] : memref<2x4x3xf32> to memref<4x3xf32, strided<[3, 1], offset: ?>>
    memref.copy %a, %slot : memref<4x3xf32> to memref<4x3xf32, strided<[3, 1], offset: ?>>
    %b = memref.alloc() : memref<4x3xf32>
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%x : memref<4x3xf32>) outs(%b : memref<4x3xf32>) {
    ^bb0(%in: f32, %o: f32):
      linalg.yield %in : f32
    }
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%x : memref<4x3xf32>) outs(%s : memref<4x3xf32>) {
    ^bb0(%in: f32, %o: f32):
      linalg.yield %in : f32
    }
    memref.copy %b, %state : memref<4x3xf32> to memref<4x3xf32>
    scf.yield %s : memref<4x3xf32>
  }
  memref.copy %tape, %out : memref<2x4x3xf32> to memref<2x4x3xf32>
  return
}

// -----

#id = affine_map<(d0) -> (d0)>

// Slices of one argument (the gradient) that the types show apart: values
// computed while another slice ([3, 6)) is written still fold into their
// own slices ([0, 3) and [6, 9)); one whose slice ([5, 8)) overlaps what is
// written meanwhile keeps its copy.
// CHECK-LABEL: func.func @slices(
// CHECK-SAME:    %[[X:[^:]*]]: memref<3xf32>, %[[G:[^:]*]]: memref<?xf32>)
// CHECK:         %[[A:.*]] = memref.reinterpret_cast %[[G]] to offset: [0], sizes: [3]
// CHECK:         linalg.generic {{.*}} outs(%[[A]] :
// CHECK:         %[[C:.*]] = memref.alloc() : memref<3xf32>
// CHECK:         linalg.generic {{.*}} outs(%[[C]] :
// CHECK:         %[[B:.*]] = memref.reinterpret_cast %[[G]] to offset: [6], sizes: [3]
// CHECK:         linalg.generic {{.*}} outs(%[[B]] :
// CHECK:         memref.copy %[[X]], %{{.*}} : memref<3xf32> to memref<3xf32, strided<[1], offset: 3>>
// CHECK-NOT:     memref.copy
// CHECK:         memref.reinterpret_cast %[[G]] to offset: [5]
// CHECK-NEXT:    memref.copy %[[C]], %{{.*}} : memref<3xf32> to memref<3xf32, strided<[1], offset: 5>>
// CHECK-NEXT:    return
func.func @slices(%x: memref<3xf32>, %g: memref<?xf32>) attributes {gps.batch_arg = 0 : i64} {
  %a = memref.alloc() : memref<3xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : memref<3xf32>) outs(%a : memref<3xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  %c = memref.alloc() : memref<3xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : memref<3xf32>) outs(%c : memref<3xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  %b = memref.alloc() : memref<3xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : memref<3xf32>) outs(%b : memref<3xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  %mid = memref.reinterpret_cast %g to offset: [3], sizes: [3], strides: [1] : memref<?xf32> to memref<3xf32, strided<[1], offset: 3>>
  memref.copy %x, %mid : memref<3xf32> to memref<3xf32, strided<[1], offset: 3>>
  %sa = memref.reinterpret_cast %g to offset: [0], sizes: [3], strides: [1] : memref<?xf32> to memref<3xf32, strided<[1]>>
  memref.copy %a, %sa : memref<3xf32> to memref<3xf32, strided<[1]>>
  %sb = memref.reinterpret_cast %g to offset: [6], sizes: [3], strides: [1] : memref<?xf32> to memref<3xf32, strided<[1], offset: 6>>
  memref.copy %b, %sb : memref<3xf32> to memref<3xf32, strided<[1], offset: 6>>
  %sc = memref.reinterpret_cast %g to offset: [5], sizes: [3], strides: [1] : memref<?xf32> to memref<3xf32, strided<[1], offset: 5>>
  memref.copy %c, %sc : memref<3xf32> to memref<3xf32, strided<[1], offset: 5>>
  return
}

// -----

#id = affine_map<(d0) -> (d0)>

// A buffer that only holds a fill's constant (a zero shared by the
// accumulators it initialises) is not read to initialise them: its copies
// become fills of the targets. One written after its fill keeps its copy.
// CHECK-LABEL: func.func @shared_zero(
// CHECK-SAME:    %[[X:[^:]*]]: memref<3xf32>, %[[A:[^:]*]]: memref<3xf32>, %[[B:[^:]*]]: memref<3xf32>, %[[C:[^:]*]]: memref<3xf32>)
// CHECK:         %[[ZERO:.*]] = arith.constant 0.0
// CHECK:         linalg.fill ins(%[[ZERO]] : f32) outs(%[[A]] : memref<3xf32>)
// CHECK:         linalg.fill ins(%[[ZERO]] : f32) outs(%[[B]] : memref<3xf32>)
// CHECK:         memref.copy %{{.*}}, %[[C]]
func.func @shared_zero(%x: memref<3xf32>, %a: memref<3xf32>, %b: memref<3xf32>, %c: memref<3xf32>) {
  %zero = arith.constant 0.0 : f32
  %z = memref.alloc() : memref<3xf32>
  linalg.fill ins(%zero : f32) outs(%z : memref<3xf32>)
  memref.copy %z, %a : memref<3xf32> to memref<3xf32>
  memref.copy %z, %b : memref<3xf32> to memref<3xf32>
  %w = memref.alloc() : memref<3xf32>
  linalg.fill ins(%zero : f32) outs(%w : memref<3xf32>)
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : memref<3xf32>) outs(%w : memref<3xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %in, %o : f32
    linalg.yield %s : f32
  }
  memref.copy %w, %c : memref<3xf32> to memref<3xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%w : memref<3xf32>) outs(%x : memref<3xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  return
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// A value both kept and copied into a tape slot: computed in the slot, and
// its later reads read the slot.
// CHECK-LABEL: func.func @kept_and_copied(
// CHECK-SAME:    %[[X:[^:]*]]: memref<4x3xf32>, %[[TAPE:[^:]*]]: memref<2x4x3xf32>, %[[OUT:[^:]*]]: memref<4x3xf32>, %[[T:[^:]*]]: index)
// CHECK-NOT:     memref.alloc
// CHECK:         %[[SLOT:.*]] = memref.subview %[[TAPE]][%[[T]], 0, 0]
// CHECK:         linalg.generic {{.*}} ins(%[[X]] : memref<4x3xf32>) outs(%[[SLOT]] :
// CHECK-NOT:     memref.copy
// CHECK:         linalg.generic {{.*}} ins(%[[SLOT]] : {{.*}}) outs(%[[OUT]] : memref<4x3xf32>)
// CHECK:         return
func.func @kept_and_copied(%x: memref<4x3xf32>, %tape: memref<2x4x3xf32>, %out: memref<4x3xf32>, %t: index) attributes {gps.batch_arg = 0 : i64} {
  %a = memref.alloc() : memref<4x3xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<4x3xf32>) outs(%a : memref<4x3xf32>) {
  ^bb0(%in: f32, %o: f32):
    %e = math.exp %in : f32
    linalg.yield %e : f32
  }
  %slot = memref.subview %tape[%t, 0, 0] [1, 4, 3] [1, 1, 1] : memref<2x4x3xf32> to memref<4x3xf32, strided<[3, 1], offset: ?>>
  memref.copy %a, %slot : memref<4x3xf32> to memref<4x3xf32, strided<[3, 1], offset: ?>>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<4x3xf32>) outs(%out : memref<4x3xf32>) {
  ^bb0(%in: f32, %o: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  }
  return
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// The tape is written between the copy and a later read of the value (the
// slot may be the one written): the later read must see the value, so the
// copy stays.
// CHECK-LABEL: func.func @slot_written_before_read(
// CHECK:         memref.alloc
// CHECK:         memref.copy
// CHECK:         memref.store
func.func @slot_written_before_read(%x: memref<4x3xf32>, %tape: memref<2x4x3xf32>, %out: memref<4x3xf32>, %t: index, %u: index, %v: f32) attributes {gps.batch_arg = 0 : i64} {
  %c0 = arith.constant 0 : index
  %a = memref.alloc() : memref<4x3xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<4x3xf32>) outs(%a : memref<4x3xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  %slot = memref.subview %tape[%t, 0, 0] [1, 4, 3] [1, 1, 1] : memref<2x4x3xf32> to memref<4x3xf32, strided<[3, 1], offset: ?>>
  memref.copy %a, %slot : memref<4x3xf32> to memref<4x3xf32, strided<[3, 1], offset: ?>>
  memref.store %v, %tape[%u, %c0, %c0] : memref<2x4x3xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<4x3xf32>) outs(%out : memref<4x3xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  return
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// The value changes after the copy (an accumulator): the slot keeps the
// value at the copy, so the copy stays.
// CHECK-LABEL: func.func @written_after_copy(
// CHECK:         memref.alloc
// CHECK:         memref.copy
func.func @written_after_copy(%x: memref<4x3xf32>, %tape: memref<2x4x3xf32>, %out: memref<4x3xf32>, %t: index) attributes {gps.batch_arg = 0 : i64} {
  %a = memref.alloc() : memref<4x3xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<4x3xf32>) outs(%a : memref<4x3xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  %slot = memref.subview %tape[%t, 0, 0] [1, 4, 3] [1, 1, 1] : memref<2x4x3xf32> to memref<4x3xf32, strided<[3, 1], offset: ?>>
  memref.copy %a, %slot : memref<4x3xf32> to memref<4x3xf32, strided<[3, 1], offset: ?>>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<4x3xf32>) outs(%a : memref<4x3xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %in, %o : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<4x3xf32>) outs(%out : memref<4x3xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  return
}

// -----

// A gradient's slice zeroed and then accumulated onto by the runtime's
// sgemm (beta = 1), with an op on another slice of the same vector in
// between: the sgemm overwrites the slice (beta = 0) and the fill goes.
// CHECK-LABEL: func.func @fill_then_product(
// CHECK-NOT:     linalg.fill
// CHECK:         linalg.generic
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:    call @gps_rt_sgemm(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[ZERO]], %{{.*}})
// CHECK-NOT:     linalg.fill
// CHECK:         return
func.func private @gps_rt_sgemm(i32, i32, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>) attributes {llvm.emit_c_interface}
func.func @fill_then_product(%a: memref<4x3xf32>, %b: memref<3x2xf32>, %g: memref<?xf32>) attributes {gps.batch_arg = 0 : i64} {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %i0 = arith.constant 0 : i32
  %w = memref.reinterpret_cast %g to offset: [0], sizes: [4, 2], strides: [2, 1] : memref<?xf32> to memref<4x2xf32, strided<[2, 1]>>
  %bias = memref.reinterpret_cast %g to offset: [8], sizes: [2], strides: [1] : memref<?xf32> to memref<2xf32, strided<[1], offset: 8>>
  linalg.fill ins(%zero : f32) outs(%w : memref<4x2xf32, strided<[2, 1]>>)
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%bias : memref<2xf32, strided<[1], offset: 8>>) {
  ^bb0(%o: f32):
    linalg.yield %one : f32
  }
  %ca = memref.cast %a : memref<4x3xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  %cb = memref.cast %b : memref<3x2xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  %cw = memref.cast %w : memref<4x2xf32, strided<[2, 1]>> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  call @gps_rt_sgemm(%i0, %i0, %one, %ca, %cb, %one, %cw) : (i32, i32, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
  return
}

// -----

// Not folded: an op in between touches the zeroed slice (it overlaps), a
// factor is the zeroed buffer itself, the fill is not of zero, and the
// product does not accumulate (beta = 0.5).
// CHECK-LABEL: func.func @fill_kept(
// CHECK-COUNT-4: linalg.fill
// CHECK-NOT:     linalg.fill
// CHECK:         return
func.func private @gps_rt_sgemm(i32, i32, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>) attributes {llvm.emit_c_interface}
func.func @fill_kept(%a: memref<2x2xf32>, %g: memref<?xf32>) attributes {gps.batch_arg = 0 : i64} {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %half = arith.constant 0.5 : f32
  %i0 = arith.constant 0 : i32
  %c0 = arith.constant 0 : index
  %ca = memref.cast %a : memref<2x2xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  // Touched in between (a store into its span).
  %w1 = memref.reinterpret_cast %g to offset: [0], sizes: [2, 2], strides: [2, 1] : memref<?xf32> to memref<2x2xf32, strided<[2, 1]>>
  linalg.fill ins(%zero : f32) outs(%w1 : memref<2x2xf32, strided<[2, 1]>>)
  %over = memref.reinterpret_cast %g to offset: [3], sizes: [1], strides: [1] : memref<?xf32> to memref<1xf32, strided<[1], offset: 3>>
  memref.store %one, %over[%c0] : memref<1xf32, strided<[1], offset: 3>>
  %c1 = memref.cast %w1 : memref<2x2xf32, strided<[2, 1]>> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  call @gps_rt_sgemm(%i0, %i0, %one, %ca, %ca, %one, %c1) : (i32, i32, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
  // A factor is the zeroed buffer.
  %w2 = memref.reinterpret_cast %g to offset: [4], sizes: [2, 2], strides: [2, 1] : memref<?xf32> to memref<2x2xf32, strided<[2, 1], offset: 4>>
  linalg.fill ins(%zero : f32) outs(%w2 : memref<2x2xf32, strided<[2, 1], offset: 4>>)
  %c2 = memref.cast %w2 : memref<2x2xf32, strided<[2, 1], offset: 4>> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  call @gps_rt_sgemm(%i0, %i0, %one, %c2, %ca, %one, %c2) : (i32, i32, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
  // Not a zero fill.
  %w3 = memref.reinterpret_cast %g to offset: [8], sizes: [2, 2], strides: [2, 1] : memref<?xf32> to memref<2x2xf32, strided<[2, 1], offset: 8>>
  linalg.fill ins(%one : f32) outs(%w3 : memref<2x2xf32, strided<[2, 1], offset: 8>>)
  %c3 = memref.cast %w3 : memref<2x2xf32, strided<[2, 1], offset: 8>> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  call @gps_rt_sgemm(%i0, %i0, %one, %ca, %ca, %one, %c3) : (i32, i32, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
  // Not accumulated onto.
  %w4 = memref.reinterpret_cast %g to offset: [12], sizes: [2, 2], strides: [2, 1] : memref<?xf32> to memref<2x2xf32, strided<[2, 1], offset: 12>>
  linalg.fill ins(%zero : f32) outs(%w4 : memref<2x2xf32, strided<[2, 1], offset: 12>>)
  %c4 = memref.cast %w4 : memref<2x2xf32, strided<[2, 1], offset: 12>> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  call @gps_rt_sgemm(%i0, %i0, %one, %ca, %ca, %half, %c4) : (i32, i32, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
  return
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// A concat in a loop step: the pieces of a batch of any size are computed
// before the concat's buffer is allocated, from the loop's carried state,
// and the buffer goes to the runtime's sgemm. The allocation moves up to
// the first piece it takes in place; column ranges [0, 2) and [2, 4) are
// apart, so each of those pieces is computed in its columns (the second's
// are written between the first's computation and its copy); the sgemm
// returns nothing, so no carried buffer can be the concat's. The piece
// for columns [1, 3), computed first, keeps its copy: the piece for [0, 2)
// is written in place after it.
// CHECK-LABEL: func.func @concat_in_loop(
// CHECK:         scf.for
// CHECK-NEXT:      %[[MID:.*]] = memref.alloc(%{{.*}}) : memref<?x2xf32>
// CHECK-NEXT:      linalg.generic {{.*}} outs(%[[MID]] :
// CHECK:           %[[CAT:.*]] = memref.alloc(%{{.*}}) : memref<?x4xf32>
// CHECK-NEXT:      %[[LEFT:.*]] = memref.subview %[[CAT]][0, 0] [%{{.*}}, 2] [1, 1]
// CHECK-NEXT:      linalg.generic {{.*}} outs(%[[LEFT]] :
// CHECK:           %[[RIGHT:.*]] = memref.subview %[[CAT]][0, 2] [%{{.*}}, 2] [1, 1]
// CHECK-NEXT:      linalg.generic {{.*}} outs(%[[RIGHT]] :
// CHECK:           memref.copy %[[MID]]
// CHECK-NOT:       memref.copy
// CHECK:           call @gps_rt_sgemm
// CHECK:           scf.yield
func.func private @gps_rt_sgemm(i32, i32, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>)
func.func @concat_in_loop(%x: memref<?x2xf32>, %w: memref<4x4xf32>, %init: memref<?x2xf32>, %out: memref<?x4xf32>) -> memref<?x2xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %i0 = arith.constant 0 : i32
  %one = arith.constant 1.0 : f32
  %n = memref.dim %x, %c0 : memref<?x2xf32>
  %r = scf.for %t = %c0 to %c2 step %c1 iter_args(%s = %init) -> (memref<?x2xf32>) {
    %m = memref.alloc(%n) : memref<?x2xf32>
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%x : memref<?x2xf32>) outs(%m : memref<?x2xf32>) {
    ^bb0(%u: f32, %o: f32):
      %e = math.exp %u : f32
      linalg.yield %e : f32
    }
    %a = memref.alloc(%n) : memref<?x2xf32>
    linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%x, %s : memref<?x2xf32>, memref<?x2xf32>) outs(%a : memref<?x2xf32>) {
    ^bb0(%u: f32, %v: f32, %o: f32):
      %e = arith.addf %u, %v : f32
      linalg.yield %e : f32
    }
    %b = memref.alloc(%n) : memref<?x2xf32>
    linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%x, %s : memref<?x2xf32>, memref<?x2xf32>) outs(%b : memref<?x2xf32>) {
    ^bb0(%u: f32, %v: f32, %o: f32):
      %e = arith.mulf %u, %v : f32
      linalg.yield %e : f32
    }
    %cat = memref.alloc(%n) : memref<?x4xf32>
    %right = memref.subview %cat[0, 2] [%n, 2] [1, 1] : memref<?x4xf32> to memref<?x2xf32, strided<[4, 1], offset: 2>>
    memref.copy %b, %right : memref<?x2xf32> to memref<?x2xf32, strided<[4, 1], offset: 2>>
    %left = memref.subview %cat[0, 0] [%n, 2] [1, 1] : memref<?x4xf32> to memref<?x2xf32, strided<[4, 1]>>
    memref.copy %a, %left : memref<?x2xf32> to memref<?x2xf32, strided<[4, 1]>>
    %mid = memref.subview %cat[0, 1] [%n, 2] [1, 1] : memref<?x4xf32> to memref<?x2xf32, strided<[4, 1], offset: 1>>
    memref.copy %m, %mid : memref<?x2xf32> to memref<?x2xf32, strided<[4, 1], offset: 1>>
    %cc = memref.cast %cat : memref<?x4xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
    %cw = memref.cast %w : memref<4x4xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
    %co = memref.cast %out : memref<?x4xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
    func.call @gps_rt_sgemm(%i0, %i0, %one, %cc, %cw, %one, %co) : (i32, i32, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
    %next = memref.alloc(%n) : memref<?x2xf32>
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%s : memref<?x2xf32>) outs(%next : memref<?x2xf32>) {
    ^bb0(%u: f32, %o: f32):
      %e = math.tanh %u : f32
      linalg.yield %e : f32
    }
    scf.yield %next : memref<?x2xf32>
  }
  return %r : memref<?x2xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>

// A gate's gradient both copied into its columns of a concat and read again
// later (by the sum of its products with a tape slot, the peephole's
// gradient), with the concat read in between: by the runtime's sgemm and by
// a column sum. Reads of the target between the copy and the last read of
// the value see what was copied, so the value is computed in its columns
// and read there. A write of the target in between keeps the copy
// (@slot_written_before_read).
// (The other piece is an argument, copied in.)
// CHECK-LABEL: func.func @target_read_between(
// CHECK-SAME:    %[[X:[^:]*]]: memref<?x2xf32>
// CHECK:         %[[CAT:.*]] = memref.alloc(%{{.*}}) : memref<?x4xf32>
// CHECK-NEXT:    %[[LEFT:.*]] = memref.subview %[[CAT]][0, 0] [%{{.*}}, 2] [1, 1]
// CHECK-NEXT:    linalg.generic {{.*}} outs(%[[LEFT]] :
// CHECK-NOT:     memref.alloc
// CHECK:         memref.copy %[[X]],
// CHECK:         call @gps_rt_sgemm
// CHECK:         linalg.generic {{.*}} ins(%[[CAT]] :
// CHECK:         linalg.generic {{.*}} ins(%[[LEFT]], %{{.*}} :
// CHECK-NOT:     memref.copy
// CHECK:         return
func.func private @gps_rt_sgemm(i32, i32, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>)
func.func @target_read_between(%x: memref<?x2xf32>, %w: memref<4x4xf32>, %out: memref<?x4xf32>, %bias: memref<4xf32>, %slot: memref<?x2xf32>, %peep: memref<2xf32>) attributes {gps.batch_arg = 0 : i64} {
  %c0 = arith.constant 0 : index
  %i0 = arith.constant 0 : i32
  %one = arith.constant 1.0 : f32
  %n = memref.dim %x, %c0 : memref<?x2xf32>
  %cat = memref.alloc(%n) : memref<?x4xf32>
  %a = memref.alloc(%n) : memref<?x2xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<?x2xf32>) outs(%a : memref<?x2xf32>) {
  ^bb0(%u: f32, %o: f32):
    %e = math.exp %u : f32
    linalg.yield %e : f32
  }
  %left = memref.subview %cat[0, 0] [%n, 2] [1, 1] : memref<?x4xf32> to memref<?x2xf32, strided<[4, 1]>>
  memref.copy %a, %left : memref<?x2xf32> to memref<?x2xf32, strided<[4, 1]>>
  %right = memref.subview %cat[0, 2] [%n, 2] [1, 1] : memref<?x4xf32> to memref<?x2xf32, strided<[4, 1], offset: 2>>
  memref.copy %x, %right : memref<?x2xf32> to memref<?x2xf32, strided<[4, 1], offset: 2>>
  %cc = memref.cast %cat : memref<?x4xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  %cw = memref.cast %w : memref<4x4xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  %co = memref.cast %out : memref<?x4xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  func.call @gps_rt_sgemm(%i0, %i0, %one, %cc, %cw, %one, %co) : (i32, i32, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
  linalg.generic {indexing_maps = [#id, #col], iterator_types = ["reduction", "parallel"]}
      ins(%cat : memref<?x4xf32>) outs(%bias : memref<4xf32>) {
  ^bb0(%u: f32, %o: f32):
    %s = arith.addf %u, %o : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #id, #col], iterator_types = ["reduction", "parallel"]}
      ins(%a, %slot : memref<?x2xf32>, memref<?x2xf32>) outs(%peep : memref<2xf32>) {
  ^bb0(%u: f32, %v: f32, %o: f32):
    %p = arith.mulf %u, %v : f32
    %s = arith.addf %p, %o : f32
    linalg.yield %s : f32
  }
  return
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// Loop state kept in its tape (gps-autodiff): a step reads the state from
// slot t and computes the next one, copied into slot t + 1. The slots'
// offsets differ by a constant at least the slot's size, so they are
// apart: the next state is computed in its slot. The same with an
// unrelated slot u read instead keeps the copy.
// CHECK-LABEL: func.func @next_slot(
// CHECK-SAME:    %[[TAPE:[^:]*]]: memref<4x?x3xf32>
// CHECK:         scf.for %[[T:.*]] = 
// CHECK:           %[[NEXT:.*]] = arith.addi %[[T]], %{{.*}} : index
// CHECK:           %[[CUR:.*]] = memref.subview %[[TAPE]][%[[T]], 0, 0]
// CHECK:           %[[DST:.*]] = memref.subview %[[TAPE]][%[[NEXT]], 0, 0]
// CHECK-NEXT:      linalg.generic {{.*}} ins(%[[CUR]] : {{.*}}) outs(%[[DST]] :
// CHECK-NOT:       memref.copy
// CHECK:         return
// CHECK-LABEL: func.func @other_slot(
// CHECK:           memref.alloc
// CHECK:           memref.copy
func.func @next_slot(%tape: memref<4x?x3xf32>, %n: index) attributes {gps.batch_arg = 0 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  scf.for %t = %c0 to %c3 step %c1 {
    %next = arith.addi %t, %c1 : index
    %cur = memref.subview %tape[%t, 0, 0] [1, %n, 3] [1, 1, 1] : memref<4x?x3xf32> to memref<?x3xf32, strided<[3, 1], offset: ?>>
    %a = memref.alloc(%n) : memref<?x3xf32>
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%cur : memref<?x3xf32, strided<[3, 1], offset: ?>>) outs(%a : memref<?x3xf32>) {
    ^bb0(%in: f32, %o: f32):
      %e = math.tanh %in : f32
      linalg.yield %e : f32
    }
    %dst = memref.subview %tape[%next, 0, 0] [1, %n, 3] [1, 1, 1] : memref<4x?x3xf32> to memref<?x3xf32, strided<[3, 1], offset: ?>>
    memref.copy %a, %dst : memref<?x3xf32> to memref<?x3xf32, strided<[3, 1], offset: ?>>
  }
  return
}
func.func @other_slot(%tape: memref<4x?x3xf32>, %n: index, %u: index) attributes {gps.batch_arg = 0 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  scf.for %t = %c0 to %c3 step %c1 {
    %next = arith.addi %t, %c1 : index
    %cur = memref.subview %tape[%u, 0, 0] [1, %n, 3] [1, 1, 1] : memref<4x?x3xf32> to memref<?x3xf32, strided<[3, 1], offset: ?>>
    %a = memref.alloc(%n) : memref<?x3xf32>
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%cur : memref<?x3xf32, strided<[3, 1], offset: ?>>) outs(%a : memref<?x3xf32>) {
    ^bb0(%in: f32, %o: f32):
      %e = math.tanh %in : f32
      linalg.yield %e : f32
    }
    %dst = memref.subview %tape[%next, 0, 0] [1, %n, 3] [1, 1, 1] : memref<4x?x3xf32> to memref<?x3xf32, strided<[3, 1], offset: ?>>
    memref.copy %a, %dst : memref<?x3xf32> to memref<?x3xf32, strided<[3, 1], offset: ?>>
  }
  return
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// A concat built in a fresh buffer, piece by piece through subviews, read
// whole by the runtime's sgemm, then copied into its tape slot: built in
// the slot instead. Its pieces are taken of the slot (their layouts
// change), and the sgemm reads the slot. A piece used after the copy keeps
// it (@piece_after_copy).
// CHECK-LABEL: func.func @pieces_into_slot(
// CHECK-SAME:    %[[X:[^:]*]]: memref<?x2xf32>, %{{[^:]*}}: memref<4x4xf32>, %{{[^:]*}}: memref<?x4xf32>, %[[TAPE:[^:]*]]: memref<3x?x4xf32>, %[[T:[^:]*]]: index)
// CHECK-NOT:     memref.alloc
// CHECK:         %[[SLOT:.*]] = memref.subview %[[TAPE]][%[[T]], 0, 0]
// CHECK:         %[[LEFT:.*]] = memref.subview %[[SLOT]][0, 0] [%{{.*}}, 2] [1, 1] : memref<?x4xf32, strided<[4, 1], offset: ?>> to memref<?x2xf32, strided<[4, 1], offset: ?>>
// CHECK-NEXT:    linalg.generic {{.*}} outs(%[[LEFT]] :
// CHECK:         %[[RIGHT:.*]] = memref.subview %[[SLOT]][0, 2] [%{{.*}}, 2] [1, 1]
// CHECK-NEXT:    memref.copy %[[X]], %[[RIGHT]]
// CHECK:         memref.cast %[[SLOT]] : memref<?x4xf32, strided<[4, 1], offset: ?>> to memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK:         call @gps_rt_sgemm
// CHECK-NOT:     memref.copy
// CHECK:         return
// CHECK-LABEL: func.func @piece_after_copy(
// CHECK:         memref.alloc
// CHECK:         memref.copy %{{.*}}, %{{.*}} : memref<?x4xf32> to
func.func private @gps_rt_sgemm(i32, i32, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>)
func.func @pieces_into_slot(%x: memref<?x2xf32>, %w: memref<4x4xf32>, %out: memref<?x4xf32>, %tape: memref<3x?x4xf32>, %t: index) attributes {gps.batch_arg = 0 : i64} {
  %c0 = arith.constant 0 : index
  %i0 = arith.constant 0 : i32
  %one = arith.constant 1.0 : f32
  %n = memref.dim %x, %c0 : memref<?x2xf32>
  %cat = memref.alloc(%n) : memref<?x4xf32>
  %left = memref.subview %cat[0, 0] [%n, 2] [1, 1] : memref<?x4xf32> to memref<?x2xf32, strided<[4, 1]>>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<?x2xf32>) outs(%left : memref<?x2xf32, strided<[4, 1]>>) {
  ^bb0(%u: f32, %o: f32):
    %e = math.exp %u : f32
    linalg.yield %e : f32
  }
  %right = memref.subview %cat[0, 2] [%n, 2] [1, 1] : memref<?x4xf32> to memref<?x2xf32, strided<[4, 1], offset: 2>>
  memref.copy %x, %right : memref<?x2xf32> to memref<?x2xf32, strided<[4, 1], offset: 2>>
  %cc = memref.cast %cat : memref<?x4xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  %cw = memref.cast %w : memref<4x4xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  %co = memref.cast %out : memref<?x4xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  func.call @gps_rt_sgemm(%i0, %i0, %one, %cc, %cw, %one, %co) : (i32, i32, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
  %slot = memref.subview %tape[%t, 0, 0] [1, %n, 4] [1, 1, 1] : memref<3x?x4xf32> to memref<?x4xf32, strided<[4, 1], offset: ?>>
  memref.copy %cat, %slot : memref<?x4xf32> to memref<?x4xf32, strided<[4, 1], offset: ?>>
  return
}
func.func @piece_after_copy(%x: memref<?x2xf32>, %out: memref<?x2xf32>, %tape: memref<3x?x4xf32>, %t: index) attributes {gps.batch_arg = 0 : i64} {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x2xf32>
  %cat = memref.alloc(%n) : memref<?x4xf32>
  %left = memref.subview %cat[0, 0] [%n, 2] [1, 1] : memref<?x4xf32> to memref<?x2xf32, strided<[4, 1]>>
  memref.copy %x, %left : memref<?x2xf32> to memref<?x2xf32, strided<[4, 1]>>
  %right = memref.subview %cat[0, 2] [%n, 2] [1, 1] : memref<?x4xf32> to memref<?x2xf32, strided<[4, 1], offset: 2>>
  memref.copy %x, %right : memref<?x2xf32> to memref<?x2xf32, strided<[4, 1], offset: 2>>
  %slot = memref.subview %tape[%t, 0, 0] [1, %n, 4] [1, 1, 1] : memref<3x?x4xf32> to memref<?x4xf32, strided<[4, 1], offset: ?>>
  memref.copy %cat, %slot : memref<?x4xf32> to memref<?x4xf32, strided<[4, 1], offset: ?>>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%left : memref<?x2xf32, strided<[4, 1]>>) outs(%out : memref<?x2xf32>) {
  ^bb0(%u: f32, %o: f32):
    linalg.yield %u : f32
  }
  return
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>

// A parameter's gradient, zeroed, accumulated in place by the steps of the
// backward loop (a column sum, and the runtime's sgemm through a cast), then
// copied into its slice of the entry's gradient: accumulated in the slice.
// The loop's carried adjoint, read after the loop, is one of the loop's own
// buffers (its initial one or one a step allocates), never the gradient.
// CHECK-LABEL: func.func @accumulated_in_loop(
// CHECK-SAME:    %[[GRAD:[^:]*]]: memref<10xf32>
// CHECK-NOT:     memref.alloc() : memref<2x2xf32>
// CHECK:         %[[SLICE:.*]] = memref.reinterpret_cast %[[GRAD]] to offset: [2], sizes: [2, 2], strides: [2, 1]
// CHECK-NEXT:    linalg.fill ins(%{{.*}} : f32) outs(%[[SLICE]] :
// CHECK:         scf.for
// CHECK:           memref.cast %[[SLICE]]
// CHECK:           linalg.generic {{.*}} outs(%[[SLICE]] :
// CHECK:         }
// CHECK-NOT:     memref.copy
// CHECK:         return
func.func private @gps_rt_sgemm(i32, i32, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>)
func.func @accumulated_in_loop(%x: memref<2x2xf32>, %grad: memref<10xf32>, %out: memref<2x2xf32>) attributes {gps.batch_arg = 0 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %i0 = arith.constant 0 : i32
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %acc = memref.alloc() : memref<2x2xf32>
  linalg.fill ins(%zero : f32) outs(%acc : memref<2x2xf32>)
  %adj0 = memref.alloc() : memref<2x2xf32>
  %adj = scf.for %t = %c0 to %c3 step %c1 iter_args(%a = %adj0) -> (memref<2x2xf32>) {
    %ca = memref.cast %a : memref<2x2xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
    %cx = memref.cast %x : memref<2x2xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
    %cacc = memref.cast %acc : memref<2x2xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
    func.call @gps_rt_sgemm(%i0, %i0, %one, %ca, %cx, %one, %cacc) : (i32, i32, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%x : memref<2x2xf32>) outs(%acc : memref<2x2xf32>) {
    ^bb0(%u: f32, %o: f32):
      %s = arith.addf %u, %o : f32
      linalg.yield %s : f32
    }
    %next = memref.alloc() : memref<2x2xf32>
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%a : memref<2x2xf32>) outs(%next : memref<2x2xf32>) {
    ^bb0(%u: f32, %o: f32):
      %e = math.tanh %u : f32
      linalg.yield %e : f32
    }
    scf.yield %next : memref<2x2xf32>
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%adj : memref<2x2xf32>) outs(%out : memref<2x2xf32>) {
  ^bb0(%u: f32, %o: f32):
    linalg.yield %u : f32
  }
  %slice = memref.reinterpret_cast %grad to offset: [2], sizes: [2, 2], strides: [2, 1] : memref<10xf32> to memref<2x2xf32, strided<[2, 1], offset: 2>>
  memref.copy %acc, %slice : memref<2x2xf32> to memref<2x2xf32, strided<[2, 1], offset: 2>>
  return
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// The same, but the loop's carried buffer starts as the gradient's slice
// itself: what the loop writes may be the target, so the copy stays.
// CHECK-LABEL: func.func @loop_carries_target(
// CHECK:         memref.alloc() : memref<2x2xf32>
// CHECK:         memref.copy
func.func @loop_carries_target(%x: memref<2x2xf32>, %grad: memref<10xf32>) attributes {gps.batch_arg = 0 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %zero = arith.constant 0.0 : f32
  %acc = memref.alloc() : memref<2x2xf32>
  linalg.fill ins(%zero : f32) outs(%acc : memref<2x2xf32>)
  %slice = memref.reinterpret_cast %grad to offset: [2], sizes: [2, 2], strides: [2, 1] : memref<10xf32> to memref<2x2xf32, strided<[2, 1], offset: 2>>
  %r = scf.for %t = %c0 to %c3 step %c1 iter_args(%a = %slice) -> (memref<2x2xf32, strided<[2, 1], offset: 2>>) {
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%x : memref<2x2xf32>) outs(%acc : memref<2x2xf32>) {
    ^bb0(%u: f32, %o: f32):
      %s = arith.addf %u, %o : f32
      linalg.yield %s : f32
    }
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%x : memref<2x2xf32>) outs(%a : memref<2x2xf32, strided<[2, 1], offset: 2>>) {
    ^bb0(%u: f32, %o: f32):
      linalg.yield %u : f32
    }
    scf.yield %a : memref<2x2xf32, strided<[2, 1], offset: 2>>
  }
  memref.copy %acc, %slice : memref<2x2xf32> to memref<2x2xf32, strided<[2, 1], offset: 2>>
  return
}

// -----

// Zero fills, one after the other, of adjoining slices of one gradient
// vector (elements [0, 6) and [6, 10), in either order) become one fill of
// elements [0, 10). A fill of another value, or of a slice with a gap
// before it ([12, 14)), stays. A buffer that is only filled (its copies
// became fills of their targets) goes with its fill.
// CHECK-LABEL: func.func @merge_fills(
// CHECK-SAME:    %[[G:[^:]*]]: memref<16xf32>
// CHECK-NOT:     memref.alloc
// CHECK:         %[[ALL:.*]] = memref.reinterpret_cast %[[G]] to offset: [0], sizes: [10], strides: [1] : memref<16xf32> to memref<10xf32, strided<[1]>>
// CHECK-NEXT:    linalg.fill ins(%{{.*}} : f32) outs(%[[ALL]] :
// CHECK-NOT:     linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : memref<2x3xf32
// CHECK:         linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : memref<2xf32, strided<[1], offset: 12>>)
// CHECK:         linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : memref<2xf32, strided<[1], offset: 14>>)
// CHECK-NOT:     linalg.fill
// CHECK:         return
func.func @merge_fills(%g: memref<16xf32>) attributes {gps.batch_arg = 0 : i64} {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %dead = memref.alloc() : memref<4xf32>
  linalg.fill ins(%zero : f32) outs(%dead : memref<4xf32>)
  %b = memref.reinterpret_cast %g to offset: [6], sizes: [4], strides: [1] : memref<16xf32> to memref<4xf32, strided<[1], offset: 6>>
  linalg.fill ins(%zero : f32) outs(%b : memref<4xf32, strided<[1], offset: 6>>)
  %a = memref.reinterpret_cast %g to offset: [0], sizes: [2, 3], strides: [3, 1] : memref<16xf32> to memref<2x3xf32, strided<[3, 1]>>
  linalg.fill ins(%zero : f32) outs(%a : memref<2x3xf32, strided<[3, 1]>>)
  %c = memref.reinterpret_cast %g to offset: [12], sizes: [2], strides: [1] : memref<16xf32> to memref<2xf32, strided<[1], offset: 12>>
  linalg.fill ins(%zero : f32) outs(%c : memref<2xf32, strided<[1], offset: 12>>)
  %d = memref.reinterpret_cast %g to offset: [14], sizes: [2], strides: [1] : memref<16xf32> to memref<2xf32, strided<[1], offset: 14>>
  linalg.fill ins(%one : f32) outs(%d : memref<2xf32, strided<[1], offset: 14>>)
  return
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// No fill first: the buffer's first use is in the loop, and another op of
// the loop writes the target. The loop's own ops are in the span too, so
// the copy stays.
// CHECK-LABEL: func.func @loop_writes_target(
// CHECK:         memref.alloc() : memref<2x2xf32>
// CHECK:         memref.copy
func.func @loop_writes_target(%x: memref<2x2xf32>, %grad: memref<10xf32>) attributes {gps.batch_arg = 0 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %acc = memref.alloc() : memref<2x2xf32>
  %slice = memref.reinterpret_cast %grad to offset: [2], sizes: [2, 2], strides: [2, 1] : memref<10xf32> to memref<2x2xf32, strided<[2, 1], offset: 2>>
  scf.for %t = %c0 to %c3 step %c1 {
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%x : memref<2x2xf32>) outs(%acc : memref<2x2xf32>) {
    ^bb0(%u: f32, %o: f32):
      linalg.yield %u : f32
    }
    linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%x : memref<2x2xf32>) outs(%slice : memref<2x2xf32, strided<[2, 1], offset: 2>>) {
    ^bb0(%u: f32, %o: f32):
      %s = arith.addf %u, %o : f32
      linalg.yield %s : f32
    }
  }
  memref.copy %acc, %slice : memref<2x2xf32> to memref<2x2xf32, strided<[2, 1], offset: 2>>
  return
}
