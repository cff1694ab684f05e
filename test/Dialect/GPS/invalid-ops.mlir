// RUN: gps-opt %s -split-input-file -verify-diagnostics

// Every diagnostic of the gps dialect's verifiers (continued from
// invalid.mlir): the nets' ops, distributions, signed attributes, terms,
// rollouts, site steps and the primitives of the loss functions. Each case is
// a complete model with a single defect.

// ===== gps.broadcast, gps.matmul, gps.affine =====
gps.model @m steps = 0 {
  gps.param @w : tensor<2x4xf32> init zeros
  gps.net @f "f" : (tensor<?x4xf32>) -> tensor<?x4xf32> {
  ^bb0(%x: tensor<?x4xf32>):
    %w = gps.read_param @w : tensor<2x4xf32>
    // expected-error @below {{input must be a vector}}
    %b = gps.broadcast %w : tensor<2x4xf32> -> tensor<?x4xf32>
    gps.return %b : tensor<?x4xf32>
  }
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.param @w : tensor<3xf32> init zeros
  gps.net @f "f" : (tensor<?x4xf32>) -> tensor<?x4xf32> {
  ^bb0(%x: tensor<?x4xf32>):
    %w = gps.read_param @w : tensor<3xf32>
    // expected-error @below {{cannot broadcast 3 elements to 4 features}}
    %b = gps.broadcast %w : tensor<3xf32> -> tensor<?x4xf32>
    gps.return %b : tensor<?x4xf32>
  }
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.param @w : tensor<4xf32> init zeros
  gps.net @f "f" : (tensor<?x4xf32>) -> tensor<?x4xf32> {
  ^bb0(%x: tensor<?x4xf32>):
    %w = gps.read_param @w : tensor<4xf32>
    // expected-error @below {{weight must be a matrix}}
    %y = gps.matmul %x, %w : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
    gps.return %y : tensor<?x4xf32>
  }
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.param @w : tensor<3x2xf32> init zeros
  gps.net @f "f" : (tensor<?x4xf32>) -> tensor<?x2xf32> {
  ^bb0(%x: tensor<?x4xf32>):
    %w = gps.read_param @w : tensor<3x2xf32>
    // expected-error @below {{input has 4 features but the weight has 3 rows}}
    %y = gps.matmul %x, %w : tensor<?x4xf32>, tensor<3x2xf32> -> tensor<?x2xf32>
    gps.return %y : tensor<?x2xf32>
  }
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.param @w : tensor<4x2xf32> init zeros
  gps.net @f "f" : (tensor<?x4xf32>) -> tensor<?x3xf32> {
  ^bb0(%x: tensor<?x4xf32>):
    %w = gps.read_param @w : tensor<4x2xf32>
    // expected-error @below {{result has 3 features but the weight has 2 columns}}
    %y = gps.matmul %x, %w : tensor<?x4xf32>, tensor<4x2xf32> -> tensor<?x3xf32>
    gps.return %y : tensor<?x3xf32>
  }
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.param @w : tensor<3x2xf32> init zeros
  gps.param @b : tensor<2xf32> init zeros
  gps.net @f "f" : (tensor<?x4xf32>) -> tensor<?x2xf32> {
  ^bb0(%x: tensor<?x4xf32>):
    %w = gps.read_param @w : tensor<3x2xf32>
    %b = gps.read_param @b : tensor<2xf32>
    // expected-error @below {{'gps.affine' op input has 4 features but the weight has 3 rows}}
    %y = gps.affine %x, %w, %b : tensor<?x4xf32>, tensor<3x2xf32>, tensor<2xf32> -> tensor<?x2xf32>
    gps.return %y : tensor<?x2xf32>
  }
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.param @w : tensor<4x2xf32> init zeros
  gps.param @b : tensor<3xf32> init zeros
  gps.net @f "f" : (tensor<?x4xf32>) -> tensor<?x2xf32> {
  ^bb0(%x: tensor<?x4xf32>):
    %w = gps.read_param @w : tensor<4x2xf32>
    %b = gps.read_param @b : tensor<3xf32>
    // expected-error @below {{bias must be a vector of 2 elements}}
    %y = gps.affine %x, %w, %b : tensor<?x4xf32>, tensor<4x2xf32>, tensor<3xf32> -> tensor<?x2xf32>
    gps.return %y : tensor<?x2xf32>
  }
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.net @f "f" : (tensor<?x4xf32>) -> tensor<?x4xf32> {
  ^bb0(%x: tensor<?x4xf32>):
    // expected-error @below {{needs at least one input}}
    %y = gps.concat : () -> tensor<?x4xf32>
    gps.return %y : tensor<?x4xf32>
  }
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.net @f "f" : (tensor<?x4xf32>) -> tensor<?x6xf32> {
  ^bb0(%x: tensor<?x4xf32>):
    // expected-error @below {{inputs have 8 features in all but the result has 6}}
    %y = gps.concat %x, %x : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x6xf32>
    gps.return %y : tensor<?x6xf32>
  }
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.net @f "f" : (tensor<?x4xf32>) -> tensor<?x4xf32> {
  ^bb0(%x: tensor<?x4xf32>):
    // expected-error @below {{range [2, +4) is out of bounds for 4 features}}
    %y = gps.slice %x[2, 4] : tensor<?x4xf32> -> tensor<?x4xf32>
    gps.return %y : tensor<?x4xf32>
  }
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.net @f "f" : (tensor<?x4xf32>) -> tensor<?x4xf32> {
  ^bb0(%x: tensor<?x4xf32>):
    // expected-error @below {{range [1, +0) is out of bounds for 4 features}}
    %y = gps.slice %x[1, 0] : tensor<?x4xf32> -> tensor<?x4xf32>
    gps.return %x : tensor<?x4xf32>
  }
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.net @f "f" : (tensor<?x4xf32>) -> tensor<?x3xf32> {
  ^bb0(%x: tensor<?x4xf32>):
    // expected-error @below {{result must have 2 features}}
    %y = gps.slice %x[0, 2] : tensor<?x4xf32> -> tensor<?x3xf32>
    gps.return %y : tensor<?x3xf32>
  }
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
// ===== gps.lstm_cell =====
gps.model @m steps = 0 {
  gps.param @w : tensor<3x12xf32> init zeros
  gps.param @b : tensor<12xf32> init zeros
  gps.net @f "f" : (tensor<?x3xf32>, tensor<?x4xf32>) -> tensor<?x3xf32> {
  ^bb0(%x: tensor<?x3xf32>, %c: tensor<?x4xf32>):
    %w = gps.read_param @w : tensor<3x12xf32>
    %b = gps.read_param @b : tensor<12xf32>
    // expected-error @below {{h, c and both results must have the same type}}
    %h1, %c1 = gps.lstm_cell %x, %x, %c, %w, %w, %b : (tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x4xf32>, tensor<3x12xf32>, tensor<3x12xf32>, tensor<12xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>)
    gps.return %h1 : tensor<?x3xf32>
  }
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.param @w : tensor<3x12xf32> init zeros
  gps.param @b : tensor<12xf32> init zeros
  gps.net @f "f" : (tensor<?x3xf32>) -> tensor<?x3xf32> {
  ^bb0(%x: tensor<?x3xf32>):
    %w = gps.read_param @w : tensor<3x12xf32>
    %b = gps.read_param @b : tensor<12xf32>
    // expected-error @below {{wx must have shape 3x12}}
    %h1, %c1 = gps.lstm_cell %x, %x, %x, %b, %w, %b : (tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x3xf32>, tensor<12xf32>, tensor<3x12xf32>, tensor<12xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>)
    gps.return %h1 : tensor<?x3xf32>
  }
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.param @w : tensor<2x12xf32> init zeros
  gps.param @b : tensor<12xf32> init zeros
  gps.net @f "f" : (tensor<?x2xf32>, tensor<?x3xf32>) -> tensor<?x3xf32> {
  ^bb0(%x: tensor<?x2xf32>, %h: tensor<?x3xf32>):
    %w = gps.read_param @w : tensor<2x12xf32>
    %b = gps.read_param @b : tensor<12xf32>
    // expected-error @below {{wh must have shape 3x12}}
    %h1, %c1 = gps.lstm_cell %x, %h, %h, %w, %w, %b : (tensor<?x2xf32>, tensor<?x3xf32>, tensor<?x3xf32>, tensor<2x12xf32>, tensor<2x12xf32>, tensor<12xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>)
    gps.return %h1 : tensor<?x3xf32>
  }
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.param @w : tensor<3x12xf32> init zeros
  gps.param @b : tensor<12xf32> init zeros
  gps.net @f "f" : (tensor<?x3xf32>) -> tensor<?x3xf32> {
  ^bb0(%x: tensor<?x3xf32>):
    %w = gps.read_param @w : tensor<3x12xf32>
    %b = gps.read_param @b : tensor<12xf32>
    // expected-error @below {{bias must have shape 12}}
    %h1, %c1 = gps.lstm_cell %x, %x, %x, %w, %w, %w : (tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x3xf32>, tensor<3x12xf32>, tensor<3x12xf32>, tensor<3x12xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>)
    gps.return %h1 : tensor<?x3xf32>
  }
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.param @w : tensor<3x12xf32> init zeros
  gps.param @b : tensor<12xf32> init zeros
  gps.net @f "f" : (tensor<?x3xf32>) -> tensor<?x3xf32> {
  ^bb0(%x: tensor<?x3xf32>):
    %w = gps.read_param @w : tensor<3x12xf32>
    %b = gps.read_param @b : tensor<12xf32>
    // expected-error @below {{peephole must have shape 3x3}}
    %h1, %c1 = gps.lstm_cell %x, %x, %x, %w, %w, %b peephole %b : (tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x3xf32>, tensor<3x12xf32>, tensor<3x12xf32>, tensor<12xf32>, tensor<12xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>)
    gps.return %h1 : tensor<?x3xf32>
  }
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
// ===== gps.gaussian, gps.std_normal, gps.bernoulli =====
gps.model @m steps = 0 {
  gps.net @f "f" : (tensor<?x4xf32>) -> !gps.dist<normal, 4> {
  ^bb0(%x: tensor<?x4xf32>):
    // expected-error @below {{result must be a gaussian distribution}}
    %d = gps.gaussian %x, %x : tensor<?x4xf32> -> !gps.dist<normal, 4>
    gps.return %d : !gps.dist<normal, 4>
  }
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.net @f "f" : (tensor<?x4xf32>) -> !gps.dist<gaussian, 2> {
  ^bb0(%x: tensor<?x4xf32>):
    // expected-error @below {{result is over 2 elements but the operands have 4}}
    %d = gps.gaussian %x, %x : tensor<?x4xf32> -> !gps.dist<gaussian, 2>
    gps.return %d : !gps.dist<gaussian, 2>
  }
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.policy primary @p reads [] {
    // expected-error @below {{result must be a normal distribution}}
    %d = gps.std_normal : !gps.dist<gaussian, 4>
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.net @f "f" : (tensor<?x4xf32>) -> !gps.dist<gaussian, 4> {
  ^bb0(%x: tensor<?x4xf32>):
    // expected-error @below {{result must be a bernoulli distribution}}
    %d = gps.bernoulli %x : tensor<?x4xf32> -> !gps.dist<gaussian, 4>
    gps.return %d : !gps.dist<gaussian, 4>
  }
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.net @f "f" : (tensor<?x4xf32>) -> !gps.dist<bernoulli, 3> {
  ^bb0(%x: tensor<?x4xf32>):
    // expected-error @below {{result is over 3 elements but the operands have 4}}
    %d = gps.bernoulli %x : tensor<?x4xf32> -> !gps.dist<bernoulli, 3>
    gps.return %d : !gps.dist<bernoulli, 3>
  }
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}

// -----
// ===== PolicyOp: input sizes and repeated inputs =====
gps.model @m steps = 0 {
  gps.data @x : real tensor<?x4xf32>
  gps.mask @mk on @x : mcar(5.000000e-01)
  // expected-error @below {{input 'mk' has 9 features but 'mk' has 4}}
  gps.policy primary @p reads ["x.known", "mk"] {
  ^bb0(%xk: tensor<?x4xf32>, %m: tensor<?x9xf32>):
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.data @x : real tensor<?x4xf32>
  gps.mask @mk on @x : mcar(5.000000e-01)
  // expected-error @below {{reads 'x.known' twice}}
  gps.policy primary @p reads ["x.known", "x.known"] {
  ^bb0(%a: tensor<?x4xf32>, %b: tensor<?x4xf32>):
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
// ===== Signed attributes =====
gps.model @m steps = 0 {
  gps.policy primary @p reads [] {
    %n = gps.std_normal : !gps.dist<normal, 4>
    %x = gps.sample "x" from %n : !gps.dist<normal, 4> -> tensor<?x4xf32>
    // expected-error @below {{range [-1, +2) is out of bounds for 4 features}}
    %y = gps.slice %x[-1, 2] : tensor<?x4xf32> -> tensor<?x2xf32>
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.policy primary @p reads [] {
    // expected-error @below {{has an empty or negative step range 0 to -1}}
    gps.for 0 to -1 {
    ^bb0(%t: index):
      gps.yield
    }
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.data @x : real tensor<?x4xf32>
  // expected-error @below {{mar square of side 1e+30 does not fit in a 2x2 image}}
  gps.mask @mk on @x : mar(1.0e30) image [2, 2]
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
// ===== NetOp: nets compute only math =====
gps.model @m steps = 0 {
  gps.net @f "f" : (tensor<?x2xf32>) -> tensor<?x2xf32> {
  ^bb0(%x: tensor<?x2xf32>):
    // expected-error @below {{is not allowed in a net; nets compute only math}}
    %y = gps.for 1 to 2 iter_args(%x : tensor<?x2xf32>) -> tensor<?x2xf32> {
    ^bb0(%t: index, %v: tensor<?x2xf32>):
      gps.yield %v : tensor<?x2xf32>
    }
    gps.return %y : tensor<?x2xf32>
  }
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.net @f "f" : (tensor<?x2xf32>) -> tensor<?x2xf32> {
  ^bb0(%x: tensor<?x2xf32>):
    // expected-error @below {{is not allowed in a net; nets compute only math}}
    %y = gps.call @f(%x) : (tensor<?x2xf32>) -> tensor<?x2xf32>
    gps.return %y : tensor<?x2xf32>
  }
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
// ===== Per-example terms =====
gps.model @m steps = 0 {
  gps.policy primary @p reads [] {
    %q = gps.std_normal : !gps.dist<normal, 2>
    %z = gps.sample "z" from %q : !gps.dist<normal, 2> -> tensor<?x2xf32>
    %b = gps.bernoulli %z : tensor<?x2xf32> -> !gps.dist<bernoulli, 2>
    // expected-error @below {{has a closed form only between Gaussians}}
    %k = gps.kl_div %q, %b : !gps.dist<normal, 2>, !gps.dist<bernoulli, 2> -> tensor<?x1xf32>
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.policy primary @p reads [] {
    %q = gps.std_normal : !gps.dist<normal, 2>
    %r = gps.std_normal : !gps.dist<normal, 3>
    // expected-error @below {{distributions over 2 and 3 elements}}
    %k = gps.kl_div %q, %r : !gps.dist<normal, 2>, !gps.dist<normal, 3> -> tensor<?x1xf32>
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.policy primary @p reads [] {
    %q = gps.std_normal : !gps.dist<normal, 2>
    // expected-error @below {{result must be tensor<?x1xf32>, one value per example}}
    %k = gps.kl_div %q, %q : !gps.dist<normal, 2>, !gps.dist<normal, 2> -> tensor<?x2xf32>
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.policy primary @p reads [] {
    %q = gps.std_normal : !gps.dist<normal, 2>
    %z = gps.sample "z" from %q : !gps.dist<normal, 2> -> tensor<?x2xf32>
    %r = gps.std_normal : !gps.dist<normal, 3>
    // expected-error @below {{value has 2 features but the distribution has 3}}
    %l = gps.log_prob %r, %z : !gps.dist<normal, 3>, tensor<?x2xf32> -> tensor<?x1xf32>
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.policy primary @p reads [] {
    %q = gps.std_normal : !gps.dist<normal, 2>
    %z = gps.sample "z" from %q : !gps.dist<normal, 2> -> tensor<?x2xf32>
    %r = gps.std_normal : !gps.dist<normal, 3>
    %w = gps.sample "w" from %r : !gps.dist<normal, 3> -> tensor<?x3xf32>
    // expected-error @below {{mask must have the value's type}}
    %l = gps.log_prob %q, %z missing(%w : tensor<?x3xf32>) : !gps.dist<normal, 2>, tensor<?x2xf32> -> tensor<?x1xf32>
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
// ===== RolloutOp and ReplayOp =====
gps.model @m steps = 0 {
  gps.policy primary @p reads [] {}
  gps.policy guide @q reads [] {}
  // expected-error @below {{names 1 term(s) but returns 0}}
  gps.rollout @rollout guide @q primary @p reads [] terms [#gps.term<nll>] {
  }
  gps.objective { %0 = gps.kl @q, @p : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.policy primary @p reads [] {}
  gps.policy guide @q reads [] {}
  // expected-error @below {{terms must be per-example values tensor<?x1xf32>}}
  gps.rollout @rollout guide @q primary @p reads [] terms [#gps.term<nll>] {
    %z = gps.zeros : tensor<?x2xf32>
    gps.return %z : tensor<?x2xf32>
  }
  gps.objective { %0 = gps.kl @q, @p : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.policy primary @p reads [] {}
  gps.policy guide @q reads [] {}
  // expected-error @below {{'p' is not a guide policy}}
  gps.rollout @rollout guide @p primary @p reads [] {
  }
  gps.objective { %0 = gps.kl @q, @p : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.policy primary @p reads [] {}
  gps.policy guide @q reads [] {}
  // expected-error @below {{'q' is not a primary policy}}
  gps.rollout @rollout guide @q primary @q reads [] {
  }
  gps.objective { %0 = gps.kl @q, @p : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.data @x : real tensor<?x4xf32>
  gps.policy primary @p reads [] {}
  gps.policy guide @q reads [] {}
  // expected-error @below {{reads 1 input(s) but its body has 0 argument(s)}}
  gps.rollout @rollout guide @q primary @p reads ["x"] {
  }
  gps.objective { %0 = gps.kl @q, @p : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.policy primary @p reads [] {
    %q = gps.std_normal : !gps.dist<normal, 2>
    %z = gps.sample "z" from %q : !gps.dist<normal, 2> -> tensor<?x2xf32>
    // expected-error @below {{must be inside a gps.rollout}}
    gps.replay "z" value %z guide %q primary %q : tensor<?x2xf32>, !gps.dist<normal, 2>, !gps.dist<normal, 2>
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.policy primary @p reads [] {}
  gps.policy guide @q reads [] {}
  gps.rollout @rollout guide @q primary @p reads [] {
    %q = gps.std_normal : !gps.dist<normal, 2>
    %r = gps.std_normal : !gps.dist<normal, 3>
    %z = gps.sample "z" from %q : !gps.dist<normal, 2> -> tensor<?x2xf32>
    // expected-error @below {{value has 2 features but the guide's distribution has 2 and the primary's 3}}
    gps.replay "z" value %z guide %q primary %r : tensor<?x2xf32>, !gps.dist<normal, 2>, !gps.dist<normal, 3>
  }
  gps.objective { %0 = gps.kl @q, @p : f32  gps.return %0 : f32 }
}
// -----
// ===== Site steps =====
gps.model @m steps = 2 {
  gps.policy primary @p reads [] {
    gps.for 1 to 2 {
    ^bb0(%t: index):
      %d = gps.std_normal : !gps.dist<normal, 2>
      %c = arith.constant 1 : index
      // expected-error @below {{step must be the step of the enclosing gps.for}}
      %z = gps.sample "z"[%c] from %d : !gps.dist<normal, 2> -> tensor<?x2xf32>
      gps.yield
    }
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 2 {
  gps.policy primary @p reads [] {}
  gps.policy guide @q reads [] {}
  gps.rollout @rollout guide @q primary @p reads [] {
    %c = arith.constant 1 : index
    %d = gps.std_normal : !gps.dist<normal, 2>
    %z = gps.sample "z" from %d : !gps.dist<normal, 2> -> tensor<?x2xf32>
    // expected-error @below {{step must be the step of the enclosing gps.for}}
    gps.replay "z"[%c] value %z guide %d primary %d : tensor<?x2xf32>, !gps.dist<normal, 2>, !gps.dist<normal, 2>
  }
  gps.objective { %0 = gps.kl @q, @p : f32  gps.return %0 : f32 }
}
// -----
// ===== Primitives (made by gps-decompose and gps-autodiff) =====
// They live in the loss functions, so these cases are functions.
func.func @gemm_contraction(%x: tensor<?x4xf32>, %w: tensor<3x4xf32>) -> tensor<?x4xf32> {
  // expected-error @below {{'gps.gemm' op contracts 4 with 3 elements}}
  %y = gps.gemm %x, %w : tensor<?x4xf32>, tensor<3x4xf32> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
// -----
func.func @gemm_result(%x: tensor<?x4xf32>, %w: tensor<4x3xf32>) -> tensor<?x2xf32> {
  // expected-error @below {{'gps.gemm' op result must be ?x3 (? is the batch)}}
  %y = gps.gemm %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}
// -----
func.func @gemm_transposed_result(%x: tensor<?x4xf32>, %dy: tensor<?x3xf32>) -> tensor<4x2xf32> {
  // expected-error @below {{'gps.gemm' op result must be 4x3 (? is the batch)}}
  %dw = gps.gemm %x, %dy {transpose_lhs} : tensor<?x4xf32>, tensor<?x3xf32> -> tensor<4x2xf32>
  return %dw : tensor<4x2xf32>
}
// -----
func.func @gemm_batch(%x: tensor<?x4xf32>, %w: tensor<4x3xf32>) -> tensor<5x3xf32> {
  // expected-error @below {{'gps.gemm' op result must keep the batch dimension of the operands}}
  %y = gps.gemm %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<5x3xf32>
  return %y : tensor<5x3xf32>
}
// -----
func.func @gemm_vector(%x: tensor<?x4xf32>, %b: tensor<4xf32>) -> tensor<?x4xf32> {
  // expected-error @below {{operand #1 must be rank-2 f32 tensor, but got 'tensor<4xf32>'}}
  %y = gps.gemm %x, %b : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
// -----
func.func @sum(%x: tensor<?x4xf32>) -> tensor<?x2xf32> {
  // expected-error @below {{'gps.sum' op result must have one feature}}
  %s = gps.sum %x : tensor<?x4xf32> -> tensor<?x2xf32>
  return %s : tensor<?x2xf32>
}
// -----
func.func @expand(%x: tensor<?x2xf32>) -> tensor<?x4xf32> {
  // expected-error @below {{'gps.expand' op input must have one feature}}
  %e = gps.expand %x : tensor<?x2xf32> -> tensor<?x4xf32>
  return %e : tensor<?x4xf32>
}
// -----
func.func @col_sum(%x: tensor<?x4xf32>) -> tensor<3xf32> {
  // expected-error @below {{'gps.col_sum' op result must be a vector of 4 elements}}
  %c = gps.col_sum %x : tensor<?x4xf32> -> tensor<3xf32>
  return %c : tensor<3xf32>
}
// -----
func.func @col_sum_matrix(%x: tensor<?x4xf32>) -> tensor<1x4xf32> {
  // expected-error @below {{'gps.col_sum' op result must be a vector of 4 elements}}
  %c = gps.col_sum %x : tensor<?x4xf32> -> tensor<1x4xf32>
  return %c : tensor<1x4xf32>
}
// -----
func.func @mean(%x: tensor<?x4xf32>) -> f32 {
  // expected-error @below {{'gps.mean' op input must have one feature}}
  %m = gps.mean %x : tensor<?x4xf32> -> f32
  return %m : f32
}
// -----
func.func @row_shape(%p: tensor<2x3xf32>) -> tensor<2xf32> {
  // expected-error @below {{'gps.row' op needs a matrix and a vector of its row length}}
  %r = gps.row %p[0] : tensor<2x3xf32> -> tensor<2xf32>
  return %r : tensor<2xf32>
}
// -----
func.func @row_index(%p: tensor<2x3xf32>) -> tensor<3xf32> {
  // expected-error @below {{'gps.row' op row 2 is out of range for 2 rows}}
  %r = gps.row %p[2] : tensor<2x3xf32> -> tensor<3xf32>
  return %r : tensor<3xf32>
}
// -----
func.func @row_negative(%p: tensor<2x3xf32>) -> tensor<3xf32> {
  // expected-error @below {{'gps.row' op row -1 is out of range for 2 rows}}
  %r = gps.row %p[-1] : tensor<2x3xf32> -> tensor<3xf32>
  return %r : tensor<3xf32>
}
// -----
func.func @put_rows_shape(%v: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @below {{'gps.put_rows' op needs a matrix and a vector of its row length}}
  %p = gps.put_rows %v at [0] : tensor<3xf32> -> tensor<3xf32>
  return %p : tensor<3xf32>
}
// -----
func.func @put_rows_index(%v: tensor<3xf32>) -> tensor<2x3xf32> {
  // expected-error @below {{'gps.put_rows' op row 3 is out of range for 2 rows}}
  %p = gps.put_rows %v at [3] : tensor<3xf32> -> tensor<2x3xf32>
  return %p : tensor<2x3xf32>
}
// -----
func.func @put_rows_twice(%v: tensor<3xf32>) -> tensor<2x3xf32> {
  // expected-error @below {{'gps.put_rows' op sets row 1 twice}}
  %p = gps.put_rows %v, %v at [1, 1] : tensor<3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  return %p : tensor<2x3xf32>
}
// -----
func.func @put_rows_count(%v: tensor<3xf32>) -> tensor<2x3xf32> {
  // expected-error @below {{'gps.put_rows' op has 1 rows but 2 indices}}
  %p = gps.put_rows %v at [0, 1] : tensor<3xf32> -> tensor<2x3xf32>
  return %p : tensor<2x3xf32>
}
// -----
func.func @put_rows_none() -> tensor<2x3xf32> {
  // expected-error @below {{'gps.put_rows' op needs at least one row}}
  %p = "gps.put_rows"() <{indices = array<i64>}> : () -> tensor<2x3xf32>
  return %p : tensor<2x3xf32>
}
// -----
func.func @tape_push(%x: tensor<?x3xf32>, %i: index) {
  %t = gps.tape_new : !gps.tape<2 x tensor<?x4xf32>>
  // expected-error @below {{'gps.tape_push' op value type must be the tape's element type}}
  %t1 = gps.tape_push %x into %t[%i] : tensor<?x3xf32> into !gps.tape<2 x tensor<?x4xf32>>
  return
}
// -----
func.func @tape_get(%i: index) -> tensor<?x3xf32> {
  %t = gps.tape_new : !gps.tape<2 x tensor<?x4xf32>>
  // expected-error @below {{'gps.tape_get' op result type must be the tape's element type}}
  %v = gps.tape_get %t[%i] : !gps.tape<2 x tensor<?x4xf32>> -> tensor<?x3xf32>
  return %v : tensor<?x3xf32>
}
// -----
func.func @tape_length() {
  // expected-error @below {{tape length must be positive, got 0}}
  %t = gps.tape_new : !gps.tape<0 x tensor<?x4xf32>>
  return
}
// -----
func.func @tape_element() {
  // expected-error @below {{tape elements must be batched or parameter tensors}}
  %t = gps.tape_new : !gps.tape<2 x f32>
  return
}
