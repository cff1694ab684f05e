// RUN: gps-opt %s -split-input-file -verify-diagnostics

// Every diagnostic of the gps dialect's verifiers, one case per split (this
// file and invalid-ops.mlir). Each case is a complete model (one primary
// policy, one objective) with a single defect.
//
// Not covered, because earlier checks always fire first: "body must end in
// gps.return" (NetOp, ObjectiveOp) and "body must end in gps.yield" (ForOp).
// Every terminator a body can end in has a parent constraint of its own
// (gps.return, gps.yield, func.return, tensor.yield), and an empty objective
// body fails the SingleBlock trait ("expects a non-empty block").

// ===== !gps.dist =====
gps.model @m steps = 0 {
  gps.policy primary @p reads [] {
    // expected-error @below {{distribution size must be positive, got 0}}
    %d = gps.std_normal : !gps.dist<normal, 0>
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
// ===== ODS type constraints =====
gps.model @m steps = 0 {
  // expected-error @below {{attribute 'type' failed to satisfy constraint: type attribute of batched f32 tensor (tensor<?xNxf32>)}}
  gps.data @x : real tensor<4xf32>
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  // expected-error @below {{attribute 'type' failed to satisfy constraint: type attribute of static f32 tensor of rank 1 or 2}}
  gps.param @w : tensor<?x4xf32> init zeros
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.param @w : tensor<4xf32> init zeros
  gps.policy primary @p reads [] {
    %w = gps.read_param @w : tensor<4xf32>
    // expected-error @below {{operand #0 must be batched f32 tensor (tensor<?xNxf32>), but got 'tensor<4xf32>'}}
    %r = gps.relu %w : tensor<4xf32>
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.param @w : tensor<4xf32> init zeros
  gps.policy primary @p reads [] {
    // expected-error @below {{result #0 must be static f32 tensor of rank 1 or 2, but got 'tensor<?x4xf32>'}}
    %w = gps.read_param @w : tensor<?x4xf32>
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
// ===== gps.model =====
// expected-error @below {{steps must be non-negative, got -1}}
gps.model @m steps = -1 {
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  // expected-error @below {{'arith.constant' op is not allowed at the top level of a model}}
  %c = arith.constant 1.0 : f32
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
// expected-error @below {{needs exactly one primary policy, found 0}}
gps.model @m steps = 0 {
  gps.policy guide @q reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
// expected-error @below {{needs exactly one primary policy, found 2}}
gps.model @m steps = 0 {
  gps.policy primary @p reads [] {}
  gps.policy primary @p2 reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
// expected-error @below {{has 2 guide policies; at most one is allowed}}
gps.model @m steps = 0 {
  gps.policy primary @p reads [] {}
  gps.policy guide @q reads [] {}
  gps.policy guide @q2 reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
// expected-error @below {{has 2 impute policies; at most one is allowed}}
gps.model @m steps = 0 {
  gps.policy primary @p reads [] {}
  gps.policy impute @r reads [] {}
  gps.policy impute @r2 reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
// expected-error @below {{needs exactly one objective, found 0}}
gps.model @m steps = 0 {
  gps.policy primary @p reads [] {}
}
// -----
// expected-error @below {{needs exactly one objective, found 2}}
gps.model @m steps = 0 {
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
// ===== gps.data =====
gps.model @m steps = 0 {
  // expected-error @below {{needs both bounds of its range or neither}}
  gps.data @x : real tensor<?x4xf32> {lo = 0.0 : f64}
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  // expected-error @below {{has an empty range [1.000000e+00, 5.000000e-01]}}
  gps.data @x : real tensor<?x4xf32> in [1.0, 0.5]
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  // expected-error @below {{of kind 'bits' takes values in [0, 1] only}}
  gps.data @x : bits tensor<?x4xf32> in [0.0, 2.0]
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
// ===== gps.mask =====
gps.model @m steps = 0 {
  gps.data @x : real tensor<?x4xf32>
  // expected-error @below {{mcar drop probability must lie in [0, 1), got 1.000000e+00}}
  gps.mask @m on @x : mcar(1.0)
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.data @x : real tensor<?x4xf32>
  // expected-error @below {{mcar takes no image shape}}
  gps.mask @m on @x : mcar(0.5) image [2, 2]
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.data @x : real tensor<?x4xf32>
  // expected-error @below {{mar needs an image shape}}
  gps.mask @m on @x : mar(1.0)
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.data @x : real tensor<?x4xf32>
  // expected-error @below {{mar image shape must be two positive sizes}}
  gps.mask @m on @x : mar(1.0) image [4]
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.data @x : real tensor<?x4xf32>
  // expected-error @below {{mar square side must be a positive integer, got 1.500000e+00}}
  gps.mask @m on @x : mar(1.5) image [2, 2]
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.data @x : real tensor<?x4xf32>
  // expected-error @below {{mar square of side 3 does not fit in a 2x2 image}}
  gps.mask @m on @x : mar(3.0) image [2, 2]
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  // expected-error @below {{refers to 'x', which is not a data input}}
  gps.mask @m on @x : mcar(0.5)
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.data @x : real tensor<?x4xf32>
  // expected-error @below {{image 2x3 has 6 pixels but data 'x' has 4 elements}}
  gps.mask @m on @x : mar(1.0) image [2, 3]
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
// ===== gps.param =====
gps.model @m steps = 0 {
  // expected-error @below {{glorot initialisation needs a matrix}}
  gps.param @w : tensor<4xf32> init glorot
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
// ===== gps.net, gps.call, gps.read_param =====
gps.model @m steps = 0 {
  // expected-error @below {{entry block arguments do not match the inputs of the function type}}
  gps.net @f "f" : (tensor<?x4xf32>) -> tensor<?x4xf32> {
  ^bb0(%x: tensor<?x3xf32>):
    gps.return %x : tensor<?x3xf32>
  }
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  // expected-error @below {{input 'tensor<4xf32>' is not a batched tensor}}
  gps.net @f "f" : (tensor<4xf32>) -> tensor<?x4xf32> {
  ^bb0(%x: tensor<4xf32>):
    %b = gps.broadcast %x : tensor<4xf32> -> tensor<?x4xf32>
    gps.return %b : tensor<?x4xf32>
  }
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  // expected-error @below {{result 'f32' is neither a batched tensor nor a distribution}}
  gps.net @f "f" : (tensor<?x4xf32>) -> f32 {
  ^bb0(%x: tensor<?x4xf32>):
    %c = arith.constant 1.0 : f32
    gps.return %c : f32
  }
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.net @f "f" : (tensor<?x4xf32>) -> tensor<?x4xf32> {
  ^bb0(%x: tensor<?x4xf32>):
    // expected-error @below {{'gps.return' op returns 0 value(s) whose types do not match the net's result types}}
    gps.return
  }
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.policy primary @p reads [] {
    %d = gps.std_normal : !gps.dist<normal, 4>
    %z = gps.sample "z" from %d : !gps.dist<normal, 4> -> tensor<?x4xf32>
    // expected-error @below {{'f' does not name a net}}
    %y = gps.call @f(%z) : (tensor<?x4xf32>) -> tensor<?x4xf32>
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.net @f "f" : (tensor<?x4xf32>) -> tensor<?x4xf32> {
  ^bb0(%x: tensor<?x4xf32>):
    gps.return %x : tensor<?x4xf32>
  }
  gps.policy primary @p reads [] {
    %d = gps.std_normal : !gps.dist<normal, 4>
    %z = gps.sample "z" from %d : !gps.dist<normal, 4> -> tensor<?x4xf32>
    // expected-error @below {{type does not match net 'f' of type '(tensor<?x4xf32>) -> tensor<?x4xf32>'}}
    %y = gps.call @f(%z) : (tensor<?x4xf32>) -> tensor<?x3xf32>
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.policy primary @p reads [] {
    // expected-error @below {{'w' does not name a parameter}}
    %w = gps.read_param @w : tensor<4xf32>
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.param @w : tensor<4xf32> init zeros
  gps.policy primary @p reads [] {
    // expected-error @below {{result type 'tensor<3xf32>' does not match parameter type 'tensor<4xf32>'}}
    %w = gps.read_param @w : tensor<3xf32>
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
// ===== gps.policy =====
gps.model @m steps = 0 {
  gps.data @x : real tensor<?x4xf32>
  gps.policy primary @p reads [] {}
  // expected-error @below {{reads 1 input(s) but its body has 0 argument(s)}}
  gps.policy guide @q reads ["x"] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.data @x : real tensor<?x4xf32>
  gps.policy primary @p reads [] {}
  // expected-error @below {{input 'x' is not a batched tensor}}
  gps.policy guide @q reads ["x"] {
  ^bb0(%x: tensor<4xf32>):
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.param @x : tensor<4xf32> init zeros
  gps.policy primary @p reads [] {}
  // expected-error @below {{input 'x' does not name a data input or a mask}}
  gps.policy guide @q reads ["x"] {
  ^bb0(%x: tensor<?x4xf32>):
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.data @x : real tensor<?x4xf32>
  gps.mask @m on @x : mcar(0.5)
  gps.policy primary @p reads [] {}
  // expected-error @below {{input 'm.known' does not name a data input or a mask}}
  gps.policy guide @q reads ["m.known"] {
  ^bb0(%m: tensor<?x4xf32>):
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.data @x : real tensor<?x4xf32>
  gps.mask @m on @x : mcar(0.5)
  gps.policy primary @p reads [] {}
  // expected-error @below {{input 'x.seen' has unknown view 'seen' (expected 'known' or 'missing')}}
  gps.policy guide @q reads ["x.seen"] {
  ^bb0(%x: tensor<?x4xf32>):
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.data @x : real tensor<?x4xf32>
  // expected-error @below {{input 'x.known' needs a mask on 'x'}}
  gps.policy primary @p reads ["x.known"] {
  ^bb0(%x: tensor<?x4xf32>):
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.data @x : real tensor<?x4xf32>
  // expected-error @below {{primary policy reads guide-only data 'x'}}
  gps.policy primary @p reads ["x"] {
  ^bb0(%x: tensor<?x4xf32>):
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.data @x : real tensor<?x4xf32>
  gps.mask @m on @x : mcar(0.5)
  // expected-error @below {{primary policy reads guide-only data 'x.missing'}}
  gps.policy primary @p reads ["x.missing"] {
  ^bb0(%x: tensor<?x4xf32>):
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.param @w : tensor<4xf32> init zeros
  // expected-error @below {{body must return no values}}
  gps.policy primary @p reads [] {
    %w = gps.read_param @w : tensor<4xf32>
    gps.return %w : tensor<4xf32>
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
// ===== gps.sample =====
gps.model @m steps = 0 {
  gps.net @f "f" : (tensor<?x4xf32>) -> tensor<?x4xf32> {
  ^bb0(%x: tensor<?x4xf32>):
    %d = gps.std_normal : !gps.dist<normal, 4>
    // expected-error @below {{must be inside a gps.policy}}
    %z = gps.sample "z" from %d : !gps.dist<normal, 4> -> tensor<?x4xf32>
    gps.return %z : tensor<?x4xf32>
  }
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.data @x : real tensor<?x4xf32>
  gps.mask @m on @x : mcar(0.5)
  gps.policy primary @p reads ["m"] {
  ^bb0(%m: tensor<?x4xf32>):
    %d = gps.bernoulli %m : tensor<?x4xf32> -> !gps.dist<bernoulli, 4>
    // expected-error @below {{latent sites must be continuous; observe Bernoulli data with gps.observe}}
    %z = gps.sample "z" from %d : !gps.dist<bernoulli, 4> -> tensor<?x4xf32>
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.policy primary @p reads [] {
    %d = gps.std_normal : !gps.dist<normal, 2>
    // expected-error @below {{value has 3 features but the distribution has 2}}
    %z = gps.sample "z" from %d : !gps.dist<normal, 2> -> tensor<?x3xf32>
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.policy primary @p reads [] {
    %d = gps.std_normal : !gps.dist<normal, 2>
    // expected-error @below {{site name must not be empty}}
    %z = gps.sample "" from %d : !gps.dist<normal, 2> -> tensor<?x2xf32>
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
// ===== gps.observe =====
gps.model @m steps = 0 {
  gps.data @x : real tensor<?x4xf32>
  gps.net @f "f" : (tensor<?x4xf32>) -> () {
  ^bb0(%x: tensor<?x4xf32>):
    %d = gps.bernoulli %x : tensor<?x4xf32> -> !gps.dist<bernoulli, 4>
    // expected-error @below {{must be inside a gps.policy}}
    gps.observe "x" from %d : !gps.dist<bernoulli, 4>
    gps.return
  }
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.data @x : real tensor<?x4xf32>
  gps.mask @m on @x : mcar(0.5)
  gps.policy primary @p reads [] {}
  // expected-error @below {{impute policy reads guide-only data 'x'}}
  gps.policy impute @r reads ["x"] {
  ^bb0(%x: tensor<?x4xf32>):
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.data @x : real tensor<?x4xf32>
  gps.mask @m on @x : mcar(0.5)
  gps.policy primary @p reads [] {}
  gps.policy impute @r reads ["x.known"] {
  ^bb0(%xk: tensor<?x4xf32>):
    %d = gps.bernoulli %xk : tensor<?x4xf32> -> !gps.dist<bernoulli, 4>
    // expected-error @below {{an impute policy observes the missing part, not 'x'}}
    gps.observe "x" from %d : !gps.dist<bernoulli, 4>
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.data @x : real tensor<?x4xf32>
  gps.policy primary @p reads [] {}
  gps.policy guide @q reads ["x"] {
  ^bb0(%x: tensor<?x4xf32>):
    %d = gps.bernoulli %x : tensor<?x4xf32> -> !gps.dist<bernoulli, 4>
    // expected-error @below {{only the primary and an impute policy observe data}}
    gps.observe "x" from %d : !gps.dist<bernoulli, 4>
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.data @x : real tensor<?x4xf32>
  gps.mask @m on @x : mcar(0.5)
  gps.policy primary @p reads ["m"] {
  ^bb0(%m: tensor<?x4xf32>):
    %d = gps.bernoulli %m : tensor<?x4xf32> -> !gps.dist<bernoulli, 4>
    // expected-error @below {{site 'm' does not name a data input}}
    gps.observe "m" from %d : !gps.dist<bernoulli, 4>
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.data @x : real tensor<?x4xf32>
  gps.mask @m on @x : mcar(0.5)
  gps.policy primary @p reads ["m"] {
  ^bb0(%m: tensor<?x4xf32>):
    %d = gps.bernoulli %m : tensor<?x4xf32> -> !gps.dist<bernoulli, 4>
    // expected-error @below {{site 'x.seen' has unknown view 'seen' (expected 'known' or 'missing')}}
    gps.observe "x.seen" from %d : !gps.dist<bernoulli, 4>
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.data @x : real tensor<?x4xf32>
  gps.policy primary @p reads [] {
    %d0 = gps.std_normal : !gps.dist<normal, 4>
    %z = gps.sample "z" from %d0 : !gps.dist<normal, 4> -> tensor<?x4xf32>
    %d = gps.bernoulli %z : tensor<?x4xf32> -> !gps.dist<bernoulli, 4>
    // expected-error @below {{site 'x.missing' needs a mask on 'x'}}
    gps.observe "x.missing" from %d : !gps.dist<bernoulli, 4>
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.data @x : real tensor<?x4xf32>
  gps.mask @m on @x : mcar(0.5)
  gps.policy primary @p reads ["x.known"] {
  ^bb0(%xk: tensor<?x4xf32>):
    %d = gps.bernoulli %xk : tensor<?x4xf32> -> !gps.dist<bernoulli, 4>
    // expected-error @below {{cannot observe 'x.known': the known part is an input, not an outcome}}
    gps.observe "x.known" from %d : !gps.dist<bernoulli, 4>
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.data @x : real tensor<?x4xf32>
  gps.policy primary @p reads [] {
    %d0 = gps.std_normal : !gps.dist<normal, 3>
    %z = gps.sample "z" from %d0 : !gps.dist<normal, 3> -> tensor<?x3xf32>
    %d = gps.bernoulli %z : tensor<?x3xf32> -> !gps.dist<bernoulli, 3>
    // expected-error @below {{distribution over 3 elements cannot score data 'x' of 4 elements}}
    gps.observe "x" from %d : !gps.dist<bernoulli, 3>
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 0 {
  gps.data @x : real tensor<?x4xf32>
  gps.policy primary @p reads [] {
    %d = gps.std_normal : !gps.dist<normal, 4>
    // expected-error @below {{observed data needs a parameterised distribution}}
    gps.observe "x" from %d : !gps.dist<normal, 4>
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
// ===== gps.for, gps.yield =====
gps.model @m steps = 2 {
  gps.policy primary @p reads [] {
    // expected-error @below {{has an empty or negative step range 2 to 1}}
    gps.for 2 to 1 {
    ^bb0(%t: index):
      gps.yield
    }
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
// A negative lower bound is rejected only because the bounds are read as
// uint64_t (so it compares greater than the upper bound); the message then
// prints 2^64 - 1, so only its prefix is checked.
gps.model @m steps = 2 {
  gps.policy primary @p reads [] {
    // expected-error @below {{has an empty or negative step range}}
    gps.for -1 to 1 {
    ^bb0(%t: index):
      gps.yield
    }
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 2 {
  gps.policy primary @p reads [] {
    // expected-error @below {{body must take the step (index) and one argument per loop-carried value}}
    gps.for 0 to 1 {
      gps.yield
    }
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 2 {
  gps.policy primary @p reads [] {
    %d = gps.std_normal : !gps.dist<normal, 4>
    %z = gps.sample "z" from %d : !gps.dist<normal, 4> -> tensor<?x4xf32>
    // expected-error @below {{body arguments do not match the types of iter_args}}
    %r = gps.for 0 to 1 iter_args(%z : tensor<?x4xf32>) -> tensor<?x4xf32> {
    ^bb0(%t: index, %c: tensor<?x3xf32>):
      gps.yield %z : tensor<?x4xf32>
    }
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 2 {
  gps.policy primary @p reads [] {
    %d = gps.std_normal : !gps.dist<normal, 4>
    %z = gps.sample "z" from %d : !gps.dist<normal, 4> -> tensor<?x4xf32>
    // expected-error @below {{result types do not match the types of iter_args}}
    %r = gps.for 0 to 1 iter_args(%z : tensor<?x4xf32>) -> tensor<?x3xf32> {
    ^bb0(%t: index, %c: tensor<?x4xf32>):
      gps.yield %c : tensor<?x4xf32>
    }
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
gps.model @m steps = 2 {
  gps.policy primary @p reads [] {
    %d = gps.std_normal : !gps.dist<normal, 4>
    %z = gps.sample "z" from %d : !gps.dist<normal, 4> -> tensor<?x4xf32>
    %r = gps.for 0 to 1 iter_args(%z : tensor<?x4xf32>) -> tensor<?x4xf32> {
    ^bb0(%t: index, %c: tensor<?x4xf32>):
      // expected-error @below {{'gps.yield' op operand types do not match the loop's results}}
      gps.yield
    }
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}
// -----
// ===== gps.objective and its terms =====
gps.model @m steps = 0 {
  gps.policy primary @p reads [] {}
  gps.objective {
    %0 = gps.nll : f32
    %1 = arith.extf %0 : f32 to f64
    // expected-error @below {{'gps.return' op returns 1 value(s) whose types do not match the objective's single f32 result}}
    gps.return %1 : f64
  }
}
// -----
gps.model @m steps = 0 {
  gps.policy primary @p reads [] {}
  gps.objective {
    // expected-error @below {{'q' does not name a policy}}
    %0 = gps.kl @q, @p : f32
    gps.return %0 : f32
  }
}
// -----
gps.model @m steps = 0 {
  gps.policy primary @p reads [] {}
  gps.objective {
    // expected-error @below {{'q' does not name a policy}}
    %0 = gps.kl @p, @q : f32
    gps.return %0 : f32
  }
}
// -----
gps.model @m steps = 0 {
  gps.policy primary @p reads [] {}
  gps.objective {
    // expected-error @below {{divergence of a policy from itself is always zero}}
    %0 = gps.kl @p, @p : f32
    gps.return %0 : f32
  }
}
// -----
gps.model @m steps = 0 {
  gps.param @w : tensor<4xf32> init zeros
  gps.policy primary @p reads [] {}
  gps.objective {
    // expected-error @below {{'w' does not name a policy}}
    %0 = gps.kl_std_normal @w : f32
    gps.return %0 : f32
  }
}
