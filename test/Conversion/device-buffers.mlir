// RUN: gps-opt %s --gps-device-buffers | FileCheck %s
// RUN: gps-opt %s --gps-device-buffers=in-place-arguments | FileCheck %s --check-prefix=INPLACE

// The host code of --target=cuda on device buffers: the arguments are
// copied in, the written ones copied back; float allocations are device
// allocations; the runtime calls are the device ones.

// With in-place-arguments (gpsc's choice: the trainer passes memory the GPU
// shares with the host) the arguments are used as they are: no copy, and
// the kernels and runtime calls get the arguments themselves.
// INPLACE-LABEL: func.func @entry(
// INPLACE-SAME:      %[[X:[a-z0-9_]+]]: memref<?x?xf32>, %[[W:[a-z0-9_]+]]: memref<?xf32>, %[[OUT:[a-z0-9_]+]]: memref<?xf32>, %[[C:[a-z0-9_]+]]: memref<?x?xf32>, %[[SEED:[a-z0-9_]+]]: i64)
// INPLACE-NOT:     gpu.memcpy
// INPLACE:         %[[TMP:[a-z0-9_]+]] = gpu.alloc (%{{.*}}) : memref<?x4xf32>
// INPLACE-NOT:     gpu.memcpy
// INPLACE:         gpu.launch_func @kernels::@reads_then_writes {{.*}} args(%[[W]] : memref<?xf32>, %[[OUT]] : memref<?xf32>)
// INPLACE-NOT:     gpu.memcpy
// INPLACE:         memref.cast %[[X]]
// INPLACE-NOT:     gpu.memcpy
// INPLACE:         memref.cast %[[C]]
// INPLACE:         call @gps_rt_cuda_sgemm(
// INPLACE-NOT:     gpu.memcpy
// INPLACE:         return

// CHECK: func.func private @gps_rt_cuda_sgemm(
// CHECK: func.func private @gps_rt_cuda_normal(
module attributes {gpu.container_module} {
  func.func private @gps_rt_sgemm(i32, i32, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>) attributes {llvm.emit_c_interface}
  func.func private @gps_rt_normal(memref<?x?xf32>, i64, i64, i64, i64) attributes {llvm.emit_c_interface}

  // CHECK-LABEL: func.func @entry(
  // CHECK-SAME:      %[[X:[a-z0-9_]+]]: memref<?x?xf32>, %[[W:[a-z0-9_]+]]: memref<?xf32>, %[[OUT:[a-z0-9_]+]]: memref<?xf32>, %[[C:[a-z0-9_]+]]: memref<?x?xf32>, %[[SEED:[a-z0-9_]+]]: i64)
  // CHECK:         %[[DX:[a-z0-9_]+]] = gpu.alloc (%{{.*}}, %{{.*}}) : memref<?x?xf32>
  // CHECK-NEXT:    gpu.memcpy %[[DX]], %[[X]]
  // CHECK:         %[[DW:[a-z0-9_]+]] = gpu.alloc (%{{.*}}) : memref<?xf32>
  // CHECK-NEXT:    gpu.memcpy %[[DW]], %[[W]]
  // CHECK:         %[[DOUT:[a-z0-9_]+]] = gpu.alloc (%{{.*}}) : memref<?xf32>
  // CHECK-NEXT:    gpu.memcpy %[[DOUT]], %[[OUT]]
  // CHECK:         %[[DC:[a-z0-9_]+]] = gpu.alloc (%{{.*}}, %{{.*}}) : memref<?x?xf32>
  // CHECK-NEXT:    gpu.memcpy %[[DC]], %[[C]]
  // CHECK:         %[[TMP:[a-z0-9_]+]] = gpu.alloc (%{{.*}}) : memref<?x4xf32>
  // CHECK:         %[[BOOK:[a-z0-9_]+]] = memref.alloc() : memref<2xindex>
  // CHECK:         gpu.launch_func @kernels::@reads_then_writes {{.*}} args(%[[DW]] : memref<?xf32>, %[[DOUT]] : memref<?xf32>)
  // CHECK:         call @gps_rt_cuda_normal(%[[NOISE:[a-z0-9_]+]], %[[SEED]],
  // CHECK:         call @gps_rt_cuda_sgemm(
  // CHECK:         gpu.dealloc %[[TMP]]
  // CHECK:         memref.dealloc %[[BOOK]]
  // Read-only arguments are not copied back; the written ones are.
  // CHECK-NOT:     gpu.memcpy %[[X]]
  // CHECK-NOT:     gpu.memcpy %[[W]]
  // CHECK:         gpu.memcpy %[[OUT]], %[[DOUT]]
  // CHECK:         gpu.memcpy %[[C]], %[[DC]]
  // CHECK:         return
  func.func @entry(%x: memref<?x?xf32>, %w: memref<?xf32>, %out: memref<?xf32>, %c: memref<?x?xf32>, %seed: i64) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %zero = arith.constant 0 : i64
    %one = arith.constant 1.0 : f32
    %i0 = arith.constant 0 : i32
    %n = memref.dim %x, %c0 : memref<?x?xf32>
    %tmp = memref.alloc(%n) : memref<?x4xf32>
    %book = memref.alloc() : memref<2xindex>
    gpu.launch_func @kernels::@reads_then_writes blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%w : memref<?xf32>, %out : memref<?xf32>)
    %noise = memref.cast %tmp : memref<?x4xf32> to memref<?x?xf32>
    call @gps_rt_normal(%noise, %seed, %zero, %zero, %zero) : (memref<?x?xf32>, i64, i64, i64, i64) -> ()
    %a = memref.cast %x : memref<?x?xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
    %b = memref.cast %tmp : memref<?x4xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
    %cc = memref.cast %c : memref<?x?xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
    call @gps_rt_sgemm(%i0, %i0, %one, %a, %b, %one, %cc) : (i32, i32, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
    memref.dealloc %tmp : memref<?x4xf32>
    memref.dealloc %book : memref<2xindex>
    return
  }

  gpu.module @kernels {
    gpu.func @reads_then_writes(%in: memref<?xf32>, %out: memref<?xf32>) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.load %in[%c0] : memref<?xf32>
      memref.store %v, %out[%c0] : memref<?xf32>
      gpu.return
    }
  }
}
