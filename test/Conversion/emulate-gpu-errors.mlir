// RUN: gps-opt %s --gps-emulate-gpu --split-input-file --verify-diagnostics

// What the GPU emulation cannot run on the host is an error, never a guess.

// A barrier: the threads would have to run interleaved.
module attributes {gpu.container_module} {
  func.func @entry(%x: memref<?xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @kernels::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<?xf32>)
    return
  }
  gpu.module @kernels {
    gpu.func @k(%x: memref<?xf32>) kernel {
      // expected-error @+1 {{the GPU emulation cannot run 'gpu.barrier' on the host}}
      gpu.barrier
      gpu.return
    }
  }
}

// -----

// A two-dimensional block.
module attributes {gpu.container_module} {
  func.func @entry(%x: memref<?xf32>) {
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    // expected-error @+1 {{the GPU emulation needs one-dimensional grids and blocks}}
    gpu.launch_func @kernels::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c2, %c1) args(%x : memref<?xf32>)
    return
  }
  gpu.module @kernels {
    gpu.func @k(%x: memref<?xf32>) kernel {
      gpu.return
    }
  }
}

// -----

// An asynchronous launch.
module attributes {gpu.container_module} {
  func.func @entry(%x: memref<?xf32>) {
    %c1 = arith.constant 1 : index
    %t = gpu.wait async
    // expected-error @+1 {{the GPU emulation needs a plain synchronous launch without shared memory or clusters}}
    %u = gpu.launch_func async [%t] @kernels::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<?xf32>)
    gpu.wait [%u]
    return
  }
  gpu.module @kernels {
    gpu.func @k(%x: memref<?xf32>) kernel {
      gpu.return
    }
  }
}

// -----

// A thread index inside a branch.
module attributes {gpu.container_module} {
  func.func @entry(%x: memref<?xf32>, %c: i1) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @kernels::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<?xf32>, %c : i1)
    return
  }
  gpu.module @kernels {
    gpu.func @k(%x: memref<?xf32>, %c: i1) kernel {
      scf.if %c {
        // expected-error @+1 {{the GPU emulation needs the indices at the top of the kernel}}
        %t = gpu.thread_id x
        %v = arith.constant 1.0 : f32
        memref.store %v, %x[%t] : memref<?xf32>
      }
      gpu.return
    }
  }
}

// -----

// A block-wide reduction that is not a sum.
module attributes {gpu.container_module} {
  func.func @entry(%x: memref<?xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @kernels::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<?xf32>)
    return
  }
  gpu.module @kernels {
    gpu.func @k(%x: memref<?xf32>) kernel {
      %t = gpu.thread_id x
      %v = memref.load %x[%t] : memref<?xf32>
      // expected-error @+1 {{the GPU emulation only sums floats (gpu.all_reduce add)}}
      %m = gpu.all_reduce maximumf %v uniform {} : (f32) -> f32
      memref.store %m, %x[%t] : memref<?xf32>
      gpu.return
    }
  }
}

// -----

// Two block-wide sums in one kernel.
module attributes {gpu.container_module} {
  func.func @entry(%x: memref<?xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @kernels::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<?xf32>)
    return
  }
  gpu.module @kernels {
    gpu.func @k(%x: memref<?xf32>) kernel {
      %t = gpu.thread_id x
      %v = memref.load %x[%t] : memref<?xf32>
      %a = gpu.all_reduce add %v uniform {} : (f32) -> f32
      // expected-error @+1 {{the GPU emulation needs at most one gpu.all_reduce, at the top of the kernel}}
      %b = gpu.all_reduce add %a uniform {} : (f32) -> f32
      memref.store %b, %x[%t] : memref<?xf32>
      gpu.return
    }
  }
}

// -----

// A store before the sum: the emulation runs that part of the body twice.
module attributes {gpu.container_module} {
  func.func @entry(%x: memref<?xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @kernels::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<?xf32>)
    return
  }
  gpu.module @kernels {
    gpu.func @k(%x: memref<?xf32>) kernel {
      %t = gpu.thread_id x
      %v = memref.load %x[%t] : memref<?xf32>
      // expected-error @+1 {{the GPU emulation needs a kernel that writes nothing before its gpu.all_reduce}}
      memref.store %v, %x[%t] : memref<?xf32>
      %a = gpu.all_reduce add %v uniform {} : (f32) -> f32
      memref.store %a, %x[%t] : memref<?xf32>
      gpu.return
    }
  }
}

// -----

// A device function of the runtime without a host counterpart.
module attributes {gpu.container_module} {
  // expected-error @+1 {{the GPU emulation has no host counterpart of 'gps_rt_cuda_prefetch'}}
  func.func private @gps_rt_cuda_prefetch(memref<?xf32>)
  func.func @entry(%x: memref<?xf32>) {
    call @gps_rt_cuda_prefetch(%x) : (memref<?xf32>) -> ()
    return
  }
}

// -----

// A graph's recording of another signature.
module attributes {gpu.container_module} {
  func.func private @gps_rt_cuda_graph_begin(i32, i64, i64) -> memref<2xi64>
  func.func @entry(%s: i64) {
    %c0 = arith.constant 0 : i32
    // expected-error @+1 {{the GPU emulation expects gps_rt_cuda_graph_begin(entry, signature, stream) -> memref<1xi64>}}
    %m = call @gps_rt_cuda_graph_begin(%c0, %s, %s) : (i32, i64, i64) -> memref<2xi64>
    return
  }
}

// -----

// Host memory the device shares (the emulation has none of that).
module attributes {gpu.container_module} {
  func.func @entry(%n: index) {
    // expected-error @+1 {{the GPU emulation cannot run 'gpu.alloc' on the host}}
    %m = gpu.alloc host_shared (%n) : memref<?xf32>
    return
  }
}

// -----

// Workgroup memory.
module attributes {gpu.container_module} {
  func.func @entry(%x: memref<?xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @kernels::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<?xf32>)
    return
  }
  gpu.module @kernels {
    // expected-error @+1 {{the GPU emulation needs a kernel without workgroup or private memory}}
    gpu.func @k(%x: memref<?xf32>) workgroup(%w : memref<32xf32, #gpu.address_space<workgroup>>) kernel {
      gpu.return
    }
  }
}

// -----

// A launch of another block size than the kernel was compiled for.
module attributes {gpu.container_module} {
  func.func @entry(%x: memref<?xf32>) {
    %c1 = arith.constant 1 : index
    %c128 = arith.constant 128 : index
    // expected-error @+1 {{the GPU emulation needs a constant block of 1 to 1024 threads, the kernel's known_block_size}}
    gpu.launch_func @kernels::@k blocks in (%c1, %c1, %c1) threads in (%c128, %c1, %c1) args(%x : memref<?xf32>)
    return
  }
  gpu.module @kernels {
    gpu.func @k(%x: memref<?xf32>) kernel attributes {known_block_size = array<i32: 256, 1, 1>} {
      gpu.return
    }
  }
}

// -----

// More threads than a block can have.
module attributes {gpu.container_module} {
  func.func @entry(%x: memref<?xf32>) {
    %c1 = arith.constant 1 : index
    %c2048 = arith.constant 2048 : index
    // expected-error @+1 {{the GPU emulation needs a constant block of 1 to 1024 threads, the kernel's known_block_size}}
    gpu.launch_func @kernels::@k blocks in (%c1, %c1, %c1) threads in (%c2048, %c1, %c1) args(%x : memref<?xf32>)
    return
  }
  gpu.module @kernels {
    gpu.func @k(%x: memref<?xf32>) kernel {
      gpu.return
    }
  }
}

// -----

// An access the race check would not see.
module attributes {gpu.container_module} {
  func.func @entry(%x: memref<?xf32>, %y: memref<?xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @kernels::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<?xf32>, %y : memref<?xf32>)
    return
  }
  gpu.module @kernels {
    gpu.func @k(%x: memref<?xf32>, %y: memref<?xf32>) kernel {
      // expected-error @+1 {{the GPU emulation cannot check the memory accesses of 'memref.copy'}}
      memref.copy %x, %y : memref<?xf32> to memref<?xf32>
      gpu.return
    }
  }
}

// -----

// An element without a size in bytes.
module attributes {gpu.container_module} {
  func.func @entry(%x: memref<?xindex>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @kernels::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<?xindex>)
    return
  }
  gpu.module @kernels {
    gpu.func @k(%x: memref<?xindex>) kernel {
      %c0 = arith.constant 0 : index
      // expected-error @+1 {{the GPU emulation checks accesses to integer and float elements only}}
      %v = memref.load %x[%c0] : memref<?xindex>
      gpu.return
    }
  }
}
