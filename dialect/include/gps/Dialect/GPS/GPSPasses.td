//===- GPSPasses.td - gps transformation passes ------------*- tablegen -*-===//
//
// The passes of the gps compiler. Each pass lives in lib/Transforms/ in a file
// named after it.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_DIALECT_GPS_GPSPASSES_TD
#define GPS_DIALECT_GPS_GPSPASSES_TD

include "mlir/Pass/PassBase.td"

def PairPoliciesPass : Pass<"gps-pair-policies", "::gps::ModelOp"> {
  let summary = "Pair the guide and the primary into one guide-led rollout";
  let description = [{
    Builds a `gps.rollout` that runs the guide and replays the primary along
    the guide's samples: every primary `gps.sample` whose site the guide also
    samples becomes a `gps.replay` of the guide's value, and the primary's
    later computation uses the guide's value. Primary sites the guide does not
    sample stay `gps.sample`s (drawn from the primary). The step loops of both
    policies, which must run over the same steps in the same direction, are
    fused into one `gps.for` whose loop state is the guide's followed by the
    primary's.

    #### Input invariant

    A `gps.model` with one primary and one guide policy, each with at most
    one step loop at the top of its body (what `gpsc --emit=mlir` produces).
    A model without a guide is left unchanged.

    #### Output IR

    The model gains `gps.rollout @rollout guide @q primary @p`. The policies
    stay, for unguided evaluation. Run `--canonicalize --cse` afterwards: loop
    state that both policies compute the same way (the shared LSTM state and
    canvas of `lstm_gen`) is merged and computed once.
  }];
  let dependentDialects = ["::gps::GPSDialect"];
  let statistics = [
    Statistic<"numReplayed", "replayed-sites",
              "Primary sites replayed at the guide's samples">,
    Statistic<"numFusedLoops", "fused-loops", "Step loops fused">
  ];
}

#endif // GPS_DIALECT_GPS_GPSPASSES_TD
