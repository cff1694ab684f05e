// RUN: gps-opt %s --gps-build-loss | FileCheck %s
// The pass builds the loss once.
// RUN: gps-opt %s --gps-build-loss --gps-build-loss | FileCheck %s

// The expanded rollout becomes @gps_loss(data views, parameters, key,
// stream): nets inlined, parameters read from the arguments, a batch mean per
// term, and the objective's arithmetic on the means, returned first.

// The model stays: it describes the trainer's data and parameters.
// CHECK-LABEL: gps.model @m steps = 0 {
// CHECK:         gps.rollout @rollout
// CHECK:         gps.objective
gps.model @m steps = 0 {
  gps.data @x : real tensor<?x2xf32> in [0.0, 1.0]
  gps.param @enc.w : tensor<2x4xf32> init glorot
  gps.param @enc.b : tensor<4xf32> init zeros
  gps.param @s : tensor<2xf32> init ones
  gps.net @enc "affine(2 -> gauss(2))" : (tensor<?x2xf32>) -> !gps.dist<gaussian, 2> {
  ^bb0(%in: tensor<?x2xf32>):
    %w = gps.read_param @enc.w : tensor<2x4xf32>
    %b = gps.read_param @enc.b : tensor<4xf32>
    %h = gps.affine %in, %w, %b : tensor<?x2xf32>, tensor<2x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
    %mu = gps.slice %h[0, 2] : tensor<?x4xf32> -> tensor<?x2xf32>
    %lv = gps.slice %h[2, 2] : tensor<?x4xf32> -> tensor<?x2xf32>
    %d = gps.gaussian %mu, %lv : tensor<?x2xf32> -> !gps.dist<gaussian, 2>
    gps.return %d : !gps.dist<gaussian, 2>
  }
  gps.policy primary @p reads [] {}
  gps.policy guide @q reads ["x"] {
  ^bb0(%x: tensor<?x2xf32>):
  }
  gps.rollout @rollout guide @q primary @p reads ["x"] terms [#gps.term<nll>, #gps.term<kl_qp>, #gps.term<kl_q_normal>] {
  ^bb0(%x: tensor<?x2xf32>):
    %d = gps.call @enc(%x) : (tensor<?x2xf32>) -> !gps.dist<gaussian, 2>
    %z = gps.sample "z" from %d : !gps.dist<gaussian, 2> -> tensor<?x2xf32>
    %n = gps.std_normal : !gps.dist<normal, 2>
    %k = gps.kl_div %d, %n : !gps.dist<gaussian, 2>, !gps.dist<normal, 2> -> tensor<?x1xf32>
    %s = gps.read_param @s : tensor<2xf32>
    %sb = gps.broadcast %s : tensor<2xf32> -> tensor<?x2xf32>
    %c = gps.mul %z, %sb : tensor<?x2xf32>
    %o = gps.bernoulli %c : tensor<?x2xf32> -> !gps.dist<bernoulli, 2>
    %lp = gps.log_prob %o, %x : !gps.dist<bernoulli, 2>, tensor<?x2xf32> -> tensor<?x1xf32>
    %z0 = gps.zeros : tensor<?x1xf32>
    %nll = gps.sub %z0, %lp : tensor<?x1xf32>
    gps.return %nll, %k, %k : tensor<?x1xf32>, tensor<?x1xf32>, tensor<?x1xf32>
  }
  gps.objective {
    %nll = gps.nll : f32
    %kl = gps.kl @q, @p : f32
    %reg = gps.kl_std_normal @q : f32
    %w = arith.constant 5.000000e-01 : f32
    %a = arith.mulf %w, %kl : f32
    %b = arith.addf %nll, %a : f32
    %l = arith.addf %b, %reg : f32
    gps.return %l : f32
  }
}

// CHECK-LABEL: func.func @gps_loss(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x2xf32> {gps.read = "x"},
// CHECK-SAME:    %[[W:[^:]*]]: tensor<2x4xf32> {gps.param = "enc.w"},
// CHECK-SAME:    %[[B:[^:]*]]: tensor<4xf32> {gps.param = "enc.b"},
// CHECK-SAME:    %[[S:[^:]*]]: tensor<2xf32> {gps.param = "s"},
// CHECK-SAME:    %{{[^:]*}}: i64 {gps.rng = "key"}, %{{[^:]*}}: i64 {gps.rng = "stream"})
// CHECK-SAME:    -> (f32, f32, f32, f32)
// CHECK-SAME:    attributes {gps.differentiate, gps.model = "m", gps.terms = [#gps.term<objective>, #gps.term<nll>, #gps.term<kl_qp>, #gps.term<kl_q_normal>]}
// CHECK-NOT:     gps.call
// CHECK-NOT:     gps.read_param
// CHECK:         %[[H:.*]] = gps.affine %[[X]], %[[W]], %[[B]]
// CHECK:         %[[D:.*]] = gps.gaussian
// CHECK-NEXT:    %[[Z:.*]] = gps.sample "z" from %[[D]]
// CHECK:         %[[K:.*]] = gps.kl_div %[[D]],
// CHECK-NEXT:    %[[SB:.*]] = gps.broadcast %[[S]]
// CHECK-NEXT:    gps.mul %[[Z]], %[[SB]]
// CHECK:         %[[NLL:.*]] = gps.sub
// CHECK-NEXT:    %[[MNLL:.*]] = gps.mean %[[NLL]] : tensor<?x1xf32> -> f32
// CHECK-NEXT:    %[[MKL:.*]] = gps.mean %[[K]] : tensor<?x1xf32> -> f32
// CHECK-NEXT:    %[[MREG:.*]] = gps.mean %[[K]] : tensor<?x1xf32> -> f32
// CHECK-NEXT:    %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-NEXT:    %[[A:.*]] = arith.mulf %[[HALF]], %[[MKL]] : f32
// CHECK-NEXT:    %[[SUM:.*]] = arith.addf %[[MNLL]], %[[A]] : f32
// CHECK-NEXT:    %[[L:.*]] = arith.addf %[[SUM]], %[[MREG]] : f32
// CHECK-NEXT:    return %[[L]], %[[MNLL]], %[[MKL]], %[[MREG]] : f32, f32, f32, f32
// CHECK-NEXT:  }
// CHECK-NOT:   func.func @gps_loss(
