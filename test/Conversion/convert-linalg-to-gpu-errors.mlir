// RUN: gps-opt %s --convert-linalg-to-gpu --split-input-file --verify-diagnostics

// A value read from device memory that the host needs (a call argument).
func.func private @consume(f32)
func.func @host_needs(%x: memref<f32>) {
  // expected-error @+1 {{reads device memory on the host (its value is used by 'func.call')}}
  %v = memref.load %x[] : memref<f32>
  func.call @consume(%v) : (f32) -> ()
  return
}

// -----

// The buffer a store writes is written by a kernel between the point its
// value is ready and the store: moving the store would reorder them.
#id = affine_map<(d0) -> (d0)>
func.func @reorder(%x: memref<4xf32>, %out: memref<4xf32>, %s: memref<f32>) {
  %c0 = arith.constant 0 : index
  %v = memref.load %s[] : memref<f32>
  // expected-note @+1 {{this op}}
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : memref<4xf32>) outs(%out : memref<4xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  // expected-error @+1 {{cannot move to the GPU: 'gpu.launch_func' uses the buffer it writes before it}}
  memref.store %v, %out[%c0] : memref<4xf32>
  return
}

// -----

// A kernel writes the buffer a stored value was read from before the value
// is ready: the kernel would read the new contents.
#id = affine_map<(d0) -> (d0)>
func.func @stale(%x: memref<4xf32>, %y: memref<4xf32>, %out: memref<2xf32>) {
  %c0 = arith.constant 0 : index
  %a = memref.load %x[%c0] : memref<4xf32>
  // expected-note @+1 {{this op}}
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%y : memref<4xf32>) outs(%x : memref<4xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  %b = memref.load %y[%c0] : memref<4xf32>
  %sum = arith.addf %a, %b : f32
  // expected-error @+1 {{cannot move to the GPU: a value it stores is read before 'gpu.launch_func' may write the buffer}}
  memref.store %sum, %out[%c0] : memref<2xf32>
  return
}

// -----

// The pass runs on buffers; a linalg op on tensors is a misplaced pass.
#id1 = affine_map<(d0) -> (d0)>
func.func @on_tensors(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{must be on buffers before convert-linalg-to-gpu}}
  %y = linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%x : tensor<4xf32>) outs(%x : tensor<4xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  } -> tensor<4xf32>
  return %y : tensor<4xf32>
}
