// RUN: gps-opt %s --gps-decompose | FileCheck %s

// gps-decompose leaves only primitives: products become gps.gemm, samples
// their reparameterisation with gps.noise, KLs and log-probabilities their
// closed forms summed with gps.sum, and LSTM cells gemms, slices and
// elementwise ops.

// CHECK-LABEL: func.func @affine(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x3xf32>, %[[W:[^:]*]]: tensor<3x2xf32>, %[[B:[^:]*]]: tensor<2xf32>
// CHECK-NEXT:    %[[G:.*]] = gps.gemm %[[X]], %[[W]] : tensor<?x3xf32>, tensor<3x2xf32> -> tensor<?x2xf32>
// CHECK-NEXT:    %[[BB:.*]] = gps.broadcast %[[B]] : tensor<2xf32> -> tensor<?x2xf32>
// CHECK-NEXT:    %[[Y:.*]] = gps.add %[[G]], %[[BB]]
// CHECK-NEXT:    %[[Z:.*]] = gps.gemm %[[X]], %[[W]] : tensor<?x3xf32>, tensor<3x2xf32> -> tensor<?x2xf32>
// CHECK-NEXT:    return %[[Y]], %[[Z]]
func.func @affine(%x: tensor<?x3xf32>, %w: tensor<3x2xf32>, %b: tensor<2xf32>) -> (tensor<?x2xf32>, tensor<?x2xf32>) {
  %y = gps.affine %x, %w, %b : tensor<?x3xf32>, tensor<3x2xf32>, tensor<2xf32> -> tensor<?x2xf32>
  %z = gps.matmul %x, %w : tensor<?x3xf32>, tensor<3x2xf32> -> tensor<?x2xf32>
  return %y, %z : tensor<?x2xf32>, tensor<?x2xf32>
}

// fill(guess, known, m) = m * known + (1 - m) * guess.
// CHECK-LABEL: func.func @fill(
// CHECK-SAME:    %[[GUESS:[^:]*]]: tensor<?x4xf32>, %[[KNOWN:[^:]*]]: tensor<?x4xf32>, %[[M:[^:]*]]: tensor<?x4xf32>
// CHECK-NEXT:    %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:    %[[ONES:.*]] = gps.splat %[[ONE]] : tensor<?x4xf32>
// CHECK-NEXT:    %[[U:.*]] = gps.sub %[[ONES]], %[[M]]
// CHECK-NEXT:    %[[MK:.*]] = gps.mul %[[M]], %[[KNOWN]]
// CHECK-NEXT:    %[[UG:.*]] = gps.mul %[[U]], %[[GUESS]]
// CHECK-NEXT:    %[[F:.*]] = gps.add %[[MK]], %[[UG]]
// CHECK-NEXT:    return %[[F]]
// CHECK-NOT:   gps.fill
func.func @fill(%g: tensor<?x4xf32>, %k: tensor<?x4xf32>, %m: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %f = gps.fill %g, %k, %m : tensor<?x4xf32>
  return %f : tensor<?x4xf32>
}

// z ~ N(mu, exp(lv)) is mu + exp(lv * 0.5) * eps, with eps the noise of the
// site and step drawn with the function's key and stream; a draw from the
// standard normal is the noise itself.
// CHECK-LABEL: func.func @sample(
// CHECK-SAME:    %[[MU:[^:]*]]: tensor<?x2xf32>, %[[LV:[^:]*]]: tensor<?x2xf32>, %[[KEY:[^:]*]]: i64 {gps.rng = "key"}, %[[STREAM:[^:]*]]: i64 {gps.rng = "stream"}
// CHECK:         %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
// CHECK:         gps.for 1 to 2
// CHECK-NEXT:    ^bb0(%[[T:.*]]: index,
// CHECK-NEXT:      %[[EPS:.*]] = gps.noise "z"[%[[T]]] key %[[KEY]] stream %[[STREAM]] : tensor<?x2xf32>
// CHECK-NEXT:      %[[H:.*]] = gps.splat %[[HALF]] : tensor<?x2xf32>
// CHECK-NEXT:      %[[HLV:.*]] = gps.mul %[[LV]], %[[H]]
// CHECK-NEXT:      %[[SD:.*]] = gps.exp %[[HLV]]
// CHECK-NEXT:      %[[SE:.*]] = gps.mul %[[SD]], %[[EPS]]
// CHECK-NEXT:      %[[Z:.*]] = gps.add %[[MU]], %[[SE]]
// CHECK-NEXT:      gps.yield %[[Z]]
// CHECK:         %[[E:.*]] = gps.noise "h0" key %[[KEY]] stream %[[STREAM]] : tensor<?x2xf32>
// CHECK-NEXT:    return %{{.*}}, %[[E]]
// CHECK-NOT:   gps.sample
func.func @sample(%mu: tensor<?x2xf32>, %lv: tensor<?x2xf32>, %key: i64 {gps.rng = "key"}, %stream: i64 {gps.rng = "stream"}) -> (tensor<?x2xf32>, tensor<?x2xf32>) {
  %d = gps.gaussian %mu, %lv : tensor<?x2xf32> -> !gps.dist<gaussian, 2>
  %r = gps.for 1 to 2 iter_args(%mu : tensor<?x2xf32>) -> tensor<?x2xf32> {
  ^bb0(%t: index, %c: tensor<?x2xf32>):
    %z = gps.sample "z"[%t] from %d : !gps.dist<gaussian, 2> -> tensor<?x2xf32>
    gps.yield %z : tensor<?x2xf32>
  }
  %n = gps.std_normal : !gps.dist<normal, 2>
  %e = gps.sample "h0" from %n : !gps.dist<normal, 2> -> tensor<?x2xf32>
  return %r, %e : tensor<?x2xf32>, tensor<?x2xf32>
}

// KL(q || p) = 0.5 * sum(l2 - l1 + exp(l1 - l2) + (m1 - m2)^2 * exp(-l2) - 1);
// against the standard normal, m2 = l2 = 0 are gps.zeros.
// CHECK-LABEL: func.func @kl(
// CHECK-SAME:    %[[M1:[^:]*]]: tensor<?x2xf32>, %[[L1:[^:]*]]: tensor<?x2xf32>, %[[M2:[^:]*]]: tensor<?x2xf32>, %[[L2:[^:]*]]: tensor<?x2xf32>
// CHECK-DAG:     %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-DAG:     %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK:         %[[DM:.*]] = gps.sub %[[M1]], %[[M2]]
// CHECK-NEXT:    %[[DL:.*]] = gps.sub %[[L2]], %[[L1]]
// CHECK-NEXT:    %[[LR:.*]] = gps.sub %[[L1]], %[[L2]]
// CHECK-NEXT:    %[[R:.*]] = gps.exp %[[LR]]
// CHECK-NEXT:    %[[DM2:.*]] = gps.mul %[[DM]], %[[DM]]
// CHECK-NEXT:    %[[Z:.*]] = gps.zeros : tensor<?x2xf32>
// CHECK-NEXT:    %[[NL2:.*]] = gps.sub %[[Z]], %[[L2]]
// CHECK-NEXT:    %[[IV:.*]] = gps.exp %[[NL2]]
// CHECK-NEXT:    %[[SC:.*]] = gps.mul %[[DM2]], %[[IV]]
// CHECK-NEXT:    %[[A1:.*]] = gps.add %[[DL]], %[[R]]
// CHECK-NEXT:    %[[A2:.*]] = gps.add %[[A1]], %[[SC]]
// CHECK-NEXT:    %[[ONES:.*]] = gps.splat %[[ONE]]
// CHECK-NEXT:    %[[E:.*]] = gps.sub %[[A2]], %[[ONES]]
// CHECK-NEXT:    %[[H:.*]] = gps.splat %[[HALF]]
// CHECK-NEXT:    %[[EH:.*]] = gps.mul %[[E]], %[[H]]
// CHECK-NEXT:    %[[K1:.*]] = gps.sum %[[EH]] : tensor<?x2xf32> -> tensor<?x1xf32>
// CHECK-NEXT:    %[[Z0:.*]] = gps.zeros : tensor<?x2xf32>
// CHECK-NEXT:    %[[Z1:.*]] = gps.zeros : tensor<?x2xf32>
// CHECK-NEXT:    gps.sub %[[M1]], %[[Z1]]
// CHECK-NEXT:    gps.sub %[[Z0]], %[[L1]]
// CHECK:         %[[K2:.*]] = gps.sum %{{.*}} : tensor<?x2xf32> -> tensor<?x1xf32>
// CHECK-NEXT:    return %[[K1]], %[[K2]]
// CHECK-NOT:   gps.kl_div
func.func @kl(%m1: tensor<?x2xf32>, %l1: tensor<?x2xf32>, %m2: tensor<?x2xf32>, %l2: tensor<?x2xf32>) -> (tensor<?x1xf32>, tensor<?x1xf32>) {
  %q = gps.gaussian %m1, %l1 : tensor<?x2xf32> -> !gps.dist<gaussian, 2>
  %p = gps.gaussian %m2, %l2 : tensor<?x2xf32> -> !gps.dist<gaussian, 2>
  %n = gps.std_normal : !gps.dist<normal, 2>
  %a = gps.kl_div %q, %p : !gps.dist<gaussian, 2>, !gps.dist<gaussian, 2> -> tensor<?x1xf32>
  %b = gps.kl_div %q, %n : !gps.dist<gaussian, 2>, !gps.dist<normal, 2> -> tensor<?x1xf32>
  return %a, %b : tensor<?x1xf32>, tensor<?x1xf32>
}

// Bernoulli with soft targets: x * c - softplus(c), counted where m = 0.
// Gaussian: -0.5 * (log(2 pi) + l + (x - mu)^2 * exp(-l)).
// CHECK-LABEL: func.func @log_prob(
// CHECK-SAME:    %[[C:[^:]*]]: tensor<?x4xf32>, %[[X:[^:]*]]: tensor<?x4xf32>, %[[M:[^:]*]]: tensor<?x4xf32>, %[[MU:[^:]*]]: tensor<?x4xf32>, %[[LV:[^:]*]]: tensor<?x4xf32>
// CHECK-DAG:     %[[NHALF:.*]] = arith.constant -5.000000e-01 : f32
// CHECK-DAG:     %[[LOG2PI:.*]] = arith.constant 1.83787704 : f32
// CHECK-DAG:     %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK:         %[[XC:.*]] = gps.mul %[[X]], %[[C]]
// CHECK-NEXT:    %[[SP:.*]] = gps.softplus %[[C]]
// CHECK-NEXT:    %[[LP:.*]] = gps.sub %[[XC]], %[[SP]]
// CHECK-NEXT:    %[[ONES:.*]] = gps.splat %[[ONE]]
// CHECK-NEXT:    %[[MISS:.*]] = gps.sub %[[ONES]], %[[M]]
// CHECK-NEXT:    %[[LPM:.*]] = gps.mul %[[LP]], %[[MISS]]
// CHECK-NEXT:    %[[B:.*]] = gps.sum %[[LPM]] : tensor<?x4xf32> -> tensor<?x1xf32>
// CHECK-NEXT:    %[[D:.*]] = gps.sub %[[X]], %[[MU]]
// CHECK-NEXT:    %[[D2:.*]] = gps.mul %[[D]], %[[D]]
// CHECK-NEXT:    %[[Z:.*]] = gps.zeros
// CHECK-NEXT:    %[[NL:.*]] = gps.sub %[[Z]], %[[LV]]
// CHECK-NEXT:    %[[IV:.*]] = gps.exp %[[NL]]
// CHECK-NEXT:    %[[SQ:.*]] = gps.mul %[[D2]], %[[IV]]
// CHECK-NEXT:    %[[L2P:.*]] = gps.splat %[[LOG2PI]]
// CHECK-NEXT:    %[[I1:.*]] = gps.add %[[L2P]], %[[LV]]
// CHECK-NEXT:    %[[I2:.*]] = gps.add %[[I1]], %[[SQ]]
// CHECK-NEXT:    %[[NH:.*]] = gps.splat %[[NHALF]]
// CHECK-NEXT:    %[[I3:.*]] = gps.mul %[[I2]], %[[NH]]
// CHECK-NEXT:    %[[G:.*]] = gps.sum %[[I3]] : tensor<?x4xf32> -> tensor<?x1xf32>
// CHECK-NEXT:    return %[[B]], %[[G]]
func.func @log_prob(%c: tensor<?x4xf32>, %x: tensor<?x4xf32>, %m: tensor<?x4xf32>, %mu: tensor<?x4xf32>, %lv: tensor<?x4xf32>) -> (tensor<?x1xf32>, tensor<?x1xf32>) {
  %d = gps.bernoulli %c : tensor<?x4xf32> -> !gps.dist<bernoulli, 4>
  %a = gps.log_prob %d, %x missing(%m : tensor<?x4xf32>) : !gps.dist<bernoulli, 4>, tensor<?x4xf32> -> tensor<?x1xf32>
  %g = gps.gaussian %mu, %lv : tensor<?x4xf32> -> !gps.dist<gaussian, 4>
  %b = gps.log_prob %g, %x : !gps.dist<gaussian, 4>, tensor<?x4xf32> -> tensor<?x1xf32>
  return %a, %b : tensor<?x1xf32>, tensor<?x1xf32>
}

// An LSTM cell with peepholes: a = x Wx + h Wh + b in gates i, f, g, o of 3
// features each; the peephole rows 0, 1, 2 weigh c for i and f and c' for o.
// CHECK-LABEL: func.func @lstm(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x2xf32>, %[[H:[^:]*]]: tensor<?x3xf32>, %[[C:[^:]*]]: tensor<?x3xf32>, %[[WX:[^:]*]]: tensor<2x12xf32>, %[[WH:[^:]*]]: tensor<3x12xf32>, %[[B:[^:]*]]: tensor<12xf32>, %[[P:[^:]*]]: tensor<3x3xf32>
// CHECK-NEXT:    %[[GX:.*]] = gps.gemm %[[X]], %[[WX]] : tensor<?x2xf32>, tensor<2x12xf32> -> tensor<?x12xf32>
// CHECK-NEXT:    %[[GH:.*]] = gps.gemm %[[H]], %[[WH]] : tensor<?x3xf32>, tensor<3x12xf32> -> tensor<?x12xf32>
// CHECK-NEXT:    %[[XH:.*]] = gps.add %[[GX]], %[[GH]] : tensor<?x12xf32>
// CHECK-NEXT:    %[[BB:.*]] = gps.broadcast %[[B]] : tensor<12xf32> -> tensor<?x12xf32>
// CHECK-NEXT:    %[[A:.*]] = gps.add %[[XH]], %[[BB]] : tensor<?x12xf32>
// CHECK-NEXT:    %[[AI:.*]] = gps.slice %[[A]][0, 3] : tensor<?x12xf32> -> tensor<?x3xf32>
// CHECK-NEXT:    %[[PI:.*]] = gps.row %[[P]][0] : tensor<3x3xf32> -> tensor<3xf32>
// CHECK-NEXT:    %[[PIB:.*]] = gps.broadcast %[[PI]]
// CHECK-NEXT:    %[[PIC:.*]] = gps.mul %[[PIB]], %[[C]]
// CHECK-NEXT:    %[[PREI:.*]] = gps.add %[[AI]], %[[PIC]]
// CHECK-NEXT:    %[[I:.*]] = gps.sigmoid %[[PREI]]
// CHECK-NEXT:    %[[AF:.*]] = gps.slice %[[A]][3, 3]
// CHECK-NEXT:    %[[PF:.*]] = gps.row %[[P]][1]
// CHECK-NEXT:    %[[PFB:.*]] = gps.broadcast %[[PF]]
// CHECK-NEXT:    %[[PFC:.*]] = gps.mul %[[PFB]], %[[C]]
// CHECK-NEXT:    %[[PREF:.*]] = gps.add %[[AF]], %[[PFC]]
// CHECK-NEXT:    %[[F:.*]] = gps.sigmoid %[[PREF]]
// CHECK-NEXT:    %[[AG:.*]] = gps.slice %[[A]][6, 3]
// CHECK-NEXT:    %[[G:.*]] = gps.tanh %[[AG]]
// CHECK-NEXT:    %[[FC:.*]] = gps.mul %[[F]], %[[C]]
// CHECK-NEXT:    %[[IG:.*]] = gps.mul %[[I]], %[[G]]
// CHECK-NEXT:    %[[C1:.*]] = gps.add %[[FC]], %[[IG]]
// CHECK-NEXT:    %[[AO:.*]] = gps.slice %[[A]][9, 3]
// CHECK-NEXT:    %[[PO:.*]] = gps.row %[[P]][2]
// CHECK-NEXT:    %[[POB:.*]] = gps.broadcast %[[PO]]
// CHECK-NEXT:    %[[POC:.*]] = gps.mul %[[POB]], %[[C1]]
// CHECK-NEXT:    %[[PREO:.*]] = gps.add %[[AO]], %[[POC]]
// CHECK-NEXT:    %[[O:.*]] = gps.sigmoid %[[PREO]]
// CHECK-NEXT:    %[[TC:.*]] = gps.tanh %[[C1]]
// CHECK-NEXT:    %[[H1:.*]] = gps.mul %[[O]], %[[TC]]
// CHECK-NEXT:    return %[[H1]], %[[C1]]
func.func @lstm(%x: tensor<?x2xf32>, %h: tensor<?x3xf32>, %c: tensor<?x3xf32>, %wx: tensor<2x12xf32>, %wh: tensor<3x12xf32>, %b: tensor<12xf32>, %p: tensor<3x3xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>) {
  %h1, %c1 = gps.lstm_cell %x, %h, %c, %wx, %wh, %b peephole %p : (tensor<?x2xf32>, tensor<?x3xf32>, tensor<?x3xf32>, tensor<2x12xf32>, tensor<3x12xf32>, tensor<12xf32>, tensor<3x3xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>)
  return %h1, %c1 : tensor<?x3xf32>, tensor<?x3xf32>
}

// Without peepholes the gates read no gps.row.
// CHECK-LABEL: func.func @lstm_plain(
// CHECK-NOT:     gps.row
// CHECK-COUNT-3: gps.sigmoid
// CHECK-NOT:     gps.row
// CHECK:         return
func.func @lstm_plain(%x: tensor<?x2xf32>, %h: tensor<?x3xf32>, %c: tensor<?x3xf32>, %wx: tensor<2x12xf32>, %wh: tensor<3x12xf32>, %b: tensor<12xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>) {
  %h1, %c1 = gps.lstm_cell %x, %h, %c, %wx, %wh, %b : (tensor<?x2xf32>, tensor<?x3xf32>, tensor<?x3xf32>, tensor<2x12xf32>, tensor<3x12xf32>, tensor<12xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>)
  return %h1, %c1 : tensor<?x3xf32>, tensor<?x3xf32>
}

// Primitives, and zeros of a parameter shape, are left alone.
// CHECK-LABEL: func.func @untouched(
// CHECK-NEXT:    %[[Z:.*]] = gps.zeros : tensor<3x2xf32>
// CHECK-NEXT:    %[[T:.*]] = gps.tanh
// CHECK-NEXT:    return %[[Z]], %[[T]]
func.func @untouched(%x: tensor<?x2xf32>) -> (tensor<3x2xf32>, tensor<?x2xf32>) {
  %z = gps.zeros : tensor<3x2xf32>
  %t = gps.tanh %x : tensor<?x2xf32>
  return %z, %t : tensor<3x2xf32>, tensor<?x2xf32>
}
