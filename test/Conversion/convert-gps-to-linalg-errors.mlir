// RUN: gps-opt %s --convert-gps-to-linalg -split-input-file -verify-diagnostics

// Without a gps.batch_arg the batch size of a new tensor is unknown.
func.func @no_batch(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  // expected-error @below {{'gps.tanh' op is not in a function with a gps.batch_arg; run gps-build-entries first}}
  %t = gps.tanh %x : tensor<?x2xf32>
  return %t : tensor<?x2xf32>
}
