// RUN: gps-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(gpu-async-region,gps-elide-host-waits))' | FileCheck %s
// RUN: gps-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(gpu-async-region))' | FileCheck %s --check-prefix=BEFORE

// gpu-async-region waits on the host before each call, around the loop and
// at the end of its body; on the runtime's one stream none of that is
// needed, only one wait on the stream before the return.
// BEFORE-LABEL: func.func @step(
// BEFORE:         gpu.wait [
// BEFORE-NEXT:    call @gps_rt_cuda_sgemm
// BEFORE:         scf.for
// BEFORE:           gpu.wait [
// BEFORE-NEXT:      func.call @gps_rt_cuda_normal
// BEFORE:           gpu.launch_func async
// BEFORE-NEXT:      gpu.wait [
// BEFORE-NEXT:    }

// CHECK-LABEL: func.func @step(
// CHECK-NOT:     gpu.wait [
// CHECK:         gpu.launch_func async
// CHECK-NOT:     gpu.wait [
// CHECK:         call @gps_rt_cuda_sgemm
// CHECK-NOT:     gpu.wait [
// CHECK:         scf.for
// CHECK-NOT:       gpu.wait [
// CHECK:           func.call @gps_rt_cuda_normal
// CHECK-NEXT:      %{{.*}} = gpu.wait async
// CHECK-NEXT:      gpu.launch_func async
// CHECK-NEXT:    }
// CHECK-NOT:     gpu.wait [
// CHECK:         gpu.dealloc async
// CHECK-NEXT:    %[[STREAM:.*]] = gpu.wait async
// CHECK-NEXT:    gpu.wait [%[[STREAM]]]
// CHECK-NEXT:    return
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @touch(%a: memref<?x?xf32>) kernel {
      gpu.return
    }
  }
  func.func private @gps_rt_cuda_sgemm(memref<?x?xf32>)
  func.func private @gps_rt_cuda_normal(memref<?x?xf32>, i64, i64, i64, i64)
  func.func @step(%n: index, %key: i64) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    %a = gpu.alloc (%n, %n) : memref<?x?xf32>
    gpu.launch_func @kernels::@touch blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<?x?xf32>)
    call @gps_rt_cuda_sgemm(%a) : (memref<?x?xf32>) -> ()
    scf.for %i = %c0 to %c4 step %c1 {
      gpu.launch_func @kernels::@touch blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<?x?xf32>)
      func.call @gps_rt_cuda_normal(%a, %key, %key, %key, %key) : (memref<?x?xf32>, i64, i64, i64, i64) -> ()
      gpu.launch_func @kernels::@touch blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<?x?xf32>)
    }
    gpu.dealloc %a : memref<?x?xf32>
    return
  }
}

// -----

// A host function reading a float buffer the GPU wrote keeps every wait.
// CHECK-LABEL: func.func @reads(
// CHECK:         gpu.launch_func async
// CHECK-NEXT:    gpu.wait [
// CHECK-NEXT:    call @host_reader
// CHECK:         gpu.dealloc async
// CHECK-NEXT:    gpu.wait [
// CHECK-NEXT:    return
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @touch(%a: memref<?x?xf32>) kernel {
      gpu.return
    }
  }
  func.func private @host_reader(memref<?x?xf32>)
  func.func @reads(%n: index) {
    %c1 = arith.constant 1 : index
    %a = gpu.alloc (%n, %n) : memref<?x?xf32>
    gpu.launch_func @kernels::@touch blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<?x?xf32>)
    call @host_reader(%a) : (memref<?x?xf32>) -> ()
    gpu.dealloc %a : memref<?x?xf32>
    return
  }
}
