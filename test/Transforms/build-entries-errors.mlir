// RUN: gps-opt %s --gps-build-entries -split-input-file -verify-diagnostics

// expected-error @below {{gps-build-entries needs one gps.model with @gps_loss and @gps_loss_grad (run gps-build-loss and gps-autodiff first)}}
module {
  gps.model @m steps = 0 {
    gps.policy primary @p reads [] {}
    gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
  }
  func.func @gps_loss() -> (f32, f32) attributes {gps.terms = [#gps.term<objective>, #gps.term<nll>]} {
    %c = arith.constant 0.0 : f32
    return %c, %c : f32, f32
  }
}

// -----

module {
  gps.model @m steps = 0 {
    gps.policy primary @p reads [] {}
    gps.objective { %0 = gps.nll : f32  gps.return %0 : f32 }
  }
  // expected-error @below {{'func.func' op has no gps.terms}}
  func.func @gps_loss() -> f32 {
    %c = arith.constant 0.0 : f32
    return %c : f32
  }
  func.func @gps_loss_grad() -> f32 {
    %c = arith.constant 0.0 : f32
    return %c : f32
  }
}
