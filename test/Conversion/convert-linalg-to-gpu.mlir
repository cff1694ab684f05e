// RUN: gps-opt %s --convert-linalg-to-gpu | FileCheck %s

// Every loop nest on buffers becomes a kernel of one gpu.module, launched
// where it was; host element accesses move into one-thread kernels.

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
#all = affine_map<(d0, d1) -> ()>

// An elementwise nest: one thread per point of the flattened parallel
// space, 256 per block, enough blocks to cover it; the indices are
// recovered by div/rem, the static extent is rebuilt in the kernel.
// CHECK: module attributes {gpu.container_module}
// CHECK-LABEL: func.func @bias_relu(
// CHECK-SAME:      %[[X:.*]]: memref<?x4xf32>, %[[B:.*]]: memref<4xf32>, %[[Y:.*]]: memref<?x4xf32>)
// CHECK:         %[[N:.*]] = memref.dim %[[X]]
// CHECK:         %[[ROWS:.*]] = arith.muli %{{.*}}, %[[N]]
// CHECK:         %[[POINTS:.*]] = arith.muli %[[ROWS]], %c4
// CHECK:         %[[BLOCKS:.*]] = arith.ceildivui %[[POINTS]], %c256
// CHECK:         %[[GRID:.*]] = arith.maxui %[[BLOCKS]], %c1
// CHECK:         gpu.launch_func @gps_kernels::@bias_relu_k0 blocks in (%[[GRID]], %c1, %c1) threads in (%{{.*}}, %c1, %c1) args(%[[X]] : memref<?x4xf32>, %[[B]] : memref<4xf32>, %[[Y]] : memref<?x4xf32>, %[[N]] : index)
// CHECK-NOT:     linalg.generic
// CHECK:         return
func.func @bias_relu(%x: memref<?x4xf32>, %b: memref<4xf32>, %y: memref<?x4xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %b : memref<?x4xf32>, memref<4xf32>) outs(%y : memref<?x4xf32>) {
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %s = arith.addf %in, %bias : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// A full sum: one block of 1024 threads, each summing a strided share,
// combined by gpu.all_reduce; thread 0 adds the total into the output.
// CHECK-LABEL: func.func @sum(
// CHECK:         gpu.launch_func @gps_kernels::@sum_k1 blocks in (%c1, %c1, %c1) threads in (%c1024, %c1, %c1)
func.func @sum(%x: memref<?x3xf32>, %acc: memref<f32>) {
  linalg.generic {indexing_maps = [#id, #all], iterator_types = ["reduction", "reduction"]}
      ins(%x : memref<?x3xf32>) outs(%acc : memref<f32>) {
  ^bb0(%in: f32, %out: f32):
    %e = math.exp %in : f32
    %s = arith.addf %e, %out : f32
    linalg.yield %s : f32
  }
  return
}

// A reduction that is not a sum runs in order on one thread.
// CHECK-LABEL: func.func @max(
// CHECK:         gpu.launch_func @gps_kernels::@max_k2 blocks in (%c1, %c1, %c1) threads in (%[[ONE:.*]], %c1, %c1)
func.func @max(%x: memref<?x3xf32>, %acc: memref<f32>) {
  linalg.generic {indexing_maps = [#id, #all], iterator_types = ["reduction", "reduction"]}
      ins(%x : memref<?x3xf32>) outs(%acc : memref<f32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %out : f32
    linalg.yield %m : f32
  }
  return
}

// A copy is a copy kernel (into a strided view here).
// CHECK-LABEL: func.func @copy(
// CHECK:         gpu.launch_func @gps_kernels::@copy_k3
// CHECK-NOT:     memref.copy
func.func @copy(%x: memref<5xf32>, %y: memref<5xf32, strided<[1], offset: 3>>) {
  memref.copy %x, %y : memref<5xf32> to memref<5xf32, strided<[1], offset: 3>>
  return
}

// The scalar tail of a loss: the loads and the arithmetic move, with both
// stores, into one one-thread kernel launched right after the reduction it
// reads (before the fill that follows); the dealloc of what it reads moves
// after it.
// CHECK-LABEL: func.func @loss(
// CHECK-SAME:      %[[X:.*]]: memref<?x3xf32>, %[[TERMS:.*]]: memref<?xf32>, %[[N:.*]]: f32)
// CHECK:         %[[ACC:.*]] = memref.alloc() : memref<f32>
// CHECK:         gpu.launch_func @gps_kernels::@loss_k4 {{.*}} args(%[[X]] : memref<?x3xf32>, %[[ACC]] : memref<f32>
// CHECK-NEXT:    %[[ONE:.*]] = arith.constant 1 : index
// CHECK-NEXT:    gpu.launch_func @gps_kernels::@loss_k6 blocks in (%[[ONE]], %[[ONE]], %[[ONE]]) threads in (%[[ONE]], %[[ONE]], %[[ONE]]) args(%[[ACC]] : memref<f32>, %[[N]] : f32, %[[TERMS]] : memref<?xf32>)
// CHECK-NEXT:    memref.dealloc %[[ACC]]
// CHECK:         gpu.launch_func @gps_kernels::@loss_k5
// CHECK-NOT:     memref.load
// CHECK-NOT:     memref.store
// CHECK:         return

// CHECK-LABEL: gpu.module @gps_kernels
// CHECK:       gpu.func @bias_relu_k0(%[[X:.*]]: memref<?x4xf32>, %[[B:.*]]: memref<4xf32>, %[[Y:.*]]: memref<?x4xf32>, %[[N:.*]]: index) kernel attributes {known_block_size = array<i32: 256, 1, 1>}
// CHECK-DAG:     %[[C4:.*]] = arith.constant 4 : index
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG:     %[[TID:.*]] = gpu.thread_id x
// CHECK-DAG:     %[[BID:.*]] = gpu.block_id x
// CHECK:         %[[BASE:.*]] = arith.muli %[[BID]], %c256
// CHECK:         %[[FLAT:.*]] = arith.addi %[[BASE]], %[[TID]]
// CHECK:         %[[IN:.*]] = arith.cmpi ult, %[[FLAT]],
// CHECK:         scf.if %[[IN]] {
// CHECK:           %[[J:.*]] = arith.remui %[[FLAT]], %[[C4]]
// CHECK:           %[[I:.*]] = arith.divui %[[FLAT]], %[[C4]]
// CHECK:           %[[XV:.*]] = memref.load %[[X]][%[[I]], %[[J]]]
// CHECK:           %[[BV:.*]] = memref.load %[[B]][%[[J]]]
// CHECK:           %[[S:.*]] = arith.addf %[[XV]], %[[BV]]
// CHECK:           %[[R:.*]] = arith.maximumf %[[S]], %[[ZERO]]
// CHECK:           memref.store %[[R]], %[[Y]][%[[I]], %[[J]]]
// CHECK:       gpu.func @sum_k1(%[[X:.*]]: memref<?x3xf32>, %[[ACC:.*]]: memref<f32>, %[[N:.*]]: index) kernel attributes {known_block_size = array<i32: 1024, 1, 1>}
// CHECK:         %[[TID:.*]] = gpu.thread_id x
// CHECK:         %[[PART:.*]] = scf.for %[[K:.*]] = %[[TID]] to %{{.*}} step %c1024 iter_args(%[[A:.*]] = %{{.*}}) -> (f32) {
// CHECK:           %[[E:.*]] = math.exp
// CHECK:           %[[NEXT:.*]] = arith.addf %[[E]], %[[A]]
// CHECK:           scf.yield %[[NEXT]]
// CHECK:         %[[ALL:.*]] = gpu.all_reduce add %[[PART]] uniform
// CHECK:         %[[FIRST:.*]] = arith.cmpi eq, %[[TID]], %c0
// CHECK:         scf.if %[[FIRST]] {
// CHECK:           %[[OLD:.*]] = memref.load %[[ACC]][]
// CHECK:           %[[NEW:.*]] = arith.addf %[[ALL]], %[[OLD]]
// CHECK:           memref.store %[[NEW]], %[[ACC]][]
// CHECK:       gpu.func @max_k2({{.*}}) kernel attributes {known_block_size = array<i32: 1, 1, 1>}
// CHECK:         scf.for
// CHECK:           scf.for
// CHECK:             arith.maximumf
// CHECK:       gpu.func @copy_k3(%[[SRC:.*]]: memref<5xf32>, %[[DST:.*]]: memref<5xf32, strided<[1], offset: 3>>)
// CHECK:           %[[V:.*]] = memref.load %[[SRC]][%[[I:.*]]]
// CHECK:           memref.store %[[V]], %[[DST]][%[[I]]]
// CHECK:       gpu.func @loss_k6(%[[ACC:.*]]: memref<f32>, %[[N:.*]]: f32, %[[TERMS:.*]]: memref<?xf32>)
// CHECK:         %[[TOTAL:.*]] = memref.load %[[ACC]][]
// CHECK:         %[[MEAN:.*]] = arith.divf %[[TOTAL]], %[[N]]
// CHECK:         memref.store %[[MEAN]], %[[TERMS]][%c0]
// CHECK:         memref.store %[[TOTAL]], %[[TERMS]][%c1]
func.func @loss(%x: memref<?x3xf32>, %terms: memref<?xf32>, %n: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %acc = memref.alloc() : memref<f32>
  linalg.generic {indexing_maps = [#id, #all], iterator_types = ["reduction", "reduction"]}
      ins(%x : memref<?x3xf32>) outs(%acc : memref<f32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  }
  %total = memref.load %acc[] : memref<f32>
  %mean = arith.divf %total, %n : f32
  memref.dealloc %acc : memref<f32>
  %other = memref.alloc() : memref<f32>
  linalg.fill ins(%n : f32) outs(%other : memref<f32>)
  memref.dealloc %other : memref<f32>
  memref.store %mean, %terms[%c0] : memref<?xf32>
  memref.store %total, %terms[%c1] : memref<?xf32>
  return
}
