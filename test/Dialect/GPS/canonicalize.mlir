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
