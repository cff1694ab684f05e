// RUN: gps-opt %s --gps-capture-entries | FileCheck %s

// Entry points whose GPU work the runtime may record in a CUDA Graph and
// replay: the entry first calls gps_rt_cuda_graph_begin with its number, a
// signature of its arguments and `stream`, and the kernels that took
// `stream` read it from the buffer that call returns.

// CHECK: func.func private @gps_rt_cuda_graph_begin(i32, i64, i64) -> memref<1xi64> attributes {llvm.emit_c_interface}
module attributes {gpu.container_module} {
  func.func private @gps_rt_cuda_sgemm(i32, i32, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>) attributes {llvm.emit_c_interface}
  func.func private @gps_rt_cuda_normal(memref<?x?xf32>, i64, i64, i64, i64) attributes {llvm.emit_c_interface}
  // The deallocation's helper: host code of the module, which may be called.
  func.func private @helper(%m: memref<?xf32>) {
    gpu.dealloc %m : memref<?xf32>
    return
  }

  // The signature mixes the addresses and dynamic sizes of the memrefs and
  // the key, not the stream; the begin call comes before any GPU work.
  // CHECK-LABEL: func.func @gps_model_train(
  // CHECK-SAME:      %[[X:[a-z0-9_]+]]: memref<?x?xf32>, %[[P:[a-z0-9_]+]]: memref<?xf32>, %[[KEY:[a-z0-9_]+]]: i64, %[[STREAM:[a-z0-9_]+]]: i64)
  // CHECK-SAME:      gps.graph
  // CHECK-NOT:     gpu.
  // CHECK-DAG:     memref.extract_aligned_pointer_as_index %[[X]]
  // CHECK-DAG:     %[[D0:.*]] = memref.dim %[[X]], %c0
  // CHECK-DAG:     %[[D1:.*]] = memref.dim %[[X]], %c1
  // CHECK-DAG:     arith.index_cast %[[D0]]
  // CHECK-DAG:     arith.index_cast %[[D1]]
  // CHECK-DAG:     memref.extract_aligned_pointer_as_index %[[P]]
  // CHECK-DAG:     %[[LAST:.*]] = arith.xori %{{.*}}, %[[KEY]]
  // CHECK-NOT:     gpu.
  // CHECK-NOT:     arith.xori %{{.*}}, %[[STREAM]]
  // CHECK:         %[[HASH:.*]] = arith.muli %[[LAST]]
  // CHECK:         %[[S:.*]] = call @gps_rt_cuda_graph_begin(%c0_i32, %[[HASH]], %[[STREAM]])
  // CHECK:         gpu.alloc
  // CHECK:         gpu.launch_func @kernels::@noise {{.*}} args(%{{.*}} : memref<?xf32>, %[[S]] : memref<1xi64>, %[[KEY]] : i64)
  // CHECK:         gpu.launch_func @kernels::@plain {{.*}} args(%{{.*}} : memref<?xf32>)
  // CHECK:         call @gps_rt_cuda_sgemm(
  // CHECK:         call @helper(
  func.func @gps_model_train(%x: memref<?x?xf32>, %p: memref<?xf32>, %key: i64, %stream: i64) {
    %c1 = arith.constant 1 : index
    %c0 = arith.constant 0 : index
    %one = arith.constant 1.0 : f32
    %i0 = arith.constant 0 : i32
    %n = memref.dim %p, %c0 : memref<?xf32>
    %t = gpu.alloc (%n) : memref<?xf32>
    gpu.launch_func @kernels::@noise blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%t : memref<?xf32>, %stream : i64, %key : i64)
    gpu.launch_func @kernels::@plain blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%t : memref<?xf32>)
    %a = memref.cast %x : memref<?x?xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
    call @gps_rt_cuda_sgemm(%i0, %i0, %one, %a, %a, %one, %a) : (i32, i32, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
    call @helper(%t) : (memref<?xf32>) -> ()
    return
  }

  // The host computes with the stream: replaying would use a stale value.
  // CHECK-LABEL: func.func @gps_model_eval(
  // CHECK-NOT:     gps.graph
  // CHECK-NOT:     call @gps_rt_cuda_graph_begin
  // CHECK:         args(%{{.*}} : memref<?xf32>, %{{.*}} : i64, %{{.*}} : i64)
  func.func @gps_model_eval(%p: memref<?xf32>, %key: i64, %stream: i64) {
    %c1 = arith.constant 1 : index
    %next = arith.addi %stream, %key : i64
    gpu.launch_func @kernels::@noise_eval blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%p : memref<?xf32>, %next : i64, %key : i64)
    return
  }

  // Noise drawn on the host (--noise=runtime) differs at every call.
  // CHECK-LABEL: func.func @gps_model_sample(
  // CHECK-NOT:     gps.graph
  // CHECK-NOT:     call @gps_rt_cuda_graph_begin
  func.func @gps_model_sample(%x: memref<?x?xf32>, %key: i64, %stream: i64) {
    %zero = arith.constant 0 : i64
    call @gps_rt_cuda_normal(%x, %key, %stream, %zero, %zero) : (memref<?x?xf32>, i64, i64, i64, i64) -> ()
    return
  }

  // The optimizer's entry points have no stream (0 is passed): the
  // trainer records them with the training step. A float scalar is mixed
  // into the signature by its bits (f64: no widening).
  // CHECK-LABEL: func.func @gps_model_adam(
  // CHECK-SAME:      %[[AP:[a-z0-9_]+]]: memref<?xf32>, %[[CLIP:[a-z0-9_]+]]: f64)
  // CHECK-SAME:      gps.graph
  // CHECK-DAG:     memref.extract_aligned_pointer_as_index %[[AP]]
  // CHECK-DAG:     %[[BITS:.*]] = arith.bitcast %[[CLIP]] : f64 to i64
  // CHECK:         arith.xori %{{.*}}, %[[BITS]]
  // CHECK:         %[[AHASH:.*]] = arith.muli
  // CHECK:         call @gps_rt_cuda_graph_begin(%c1_i32, %[[AHASH]], %c0_i64)
  // CHECK:         gpu.launch_func @kernels::@plain
  func.func @gps_model_adam(%p: memref<?xf32>, %clip: f64) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @kernels::@plain blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%p : memref<?xf32>)
    return
  }

  // ... unless they call what a graph cannot record.
  // CHECK-LABEL: func.func @gps_model_grad_sumsq(
  // CHECK-NOT:     gps.graph
  // CHECK-NOT:     call @gps_rt_cuda_graph_begin
  func.func @gps_model_grad_sumsq(%x: memref<?x?xf32>, %clip: f32) {
    %zero = arith.constant 0 : i64
    call @gps_rt_cuda_normal(%x, %zero, %zero, %zero, %zero) : (memref<?x?xf32>, i64, i64, i64, i64) -> ()
    return
  }

  gpu.module @kernels {
    // CHECK-LABEL: gpu.func @noise(
    // CHECK-SAME:      %{{.*}}: memref<?xf32>, %[[BUF:.*]]: memref<1xi64>, %{{.*}}: i64) kernel
    // CHECK:         %[[V:.*]] = memref.load %[[BUF]][%{{.*}}] : memref<1xi64>
    // CHECK:         arith.uitofp %[[V]]
    gpu.func @noise(%out: memref<?xf32>, %stream: i64, %key: i64) kernel {
      %c0 = arith.constant 0 : index
      %f = arith.uitofp %stream : i64 to f32
      memref.store %f, %out[%c0] : memref<?xf32>
      gpu.return
    }
    // CHECK-LABEL: gpu.func @noise_eval(
    // CHECK-SAME:      %{{.*}}: memref<?xf32>, %{{.*}}: i64, %{{.*}}: i64) kernel
    gpu.func @noise_eval(%out: memref<?xf32>, %stream: i64, %key: i64) kernel {
      %c0 = arith.constant 0 : index
      %f = arith.uitofp %stream : i64 to f32
      memref.store %f, %out[%c0] : memref<?xf32>
      gpu.return
    }
    gpu.func @plain(%out: memref<?xf32>) kernel {
      gpu.return
    }
  }
}
