// RUN: gps-opt %s --split-input-file --gps-fuse | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>

// The reparameterised draw exp(0.5 * logvar) * eps + mean, four elementwise
// ops, becomes one linalg.generic.
// CHECK-LABEL: func.func @chain(
// CHECK-SAME:    %[[M:[^:]*]]: tensor<?x4xf32>, %[[LV:[^:]*]]: tensor<?x4xf32>, %[[EPS:[^:]*]]: tensor<?x4xf32>
// CHECK-COUNT-1: linalg.generic
// CHECK-SAME:      ins(%[[LV]], %[[EPS]], %[[M]] : tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>)
// CHECK:           arith.mulf
// CHECK-NEXT:      math.exp
// CHECK-NEXT:      arith.mulf
// CHECK-NEXT:      arith.addf
// CHECK-NEXT:      linalg.yield
// CHECK-NOT:     linalg.generic
// CHECK:         return
func.func @chain(%mean: tensor<?x4xf32>, %lv: tensor<?x4xf32>, %eps: tensor<?x4xf32>, %n: index) -> tensor<?x4xf32> {
  %half = arith.constant 0.5 : f32
  %e0 = tensor.empty(%n) : tensor<?x4xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%lv : tensor<?x4xf32>) outs(%e0 : tensor<?x4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %r = arith.mulf %x, %half : f32
    linalg.yield %r : f32
  } -> tensor<?x4xf32>
  %e1 = tensor.empty(%n) : tensor<?x4xf32>
  %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<?x4xf32>) outs(%e1 : tensor<?x4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %r = math.exp %x : f32
    linalg.yield %r : f32
  } -> tensor<?x4xf32>
  %e2 = tensor.empty(%n) : tensor<?x4xf32>
  %c = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%b, %eps : tensor<?x4xf32>, tensor<?x4xf32>) outs(%e2 : tensor<?x4xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %r = arith.mulf %x, %y : f32
    linalg.yield %r : f32
  } -> tensor<?x4xf32>
  %e3 = tensor.empty(%n) : tensor<?x4xf32>
  %d = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%c, %mean : tensor<?x4xf32>, tensor<?x4xf32>) outs(%e3 : tensor<?x4xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %r = arith.addf %x, %y : f32
    linalg.yield %r : f32
  } -> tensor<?x4xf32>
  return %d : tensor<?x4xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>

// A bias add is cheap: with two users (the ReLU and the mask of its
// derivative) it is computed again in each, and its own pass is gone.
// CHECK-LABEL: func.func @cheap_shared(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x4xf32>, %[[B:[^:]*]]: tensor<4xf32>, %[[G:[^:]*]]: tensor<?x4xf32>
// CHECK:         linalg.generic
// CHECK-SAME:      ins(%[[X]], %[[B]] :
// CHECK:           arith.addf
// CHECK-NEXT:      arith.maximumf
// CHECK:         linalg.generic
// CHECK-SAME:      ins(%[[X]], %[[B]], %[[G]] :
// CHECK:           arith.addf
// CHECK-NEXT:      arith.cmpf ogt
// CHECK-NEXT:      arith.select
// CHECK-NOT:     linalg.generic
// CHECK:         return
func.func @cheap_shared(%x: tensor<?x4xf32>, %b: tensor<4xf32>, %g: tensor<?x4xf32>, %n: index) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty(%n) : tensor<?x4xf32>
  %pre = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %b : tensor<?x4xf32>, tensor<4xf32>) outs(%e0 : tensor<?x4xf32>) {
  ^bb0(%u: f32, %v: f32, %o: f32):
    %r = arith.addf %u, %v : f32
    linalg.yield %r : f32
  } -> tensor<?x4xf32>
  %e1 = tensor.empty(%n) : tensor<?x4xf32>
  %post = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%pre : tensor<?x4xf32>) outs(%e1 : tensor<?x4xf32>) {
  ^bb0(%u: f32, %o: f32):
    %r = arith.maximumf %u, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x4xf32>
  %e2 = tensor.empty(%n) : tensor<?x4xf32>
  %dpre = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%pre, %g : tensor<?x4xf32>, tensor<?x4xf32>) outs(%e2 : tensor<?x4xf32>) {
  ^bb0(%u: f32, %v: f32, %o: f32):
    %c = arith.cmpf ogt, %u, %zero : f32
    %r = arith.select %c, %v, %zero : f32
    linalg.yield %r : f32
  } -> tensor<?x4xf32>
  return %post, %dpre : tensor<?x4xf32>, tensor<?x4xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// exp(x) has two users: it is not cheap enough to compute twice, so it is
// fused into the first one, whose op also yields it; the second one then
// fuses with that op. One loop nest computes exp once and yields both sums.
// CHECK-LABEL: func.func @shared(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x4xf32>, %[[Y:[^:]*]]: tensor<?x4xf32>
// CHECK:         %[[R:.*]]:2 = linalg.generic
// CHECK-SAME:      ins(%[[X]], %[[Y]] :
// CHECK-COUNT-1:   math.exp
// CHECK-NOT:       math.exp
// CHECK:           %[[S:.*]] = arith.addf
// CHECK:           %[[P:.*]] = arith.mulf
// CHECK:           linalg.yield %[[S]], %[[P]]
// CHECK-NOT:     linalg.generic
// CHECK:         return %[[R]]#0, %[[R]]#1
func.func @shared(%x: tensor<?x4xf32>, %y: tensor<?x4xf32>, %n: index) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  %e0 = tensor.empty(%n) : tensor<?x4xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<?x4xf32>) outs(%e0 : tensor<?x4xf32>) {
  ^bb0(%v: f32, %o: f32):
    %r = math.exp %v : f32
    linalg.yield %r : f32
  } -> tensor<?x4xf32>
  %e1 = tensor.empty(%n) : tensor<?x4xf32>
  %b = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a, %y : tensor<?x4xf32>, tensor<?x4xf32>) outs(%e1 : tensor<?x4xf32>) {
  ^bb0(%u: f32, %v: f32, %o: f32):
    %r = arith.addf %u, %v : f32
    linalg.yield %r : f32
  } -> tensor<?x4xf32>
  %e2 = tensor.empty(%n) : tensor<?x4xf32>
  %c = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a, %y : tensor<?x4xf32>, tensor<?x4xf32>) outs(%e2 : tensor<?x4xf32>) {
  ^bb0(%u: f32, %v: f32, %o: f32):
    %r = arith.mulf %u, %v : f32
    linalg.yield %r : f32
  } -> tensor<?x4xf32>
  return %b, %c : tensor<?x4xf32>, tensor<?x4xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// A matrix product stays linalg.matmul; the elementwise op that feeds it is
// not fused into it.
// CHECK-LABEL: func.func @matmul_stays(
// CHECK:         %[[T:.*]] = linalg.generic
// CHECK:           math.tanh
// CHECK:         linalg.matmul ins(%[[T]], %{{.*}} : tensor<?x3xf32>, tensor<3x2xf32>)
func.func @matmul_stays(%x: tensor<?x3xf32>, %w: tensor<3x2xf32>, %n: index) -> tensor<?x2xf32> {
  %e0 = tensor.empty(%n) : tensor<?x3xf32>
  %t = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<?x3xf32>) outs(%e0 : tensor<?x3xf32>) {
  ^bb0(%v: f32, %o: f32):
    %r = math.tanh %v : f32
    linalg.yield %r : f32
  } -> tensor<?x3xf32>
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty(%n) : tensor<?x2xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e1 : tensor<?x2xf32>) -> tensor<?x2xf32>
  %y = linalg.matmul ins(%t, %w : tensor<?x3xf32>, tensor<3x2xf32>) outs(%f : tensor<?x2xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// acc + (x^T dy from zero) becomes x^T dy accumulated into acc: no fill, no
// add.
// CHECK-LABEL: func.func @accumulate_matmul(
// CHECK-SAME:    %[[ACC:[^:]*]]: tensor<3x2xf32>
// CHECK-NOT:     linalg.fill
// CHECK:         %[[R:.*]] = linalg.matmul
// CHECK-SAME:      outs(%[[ACC]] : tensor<3x2xf32>)
// CHECK-NOT:     linalg.generic
// CHECK:         return %[[R]]
func.func @accumulate_matmul(%acc: tensor<3x2xf32>, %x: tensor<?x3xf32>, %dy: tensor<?x2xf32>) -> tensor<3x2xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x2xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<3x2xf32>) -> tensor<3x2xf32>
  %p = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %dy : tensor<?x3xf32>, tensor<?x2xf32>) outs(%f : tensor<3x2xf32>) -> tensor<3x2xf32>
  %e2 = tensor.empty() : tensor<3x2xf32>
  %s = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%acc, %p : tensor<3x2xf32>, tensor<3x2xf32>) outs(%e2 : tensor<3x2xf32>) {
  ^bb0(%u: f32, %v: f32, %o: f32):
    %r = arith.addf %u, %v : f32
    linalg.yield %r : f32
  } -> tensor<3x2xf32>
  return %s : tensor<3x2xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>

// The same for a column sum (the gradient of a bias): (sum + acc) becomes
// the reduction accumulating into acc.
// CHECK-LABEL: func.func @accumulate_col_sum(
// CHECK-SAME:    %[[ACC:[^:]*]]: tensor<2xf32>
// CHECK-NOT:     linalg.fill
// CHECK:         %[[R:.*]] = linalg.generic
// CHECK-SAME:      iterator_types = ["reduction", "parallel"]
// CHECK-SAME:      outs(%[[ACC]] : tensor<2xf32>)
// CHECK-NOT:     linalg.generic
// CHECK:         return %[[R]]
func.func @accumulate_col_sum(%acc: tensor<2xf32>, %dy: tensor<?x2xf32>) -> tensor<2xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2xf32>) -> tensor<2xf32>
  %p = linalg.generic {indexing_maps = [#id, #col], iterator_types = ["reduction", "parallel"]}
      ins(%dy : tensor<?x2xf32>) outs(%f : tensor<2xf32>) {
  ^bb0(%v: f32, %o: f32):
    %r = arith.addf %v, %o : f32
    linalg.yield %r : f32
  } -> tensor<2xf32>
  %e2 = tensor.empty() : tensor<2xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%p, %acc : tensor<2xf32>, tensor<2xf32>) outs(%e2 : tensor<2xf32>) {
  ^bb0(%u: f32, %v: f32, %o: f32):
    %r = arith.addf %u, %v : f32
    linalg.yield %r : f32
  } -> tensor<2xf32>
  return %s : tensor<2xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// A product computed before a loop cannot accumulate into the loop's state,
// which does not exist where the product runs: it is left alone.
// CHECK-LABEL: func.func @accumulator_inside_loop(
// CHECK:         %[[F:.*]] = linalg.fill
// CHECK:         %[[P:.*]] = linalg.matmul
// CHECK-SAME:      outs(%[[F]] :
// CHECK:         scf.for
// CHECK:           linalg.generic
// CHECK-SAME:        ins(%{{.*}}, %[[P]] :
func.func @accumulator_inside_loop(%a: tensor<4x3xf32>, %b: tensor<3x2xf32>, %c0: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x2xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x2xf32>) -> tensor<4x2xf32>
  %p = linalg.matmul ins(%a, %b : tensor<4x3xf32>, tensor<3x2xf32>) outs(%f : tensor<4x2xf32>) -> tensor<4x2xf32>
  %lb = arith.constant 0 : index
  %ub = arith.constant 3 : index
  %st = arith.constant 1 : index
  %r = scf.for %i = %lb to %ub step %st iter_args(%acc = %c0) -> tensor<4x2xf32> {
    %e2 = tensor.empty() : tensor<4x2xf32>
    %s = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%acc, %p : tensor<4x2xf32>, tensor<4x2xf32>) outs(%e2 : tensor<4x2xf32>) {
    ^bb0(%x: f32, %y: f32, %o: f32):
      %z = arith.addf %x, %y : f32
      linalg.yield %z : f32
    } -> tensor<4x2xf32>
    scf.yield %s : tensor<4x2xf32>
  }
  return %r : tensor<4x2xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// A product with a second user keeps its zero start.
// CHECK-LABEL: func.func @product_used_twice(
// CHECK:         %[[F:.*]] = linalg.fill
// CHECK:         %[[P:.*]] = linalg.matmul
// CHECK-SAME:      outs(%[[F]] :
// CHECK:         linalg.generic
// CHECK:         return %{{.*}}, %[[P]]
func.func @product_used_twice(%acc: tensor<4x2xf32>, %a: tensor<4x3xf32>, %b: tensor<3x2xf32>) -> (tensor<4x2xf32>, tensor<4x2xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x2xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x2xf32>) -> tensor<4x2xf32>
  %p = linalg.matmul ins(%a, %b : tensor<4x3xf32>, tensor<3x2xf32>) outs(%f : tensor<4x2xf32>) -> tensor<4x2xf32>
  %e2 = tensor.empty() : tensor<4x2xf32>
  %s = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%acc, %p : tensor<4x2xf32>, tensor<4x2xf32>) outs(%e2 : tensor<4x2xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %z = arith.addf %x, %y : f32
    linalg.yield %z : f32
  } -> tensor<4x2xf32>
  return %s, %p : tensor<4x2xf32>, tensor<4x2xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// Two gradients accumulated in one loop step whose products share one zero
// fill (as CSE leaves them): each product accumulates into its own loop
// state, so no step allocates a parameter-sized buffer; the fill goes.
// CHECK-LABEL: func.func @accumulate_shared_fill(
// CHECK:         scf.for {{.*}} iter_args(%[[A1:.*]] = %{{.*}}, %[[A2:.*]] = %{{.*}})
// CHECK-NOT:       linalg.fill
// CHECK:           %[[P1:.*]] = linalg.matmul
// CHECK-SAME:        outs(%[[A1]] : tensor<3x2xf32>)
// CHECK:           %[[P2:.*]] = linalg.matmul
// CHECK-SAME:        outs(%[[A2]] : tensor<3x2xf32>)
// CHECK-NOT:       linalg.generic
// CHECK:           scf.yield %[[P1]], %[[P2]]
func.func @accumulate_shared_fill(%g1: tensor<3x2xf32>, %g2: tensor<3x2xf32>, %x: tensor<?x3xf32>, %dy: tensor<?x2xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>) {
  %lb = arith.constant 0 : index
  %ub = arith.constant 3 : index
  %st = arith.constant 1 : index
  %r:2 = scf.for %i = %lb to %ub step %st iter_args(%a1 = %g1, %a2 = %g2) -> (tensor<3x2xf32>, tensor<3x2xf32>) {
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<3x2xf32>
    %f = linalg.fill ins(%zero : f32) outs(%e : tensor<3x2xf32>) -> tensor<3x2xf32>
    %p1 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
        ins(%x, %dy : tensor<?x3xf32>, tensor<?x2xf32>) outs(%f : tensor<3x2xf32>) -> tensor<3x2xf32>
    %p2 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
        ins(%x, %dy : tensor<?x3xf32>, tensor<?x2xf32>) outs(%f : tensor<3x2xf32>) -> tensor<3x2xf32>
    %e1 = tensor.empty() : tensor<3x2xf32>
    %s1 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%a1, %p1 : tensor<3x2xf32>, tensor<3x2xf32>) outs(%e1 : tensor<3x2xf32>) {
    ^bb0(%u: f32, %v: f32, %o: f32):
      %s = arith.addf %u, %v : f32
      linalg.yield %s : f32
    } -> tensor<3x2xf32>
    %s2 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%a2, %p2 : tensor<3x2xf32>, tensor<3x2xf32>) outs(%e1 : tensor<3x2xf32>) {
    ^bb0(%u: f32, %v: f32, %o: f32):
      %s = arith.addf %u, %v : f32
      linalg.yield %s : f32
    } -> tensor<3x2xf32>
    scf.yield %s1, %s2 : tensor<3x2xf32>, tensor<3x2xf32>
  }
  return %r#0, %r#1 : tensor<3x2xf32>, tensor<3x2xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>

// Outputs that CSE shared get one each, next to their op: the empty tensor
// hoisted out of the loop, the one two ops write, and the zero fill two
// sums start from (the loop's initial state too). In a loop each op then
// writes a buffer of its step.
// CHECK-LABEL: func.func @private_outputs(
// CHECK:         scf.for
// CHECK-NEXT:      %[[E1:.*]] = tensor.empty(%{{.*}}) : tensor<?x4xf32>
// CHECK-NEXT:      %[[T:.*]] = linalg.generic {{.*}} outs(%[[E1]] : tensor<?x4xf32>)
// CHECK:           %[[E2:.*]] = tensor.empty(%{{.*}}) : tensor<?x4xf32>
// CHECK-NEXT:      %[[U:.*]] = linalg.generic {{.*}} outs(%[[E2]] : tensor<?x4xf32>)
// CHECK:           %[[E3:.*]] = tensor.empty() : tensor<4xf32>
// CHECK-NEXT:      %[[F3:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E3]] : tensor<4xf32>)
// CHECK-NEXT:      linalg.generic {{.*}} outs(%[[F3]] : tensor<4xf32>)
// CHECK:           %[[E4:.*]] = tensor.empty() : tensor<4xf32>
// CHECK-NEXT:      %[[F4:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E4]] : tensor<4xf32>)
// CHECK-NEXT:      linalg.generic {{.*}} outs(%[[F4]] : tensor<4xf32>)
func.func @private_outputs(%x: tensor<?x4xf32>, %n: index) -> (tensor<4xf32>, tensor<4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) {
  %lb = arith.constant 0 : index
  %ub = arith.constant 3 : index
  %st = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%n) : tensor<?x4xf32>
  %ev = tensor.empty() : tensor<4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%ev : tensor<4xf32>) -> tensor<4xf32>
  %r:4 = scf.for %i = %lb to %ub step %st iter_args(%a = %f, %b = %f, %c = %x, %d = %x) -> (tensor<4xf32>, tensor<4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) {
    %t = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%x : tensor<?x4xf32>) outs(%e : tensor<?x4xf32>) {
    ^bb0(%u: f32, %o: f32):
      %s = math.exp %u : f32
      linalg.yield %s : f32
    } -> tensor<?x4xf32>
    %u = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%x : tensor<?x4xf32>) outs(%e : tensor<?x4xf32>) {
    ^bb0(%u: f32, %o: f32):
      %s = math.log %u : f32
      linalg.yield %s : f32
    } -> tensor<?x4xf32>
    %ct = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["reduction", "parallel"]}
        ins(%t : tensor<?x4xf32>) outs(%f : tensor<4xf32>) {
    ^bb0(%v: f32, %o: f32):
      %s = arith.addf %v, %o : f32
      linalg.yield %s : f32
    } -> tensor<4xf32>
    %cu = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["reduction", "parallel"]}
        ins(%u : tensor<?x4xf32>) outs(%f : tensor<4xf32>) {
    ^bb0(%v: f32, %o: f32):
      %s = arith.addf %v, %o : f32
      linalg.yield %s : f32
    } -> tensor<4xf32>
    scf.yield %ct, %cu, %t, %u : tensor<4xf32>, tensor<4xf32>, tensor<?x4xf32>, tensor<?x4xf32>
  }
  return %r#0, %r#1, %r#2, %r#3 : tensor<4xf32>, tensor<4xf32>, tensor<?x4xf32>, tensor<?x4xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// An empty tensor that ops of one block share stays shared: buffers are
// freed at the end of their block, and bufferization reuses a dead value's
// buffer for the next op, which keeps the peak lower.
// CHECK-LABEL: func.func @shared_in_block(
// CHECK:         %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<?x4xf32>
// CHECK-NOT:     tensor.empty
// CHECK:         linalg.generic {{.*}} outs(%[[E]] : tensor<?x4xf32>)
// CHECK:         linalg.generic {{.*}} outs(%[[E]] : tensor<?x4xf32>)
func.func @shared_in_block(%x: tensor<?x4xf32>, %n: index) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  %e = tensor.empty(%n) : tensor<?x4xf32>
  %t = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<?x4xf32>) outs(%e : tensor<?x4xf32>) {
  ^bb0(%u: f32, %o: f32):
    %s = math.exp %u : f32
    linalg.yield %s : f32
  } -> tensor<?x4xf32>
  %u = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<?x4xf32>) outs(%e : tensor<?x4xf32>) {
  ^bb0(%u: f32, %o: f32):
    %s = math.log %u : f32
    linalg.yield %s : f32
  } -> tensor<?x4xf32>
  return %t, %u : tensor<?x4xf32>, tensor<?x4xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// A gate kept for the backward pass (inserted into a tape) and read by the
// cell update: the update's op computes the gate and yields it too, and the
// tape takes that result. The sigmoid is computed once.
// CHECK-LABEL: func.func @taped_gate(
// CHECK:         %[[R:.*]]:2 = linalg.generic
// CHECK-COUNT-1:   math.exp
// CHECK-NOT:       math.exp
// CHECK:           linalg.yield
// CHECK-NOT:     linalg.generic
// CHECK:         %[[T:.*]] = tensor.insert_slice %[[R]]#0 into
// CHECK:         return %[[R]]#1, %[[T]]
func.func @taped_gate(%x: tensor<?x4xf32>, %c: tensor<?x4xf32>, %tape: tensor<3x?x4xf32>, %n: index) -> (tensor<?x4xf32>, tensor<3x?x4xf32>) {
  %one = arith.constant 1.0 : f32
  %e0 = tensor.empty(%n) : tensor<?x4xf32>
  %g = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<?x4xf32>) outs(%e0 : tensor<?x4xf32>) {
  ^bb0(%v: f32, %o: f32):
    %m = arith.negf %v : f32
    %e = math.exp %m : f32
    %d = arith.addf %one, %e : f32
    %r = arith.divf %one, %d : f32
    linalg.yield %r : f32
  } -> tensor<?x4xf32>
  %e1 = tensor.empty(%n) : tensor<?x4xf32>
  %u = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%g, %c : tensor<?x4xf32>, tensor<?x4xf32>) outs(%e1 : tensor<?x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.mulf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<?x4xf32>
  %c0 = arith.constant 0 : index
  %t = tensor.insert_slice %g into %tape[0, 0, 0] [1, %n, 4] [1, 1, 1] : tensor<?x4xf32> into tensor<3x?x4xf32>
  return %u, %t : tensor<?x4xf32>, tensor<3x?x4xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// The first user of exp(x) is a matrix product: an elementwise op after it
// cannot compute exp for it (its op would come after the product), so
// nothing is fused.
// CHECK-LABEL: func.func @product_reads_first(
// CHECK:         %[[E:.*]] = linalg.generic
// CHECK:           math.exp
// CHECK:         linalg.matmul ins(%[[E]],
// CHECK:         linalg.generic
// CHECK-SAME:      ins(%[[E]], %{{.*}} :
// CHECK-NOT:       math.exp
// CHECK:           arith.addf
func.func @product_reads_first(%x: tensor<4x4xf32>, %y: tensor<4x4xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<4x4xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x4xf32>) outs(%e0 : tensor<4x4xf32>) {
  ^bb0(%v: f32, %o: f32):
    %r = math.exp %v : f32
    linalg.yield %r : f32
  } -> tensor<4x4xf32>
  %e1 = tensor.empty() : tensor<4x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e1 : tensor<4x4xf32>) -> tensor<4x4xf32>
  %p = linalg.matmul ins(%a, %y : tensor<4x4xf32>, tensor<4x4xf32>) outs(%f : tensor<4x4xf32>) -> tensor<4x4xf32>
  %e2 = tensor.empty() : tensor<4x4xf32>
  %s = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a, %y : tensor<4x4xf32>, tensor<4x4xf32>) outs(%e2 : tensor<4x4xf32>) {
  ^bb0(%u: f32, %v: f32, %o: f32):
    %r = arith.addf %u, %v : f32
    linalg.yield %r : f32
  } -> tensor<4x4xf32>
  return %p, %s : tensor<4x4xf32>, tensor<4x4xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
#t = affine_map<(d0, d1) -> (d1, d0)>

// The first user of exp(x) is a column sum. A reduction does not take in a
// producer that others read too (its op would write each point of exp(x)
// once per row it sums), and the elementwise user after it is not the
// first: nothing is fused.
// CHECK-LABEL: func.func @reduction_first(
// CHECK:         %[[E:.*]] = linalg.generic
// CHECK:           math.exp
// CHECK:         linalg.generic
// CHECK-SAME:      iterator_types = ["reduction", "parallel"]
// CHECK-SAME:      ins(%[[E]] :
// CHECK-NOT:       math.exp
// CHECK:         linalg.generic
// CHECK-SAME:      ins(%[[E]] :
// CHECK-NOT:       math.exp
// CHECK:           arith.negf
func.func @reduction_first(%x: tensor<4x4xf32>, %acc: tensor<4xf32>) -> (tensor<4xf32>, tensor<4x4xf32>) {
  %e0 = tensor.empty() : tensor<4x4xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x4xf32>) outs(%e0 : tensor<4x4xf32>) {
  ^bb0(%v: f32, %o: f32):
    %r = math.exp %v : f32
    linalg.yield %r : f32
  } -> tensor<4x4xf32>
  %s = linalg.generic {indexing_maps = [#id, #col], iterator_types = ["reduction", "parallel"]}
      ins(%a : tensor<4x4xf32>) outs(%acc : tensor<4xf32>) {
  ^bb0(%v: f32, %o: f32):
    %r = arith.addf %v, %o : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e1 = tensor.empty() : tensor<4x4xf32>
  %t = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<4x4xf32>) outs(%e1 : tensor<4x4xf32>) {
  ^bb0(%v: f32, %o: f32):
    %r = arith.negf %v : f32
    linalg.yield %r : f32
  } -> tensor<4x4xf32>
  return %s, %t : tensor<4xf32>, tensor<4x4xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#t = affine_map<(d0, d1) -> (d1, d0)>

// The first user reads exp(x) transposed: its op still visits every point
// once, and yields exp(x) through the transposed map for the later user.
// CHECK-DAG:   #[[$ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG:   #[[$T:.*]] = affine_map<(d0, d1) -> (d1, d0)>
// CHECK-LABEL: func.func @transposed_first(
// CHECK:         %[[R:.*]]:2 = linalg.generic {indexing_maps = [#[[$T]], #[[$T]], #[[$ID]]]
// CHECK-COUNT-1:   math.exp
// CHECK-NOT:       math.exp
// CHECK:         linalg.matmul ins(%[[R]]#0,
func.func @transposed_first(%x: tensor<4x4xf32>, %y: tensor<4x4xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<4x4xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x4xf32>) outs(%e0 : tensor<4x4xf32>) {
  ^bb0(%v: f32, %o: f32):
    %r = math.exp %v : f32
    linalg.yield %r : f32
  } -> tensor<4x4xf32>
  %e1 = tensor.empty() : tensor<4x4xf32>
  %t = linalg.generic {indexing_maps = [#t, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<4x4xf32>) outs(%e1 : tensor<4x4xf32>) {
  ^bb0(%v: f32, %o: f32):
    %r = arith.negf %v : f32
    linalg.yield %r : f32
  } -> tensor<4x4xf32>
  %e2 = tensor.empty() : tensor<4x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e2 : tensor<4x4xf32>) -> tensor<4x4xf32>
  %p = linalg.matmul ins(%a, %y : tensor<4x4xf32>, tensor<4x4xf32>) outs(%f : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %t, %p : tensor<4x4xf32>, tensor<4x4xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
#vec = affine_map<(d0) -> (d0)>

// A row of a gradient read by rows: its slice is taken after the column sum
// that is added to it (where the rows are summed). The sum moves down to
// the slice and starts from it: no zero fill, and the row is updated in
// place (insert_slice of what was sliced).
// CHECK-LABEL: func.func @row_accumulate(
// CHECK-SAME:    %[[ACC:[^:]*]]: tensor<3x4xf32>, %[[X:[^:]*]]: tensor<5x4xf32>
// CHECK-NOT:     linalg.fill
// CHECK:         %[[T:.*]] = linalg.generic
// CHECK:           math.tanh
// CHECK:         %[[ROW:.*]] = tensor.extract_slice %[[ACC]][1, 0] [1, 4] [1, 1]
// CHECK:         %[[SUM:.*]] = linalg.generic
// CHECK-SAME:      iterator_types = ["reduction", "parallel"]
// CHECK-SAME:      ins(%[[X]] : tensor<5x4xf32>) outs(%[[ROW]] : tensor<4xf32>)
// CHECK-NOT:     linalg.generic
// CHECK:         %[[NEW:.*]] = tensor.insert_slice %[[SUM]] into %[[ACC]][1, 0] [1, 4] [1, 1]
// CHECK:         return %[[NEW]], %[[T]]
func.func @row_accumulate(%acc: tensor<3x4xf32>, %x: tensor<5x4xf32>) -> (tensor<3x4xf32>, tensor<5x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e0 : tensor<4xf32>) -> tensor<4xf32>
  %cs = linalg.generic {indexing_maps = [#id, #col], iterator_types = ["reduction", "parallel"]}
      ins(%x : tensor<5x4xf32>) outs(%f : tensor<4xf32>) {
  ^bb0(%v: f32, %o: f32):
    %r = arith.addf %v, %o : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %e1 = tensor.empty() : tensor<5x4xf32>
  %t = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<5x4xf32>) outs(%e1 : tensor<5x4xf32>) {
  ^bb0(%v: f32, %o: f32):
    %r = math.tanh %v : f32
    linalg.yield %r : f32
  } -> tensor<5x4xf32>
  %row = tensor.extract_slice %acc[1, 0] [1, 4] [1, 1] : tensor<3x4xf32> to tensor<4xf32>
  %e2 = tensor.empty() : tensor<4xf32>
  %sum = linalg.generic {indexing_maps = [#vec, #vec, #vec], iterator_types = ["parallel"]}
      ins(%row, %cs : tensor<4xf32>, tensor<4xf32>) outs(%e2 : tensor<4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %new = tensor.insert_slice %sum into %acc[1, 0] [1, 4] [1, 1] : tensor<4xf32> into tensor<3x4xf32>
  return %new, %t : tensor<3x4xf32>, tensor<5x4xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>

// A term computed after the product (a bias broadcast to the batch) is not
// a slice: the product does not move down to accumulate onto it, and the
// bias add fuses with the activation that reads the sum instead.
// CHECK-LABEL: func.func @bias_after_product(
// CHECK:         %[[F:.*]] = linalg.fill
// CHECK:         %[[P:.*]] = linalg.matmul
// CHECK-SAME:      outs(%[[F]] :
// CHECK:         linalg.generic
// CHECK-SAME:      ins(%{{.*}}, %[[P]] :
// CHECK:           arith.addf
// CHECK:           arith.maximumf
func.func @bias_after_product(%x: tensor<4x3xf32>, %w: tensor<3x2xf32>, %b: tensor<2xf32>) -> tensor<4x2xf32> {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<4x2xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e0 : tensor<4x2xf32>) -> tensor<4x2xf32>
  %p = linalg.matmul ins(%x, %w : tensor<4x3xf32>, tensor<3x2xf32>) outs(%f : tensor<4x2xf32>) -> tensor<4x2xf32>
  %e1 = tensor.empty() : tensor<4x2xf32>
  %bb = linalg.generic {indexing_maps = [#col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%b : tensor<2xf32>) outs(%e1 : tensor<4x2xf32>) {
  ^bb0(%v: f32, %o: f32):
    linalg.yield %v : f32
  } -> tensor<4x2xf32>
  %e2 = tensor.empty() : tensor<4x2xf32>
  %s = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%bb, %p : tensor<4x2xf32>, tensor<4x2xf32>) outs(%e2 : tensor<4x2xf32>) {
  ^bb0(%u: f32, %v: f32, %o: f32):
    %r = arith.addf %u, %v : f32
    linalg.yield %r : f32
  } -> tensor<4x2xf32>
  %e3 = tensor.empty() : tensor<4x2xf32>
  %relu = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%s : tensor<4x2xf32>) outs(%e3 : tensor<4x2xf32>) {
  ^bb0(%v: f32, %o: f32):
    %r = arith.maximumf %v, %zero : f32
    linalg.yield %r : f32
  } -> tensor<4x2xf32>
  return %relu : tensor<4x2xf32>
}
