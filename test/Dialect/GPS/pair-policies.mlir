// RUN: gps-opt %s --gps-pair-policies | FileCheck %s

// A guide and a primary with one step loop each: the loops fuse, the guide's
// loop state comes first, primary sites the guide samples are replayed, and
// the site the guide does not sample ("w") stays a primary sample.

// CHECK-LABEL: gps.model @m
// CHECK:      gps.rollout @rollout guide @q primary @p reads ["x", "x.known", "mk"] {
// CHECK-NEXT: ^bb0(%[[X:.*]]: tensor<?x4xf32>, %[[XK:.*]]: tensor<?x4xf32>, %[[M:.*]]: tensor<?x4xf32>):
// Guide before the loop.
// CHECK-NEXT:   %[[QD0:.*]] = gps.call @enc(%[[X]])
// CHECK-NEXT:   %[[Z0:.*]] = gps.sample "z0" from %[[QD0]]
// Primary before the loop: z0 is replayed, w is sampled from the primary.
// CHECK-NEXT:   %[[PD0:.*]] = gps.std_normal : !gps.dist<normal, 2>
// CHECK-NEXT:   gps.replay "z0" value %[[Z0]] guide %[[QD0]] primary %[[PD0]]
// CHECK-NEXT:   %[[WD:.*]] = gps.std_normal : !gps.dist<normal, 2>
// CHECK-NEXT:   %[[W:.*]] = gps.sample "w" from %[[WD]]
// CHECK-NEXT:   %[[C0:.*]] = gps.call @dec(%[[Z0]])
// One loop: guide state, then primary state.
// CHECK-NEXT:   %[[L:.*]]:2 = gps.for 1 to 3 iter_args(%[[Z0]], %[[C0]] : tensor<?x2xf32>, tensor<?x4xf32>)
// CHECK-NEXT:   ^bb0(%[[T:.*]]: index, %[[G:.*]]: tensor<?x2xf32>, %[[C:.*]]: tensor<?x4xf32>):
// CHECK-NEXT:     %[[QD:.*]] = gps.gaussian %[[G]], %[[G]]
// CHECK-NEXT:     %[[Z:.*]] = gps.sample "z"[%[[T]]] from %[[QD]]
// CHECK-NEXT:     %[[F:.*]] = gps.fill %[[C]], %[[XK]], %[[M]]
// CHECK-NEXT:     %[[PD:.*]] = gps.call @enc(%[[F]])
// CHECK-NEXT:     gps.replay "z"[%[[T]]] value %[[Z]] guide %[[QD]] primary %[[PD]]
// The primary computes with the guide's sample.
// CHECK-NEXT:     %[[DZ:.*]] = gps.call @dec(%[[Z]])
// CHECK-NEXT:     %[[C1:.*]] = gps.add %[[C]], %[[DZ]]
// CHECK-NEXT:     gps.yield %[[Z]], %[[C1]] : tensor<?x2xf32>, tensor<?x4xf32>
// CHECK-NEXT:   }
// CHECK-NEXT:   %[[B:.*]] = gps.bernoulli %[[L]]#1
// CHECK-NEXT:   gps.observe "x.missing" from %[[B]]
// CHECK-NEXT: }
// The policies stay for unguided evaluation.
// CHECK: gps.objective

gps.model @m steps = 3 {
  gps.data @x : real tensor<?x4xf32>
  gps.mask @mk on @x : mcar(5.000000e-01)
  gps.param @e.w : tensor<4x4xf32> init glorot
  gps.param @e.b : tensor<4xf32> init zeros
  gps.param @d.w : tensor<2x4xf32> init glorot
  gps.param @d.b : tensor<4xf32> init zeros
  gps.net @enc "affine(4 -> gauss(2))" : (tensor<?x4xf32>) -> !gps.dist<gaussian, 2> {
  ^bb0(%in: tensor<?x4xf32>):
    %w = gps.read_param @e.w : tensor<4x4xf32>
    %b = gps.read_param @e.b : tensor<4xf32>
    %h = gps.affine %in, %w, %b : tensor<?x4xf32>, tensor<4x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
    %mu = gps.slice %h[0, 2] : tensor<?x4xf32> -> tensor<?x2xf32>
    %lv = gps.slice %h[2, 2] : tensor<?x4xf32> -> tensor<?x2xf32>
    %d = gps.gaussian %mu, %lv : tensor<?x2xf32> -> !gps.dist<gaussian, 2>
    gps.return %d : !gps.dist<gaussian, 2>
  }
  gps.net @dec "affine(2 -> 4)" : (tensor<?x2xf32>) -> tensor<?x4xf32> {
  ^bb0(%in: tensor<?x2xf32>):
    %w = gps.read_param @d.w : tensor<2x4xf32>
    %b = gps.read_param @d.b : tensor<4xf32>
    %h = gps.affine %in, %w, %b : tensor<?x2xf32>, tensor<2x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
    gps.return %h : tensor<?x4xf32>
  }
  gps.policy primary @p reads ["x.known", "mk"] {
  ^bb0(%xk: tensor<?x4xf32>, %m: tensor<?x4xf32>):
    %n = gps.std_normal : !gps.dist<normal, 2>
    %z0 = gps.sample "z0" from %n : !gps.dist<normal, 2> -> tensor<?x2xf32>
    %nw = gps.std_normal : !gps.dist<normal, 2>
    %w = gps.sample "w" from %nw : !gps.dist<normal, 2> -> tensor<?x2xf32>
    %c0 = gps.call @dec(%z0) : (tensor<?x2xf32>) -> tensor<?x4xf32>
    %c = gps.for 1 to 3 iter_args(%c0 : tensor<?x4xf32>) -> tensor<?x4xf32> {
    ^bb0(%t: index, %ci: tensor<?x4xf32>):
      %f = gps.fill %ci, %xk, %m : tensor<?x4xf32>
      %d = gps.call @enc(%f) : (tensor<?x4xf32>) -> !gps.dist<gaussian, 2>
      %z = gps.sample "z"[%t] from %d : !gps.dist<gaussian, 2> -> tensor<?x2xf32>
      %dz = gps.call @dec(%z) : (tensor<?x2xf32>) -> tensor<?x4xf32>
      %c1 = gps.add %ci, %dz : tensor<?x4xf32>
      gps.yield %c1 : tensor<?x4xf32>
    }
    %o = gps.bernoulli %c : tensor<?x4xf32> -> !gps.dist<bernoulli, 4>
    gps.observe "x.missing" from %o : !gps.dist<bernoulli, 4>
  }
  gps.policy guide @q reads ["x"] {
  ^bb0(%x: tensor<?x4xf32>):
    %d0 = gps.call @enc(%x) : (tensor<?x4xf32>) -> !gps.dist<gaussian, 2>
    %z0 = gps.sample "z0" from %d0 : !gps.dist<gaussian, 2> -> tensor<?x2xf32>
    %g = gps.for 1 to 3 iter_args(%z0 : tensor<?x2xf32>) -> tensor<?x2xf32> {
    ^bb0(%t: index, %gi: tensor<?x2xf32>):
      %d = gps.gaussian %gi, %gi : tensor<?x2xf32> -> !gps.dist<gaussian, 2>
      %z = gps.sample "z"[%t] from %d : !gps.dist<gaussian, 2> -> tensor<?x2xf32>
      gps.yield %z : tensor<?x2xf32>
    }
  }
  gps.objective {
    %nll = gps.nll : f32
    %kl = gps.kl @q, @p : f32
    %l = arith.addf %nll, %kl : f32
    gps.return %l : f32
  }
}
