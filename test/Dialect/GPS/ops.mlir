// RUN: gps-opt %s | gps-opt | FileCheck %s

// Round-trip test of the gps dialect: every operation, every enum case and
// the !gps.dist type are parsed, printed, re-parsed and printed again.

// An imputation model with a primary and a guide policy: data with a range,
// a `mar` mask, every parameter initialiser, nets and the math operations.

// CHECK-LABEL: gps.model @imputer steps = 2 {
gps.model @imputer steps = 2 {
  // CHECK-NEXT: gps.data @x : real tensor<?x4xf32> in [0.000000e+00, 1.000000e+00]
  gps.data @x : real tensor<?x4xf32> in [0.0, 1.0]
  // CHECK-NEXT: gps.mask @m on @x : mar(1.000000e+00) image [2, 2]
  gps.mask @m on @x : mar(1.0) image [2, 2]
  // CHECK-NEXT: gps.param @step.w : tensor<8x4xf32> init glorot
  gps.param @step.w : tensor<8x4xf32> init glorot
  // CHECK-NEXT: gps.param @step.b : tensor<4xf32> init zeros
  gps.param @step.b : tensor<4xf32> init zeros
  // CHECK-NEXT: gps.param @write.w : tensor<2x4xf32> init normal
  gps.param @write.w : tensor<2x4xf32> init normal
  // CHECK-NEXT: gps.param @c0 : tensor<4xf32> init ones
  gps.param @c0 : tensor<4xf32> init ones

  // CHECK-NEXT: gps.net @step "affine(8 -> gauss(2))" : (tensor<?x8xf32>) -> !gps.dist<gaussian, 2> {
  // CHECK-NEXT: ^bb0(%[[IN:.*]]: tensor<?x8xf32>):
  gps.net @step "affine(8 -> gauss(2))" : (tensor<?x8xf32>) -> !gps.dist<gaussian, 2> {
  ^bb0(%in: tensor<?x8xf32>):
    // CHECK-NEXT: %[[W:.*]] = gps.read_param @step.w : tensor<8x4xf32>
    %w = gps.read_param @step.w : tensor<8x4xf32>
    // CHECK-NEXT: %[[B:.*]] = gps.read_param @step.b : tensor<4xf32>
    %b = gps.read_param @step.b : tensor<4xf32>
    // CHECK-NEXT: %[[H:.*]] = gps.affine %[[IN]], %[[W]], %[[B]] : tensor<?x8xf32>, tensor<8x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
    %h = gps.affine %in, %w, %b : tensor<?x8xf32>, tensor<8x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
    // CHECK-NEXT: %[[MU:.*]] = gps.slice %[[H]][0, 2] : tensor<?x4xf32> -> tensor<?x2xf32>
    %mu = gps.slice %h[0, 2] : tensor<?x4xf32> -> tensor<?x2xf32>
    // CHECK-NEXT: %[[LV:.*]] = gps.slice %[[H]][2, 2] : tensor<?x4xf32> -> tensor<?x2xf32>
    %lv = gps.slice %h[2, 2] : tensor<?x4xf32> -> tensor<?x2xf32>
    // CHECK-NEXT: %[[D:.*]] = gps.gaussian %[[MU]], %[[LV]] : tensor<?x2xf32> -> !gps.dist<gaussian, 2>
    %d = gps.gaussian %mu, %lv : tensor<?x2xf32> -> !gps.dist<gaussian, 2>
    // CHECK-NEXT: gps.return %[[D]] : !gps.dist<gaussian, 2>
    gps.return %d : !gps.dist<gaussian, 2>
  }
  // CHECK-NEXT: }

  // CHECK-NEXT: gps.net @write "matmul(2 -> 4)" : (tensor<?x2xf32>) -> tensor<?x4xf32> {
  // CHECK-NEXT: ^bb0(%[[Z:.*]]: tensor<?x2xf32>):
  gps.net @write "matmul(2 -> 4)" : (tensor<?x2xf32>) -> tensor<?x4xf32> {
  ^bb0(%z: tensor<?x2xf32>):
    // CHECK-NEXT: %[[W:.*]] = gps.read_param @write.w : tensor<2x4xf32>
    %w = gps.read_param @write.w : tensor<2x4xf32>
    // CHECK-NEXT: %[[Y:.*]] = gps.matmul %[[Z]], %[[W]] : tensor<?x2xf32>, tensor<2x4xf32> -> tensor<?x4xf32>
    %y = gps.matmul %z, %w : tensor<?x2xf32>, tensor<2x4xf32> -> tensor<?x4xf32>
    // CHECK-NEXT: %[[R:.*]] = gps.relu %[[Y]] : tensor<?x4xf32>
    %r = gps.relu %y : tensor<?x4xf32>
    // CHECK-NEXT: %[[T:.*]] = gps.tanh %[[R]] : tensor<?x4xf32>
    %t = gps.tanh %r : tensor<?x4xf32>
    // CHECK-NEXT: %[[S:.*]] = gps.sigmoid %[[T]] : tensor<?x4xf32>
    %s = gps.sigmoid %t : tensor<?x4xf32>
    // CHECK-NEXT: %[[SP:.*]] = gps.softplus %[[S]] : tensor<?x4xf32>
    %sp = gps.softplus %s : tensor<?x4xf32>
    // CHECK-NEXT: %[[E:.*]] = gps.exp %[[SP]] : tensor<?x4xf32>
    %e = gps.exp %sp : tensor<?x4xf32>
    // CHECK-NEXT: %[[L:.*]] = gps.log %[[E]] : tensor<?x4xf32>
    %l = gps.log %e : tensor<?x4xf32>
    // CHECK-NEXT: %[[O:.*]] = gps.sub %[[L]], %[[Y]] : tensor<?x4xf32>
    %o = gps.sub %l, %y : tensor<?x4xf32>
    // CHECK-NEXT: gps.return %[[O]] : tensor<?x4xf32>
    gps.return %o : tensor<?x4xf32>
  }
  // CHECK-NEXT: }

  // CHECK-NEXT: gps.policy primary @p reads ["x.known", "m"] {
  // CHECK-NEXT: ^bb0(%[[XK:.*]]: tensor<?x4xf32>, %[[M:.*]]: tensor<?x4xf32>):
  gps.policy primary @p reads ["x.known", "m"] {
  ^bb0(%xk: tensor<?x4xf32>, %m: tensor<?x4xf32>):
    // CHECK-NEXT: %[[C0:.*]] = gps.read_param @c0 : tensor<4xf32>
    %c0 = gps.read_param @c0 : tensor<4xf32>
    // CHECK-NEXT: %[[C:.*]] = gps.broadcast %[[C0]] : tensor<4xf32> -> tensor<?x4xf32>
    %c = gps.broadcast %c0 : tensor<4xf32> -> tensor<?x4xf32>
    // CHECK-NEXT: %[[RES:.*]] = gps.for 1 to 2 iter_args(%[[C]] : tensor<?x4xf32>) -> tensor<?x4xf32> {
    // CHECK-NEXT: ^bb0(%[[T:.*]]: index, %[[CI:.*]]: tensor<?x4xf32>):
    %r = gps.for 1 to 2 iter_args(%c : tensor<?x4xf32>) -> tensor<?x4xf32> {
    ^bb0(%t: index, %ci: tensor<?x4xf32>):
      // CHECK-NEXT: %[[F:.*]] = gps.fill %[[CI]], %[[XK]], %[[M]] : tensor<?x4xf32>
      %f = gps.fill %ci, %xk, %m : tensor<?x4xf32>
      // CHECK-NEXT: %[[IN:.*]] = gps.concat %[[F]], %[[M]] : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x8xf32>
      %in = gps.concat %f, %m : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x8xf32>
      // CHECK-NEXT: %[[D:.*]] = gps.call @step(%[[IN]]) : (tensor<?x8xf32>) -> !gps.dist<gaussian, 2>
      %d = gps.call @step(%in) : (tensor<?x8xf32>) -> !gps.dist<gaussian, 2>
      // CHECK-NEXT: %[[Z:.*]] = gps.sample "z"[%[[T]]] from %[[D]] : !gps.dist<gaussian, 2> -> tensor<?x2xf32>
      %z = gps.sample "z"[%t] from %d : !gps.dist<gaussian, 2> -> tensor<?x2xf32>
      // CHECK-NEXT: %[[DW:.*]] = gps.call @write(%[[Z]]) : (tensor<?x2xf32>) -> tensor<?x4xf32>
      %dw = gps.call @write(%z) : (tensor<?x2xf32>) -> tensor<?x4xf32>
      // CHECK-NEXT: %[[N:.*]] = gps.add %[[CI]], %[[DW]] : tensor<?x4xf32>
      %n = gps.add %ci, %dw : tensor<?x4xf32>
      // CHECK-NEXT: gps.yield %[[N]] : tensor<?x4xf32>
      gps.yield %n : tensor<?x4xf32>
    }
    // CHECK-NEXT: }
    // CHECK-NEXT: %[[O:.*]] = gps.bernoulli %[[RES]] : tensor<?x4xf32> -> !gps.dist<bernoulli, 4>
    %o = gps.bernoulli %r : tensor<?x4xf32> -> !gps.dist<bernoulli, 4>
    // CHECK-NEXT: gps.observe "x.missing" from %[[O]] : !gps.dist<bernoulli, 4>
    gps.observe "x.missing" from %o : !gps.dist<bernoulli, 4>
  }
  // The implicit gps.return of a policy is not printed.
  // CHECK-NEXT: }

  // CHECK-NEXT: gps.policy guide @q reads ["x", "m"] {
  // CHECK-NEXT: ^bb0(%[[X:.*]]: tensor<?x4xf32>, %[[M:.*]]: tensor<?x4xf32>):
  gps.policy guide @q reads ["x", "m"] {
  ^bb0(%x: tensor<?x4xf32>, %m: tensor<?x4xf32>):
    // CHECK-NEXT: %[[C0:.*]] = gps.read_param @c0 : tensor<4xf32>
    %c0 = gps.read_param @c0 : tensor<4xf32>
    // CHECK-NEXT: %[[C:.*]] = gps.broadcast %[[C0]] : tensor<4xf32> -> tensor<?x4xf32>
    %c = gps.broadcast %c0 : tensor<4xf32> -> tensor<?x4xf32>
    // CHECK-NEXT: gps.for 1 to 2 reverse iter_args(%[[C]] : tensor<?x4xf32>) -> tensor<?x4xf32> {
    // CHECK-NEXT: ^bb0(%[[T:.*]]: index, %[[CI:.*]]: tensor<?x4xf32>):
    %r = gps.for 1 to 2 reverse iter_args(%c : tensor<?x4xf32>) -> tensor<?x4xf32> {
    ^bb0(%t: index, %ci: tensor<?x4xf32>):
      // CHECK-NEXT: %[[XM:.*]] = gps.mul %[[X]], %[[M]] : tensor<?x4xf32>
      %xm = gps.mul %x, %m : tensor<?x4xf32>
      // CHECK-NEXT: %[[F:.*]] = gps.fill %[[CI]], %[[XM]], %[[M]] : tensor<?x4xf32>
      %f = gps.fill %ci, %xm, %m : tensor<?x4xf32>
      // CHECK-NEXT: %[[IN:.*]] = gps.concat %[[F]], %[[X]] : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x8xf32>
      %in = gps.concat %f, %x : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x8xf32>
      // CHECK-NEXT: %[[D:.*]] = gps.call @step(%[[IN]]) : (tensor<?x8xf32>) -> !gps.dist<gaussian, 2>
      %d = gps.call @step(%in) : (tensor<?x8xf32>) -> !gps.dist<gaussian, 2>
      // CHECK-NEXT: %[[Z:.*]] = gps.sample "z"[%[[T]]] from %[[D]] : !gps.dist<gaussian, 2> -> tensor<?x2xf32>
      %z = gps.sample "z"[%t] from %d : !gps.dist<gaussian, 2> -> tensor<?x2xf32>
      // CHECK-NEXT: %[[DW:.*]] = gps.call @write(%[[Z]]) : (tensor<?x2xf32>) -> tensor<?x4xf32>
      %dw = gps.call @write(%z) : (tensor<?x2xf32>) -> tensor<?x4xf32>
      // CHECK-NEXT: %[[N:.*]] = gps.add %[[CI]], %[[DW]] : tensor<?x4xf32>
      %n = gps.add %ci, %dw : tensor<?x4xf32>
      // CHECK-NEXT: gps.yield %[[N]] : tensor<?x4xf32>
      gps.yield %n : tensor<?x4xf32>
    }
    // CHECK-NEXT: }
  }
  // CHECK-NEXT: }

  // CHECK-NEXT: gps.objective {
  gps.objective {
    // CHECK-NEXT: %[[NLL:.*]] = gps.nll : f32
    %nll = gps.nll : f32
    // CHECK-NEXT: %[[KL:.*]] = gps.kl @q, @p : f32
    %kl = gps.kl @q, @p : f32
    // CHECK-NEXT: %[[RKL:.*]] = gps.kl @p, @q : f32
    %rkl = gps.kl @p, @q : f32
    // CHECK-NEXT: %[[REG:.*]] = gps.kl_std_normal @q : f32
    %reg = gps.kl_std_normal @q : f32
    // CHECK-NEXT: %[[A:.*]] = arith.addf %[[NLL]], %[[KL]] : f32
    %a = arith.addf %nll, %kl : f32
    // CHECK-NEXT: %[[B:.*]] = arith.addf %[[A]], %[[RKL]] : f32
    %b = arith.addf %a, %rkl : f32
    // CHECK-NEXT: %[[L:.*]] = arith.addf %[[B]], %[[REG]] : f32
    %l = arith.addf %b, %reg : f32
    // CHECK-NEXT: gps.return %[[L]] : f32
    gps.return %l : f32
  }
  // CHECK-NEXT: }
}
// CHECK-NEXT: }

// A generative LSTM model with only a primary policy: `bits` data without a
// range, an `mcar` mask, LSTM cells with and without peepholes, the
// standard normal, sample sites with and without a step, and a loop without
// loop-carried values.

// CHECK-LABEL: gps.model @lstm steps = 2 {
gps.model @lstm steps = 2 {
  // CHECK-NEXT: gps.data @y : bits tensor<?x4xf32>{{$}}
  gps.data @y : bits tensor<?x4xf32>
  // CHECK-NEXT: gps.mask @n on @y : mcar(2.500000e-01){{$}}
  gps.mask @n on @y : mcar(0.25)
  // CHECK-NEXT: gps.param @cell.wx : tensor<2x12xf32> init glorot
  gps.param @cell.wx : tensor<2x12xf32> init glorot
  // CHECK-NEXT: gps.param @cell.wh : tensor<3x12xf32> init glorot
  gps.param @cell.wh : tensor<3x12xf32> init glorot
  // CHECK-NEXT: gps.param @cell.b : tensor<12xf32> init zeros
  gps.param @cell.b : tensor<12xf32> init zeros
  // CHECK-NEXT: gps.param @cell.peephole : tensor<3x3xf32> init zeros
  gps.param @cell.peephole : tensor<3x3xf32> init zeros
  // CHECK-NEXT: gps.param @out.w : tensor<3x4xf32> init normal
  gps.param @out.w : tensor<3x4xf32> init normal

  // CHECK-NEXT: gps.net @cell "lstm(2 -> 3, peephole)" : (tensor<?x2xf32>, tensor<?x3xf32>, tensor<?x3xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>) {
  // CHECK-NEXT: ^bb0(%[[X:.*]]: tensor<?x2xf32>, %[[H:.*]]: tensor<?x3xf32>, %[[C:.*]]: tensor<?x3xf32>):
  gps.net @cell "lstm(2 -> 3, peephole)" : (tensor<?x2xf32>, tensor<?x3xf32>, tensor<?x3xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>) {
  ^bb0(%x: tensor<?x2xf32>, %h: tensor<?x3xf32>, %c: tensor<?x3xf32>):
    // CHECK-NEXT: %[[WX:.*]] = gps.read_param @cell.wx : tensor<2x12xf32>
    %wx = gps.read_param @cell.wx : tensor<2x12xf32>
    // CHECK-NEXT: %[[WH:.*]] = gps.read_param @cell.wh : tensor<3x12xf32>
    %wh = gps.read_param @cell.wh : tensor<3x12xf32>
    // CHECK-NEXT: %[[B:.*]] = gps.read_param @cell.b : tensor<12xf32>
    %b = gps.read_param @cell.b : tensor<12xf32>
    // CHECK-NEXT: %[[P:.*]] = gps.read_param @cell.peephole : tensor<3x3xf32>
    %p = gps.read_param @cell.peephole : tensor<3x3xf32>
    // CHECK-NEXT: %[[H1:.*]], %[[C1:.*]] = gps.lstm_cell %[[X]], %[[H]], %[[C]], %[[WX]], %[[WH]], %[[B]] peephole %[[P]] : (tensor<?x2xf32>, tensor<?x3xf32>, tensor<?x3xf32>, tensor<2x12xf32>, tensor<3x12xf32>, tensor<12xf32>, tensor<3x3xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>)
    %h1, %c1 = gps.lstm_cell %x, %h, %c, %wx, %wh, %b peephole %p : (tensor<?x2xf32>, tensor<?x3xf32>, tensor<?x3xf32>, tensor<2x12xf32>, tensor<3x12xf32>, tensor<12xf32>, tensor<3x3xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>)
    // CHECK-NEXT: gps.return %[[H1]], %[[C1]] : tensor<?x3xf32>, tensor<?x3xf32>
    gps.return %h1, %c1 : tensor<?x3xf32>, tensor<?x3xf32>
  }
  // CHECK-NEXT: }

  // CHECK-NEXT: gps.net @cell_plain "lstm(2 -> 3)" : (tensor<?x2xf32>, tensor<?x3xf32>, tensor<?x3xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>) {
  // CHECK-NEXT: ^bb0(%[[X:.*]]: tensor<?x2xf32>, %[[H:.*]]: tensor<?x3xf32>, %[[C:.*]]: tensor<?x3xf32>):
  gps.net @cell_plain "lstm(2 -> 3)" : (tensor<?x2xf32>, tensor<?x3xf32>, tensor<?x3xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>) {
  ^bb0(%x: tensor<?x2xf32>, %h: tensor<?x3xf32>, %c: tensor<?x3xf32>):
    // CHECK-NEXT: %[[WX:.*]] = gps.read_param @cell.wx : tensor<2x12xf32>
    %wx = gps.read_param @cell.wx : tensor<2x12xf32>
    // CHECK-NEXT: %[[WH:.*]] = gps.read_param @cell.wh : tensor<3x12xf32>
    %wh = gps.read_param @cell.wh : tensor<3x12xf32>
    // CHECK-NEXT: %[[B:.*]] = gps.read_param @cell.b : tensor<12xf32>
    %b = gps.read_param @cell.b : tensor<12xf32>
    // CHECK-NEXT: %[[H1:.*]], %[[C1:.*]] = gps.lstm_cell %[[X]], %[[H]], %[[C]], %[[WX]], %[[WH]], %[[B]] : (tensor<?x2xf32>, tensor<?x3xf32>, tensor<?x3xf32>, tensor<2x12xf32>, tensor<3x12xf32>, tensor<12xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>)
    %h1, %c1 = gps.lstm_cell %x, %h, %c, %wx, %wh, %b : (tensor<?x2xf32>, tensor<?x3xf32>, tensor<?x3xf32>, tensor<2x12xf32>, tensor<3x12xf32>, tensor<12xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>)
    // CHECK-NEXT: gps.return %[[H1]], %[[C1]] : tensor<?x3xf32>, tensor<?x3xf32>
    gps.return %h1, %c1 : tensor<?x3xf32>, tensor<?x3xf32>
  }
  // CHECK-NEXT: }

  // CHECK-NEXT: gps.net @out "matmul(3 -> 4)" : (tensor<?x3xf32>) -> tensor<?x4xf32> {
  // CHECK-NEXT: ^bb0(%[[H:.*]]: tensor<?x3xf32>):
  gps.net @out "matmul(3 -> 4)" : (tensor<?x3xf32>) -> tensor<?x4xf32> {
  ^bb0(%h: tensor<?x3xf32>):
    // CHECK-NEXT: %[[W:.*]] = gps.read_param @out.w : tensor<3x4xf32>
    %w = gps.read_param @out.w : tensor<3x4xf32>
    // CHECK-NEXT: %[[Y:.*]] = gps.matmul %[[H]], %[[W]] : tensor<?x3xf32>, tensor<3x4xf32> -> tensor<?x4xf32>
    %y = gps.matmul %h, %w : tensor<?x3xf32>, tensor<3x4xf32> -> tensor<?x4xf32>
    // CHECK-NEXT: gps.return %[[Y]] : tensor<?x4xf32>
    gps.return %y : tensor<?x4xf32>
  }
  // CHECK-NEXT: }

  // CHECK-NEXT: gps.policy primary @p reads ["y.known", "n"] {
  // CHECK-NEXT: ^bb0(%{{.*}}: tensor<?x4xf32>, %{{.*}}: tensor<?x4xf32>):
  gps.policy primary @p reads ["y.known", "n"] {
  ^bb0(%yk: tensor<?x4xf32>, %n: tensor<?x4xf32>):
    // CHECK-NEXT: %[[D0:.*]] = gps.std_normal : !gps.dist<normal, 3>
    %d0 = gps.std_normal : !gps.dist<normal, 3>
    // CHECK-NEXT: %[[H0:.*]] = gps.sample "h0" from %[[D0]] : !gps.dist<normal, 3> -> tensor<?x3xf32>
    %h0 = gps.sample "h0" from %d0 : !gps.dist<normal, 3> -> tensor<?x3xf32>
    // CHECK-NEXT: %[[C0:.*]] = gps.sample "c0" from %[[D0]] : !gps.dist<normal, 3> -> tensor<?x3xf32>
    %c0 = gps.sample "c0" from %d0 : !gps.dist<normal, 3> -> tensor<?x3xf32>
    // CHECK-NEXT: %[[D:.*]] = gps.std_normal : !gps.dist<normal, 2>
    %d = gps.std_normal : !gps.dist<normal, 2>
    // A loop without loop-carried values has no results.
    // CHECK-NEXT: gps.for 0 to 2 {
    // CHECK-NEXT: ^bb0(%[[T:.*]]: index):
    gps.for 0 to 2 {
    ^bb0(%t: index):
      // CHECK-NEXT: gps.sample "eps"[%[[T]]] from %[[D]] : !gps.dist<normal, 2> -> tensor<?x2xf32>
      %e = gps.sample "eps"[%t] from %d : !gps.dist<normal, 2> -> tensor<?x2xf32>
      // CHECK-NEXT: gps.yield{{$}}
      gps.yield
    }
    // CHECK-NEXT: }
    // CHECK-NEXT: %[[Z:.*]] = gps.sample "z" from %[[D]] : !gps.dist<normal, 2> -> tensor<?x2xf32>
    %z = gps.sample "z" from %d : !gps.dist<normal, 2> -> tensor<?x2xf32>
    // CHECK-NEXT: %[[S1:.*]]:2 = gps.call @cell(%[[Z]], %[[H0]], %[[C0]]) : (tensor<?x2xf32>, tensor<?x3xf32>, tensor<?x3xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>)
    %s1:2 = gps.call @cell(%z, %h0, %c0) : (tensor<?x2xf32>, tensor<?x3xf32>, tensor<?x3xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>)
    // CHECK-NEXT: %[[S2:.*]]:2 = gps.call @cell_plain(%[[Z]], %[[S1]]#0, %[[S1]]#1) : (tensor<?x2xf32>, tensor<?x3xf32>, tensor<?x3xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>)
    %s2:2 = gps.call @cell_plain(%z, %s1#0, %s1#1) : (tensor<?x2xf32>, tensor<?x3xf32>, tensor<?x3xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>)
    // CHECK-NEXT: %[[L:.*]] = gps.call @out(%[[S2]]#0) : (tensor<?x3xf32>) -> tensor<?x4xf32>
    %l = gps.call @out(%s2#0) : (tensor<?x3xf32>) -> tensor<?x4xf32>
    // CHECK-NEXT: %[[O:.*]] = gps.bernoulli %[[L]] : tensor<?x4xf32> -> !gps.dist<bernoulli, 4>
    %o = gps.bernoulli %l : tensor<?x4xf32> -> !gps.dist<bernoulli, 4>
    // CHECK-NEXT: gps.observe "y.missing" from %[[O]] : !gps.dist<bernoulli, 4>
    gps.observe "y.missing" from %o : !gps.dist<bernoulli, 4>
    // An explicit empty gps.return is accepted and elided when printed.
    // CHECK-NOT: gps.return
    gps.return
  }
  // CHECK-NEXT: }

  // CHECK-NEXT: gps.objective {
  gps.objective {
    // CHECK-NEXT: %[[NLL:.*]] = gps.nll : f32
    %nll = gps.nll : f32
    // CHECK-NEXT: %[[REG:.*]] = gps.kl_std_normal @p : f32
    %reg = gps.kl_std_normal @p : f32
    // CHECK-NEXT: %[[L:.*]] = arith.addf %[[NLL]], %[[REG]] : f32
    %l = arith.addf %nll, %reg : f32
    // CHECK-NEXT: gps.return %[[L]] : f32
    gps.return %l : f32
  }
  // CHECK-NEXT: }
}
// CHECK-NEXT: }

// The ops made by gps-pair-policies and gps-expand-kl.
// CHECK-LABEL: gps.model @paired steps = 2 {
// CHECK:       gps.rollout @rollout guide @q primary @p reads ["x", "m"] terms [#gps.term<nll>, #gps.term<kl_qp>] {
// CHECK-NEXT:  ^bb0(%[[X:.*]]: tensor<?x2xf32>, %[[M:.*]]: tensor<?x2xf32>):
// CHECK-NEXT:    %[[N:.*]] = gps.std_normal : !gps.dist<normal, 2>
// CHECK-NEXT:    %[[G:.*]] = gps.gaussian %[[X]], %[[M]] : tensor<?x2xf32> -> !gps.dist<gaussian, 2>
// CHECK-NEXT:    %[[Z:.*]] = gps.sample "z" from %[[G]] : !gps.dist<gaussian, 2> -> tensor<?x2xf32>
// CHECK-NEXT:    gps.replay "z" value %[[Z]] guide %[[G]] primary %[[N]] : tensor<?x2xf32>, !gps.dist<gaussian, 2>, !gps.dist<normal, 2>
// CHECK-NEXT:    %[[K:.*]] = gps.kl_div %[[G]], %[[N]] : !gps.dist<gaussian, 2>, !gps.dist<normal, 2> -> tensor<?x1xf32>
// CHECK-NEXT:    %[[B:.*]] = gps.bernoulli %[[Z]] : tensor<?x2xf32> -> !gps.dist<bernoulli, 2>
// CHECK-NEXT:    %[[LP:.*]] = gps.log_prob %[[B]], %[[X]] missing(%[[M]] : tensor<?x2xf32>) : !gps.dist<bernoulli, 2>, tensor<?x2xf32> -> tensor<?x1xf32>
// CHECK-NEXT:    %[[LP2:.*]] = gps.log_prob %[[B]], %[[X]] : !gps.dist<bernoulli, 2>, tensor<?x2xf32> -> tensor<?x1xf32>
// CHECK-NEXT:    %[[Z0:.*]] = gps.zeros : tensor<?x1xf32>
// CHECK-NEXT:    %[[NLL:.*]] = gps.sub %[[Z0]], %[[LP]] : tensor<?x1xf32>
// CHECK-NEXT:    gps.return %[[NLL]], %[[K]] : tensor<?x1xf32>, tensor<?x1xf32>
gps.model @paired steps = 2 {
  gps.data @x : real tensor<?x2xf32>
  gps.mask @m on @x : mcar(5.000000e-01)
  gps.policy primary @p reads ["x.known", "m"] {
  ^bb0(%xk: tensor<?x2xf32>, %mk: tensor<?x2xf32>):
  }
  gps.policy guide @q reads ["x", "m"] {
  ^bb0(%x: tensor<?x2xf32>, %mk: tensor<?x2xf32>):
  }
  gps.rollout @rollout guide @q primary @p reads ["x", "m"] terms [#gps.term<nll>, #gps.term<kl_qp>] {
  ^bb0(%x: tensor<?x2xf32>, %mk: tensor<?x2xf32>):
    %n = gps.std_normal : !gps.dist<normal, 2>
    %g = gps.gaussian %x, %mk : tensor<?x2xf32> -> !gps.dist<gaussian, 2>
    %z = gps.sample "z" from %g : !gps.dist<gaussian, 2> -> tensor<?x2xf32>
    gps.replay "z" value %z guide %g primary %n : tensor<?x2xf32>, !gps.dist<gaussian, 2>, !gps.dist<normal, 2>
    %k = gps.kl_div %g, %n : !gps.dist<gaussian, 2>, !gps.dist<normal, 2> -> tensor<?x1xf32>
    %b = gps.bernoulli %z : tensor<?x2xf32> -> !gps.dist<bernoulli, 2>
    %lp = gps.log_prob %b, %x missing(%mk : tensor<?x2xf32>) : !gps.dist<bernoulli, 2>, tensor<?x2xf32> -> tensor<?x1xf32>
    %lp2 = gps.log_prob %b, %x : !gps.dist<bernoulli, 2>, tensor<?x2xf32> -> tensor<?x1xf32>
    %z0 = gps.zeros : tensor<?x1xf32>
    %nll = gps.sub %z0, %lp : tensor<?x1xf32>
    gps.return %nll, %k : tensor<?x1xf32>, tensor<?x1xf32>
  }
  gps.objective { %0 = gps.kl @q, @p : f32  gps.return %0 : f32 }
}

// The primitives made by gps-decompose and gps-autodiff, in loss functions.

// CHECK-LABEL: func.func @primitives(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x4xf32>, %[[W:[^:]*]]: tensor<4x3xf32>, %[[P:[^:]*]]: tensor<2x3xf32>, %[[KEY:[^:]*]]: i64, %[[STREAM:[^:]*]]: i64)
func.func @primitives(%x: tensor<?x4xf32>, %w: tensor<4x3xf32>, %p: tensor<2x3xf32>, %key: i64, %stream: i64) -> (tensor<4x3xf32>, tensor<?x4xf32>, tensor<3xf32>, tensor<?x3xf32>, tensor<?x3xf32>, f32, f32, tensor<2x3xf32>) {
  // CHECK-NEXT: %[[Y:.*]] = gps.gemm %[[X]], %[[W]] : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  %y = gps.gemm %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  // CHECK-NEXT: %[[DW:.*]] = gps.gemm %[[X]], %[[Y]] {transpose_lhs} : tensor<?x4xf32>, tensor<?x3xf32> -> tensor<4x3xf32>
  %dw = gps.gemm %x, %y {transpose_lhs} : tensor<?x4xf32>, tensor<?x3xf32> -> tensor<4x3xf32>
  // CHECK-NEXT: %[[DX:.*]] = gps.gemm %[[Y]], %[[W]] {transpose_rhs} : tensor<?x3xf32>, tensor<4x3xf32> -> tensor<?x4xf32>
  %dx = gps.gemm %y, %w {transpose_rhs} : tensor<?x3xf32>, tensor<4x3xf32> -> tensor<?x4xf32>
  // CHECK-NEXT: %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
  %half = arith.constant 5.000000e-01 : f32
  // CHECK-NEXT: %[[H:.*]] = gps.splat %[[HALF]] : tensor<?x3xf32>
  %h = gps.splat %half : tensor<?x3xf32>
  // CHECK-NEXT: %[[Q:.*]] = gps.div %[[Y]], %[[H]] : tensor<?x3xf32>
  %q = gps.div %y, %h : tensor<?x3xf32>
  // CHECK-NEXT: %[[S:.*]] = gps.sum %[[Q]] : tensor<?x3xf32> -> tensor<?x1xf32>
  %s = gps.sum %q : tensor<?x3xf32> -> tensor<?x1xf32>
  // CHECK-NEXT: %[[E:.*]] = gps.expand %[[S]] : tensor<?x1xf32> -> tensor<?x3xf32>
  %e = gps.expand %s : tensor<?x1xf32> -> tensor<?x3xf32>
  // CHECK-NEXT: %[[CS:.*]] = gps.col_sum %[[E]] : tensor<?x3xf32> -> tensor<3xf32>
  %cs = gps.col_sum %e : tensor<?x3xf32> -> tensor<3xf32>
  // CHECK-NEXT: %[[RG:.*]] = gps.relu_grad %[[Y]], %[[E]] : tensor<?x3xf32>
  %rg = gps.relu_grad %y, %e : tensor<?x3xf32>
  // CHECK-NEXT: %[[EPS:.*]] = gps.noise "z" key %[[KEY]] stream %[[STREAM]] : tensor<?x3xf32>
  %eps = gps.noise "z" key %key stream %stream : tensor<?x3xf32>
  // CHECK-NEXT: %[[M:.*]] = gps.mean %[[S]] : tensor<?x1xf32> -> f32
  %m = gps.mean %s : tensor<?x1xf32> -> f32
  // CHECK-NEXT: %[[N:.*]] = gps.batch_size : f32
  %n = gps.batch_size : f32
  // CHECK-NEXT: %[[R:.*]] = gps.row %[[P]][1] : tensor<2x3xf32> -> tensor<3xf32>
  %r = gps.row %p[1] : tensor<2x3xf32> -> tensor<3xf32>
  // CHECK-NEXT: %[[PR:.*]] = gps.put_rows %[[R]] at [0] : tensor<3xf32> -> tensor<2x3xf32>
  %pr = gps.put_rows %r at [0] : tensor<3xf32> -> tensor<2x3xf32>
  // CHECK-NEXT: %[[PRS:.*]] = gps.put_rows %[[R]], %[[R]] at [1, 0] : tensor<3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  %prs = gps.put_rows %r, %r at [1, 0] : tensor<3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  // Zeros of a parameter's shape start its gradient; arithmetic on
  // parameter shapes accumulates it.
  // CHECK-NEXT: %[[ZP:.*]] = gps.zeros : tensor<2x3xf32>
  %zp = gps.zeros : tensor<2x3xf32>
  // CHECK-NEXT: %[[DP:.*]] = gps.add %[[ZP]], %[[PR]] : tensor<2x3xf32>
  %dp = gps.add %zp, %pr : tensor<2x3xf32>
  // CHECK-NEXT: %[[DP2:.*]] = gps.div %[[DP]], %[[P]] : tensor<2x3xf32>
  %dp2 = gps.div %dp, %p : tensor<2x3xf32>
  // CHECK-NEXT: return %[[DW]], %[[DX]], %[[CS]], %[[RG]], %[[EPS]], %[[M]], %[[N]], %[[DP2]]
  return %dw, %dx, %cs, %rg, %eps, %m, %n, %dp2 : tensor<4x3xf32>, tensor<?x4xf32>, tensor<3xf32>, tensor<?x3xf32>, tensor<?x3xf32>, f32, f32, tensor<2x3xf32>
}

// Tapes of batched and of parameter-shaped values, threaded through a step
// loop, and the noise of a site at a step.
// CHECK-LABEL: func.func @tapes(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x4xf32>, %[[W:[^:]*]]: tensor<4x3xf32>, %[[KEY:[^:]*]]: i64, %[[STREAM:[^:]*]]: i64)
func.func @tapes(%x: tensor<?x4xf32>, %w: tensor<4x3xf32>, %key: i64, %stream: i64) -> (tensor<?x4xf32>, tensor<4x3xf32>) {
  // CHECK-NEXT: %[[TB:.*]] = gps.tape_new : !gps.tape<3 x tensor<?x4xf32>>
  %tb = gps.tape_new : !gps.tape<3 x tensor<?x4xf32>>
  // CHECK-NEXT: %[[TP:.*]] = gps.tape_new : !gps.tape<3 x tensor<4x3xf32>>
  %tp = gps.tape_new : !gps.tape<3 x tensor<4x3xf32>>
  // CHECK-NEXT: %[[L:.*]]:3 = gps.for 1 to 3 iter_args(%[[X]], %[[TB]], %[[TP]] : tensor<?x4xf32>, !gps.tape<3 x tensor<?x4xf32>>, !gps.tape<3 x tensor<4x3xf32>>) -> tensor<?x4xf32>, !gps.tape<3 x tensor<?x4xf32>>, !gps.tape<3 x tensor<4x3xf32>> {
  // CHECK-NEXT: ^bb0(%[[T:.*]]: index, %[[H:.*]]: tensor<?x4xf32>, %[[A:.*]]: !gps.tape<3 x tensor<?x4xf32>>, %[[B:.*]]: !gps.tape<3 x tensor<4x3xf32>>):
  %l:3 = gps.for 1 to 3 iter_args(%x, %tb, %tp : tensor<?x4xf32>, !gps.tape<3 x tensor<?x4xf32>>, !gps.tape<3 x tensor<4x3xf32>>) -> tensor<?x4xf32>, !gps.tape<3 x tensor<?x4xf32>>, !gps.tape<3 x tensor<4x3xf32>> {
  ^bb0(%t: index, %h: tensor<?x4xf32>, %a: !gps.tape<3 x tensor<?x4xf32>>, %b: !gps.tape<3 x tensor<4x3xf32>>):
    // CHECK-NEXT: %[[C1:.*]] = arith.constant 1 : index
    %c1 = arith.constant 1 : index
    // CHECK-NEXT: %[[I:.*]] = arith.subi %[[T]], %[[C1]] : index
    %i = arith.subi %t, %c1 : index
    // CHECK-NEXT: %[[EPS:.*]] = gps.noise "eps"[%[[T]]] key %[[KEY]] stream %[[STREAM]] : tensor<?x4xf32>
    %eps = gps.noise "eps"[%t] key %key stream %stream : tensor<?x4xf32>
    // CHECK-NEXT: %[[A1:.*]] = gps.tape_push %[[H]] into %[[A]][%[[I]]] : tensor<?x4xf32> into !gps.tape<3 x tensor<?x4xf32>>
    %a1 = gps.tape_push %h into %a[%i] : tensor<?x4xf32> into !gps.tape<3 x tensor<?x4xf32>>
    // CHECK-NEXT: %[[B1:.*]] = gps.tape_push %[[W]] into %[[B]][%[[I]]] : tensor<4x3xf32> into !gps.tape<3 x tensor<4x3xf32>>
    %b1 = gps.tape_push %w into %b[%i] : tensor<4x3xf32> into !gps.tape<3 x tensor<4x3xf32>>
    // CHECK-NEXT: %[[N:.*]] = gps.add %[[H]], %[[EPS]] : tensor<?x4xf32>
    %n = gps.add %h, %eps : tensor<?x4xf32>
    // CHECK-NEXT: gps.yield %[[N]], %[[A1]], %[[B1]] : tensor<?x4xf32>, !gps.tape<3 x tensor<?x4xf32>>, !gps.tape<3 x tensor<4x3xf32>>
    gps.yield %n, %a1, %b1 : tensor<?x4xf32>, !gps.tape<3 x tensor<?x4xf32>>, !gps.tape<3 x tensor<4x3xf32>>
  }
  // CHECK: %[[C0:.*]] = arith.constant 0 : index
  %c0 = arith.constant 0 : index
  // CHECK-NEXT: %[[V:.*]] = gps.tape_get %[[L]]#1[%[[C0]]] : !gps.tape<3 x tensor<?x4xf32>> -> tensor<?x4xf32>
  %v = gps.tape_get %l#1[%c0] : !gps.tape<3 x tensor<?x4xf32>> -> tensor<?x4xf32>
  // CHECK-NEXT: %[[U:.*]] = gps.tape_get %[[L]]#2[%[[C0]]] : !gps.tape<3 x tensor<4x3xf32>> -> tensor<4x3xf32>
  %u = gps.tape_get %l#2[%c0] : !gps.tape<3 x tensor<4x3xf32>> -> tensor<4x3xf32>
  // CHECK-NEXT: return %[[V]], %[[U]]
  return %v, %u : tensor<?x4xf32>, tensor<4x3xf32>
}
