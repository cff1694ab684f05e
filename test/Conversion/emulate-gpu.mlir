// RUN: gps-opt %s --gps-emulate-gpu | FileCheck %s
// RUN: gps-opt %s --pass-pipeline='builtin.module(gpu.module(generate-runtime-verification),gps-emulate-gpu)' | FileCheck %s --check-prefix=BOUNDS

// The GPU emulation (gpsc --target=cuda --emulate-gpu): each launch is
// loops over its blocks and threads around the kernel's body, every access
// reported to the runtime's race check; a block-wide sum runs in two
// phases; device memory and the runtime's device functions are the host's.

// CHECK-NOT: gpu.container_module
// CHECK-DAG: func.func private @gps_rt_emu_launch(i64)
// CHECK-DAG: func.func private @gps_rt_emu_access(i64, i64, i32)
// CHECK-DAG: func.func private @gps_rt_emu_fail(i64, i64, i64)
// Both sgemm forms are the host's one; the TF32 declaration goes.
// CHECK-DAG: func.func private @gps_rt_sgemm(
// CHECK-DAG: func.func private @gps_rt_normal(
// CHECK-NOT: gps_rt_cuda_
module attributes {gpu.container_module} {
  func.func private @gps_rt_cuda_sgemm(i32, i32, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>) attributes {llvm.emit_c_interface}
  func.func private @gps_rt_cuda_sgemm_tf32(i32, i32, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>) attributes {llvm.emit_c_interface}
  func.func private @gps_rt_cuda_normal(memref<?x?xf32>, i64, i64, i64, i64) attributes {llvm.emit_c_interface}
  func.func private @gps_rt_cuda_graph_begin(i32, i64, i64) -> memref<1xi64> attributes {llvm.emit_c_interface}

  // CHECK-LABEL: func.func @entry(
  // CHECK-SAME:      %[[X:[a-z0-9_]+]]: memref<?xf32>, %[[Y:[a-z0-9_]+]]: memref<?xf32>, %[[TOTAL:[a-z0-9_]+]]: memref<f32>, %[[N:[a-z0-9_]+]]: index, %[[GRID:[a-z0-9_]+]]: index,
  // CHECK:         %[[TMP:[a-z0-9_]+]] = memref.alloc(%[[N]]) : memref<?xf32>
  // Fresh device memory reads as NaN until written.
  // CHECK:         linalg.fill ins(%{{.*}} : f32) outs(%[[TMP]] : memref<?xf32>)
  // The elementwise kernel, launch 0: one iteration per block and thread.
  // CHECK:         %[[L0:[a-z0-9_]+]] = arith.constant 0 : i64
  // CHECK:         call @gps_rt_emu_launch(%[[L0]])
  // CHECK:         scf.for %[[B:[a-z0-9_]+]] = %{{.*}} to %[[GRID]] step
  // CHECK:           scf.for %[[T:[a-z0-9_]+]] = %{{.*}} to %[[C256:[a-z0-9_]+]] step
  // CHECK:             %[[BASE:[0-9]+]] = arith.muli %[[B]], %[[C256]]
  // CHECK:             %[[GLOBAL:[0-9]+]] = arith.addi %[[BASE]], %[[T]]
  // CHECK:             scf.if
  // The element's address: the pointer plus (offset + index * stride) * 4.
  // CHECK:               %[[XBASE:[a-z0-9_]+]], %[[XOFF:[a-z0-9_]+]], %[[XSIZE:[a-z0-9_]+]], %[[XSTRIDE:[a-z0-9_]+]] = memref.extract_strided_metadata %[[X]]
  // CHECK:               %[[XSCALED:[0-9]+]] = arith.muli %[[I:[0-9]+]], %[[XSTRIDE]]
  // CHECK:               %[[XLIN:[0-9]+]] = arith.addi %[[XOFF]], %[[XSCALED]]
  // CHECK:               %[[XPTR:[a-z0-9_]+]] = memref.extract_aligned_pointer_as_index %[[X]]
  // CHECK:               %[[C4:[a-z0-9_]+]] = arith.constant 4 : index
  // CHECK:               %[[XBYTES:[0-9]+]] = arith.muli %[[XLIN]], %[[C4]]
  // CHECK:               %[[XADDR:[0-9]+]] = arith.addi %[[XPTR]], %[[XBYTES]]
  // CHECK:               %[[XADDR64:[0-9]+]] = arith.index_cast %[[XADDR]] : index to i64
  // CHECK:               %[[XTID:[0-9]+]] = arith.index_cast %[[GLOBAL]] : index to i64
  // CHECK:               %[[READ:[a-z0-9_]+]] = arith.constant 0 : i32
  // CHECK:               func.call @gps_rt_emu_access(%[[XADDR64]], %[[XTID]], %[[READ]])
  // CHECK-NEXT:          memref.load %[[X]][%[[I]]]
  // CHECK:               %[[WRITE:[a-z0-9_]+]] = arith.constant 1 : i32
  // CHECK:               func.call @gps_rt_emu_access(%{{.*}}, %{{.*}}, %[[WRITE]])
  // CHECK-NEXT:          memref.store %{{.*}}, %[[TMP]]
  // CHECK:         memref.copy %[[TMP]], %[[Y]]
  // The block-wide sum, launch 1: the shares, their sum in thread order, then
  // the rest of the body with it. The first phase's loop is not run again.
  // CHECK:         call @gps_rt_emu_launch(%{{.*}})
  // CHECK:         %[[SHARES:[a-z0-9_]+]] = memref.alloc(%[[C1024:[a-z0-9_]+]]) : memref<?xf32>
  // CHECK:         scf.for %[[B1:[a-z0-9_]+]] =
  // CHECK:           scf.for %[[T1:[a-z0-9_]+]] = %{{.*}} to %[[C1024]] step
  // CHECK:             %[[SHARE:[0-9]+]] = scf.for %{{.*}} = %[[T1]] to %[[N]] step
  // CHECK:             memref.store %[[SHARE]], %[[SHARES]][%[[T1]]]
  // CHECK:           %[[SUM:[0-9]+]] = scf.for %[[I:[a-z0-9_]+]] = %{{.*}} to %[[C1024]] step %{{.*}} iter_args(%[[ACC:[a-z0-9_]+]] =
  // CHECK:             %[[ONE:[0-9]+]] = memref.load %[[SHARES]][%[[I]]]
  // CHECK:             arith.addf %[[ACC]], %[[ONE]]
  // CHECK:           scf.for %[[T2:[a-z0-9_]+]] = %{{.*}} to %[[C1024]] step
  // CHECK-NOT:         scf.for
  // CHECK:             %[[FIRST:[0-9]+]] = arith.cmpi eq, %[[T2]]
  // CHECK:             scf.if %[[FIRST]]
  // CHECK:               %[[OLD:[0-9]+]] = memref.load %[[TOTAL]][]
  // CHECK:               arith.addf %[[OLD]], %[[SUM]]
  // CHECK:         memref.dealloc %[[SHARES]]
  // CHECK:         call @gps_rt_sgemm(
  // CHECK:         call @gps_rt_sgemm(
  // CHECK:         call @gps_rt_normal(
  // CHECK:         memref.dealloc %[[TMP]]
  // CHECK-NOT:     gpu.
  // CHECK:         return
  func.func @entry(%x: memref<?xf32>, %y: memref<?xf32>, %total: memref<f32>, %n: index, %grid: index, %a: memref<?x?xf32, strided<[?, ?], offset: ?>>, %noise: memref<?x?xf32>) {
    %c1 = arith.constant 1 : index
    %c256 = arith.constant 256 : index
    %c1024 = arith.constant 1024 : index
    %f0 = arith.constant 0.0 : f32
    %f1 = arith.constant 1.0 : f32
    %i0 = arith.constant 0 : i32
    %k = arith.constant 7 : i64
    %tmp = gpu.alloc (%n) : memref<?xf32>
    gpu.launch_func @kernels::@relu blocks in (%grid, %c1, %c1) threads in (%c256, %c1, %c1) args(%x : memref<?xf32>, %tmp : memref<?xf32>, %n : index)
    gpu.memcpy %y, %tmp : memref<?xf32>, memref<?xf32>
    gpu.launch_func @kernels::@sum blocks in (%c1, %c1, %c1) threads in (%c1024, %c1, %c1) args(%tmp : memref<?xf32>, %total : memref<f32>, %n : index)
    call @gps_rt_cuda_sgemm(%i0, %i0, %f1, %a, %a, %f0, %a) : (i32, i32, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
    call @gps_rt_cuda_sgemm_tf32(%i0, %i0, %f1, %a, %a, %f0, %a) : (i32, i32, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, f32, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
    call @gps_rt_cuda_normal(%noise, %k, %k, %k, %k) : (memref<?x?xf32>, i64, i64, i64, i64) -> ()
    gpu.dealloc %tmp : memref<?xf32>
    return
  }

  // A recorded entry (gps-capture-entries): its kernels read `stream` from
  // the buffer gps_rt_cuda_graph_begin returns, here a host buffer the
  // function fills itself. An f64 element of an offset, strided view is 8
  // bytes.
  // CHECK-LABEL: func.func @recorded(
  // CHECK-SAME:      %[[V:[a-z0-9_]+]]: memref<4xf64, strided<[2], offset: 3>>, %[[S:[a-z0-9_]+]]: i64)
  // CHECK-NOT:     gps_rt_cuda_graph_begin
  // CHECK:         %[[HELD:[a-z0-9_]+]] = memref.alloc() : memref<1xi64>
  // CHECK:         memref.store %[[S]], %[[HELD]][%{{.*}}]
  // CHECK:         scf.for
  // CHECK:           scf.for
  // CHECK:             memref.extract_strided_metadata %[[HELD]]
  // CHECK:             %[[KEY:[0-9]+]] = memref.load %[[HELD]]
  // CHECK:             %[[VBASE:[a-z0-9_]+]], %[[VOFF:[a-z0-9_]+]], %[[VSIZE:[a-z0-9_]+]], %[[VSTRIDE:[a-z0-9_]+]] = memref.extract_strided_metadata %[[V]]
  // CHECK:             %[[C8:[a-z0-9_]+]] = arith.constant 8 : index
  // CHECK:             arith.muli %{{.*}}, %[[C8]]
  // CHECK:             memref.store %{{.*}}, %[[V]]
  // CHECK:         memref.dealloc %[[HELD]]
  // CHECK-NEXT:    return
  func.func @recorded(%v: memref<4xf64, strided<[2], offset: 3>>, %s: i64) {
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    %e = arith.constant 0 : i32
    %held = call @gps_rt_cuda_graph_begin(%e, %s, %s) : (i32, i64, i64) -> memref<1xi64>
    gpu.launch_func @kernels::@scale blocks in (%c1, %c1, %c1) threads in (%c4, %c1, %c1) args(%v : memref<4xf64, strided<[2], offset: 3>>, %held : memref<1xi64>)
    return
  }
  // The kernels go.
  // CHECK-NOT: gpu.module

  // The bounds check of the relu kernel's load names the launch (0) and
  // prints the check's message, kept in a global.
  // BOUNDS:       memref.global "private" constant @gps_emu_message{{[_0-9]*}} : memref<{{[0-9]+}}xi8> = dense<
  // BOUNDS:       func.func @entry(
  // BOUNDS:         scf.for
  // BOUNDS:           scf.for
  // BOUNDS:             scf.if
  // BOUNDS:               %[[FAILED:[0-9]+]] = arith.xori %{{.*}}, %true
  // BOUNDS:               scf.if %[[FAILED]] {
  // BOUNDS:                 %[[TEXT:[0-9]+]] = memref.get_global @gps_emu_message{{[_0-9]*}} : memref<[[LENGTH:[0-9]+]]xi8>
  // BOUNDS:                 memref.extract_aligned_pointer_as_index %[[TEXT]]
  // BOUNDS:                 func.call @gps_rt_emu_fail(%c0_i64{{[_0-9]*}}, %{{.*}}, %c[[LENGTH]]_i64)
  // BOUNDS:               memref.load
  // BOUNDS-NOT:   cf.assert
  gpu.module @kernels {
    gpu.func @relu(%in: memref<?xf32>, %out: memref<?xf32>, %n: index) kernel {
      %c256 = arith.constant 256 : index
      %zero = arith.constant 0.0 : f32
      %t = gpu.thread_id x
      %b = gpu.block_id x
      %0 = arith.muli %b, %c256 : index
      %i = arith.addi %0, %t : index
      %inside = arith.cmpi ult, %i, %n : index
      scf.if %inside {
        %v = memref.load %in[%i] : memref<?xf32>
        %r = arith.maximumf %v, %zero : f32
        memref.store %r, %out[%i] : memref<?xf32>
      }
      gpu.return
    }
    gpu.func @scale(%v: memref<4xf64, strided<[2], offset: 3>>, %held: memref<1xi64>) kernel {
      %c0 = arith.constant 0 : index
      %t = gpu.thread_id x
      %key = memref.load %held[%c0] : memref<1xi64>
      %k = arith.sitofp %key : i64 to f64
      %x = memref.load %v[%t] : memref<4xf64, strided<[2], offset: 3>>
      %y = arith.mulf %x, %k : f64
      memref.store %y, %v[%t] : memref<4xf64, strided<[2], offset: 3>>
      gpu.return
    }
    gpu.func @sum(%in: memref<?xf32>, %out: memref<f32>, %n: index) kernel {
      %c0 = arith.constant 0 : index
      %c1024 = arith.constant 1024 : index
      %zero = arith.constant 0.0 : f32
      %t = gpu.thread_id x
      %share = scf.for %i = %t to %n step %c1024 iter_args(%acc = %zero) -> (f32) {
        %v = memref.load %in[%i] : memref<?xf32>
        %s = arith.addf %acc, %v : f32
        scf.yield %s : f32
      }
      %all = gpu.all_reduce add %share uniform {} : (f32) -> f32
      %first = arith.cmpi eq, %t, %c0 : index
      scf.if %first {
        %old = memref.load %out[] : memref<f32>
        %new = arith.addf %old, %all : f32
        memref.store %new, %out[] : memref<f32>
      }
      gpu.return
    }
  }
}
