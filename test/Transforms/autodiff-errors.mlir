// RUN: gps-opt %s --gps-autodiff -split-input-file -verify-diagnostics

// An op on the path from a parameter to the loss without an adjoint.
func.func @relu_grad(%x: tensor<?x2xf32>, %w: tensor<2x2xf32> {gps.param = "w"}) -> f32 attributes {gps.differentiate} {
  %y = gps.gemm %x, %w : tensor<?x2xf32>, tensor<2x2xf32> -> tensor<?x2xf32>
  // expected-error @below {{'gps.relu_grad' op has no adjoint (it does not implement DifferentiableOpInterface); gps-autodiff cannot differentiate through it}}
  %r = gps.relu_grad %y, %x : tensor<?x2xf32>
  %s = gps.sum %r : tensor<?x2xf32> -> tensor<?x1xf32>
  %l = gps.mean %s : tensor<?x1xf32> -> f32
  return %l : f32
}

// -----

// A closed-form KL that gps-decompose did not expand: the distribution built
// from a parameter carries its activity to the KL.
func.func @kl_div(%lv: tensor<?x2xf32>, %v: tensor<2xf32> {gps.param = "v"}) -> f32 attributes {gps.differentiate} {
  %m = gps.broadcast %v : tensor<2xf32> -> tensor<?x2xf32>
  %g = gps.gaussian %m, %lv : tensor<?x2xf32> -> !gps.dist<gaussian, 2>
  %n = gps.std_normal : !gps.dist<normal, 2>
  // expected-error @below {{'gps.kl_div' op has no adjoint}}
  %k = gps.kl_div %g, %n : !gps.dist<gaussian, 2>, !gps.dist<normal, 2> -> tensor<?x1xf32>
  %l = gps.mean %k : tensor<?x1xf32> -> f32
  return %l : f32
}

// -----

// The same op off the path to the loss is not differentiated.
func.func @inactive(%x: tensor<?x2xf32>, %w: tensor<2xf32> {gps.param = "w"}) -> f32 attributes {gps.differentiate} {
  %r = gps.relu_grad %x, %x : tensor<?x2xf32>
  %b = gps.broadcast %w : tensor<2xf32> -> tensor<?x2xf32>
  %s = gps.sum %b : tensor<?x2xf32> -> tensor<?x1xf32>
  %l = gps.mean %s : tensor<?x1xf32> -> f32
  return %l : f32
}

// -----

func.func @nested(%x: tensor<?x2xf32>, %w: tensor<2x2xf32> {gps.param = "w"}) -> f32 attributes {gps.differentiate} {
  %h = gps.for 1 to 2 iter_args(%x : tensor<?x2xf32>) -> tensor<?x2xf32> {
  ^bb0(%t: index, %hi: tensor<?x2xf32>):
    // expected-error @below {{'gps.for' op is a nested step loop; gps-autodiff reverses one level of loops}}
    %g = gps.for 1 to 2 iter_args(%hi : tensor<?x2xf32>) -> tensor<?x2xf32> {
    ^bb0(%u: index, %gi: tensor<?x2xf32>):
      %y = gps.gemm %gi, %w : tensor<?x2xf32>, tensor<2x2xf32> -> tensor<?x2xf32>
      gps.yield %y : tensor<?x2xf32>
    }
    gps.yield %g : tensor<?x2xf32>
  }
  %s = gps.sum %h : tensor<?x2xf32> -> tensor<?x1xf32>
  %l = gps.mean %s : tensor<?x1xf32> -> f32
  return %l : f32
}

// -----

// expected-error @below {{'func.func' op must return the f32 loss first to be differentiated}}
func.func @no_loss(%w: tensor<2x2xf32> {gps.param = "w"}) -> tensor<2x2xf32> attributes {gps.differentiate} {
  return %w : tensor<2x2xf32>
}
