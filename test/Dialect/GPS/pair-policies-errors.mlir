// RUN: gps-opt %s --gps-pair-policies -split-input-file -verify-diagnostics

gps.model @m steps = 3 {
  gps.policy primary @p reads [] {
    // expected-note @below {{primary's step loop is here}}
    gps.for 1 to 3 {
    ^bb0(%t: index):
      gps.yield
    }
  }
  gps.policy guide @q reads [] {
    // expected-error @below {{cannot be paired with the primary's step loop: both must run over the same steps}}
    gps.for 1 to 2 {
    ^bb0(%t: index):
      gps.yield
    }
  }
  gps.objective { %0 = gps.kl @q, @p : f32  gps.return %0 : f32 }
}

// -----

// A guide whose loop runs against the primary's runs first and is replayed
// through tapes, which the gradient does not cross: it must be fixed.
gps.model @m steps = 3 {
  gps.param @c : tensor<4xf32> init zeros
  gps.policy primary @p reads [] {
    // expected-note @below {{primary's step loop is here}}
    gps.for 1 to 3 {
    ^bb0(%t: index):
      gps.yield
    }
  }
  gps.policy guide @q reads [] {
    gps.for 1 to 3 reverse {
    ^bb0(%t: index):
      // expected-error @below {{cannot be paired: the guide's step loop runs against the primary's, so the guide runs first and must not read trained parameters}}
      %c = gps.read_param @c : tensor<4xf32>
      gps.yield
    }
  }
  gps.objective { %0 = gps.kl @q, @p : f32  gps.return %0 : f32 }
}

// -----

gps.model @m steps = 3 {
  gps.policy primary @p reads [] {
    // expected-note @below {{first step loop is here}}
    gps.for 1 to 2 {
    ^bb0(%t: index):
      gps.yield
    }
    // expected-error @below {{cannot be paired: policy 'p' has more than one step loop}}
    gps.for 2 to 3 {
    ^bb0(%t: index):
      gps.yield
    }
  }
  gps.policy guide @q reads [] {}
  gps.objective { %0 = gps.kl @q, @p : f32  gps.return %0 : f32 }
}

// -----

// A model without a guide is paired with an empty guide, without an error
// (test/Transforms/pair-no-guide.gps checks the rollout).
gps.model @m steps = 0 {
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.kl_std_normal @p : f32  gps.return %0 : f32 }
}
