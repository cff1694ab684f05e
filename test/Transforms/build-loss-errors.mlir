// RUN: gps-opt %s --gps-build-loss -split-input-file -verify-diagnostics

// expected-error @below {{'gps.model' op has no expanded gps.rollout; run gps-pair-policies and gps-expand-kl first}}
gps.model @unpaired steps = 0 {
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}

// -----

// A rollout without terms has not been through gps-expand-kl.
// expected-error @below {{has no expanded gps.rollout}}
gps.model @unexpanded steps = 0 {
  gps.policy primary @p reads [] {}
  gps.policy guide @q reads [] {}
  gps.rollout @rollout guide @q primary @p reads [] {
  }
  gps.objective { %0 = gps.kl @q, @p : f32  gps.return %0 : f32 }
}

// -----

gps.model @first steps = 0 {
  gps.policy primary @p reads [] {}
  gps.policy guide @q reads [] {}
  gps.rollout @rollout guide @q primary @p reads [] terms [] {
  }
  gps.objective { %0 = arith.constant 0.0 : f32  gps.return %0 : f32 }
}
// expected-error @below {{'gps.model' op is a second model; a trainer holds one model}}
gps.model @second steps = 0 {
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
}

// -----

// The objective's regulariser of the primary has no term in the rollout.
gps.model @missing_term steps = 0 {
  gps.policy primary @p reads [] {}
  gps.policy guide @q reads [] {}
  gps.rollout @rollout guide @q primary @p reads [] terms [#gps.term<kl_qp>] {
    %k = gps.zeros : tensor<?x1xf32>
    gps.return %k : tensor<?x1xf32>
  }
  gps.objective {
    %kl = gps.kl @q, @p : f32
    // expected-error @below {{'gps.kl_std_normal' op is not a term of the expanded rollout}}
    %reg = gps.kl_std_normal @p : f32
    %l = arith.addf %kl, %reg : f32
    gps.return %l : f32
  }
}
