// RUN: gps-opt %s --gps-autodiff | FileCheck %s

// gps-autodiff adds <name>_grad for every function marked gps.differentiate:
// the forward computation, then the adjoints of its ops in reverse order,
// returning the loss and one gradient per gps.param argument. The original
// functions are kept as they are.

// CHECK-LABEL: func.func @chain(
// CHECK-SAME:    -> f32 attributes {gps.differentiate} {
// CHECK-NOT:     gps.batch_size
// CHECK:         return
func.func @chain(%x: tensor<?x3xf32> {gps.read = "x"}, %w: tensor<3x2xf32> {gps.param = "w"}) -> f32 attributes {gps.differentiate} {
  %y = gps.gemm %x, %w : tensor<?x3xf32>, tensor<3x2xf32> -> tensor<?x2xf32>
  %t = gps.tanh %y : tensor<?x2xf32>
  %m = gps.mul %t, %t : tensor<?x2xf32>
  %s = gps.sum %m : tensor<?x2xf32> -> tensor<?x1xf32>
  %l = gps.mean %s : tensor<?x1xf32> -> f32
  return %l : f32
}

// CHECK-LABEL: func.func @loop(
func.func @loop(%x: tensor<?x2xf32> {gps.read = "x"}, %w: tensor<2x2xf32> {gps.param = "w"}) -> f32 attributes {gps.differentiate} {
  %h = gps.for 1 to 3 iter_args(%x : tensor<?x2xf32>) -> tensor<?x2xf32> {
  ^bb0(%t: index, %hi: tensor<?x2xf32>):
    %y = gps.gemm %hi, %w : tensor<?x2xf32>, tensor<2x2xf32> -> tensor<?x2xf32>
    %n = gps.tanh %y : tensor<?x2xf32>
    gps.yield %n : tensor<?x2xf32>
  }
  %s = gps.sum %h : tensor<?x2xf32> -> tensor<?x1xf32>
  %l = gps.mean %s : tensor<?x1xf32> -> f32
  return %l : f32
}

// CHECK-LABEL: func.func @rev(
func.func @rev(%x: tensor<?x2xf32> {gps.read = "x"}, %v: tensor<2xf32> {gps.param = "v"}, %p: tensor<3x2xf32> {gps.param = "p"}, %u: tensor<2xf32> {gps.param = "u"}) -> f32 attributes {gps.differentiate} {
  %h = gps.for 1 to 2 reverse iter_args(%x : tensor<?x2xf32>) -> tensor<?x2xf32> {
  ^bb0(%t: index, %hi: tensor<?x2xf32>):
    %b = gps.broadcast %v : tensor<2xf32> -> tensor<?x2xf32>
    %y = gps.mul %hi, %b : tensor<?x2xf32>
    %n = gps.sigmoid %y : tensor<?x2xf32>
    gps.yield %n : tensor<?x2xf32>
  }
  %r = gps.row %p[1] : tensor<3x2xf32> -> tensor<2xf32>
  %rb = gps.broadcast %r : tensor<2xf32> -> tensor<?x2xf32>
  %z = gps.add %h, %rb : tensor<?x2xf32>
  %s = gps.sum %z : tensor<?x2xf32> -> tensor<?x1xf32>
  %l = gps.mean %s : tensor<?x1xf32> -> f32
  return %l : f32
}

// A function without gps.differentiate gets no gradient.
// CHECK-LABEL: func.func @plain(
// CHECK-NOT:   @plain_grad
func.func @plain(%w: tensor<2xf32> {gps.param = "w"}) -> f32 {
  %c = arith.constant 1.0 : f32
  return %c : f32
}

// Straight-line code: mean -> splat of 1/N, sum -> expand, t * t -> the two
// products summed, tanh -> 1 - y^2, gemm -> the transposed products.
// CHECK-LABEL: func.func @chain_grad(
// CHECK-SAME:    %[[X:.*]]: tensor<?x3xf32> {gps.read = "x"}, %[[W:.*]]: tensor<3x2xf32> {gps.param = "w"}) -> (f32, tensor<3x2xf32>) {
// CHECK:         %[[Y:.*]] = gps.gemm %[[X]], %[[W]] : tensor<?x3xf32>, tensor<3x2xf32> -> tensor<?x2xf32>
// CHECK-NEXT:    %[[T:.*]] = gps.tanh %[[Y]]
// CHECK-NEXT:    %[[M:.*]] = gps.mul %[[T]], %[[T]]
// CHECK-NEXT:    %[[S:.*]] = gps.sum %[[M]]
// CHECK-NEXT:    %[[L:.*]] = gps.mean %[[S]] : tensor<?x1xf32> -> f32
// CHECK-NEXT:    %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:    %[[N:.*]] = gps.batch_size : f32
// CHECK-NEXT:    %[[DL:.*]] = arith.divf %[[ONE]], %[[N]] : f32
// CHECK-NEXT:    %[[DS:.*]] = gps.splat %[[DL]] : tensor<?x1xf32>
// CHECK-NEXT:    %[[DM:.*]] = gps.expand %[[DS]] : tensor<?x1xf32> -> tensor<?x2xf32>
// CHECK-NEXT:    %[[DT1:.*]] = gps.mul %[[DM]], %[[T]]
// CHECK-NEXT:    %[[DT2:.*]] = gps.mul %[[DM]], %[[T]]
// CHECK-NEXT:    %[[DT:.*]] = gps.add %[[DT1]], %[[DT2]]
// CHECK-NEXT:    %[[C1:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:    %[[ONES:.*]] = gps.splat %[[C1]] : tensor<?x2xf32>
// CHECK-NEXT:    %[[T2:.*]] = gps.mul %[[T]], %[[T]]
// CHECK-NEXT:    %[[D:.*]] = gps.sub %[[ONES]], %[[T2]]
// CHECK-NEXT:    %[[DY:.*]] = gps.mul %[[DT]], %[[D]]
// CHECK-NEXT:    gps.gemm %[[DY]], %[[W]] {transpose_rhs} : tensor<?x2xf32>, tensor<3x2xf32> -> tensor<?x3xf32>
// CHECK-NEXT:    %[[DW:.*]] = gps.gemm %[[X]], %[[DY]] {transpose_lhs} : tensor<?x3xf32>, tensor<?x2xf32> -> tensor<3x2xf32>
// CHECK-NEXT:    return %[[L]], %[[DW]] : f32, tensor<3x2xf32>

// A step loop: the forward loop pushes the values the adjoint reads (tanh's
// result and the loop state) on tapes indexed by t - 1; a loop over the same
// steps in reverse reads them back and carries the state's adjoint and the
// gradient of the outer parameter. The state before a step and the tanh
// after it (the next step's state) share one tape of 4 slots: the initial
// state in slot 0, the state after step t in slot t. Each step reads the
// state from its slot, and the loss reads the final state from the last
// slot, so the state itself is read no more (canonicalization drops it).
// CHECK-LABEL: func.func @loop_grad(
// CHECK-SAME:    %[[X:.*]]: tensor<?x2xf32> {gps.read = "x"}, %[[W:.*]]: tensor<2x2xf32> {gps.param = "w"}) -> (f32, tensor<2x2xf32>) {
// CHECK-NEXT:    %[[TA:.*]] = gps.tape_new : !gps.tape<4 x tensor<?x2xf32>>
// CHECK-NEXT:    %[[C0:.*]] = arith.constant 0 : index
// CHECK-NEXT:    %[[TA0:.*]] = gps.tape_push %[[X]] into %[[TA]][%[[C0]]] : tensor<?x2xf32> into !gps.tape<4 x tensor<?x2xf32>>
// CHECK-NEXT:    %[[F:.*]]:2 = gps.for 1 to 3 iter_args(%[[X]], %[[TA0]] : tensor<?x2xf32>, !gps.tape<4 x tensor<?x2xf32>>) -> tensor<?x2xf32>, !gps.tape<4 x tensor<?x2xf32>> {
// CHECK-NEXT:    ^bb0(%[[T:.*]]: index, %[[H:.*]]: tensor<?x2xf32>, %[[A:.*]]: !gps.tape<4 x tensor<?x2xf32>>):
// CHECK-NEXT:      %[[C1R:.*]] = arith.constant 1 : index
// CHECK-NEXT:      %[[CUR:.*]] = arith.subi %[[T]], %[[C1R]] : index
// CHECK-NEXT:      %[[HT:.*]] = gps.tape_get %[[A]][%[[CUR]]] : !gps.tape<4 x tensor<?x2xf32>> -> tensor<?x2xf32>
// CHECK-NEXT:      %[[Y:.*]] = gps.gemm %[[HT]], %[[W]]
// CHECK-NEXT:      %[[TH:.*]] = gps.tanh %[[Y]]
// CHECK-NEXT:      %[[C1:.*]] = arith.constant 1 : index
// CHECK-NEXT:      %[[SLOT:.*]] = arith.subi %[[T]], %[[C1]] : index
// CHECK-NEXT:      %[[C1B:.*]] = arith.constant 1 : index
// CHECK-NEXT:      %[[NEXT:.*]] = arith.addi %[[SLOT]], %[[C1B]] : index
// CHECK-NEXT:      %[[A1:.*]] = gps.tape_push %[[TH]] into %[[A]][%[[NEXT]]] : tensor<?x2xf32> into !gps.tape<4 x tensor<?x2xf32>>
// CHECK-NEXT:      gps.yield %[[TH]], %[[A1]] :
// CHECK-NEXT:    }
// CHECK-NEXT:    %[[C3:.*]] = arith.constant 3 : index
// CHECK-NEXT:    %[[HN:.*]] = gps.tape_get %[[F]]#1[%[[C3]]]
// CHECK-NEXT:    %[[SUM:.*]] = gps.sum %[[HN]]
// CHECK-NEXT:    %[[L:.*]] = gps.mean %[[SUM]]
// CHECK:         %[[SEED:.*]] = gps.expand
// CHECK-NEXT:    %[[DW0:.*]] = gps.zeros : tensor<2x2xf32>
// CHECK-NEXT:    %[[R:.*]]:2 = gps.for 1 to 3 reverse iter_args(%[[SEED]], %[[DW0]] : tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>, tensor<2x2xf32> {
// CHECK-NEXT:    ^bb0(%[[RT:.*]]: index, %[[DH:.*]]: tensor<?x2xf32>, %[[DWI:.*]]: tensor<2x2xf32>):
// CHECK-NEXT:      %[[RC1:.*]] = arith.constant 1 : index
// CHECK-NEXT:      %[[RSLOT:.*]] = arith.subi %[[RT]], %[[RC1]] : index
// CHECK-NEXT:      %[[RC1B:.*]] = arith.constant 1 : index
// CHECK-NEXT:      %[[RNEXT:.*]] = arith.addi %[[RSLOT]], %[[RC1B]] : index
// CHECK-NEXT:      %[[HS:.*]] = gps.tape_get %[[F]]#1[%[[RSLOT]]] : !gps.tape<4 x tensor<?x2xf32>> -> tensor<?x2xf32>
// CHECK-NEXT:      %[[THS:.*]] = gps.tape_get %[[F]]#1[%[[RNEXT]]] : !gps.tape<4 x tensor<?x2xf32>> -> tensor<?x2xf32>
// CHECK-NEXT:      arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      gps.splat
// CHECK-NEXT:      gps.mul %[[THS]], %[[THS]]
// CHECK:           %[[DY:.*]] = gps.mul %[[DH]],
// CHECK-NEXT:      %[[DHP:.*]] = gps.gemm %[[DY]], %[[W]] {transpose_rhs}
// CHECK-NEXT:      %[[DWS:.*]] = gps.gemm %[[HS]], %[[DY]] {transpose_lhs} : tensor<?x2xf32>, tensor<?x2xf32> -> tensor<2x2xf32>
// CHECK-NEXT:      %[[DW1:.*]] = gps.add %[[DWI]], %[[DWS]] : tensor<2x2xf32>
// CHECK-NEXT:      gps.yield %[[DHP]], %[[DW1]] : tensor<?x2xf32>, tensor<2x2xf32>
// CHECK-NEXT:    }
// CHECK-NEXT:    return %[[L]], %[[R]]#1 : f32, tensor<2x2xf32>

// A reversed loop is differentiated by a forward one. The broadcast of the
// parameter is recomputed in the reversed body rather than taped; the
// parameter it reads is carried as an adjoint. gps.row's adjoint is
// gps.put_rows, and a parameter the loss does not use gets zeros. The
// state and the sigmoid after it share one tape of 3 slots, the initial
// state in the last: the forward loop runs from step 2 down, and step t
// reads the state from slot t.
// CHECK-LABEL: func.func @rev_grad(
// CHECK-SAME:    %[[V:[^:]*]]: tensor<2xf32> {gps.param = "v"}, %[[P:.*]]: tensor<3x2xf32> {gps.param = "p"}, %{{.*}}: tensor<2xf32> {gps.param = "u"}) -> (f32, tensor<2xf32>, tensor<3x2xf32>, tensor<2xf32>) {
// CHECK:         %[[TAPE:.*]] = gps.tape_new : !gps.tape<3 x tensor<?x2xf32>>
// CHECK-NEXT:    %[[C2:.*]] = arith.constant 2 : index
// CHECK-NEXT:    gps.tape_push %{{.*}} into %[[TAPE]][%[[C2]]]
// CHECK-NOT:     gps.tape_new
// CHECK:         gps.for 1 to 2 reverse iter_args(
// CHECK-NEXT:    ^bb0(%[[FT:.*]]: index, %{{.*}}: tensor<?x2xf32>, %[[FA:.*]]: !gps.tape<3 x tensor<?x2xf32>>):
// CHECK-NEXT:      arith.constant 1 : index
// CHECK-NEXT:      %[[FS:.*]] = arith.subi %[[FT]],
// CHECK-NEXT:      arith.constant 1 : index
// CHECK-NEXT:      %[[FCUR:.*]] = arith.addi %[[FS]],
// CHECK-NEXT:      gps.tape_get %[[FA]][%[[FCUR]]]
// CHECK:         %[[DR:.*]] = gps.col_sum %{{.*}} : tensor<?x2xf32> -> tensor<2xf32>
// CHECK-NEXT:    %[[DP:.*]] = gps.put_rows %[[DR]] at [1] : tensor<2xf32> -> tensor<3x2xf32>
// CHECK-NEXT:    %[[DV0:.*]] = gps.zeros : tensor<2xf32>
// CHECK-NEXT:    %[[R:.*]]:2 = gps.for 1 to 2 iter_args(%{{.*}}, %[[DV0]] : tensor<?x2xf32>, tensor<2xf32>)
// CHECK-NEXT:    ^bb0(%{{.*}}: index, %[[DH:.*]]: tensor<?x2xf32>, %[[DVI:.*]]: tensor<2xf32>):
// CHECK:           %[[BC:.*]] = gps.broadcast %[[V]] : tensor<2xf32> -> tensor<?x2xf32>
// CHECK:           %[[DY:.*]] = gps.mul %[[DH]],
// CHECK-NEXT:      %[[DHP:.*]] = gps.mul %[[DY]], %[[BC]]
// CHECK-NEXT:      %[[DB:.*]] = gps.mul %[[DY]],
// CHECK-NEXT:      %[[DVS:.*]] = gps.col_sum %[[DB]] : tensor<?x2xf32> -> tensor<2xf32>
// CHECK-NEXT:      %[[DV1:.*]] = gps.add %[[DVI]], %[[DVS]] : tensor<2xf32>
// CHECK-NEXT:      gps.yield %[[DHP]], %[[DV1]]
// CHECK-NEXT:    }
// CHECK-NEXT:    %[[DU:.*]] = gps.zeros : tensor<2xf32>
// CHECK-NEXT:    return %{{.*}}, %[[R]]#1, %[[DP]], %[[DU]] : f32, tensor<2xf32>, tensor<3x2xf32>, tensor<2xf32>
