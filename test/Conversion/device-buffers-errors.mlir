// RUN: gps-opt %s --gps-device-buffers --verify-diagnostics

// An entry argument is copied into a device buffer of its own type, which
// needs the identity layout the trainer's buffers have.
module attributes {gpu.container_module} {
  // expected-error @+1 {{argument 0 has a layout the device copy cannot take: 'memref<?xf32, strided<[2]>>'}}
  func.func @strided(%x: memref<?xf32, strided<[2]>>) {
    %c0 = arith.constant 0 : index
    %v = memref.load %x[%c0] : memref<?xf32, strided<[2]>>
    return
  }
}
