// RUN: gps-opt %s --canonicalize --split-input-file | FileCheck %s

// Two loop-carried values that start equal and are updated the same way
// (mutually, like an LSTM's h and c) are merged; the duplicate update is
// then dead.
// CHECK-LABEL: gps.model @merge
// CHECK:       %[[L:.*]]:2 = gps.for 1 to 4 iter_args(%[[H0:.*]], %[[H0]] : tensor<?x2xf32>, tensor<?x2xf32>)
// CHECK-NEXT:  ^bb0(%{{.*}}: index, %[[H:.*]]: tensor<?x2xf32>, %[[C:.*]]: tensor<?x2xf32>):
// CHECK-NEXT:    %[[H1:.*]] = gps.add %[[H]], %[[C]]
// CHECK-NEXT:    %[[C1:.*]] = gps.tanh %[[H]]
// CHECK-NEXT:    gps.yield %[[H1]], %[[C1]]
// CHECK:       gps.gaussian %[[L]]#0, %[[L]]#0
gps.model @merge steps = 4 {
  gps.policy primary @p reads [] {
    %n = gps.std_normal : !gps.dist<normal, 2>
    %h0 = gps.sample "h0" from %n : !gps.dist<normal, 2> -> tensor<?x2xf32>
    %r:4 = gps.for 1 to 4 iter_args(%h0, %h0, %h0, %h0 : tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32> {
    ^bb0(%t: index, %ha: tensor<?x2xf32>, %ca: tensor<?x2xf32>, %hb: tensor<?x2xf32>, %cb: tensor<?x2xf32>):
      %ha1 = gps.add %ha, %ca : tensor<?x2xf32>
      %ca1 = gps.tanh %ha : tensor<?x2xf32>
      %hb1 = gps.add %hb, %cb : tensor<?x2xf32>
      %cb1 = gps.tanh %hb : tensor<?x2xf32>
      gps.yield %ha1, %ca1, %hb1, %cb1 : tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>
    }
    %u = gps.gaussian %r#0, %r#2 : tensor<?x2xf32> -> !gps.dist<gaussian, 2>
    %s = gps.sample "out" from %u : !gps.dist<gaussian, 2> -> tensor<?x2xf32>
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}

// -----

// Equal starts but different updates: both values stay.
// CHECK-LABEL: gps.model @keep
// CHECK:       gps.for 1 to 4 iter_args(%[[A:.*]], %[[A]] : tensor<?x2xf32>, tensor<?x2xf32>)
// CHECK:         %[[X:.*]] = gps.tanh
// CHECK:         %[[Y:.*]] = gps.sigmoid
// CHECK:         gps.yield %[[X]], %[[Y]]
gps.model @keep steps = 4 {
  gps.policy primary @p reads [] {
    %n = gps.std_normal : !gps.dist<normal, 2>
    %a = gps.sample "a" from %n : !gps.dist<normal, 2> -> tensor<?x2xf32>
    %r:2 = gps.for 1 to 4 iter_args(%a, %a : tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<?x2xf32>, tensor<?x2xf32> {
    ^bb0(%t: index, %x: tensor<?x2xf32>, %y: tensor<?x2xf32>):
      %x1 = gps.tanh %x : tensor<?x2xf32>
      %y1 = gps.sigmoid %y : tensor<?x2xf32>
      gps.yield %x1, %y1 : tensor<?x2xf32>, tensor<?x2xf32>
    }
    %u = gps.gaussian %r#0, %r#1 : tensor<?x2xf32> -> !gps.dist<gaussian, 2>
    %s = gps.sample "out" from %u : !gps.dist<gaussian, 2> -> tensor<?x2xf32>
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}

// -----

// Sampling is not pure: two state values updated by separate draws of the
// same distribution are not merged.
// CHECK-LABEL: gps.model @samples
// CHECK:       gps.for 1 to 4 iter_args(%[[A:.*]], %[[A]] :
// CHECK-COUNT-2: gps.sample "z"
gps.model @samples steps = 4 {
  gps.policy primary @p reads [] {
    %n = gps.std_normal : !gps.dist<normal, 2>
    %a = gps.sample "a" from %n : !gps.dist<normal, 2> -> tensor<?x2xf32>
    %r:2 = gps.for 1 to 4 iter_args(%a, %a : tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<?x2xf32>, tensor<?x2xf32> {
    ^bb0(%t: index, %x: tensor<?x2xf32>, %y: tensor<?x2xf32>):
      %d = gps.gaussian %x, %y : tensor<?x2xf32> -> !gps.dist<gaussian, 2>
      %z1 = gps.sample "z"[%t] from %d : !gps.dist<gaussian, 2> -> tensor<?x2xf32>
      %z2 = gps.sample "z"[%t] from %d : !gps.dist<gaussian, 2> -> tensor<?x2xf32>
      gps.yield %z1, %z2 : tensor<?x2xf32>, tensor<?x2xf32>
    }
    %u = gps.gaussian %r#0, %r#1 : tensor<?x2xf32> -> !gps.dist<gaussian, 2>
    %s = gps.sample "out" from %u : !gps.dist<gaussian, 2> -> tensor<?x2xf32>
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}

// -----

// Loop state that nothing reads is dropped.
// CHECK-LABEL: gps.model @dead
// CHECK:       %[[R:.*]] = gps.for 1 to 4 iter_args(%{{.*}} : tensor<?x2xf32>) -> tensor<?x2xf32>
// CHECK-NEXT:  ^bb0(%{{.*}}: index, %[[X:.*]]: tensor<?x2xf32>):
// CHECK-NEXT:    %[[X1:.*]] = gps.tanh %[[X]]
// CHECK-NEXT:    gps.yield %[[X1]] : tensor<?x2xf32>
// CHECK:       gps.gaussian %[[R]], %[[R]]
gps.model @dead steps = 4 {
  gps.policy primary @p reads [] {
    %n = gps.std_normal : !gps.dist<normal, 2>
    %a = gps.sample "a" from %n : !gps.dist<normal, 2> -> tensor<?x2xf32>
    %r:2 = gps.for 1 to 4 iter_args(%a, %a : tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<?x2xf32>, tensor<?x2xf32> {
    ^bb0(%t: index, %x: tensor<?x2xf32>, %y: tensor<?x2xf32>):
      %x1 = gps.tanh %x : tensor<?x2xf32>
      %y1 = gps.sigmoid %x : tensor<?x2xf32>
      gps.yield %x1, %y1 : tensor<?x2xf32>, tensor<?x2xf32>
    }
    %u = gps.gaussian %r#0, %r#0 : tensor<?x2xf32> -> !gps.dist<gaussian, 2>
    %s = gps.sample "out" from %u : !gps.dist<gaussian, 2> -> tensor<?x2xf32>
  }
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}

// -----

// The gradient of a value read in four pieces (an LSTM's gates): the sum of
// the pieces' padded gradients is one concat of the pieces.
// CHECK-LABEL: func.func @gates
// CHECK-SAME:  (%[[A:.*]]: tensor<?x2xf32>, %[[B:.*]]: tensor<?x2xf32>, %[[C:.*]]: tensor<?x2xf32>, %[[D:.*]]: tensor<?x2xf32>)
// CHECK-NEXT:  %[[R:.*]] = gps.concat %[[A]], %[[B]], %[[C]], %[[D]] : (tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<?x8xf32>
// CHECK-NEXT:  return %[[R]]
func.func @gates(%a: tensor<?x2xf32>, %b: tensor<?x2xf32>, %c: tensor<?x2xf32>, %d: tensor<?x2xf32>) -> tensor<?x8xf32> {
  %z2 = gps.zeros : tensor<?x2xf32>
  %z4 = gps.zeros : tensor<?x4xf32>
  %z6 = gps.zeros : tensor<?x6xf32>
  %pd = gps.concat %z6, %d : (tensor<?x6xf32>, tensor<?x2xf32>) -> tensor<?x8xf32>
  %pc = gps.concat %z4, %c, %z2 : (tensor<?x4xf32>, tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<?x8xf32>
  %s1 = gps.add %pd, %pc : tensor<?x8xf32>
  %pb = gps.concat %z2, %b, %z4 : (tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x4xf32>) -> tensor<?x8xf32>
  %s2 = gps.add %s1, %pb : tensor<?x8xf32>
  %pa = gps.concat %a, %z6 : (tensor<?x2xf32>, tensor<?x6xf32>) -> tensor<?x8xf32>
  %s3 = gps.add %s2, %pa : tensor<?x8xf32>
  return %s3 : tensor<?x8xf32>
}

// -----

// Pieces that overlap are added; zeros next to each other are one piece.
// CHECK-LABEL: func.func @overlap
// CHECK-SAME:  (%[[A:.*]]: tensor<?x2xf32>, %[[B:.*]]: tensor<?x2xf32>)
// CHECK-DAG:   %[[Z:.*]] = gps.zeros : tensor<?x4xf32>
// CHECK-DAG:   %[[S:.*]] = gps.add %[[A]], %[[B]] : tensor<?x2xf32>
// CHECK:       %[[R:.*]] = gps.concat %[[Z]], %[[S]] : (tensor<?x4xf32>, tensor<?x2xf32>) -> tensor<?x6xf32>
func.func @overlap(%a: tensor<?x2xf32>, %b: tensor<?x2xf32>) -> tensor<?x6xf32> {
  %z1 = gps.zeros : tensor<?x1xf32>
  %z3 = gps.zeros : tensor<?x3xf32>
  %z4 = gps.zeros : tensor<?x4xf32>
  %pa = gps.concat %z4, %a : (tensor<?x4xf32>, tensor<?x2xf32>) -> tensor<?x6xf32>
  %pb = gps.concat %z1, %z3, %b : (tensor<?x1xf32>, tensor<?x3xf32>, tensor<?x2xf32>) -> tensor<?x6xf32>
  %s = gps.add %pa, %pb : tensor<?x6xf32>
  return %s : tensor<?x6xf32>
}

// -----

// A piece that is not zeros is never split: a cut of the other side inside
// it leaves the sum as it is.
// CHECK-LABEL: func.func @split
// CHECK:       %[[S:.*]] = gps.add %{{.*}}, %{{.*}} : tensor<?x6xf32>
// CHECK-NEXT:  return %[[S]]
func.func @split(%a: tensor<?x4xf32>, %b: tensor<?x2xf32>, %c: tensor<?x3xf32>) -> tensor<?x6xf32> {
  %z2 = gps.zeros : tensor<?x2xf32>
  %z3 = gps.zeros : tensor<?x3xf32>
  %pa = gps.concat %a, %z2 : (tensor<?x4xf32>, tensor<?x2xf32>) -> tensor<?x6xf32>
  %pc = gps.concat %z3, %c : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x6xf32>
  %s = gps.add %pa, %pc : tensor<?x6xf32>
  return %s : tensor<?x6xf32>
}

// -----

// x + 0, 0 + x and x - 0 are x, for batches and for parameter-shaped
// tensors; 0 - x stays.
// CHECK-LABEL: func.func @zeros
// CHECK-SAME:  (%[[X:.*]]: tensor<?x3xf32>, %[[W:.*]]: tensor<2x3xf32>)
// CHECK-NEXT:  %[[Z:.*]] = gps.zeros : tensor<?x3xf32>
// CHECK-NEXT:  %[[N:.*]] = gps.sub %[[Z]], %[[X]] : tensor<?x3xf32>
// CHECK-NEXT:  return %[[X]], %[[X]], %[[N]], %[[W]]
func.func @zeros(%x: tensor<?x3xf32>, %w: tensor<2x3xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x3xf32>, tensor<2x3xf32>) {
  %z = gps.zeros : tensor<?x3xf32>
  %zw = gps.zeros : tensor<2x3xf32>
  %a = gps.add %x, %z : tensor<?x3xf32>
  %b = gps.add %z, %x : tensor<?x3xf32>
  %c = gps.sub %a, %z : tensor<?x3xf32>
  %n = gps.sub %z, %x : tensor<?x3xf32>
  %d = gps.add %zw, %w : tensor<2x3xf32>
  return %c, %b, %n, %d : tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x3xf32>, tensor<2x3xf32>
}

// -----

// A concat of concats is one; one of zeros is zeros; one of one input is
// that input.
// CHECK-LABEL: func.func @flatten
// CHECK-SAME:  (%[[A:.*]]: tensor<?x2xf32>, %[[B:.*]]: tensor<?x3xf32>)
// CHECK:       %[[Z3:.*]] = gps.zeros : tensor<?x3xf32>
// CHECK:       %[[F:.*]] = gps.concat %[[A]], %[[B]], %[[Z3]], %[[A]] : (tensor<?x2xf32>, tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x2xf32>) -> tensor<?x10xf32>
// CHECK:       %[[Z5:.*]] = gps.zeros : tensor<?x5xf32>
// CHECK:       return %[[F]], %[[Z5]], %[[B]]
func.func @flatten(%a: tensor<?x2xf32>, %b: tensor<?x3xf32>) -> (tensor<?x10xf32>, tensor<?x5xf32>, tensor<?x3xf32>) {
  %z1 = gps.zeros : tensor<?x1xf32>
  %z2 = gps.zeros : tensor<?x2xf32>
  %z3 = gps.zeros : tensor<?x3xf32>
  %ab = gps.concat %a, %b : (tensor<?x2xf32>, tensor<?x3xf32>) -> tensor<?x5xf32>
  %za = gps.concat %z1, %z2, %a : (tensor<?x1xf32>, tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<?x5xf32>
  %f = gps.concat %ab, %za : (tensor<?x5xf32>, tensor<?x5xf32>) -> tensor<?x10xf32>
  %zz = gps.concat %z2, %z3 : (tensor<?x2xf32>, tensor<?x3xf32>) -> tensor<?x5xf32>
  %one = gps.concat %b : (tensor<?x3xf32>) -> tensor<?x3xf32>
  return %f, %zz, %one : tensor<?x10xf32>, tensor<?x5xf32>, tensor<?x3xf32>
}

// -----

// A slice of a concat that is one of its pieces is the piece; one within a
// zero piece is zeros; one across pieces stays.
// CHECK-LABEL: func.func @slices
// CHECK-SAME:  (%[[A:.*]]: tensor<?x2xf32>, %[[B:.*]]: tensor<?x3xf32>)
// CHECK-DAG:   %[[Z:.*]] = gps.zeros : tensor<?x2xf32>
// CHECK-DAG:   %[[C:.*]] = gps.concat %[[A]], %{{.*}}, %[[B]]
// CHECK-DAG:   %[[X:.*]] = gps.slice %[[C]][1, 3]
// CHECK:       return %[[B]], %[[Z]], %[[X]]
func.func @slices(%a: tensor<?x2xf32>, %b: tensor<?x3xf32>) -> (tensor<?x3xf32>, tensor<?x2xf32>, tensor<?x3xf32>) {
  %z4 = gps.zeros : tensor<?x4xf32>
  %c = gps.concat %a, %z4, %b : (tensor<?x2xf32>, tensor<?x4xf32>, tensor<?x3xf32>) -> tensor<?x9xf32>
  %sb = gps.slice %c[6, 3] : tensor<?x9xf32> -> tensor<?x3xf32>
  %sz = gps.slice %c[3, 2] : tensor<?x9xf32> -> tensor<?x2xf32>
  %sx = gps.slice %c[1, 3] : tensor<?x9xf32> -> tensor<?x3xf32>
  return %sb, %sz, %sx : tensor<?x3xf32>, tensor<?x2xf32>, tensor<?x3xf32>
}

// -----

// The gradient of a matrix read by rows (an LSTM's peephole weights): the
// sum of put_rows is one put_rows, a row that both set being the sum of
// the two.
// CHECK-LABEL: func.func @rows
// CHECK-SAME:  (%[[A:.*]]: tensor<2xf32>, %[[B:.*]]: tensor<2xf32>, %[[C:.*]]: tensor<2xf32>)
// CHECK-NEXT:  %[[S:.*]] = gps.add %[[B]], %[[C]] : tensor<2xf32>
// CHECK-NEXT:  %[[R:.*]] = gps.put_rows %[[A]], %[[S]] at [0, 2] : tensor<2xf32>, tensor<2xf32> -> tensor<3x2xf32>
// CHECK-NEXT:  return %[[R]]
func.func @rows(%a: tensor<2xf32>, %b: tensor<2xf32>, %c: tensor<2xf32>) -> tensor<3x2xf32> {
  %pb = gps.put_rows %b at [2] : tensor<2xf32> -> tensor<3x2xf32>
  %pa = gps.put_rows %a at [0] : tensor<2xf32> -> tensor<3x2xf32>
  %s = gps.add %pb, %pa : tensor<3x2xf32>
  %pc = gps.put_rows %c at [2] : tensor<2xf32> -> tensor<3x2xf32>
  %t = gps.add %s, %pc : tensor<3x2xf32>
  return %t : tensor<3x2xf32>
}

// -----

// A row of put_rows is the row put there, or zeros.
// CHECK-LABEL: func.func @row_of_rows
// CHECK-SAME:  (%[[A:.*]]: tensor<2xf32>)
// CHECK-NEXT:  %[[Z:.*]] = gps.zeros : tensor<2xf32>
// CHECK-NEXT:  return %[[A]], %[[Z]]
func.func @row_of_rows(%a: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>) {
  %p = gps.put_rows %a at [1] : tensor<2xf32> -> tensor<3x2xf32>
  %r1 = gps.row %p[1] : tensor<3x2xf32> -> tensor<2xf32>
  %r0 = gps.row %p[0] : tensor<3x2xf32> -> tensor<2xf32>
  return %r1, %r0 : tensor<2xf32>, tensor<2xf32>
}

// -----

// A tape that nothing reads back is dead loop state, though each step
// stores into it; so is a value that only updates itself. A value whose
// update feeds another live value stays.
// CHECK-LABEL: func.func @dead_tape
// CHECK:       %[[L:.*]]:2 = gps.for 1 to 4 iter_args(%{{.*}}, %{{.*}} : tensor<?x2xf32>, tensor<?x2xf32>)
// CHECK-NOT:   gps.tape
// CHECK:       gps.yield
// CHECK:       return %[[L]]#0
func.func @dead_tape(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %tape = gps.tape_new : !gps.tape<4 x tensor<?x2xf32>>
  %r:4 = gps.for 1 to 4 iter_args(%x, %x, %x, %tape : tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>, !gps.tape<4 x tensor<?x2xf32>>) -> tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>, !gps.tape<4 x tensor<?x2xf32>> {
  ^bb0(%t: index, %h: tensor<?x2xf32>, %feeds: tensor<?x2xf32>, %self: tensor<?x2xf32>, %tp: !gps.tape<4 x tensor<?x2xf32>>):
    %h1 = gps.add %h, %feeds : tensor<?x2xf32>
    %f1 = gps.tanh %feeds : tensor<?x2xf32>
    %s1 = gps.sigmoid %self : tensor<?x2xf32>
    %s2 = gps.mul %s1, %h : tensor<?x2xf32>
    %tp1 = gps.tape_push %h into %tp[%t] : tensor<?x2xf32> into !gps.tape<4 x tensor<?x2xf32>>
    gps.yield %h1, %f1, %s2, %tp1 : tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>, !gps.tape<4 x tensor<?x2xf32>>
  }
  return %r#0 : tensor<?x2xf32>
}
