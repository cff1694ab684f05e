// RUN: gps-opt %s --gps-expand-kl -split-input-file -verify-diagnostics

// expected-error @below {{has no gps.rollout to expand; run gps-pair-policies first}}
gps.model @m steps = 0 {
  gps.policy primary @p reads [] {}
  gps.objective { %0 = gps.kl_std_normal @p : f32  gps.return %0 : f32 }
}
