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

def ExpandKLPass : Pass<"gps-expand-kl", "::gps::ModelOp"> {
  let summary = "Expand the objective's terms into per-site, per-step terms";
  let description = [{
    Computes, inside the model's `gps.rollout`, one per-example value
    (`tensor<?x1xf32>`) for every term the objective uses, and returns them
    in the order named by the rollout's new `terms` attribute:

    * `nll`: `-log p(x | tau)` summed over the `gps.observe` sites; an
      observed `x.missing` counts only the missing elements;
    * `kl(q||p)`: at every `gps.replay`, the analytic KL (`gps.kl_div`)
      when both sides are Gaussians or the standard normal, as the paper's
      Rao-Blackwellised path-wise KL; otherwise the Monte Carlo term
      `log q(z) - log p(z)` at the guide's sample. Sites only the primary
      samples add nothing (both sides draw them from the primary);
    * `kl(p||q)`: the analytic KL of the reverse direction at every replay;
    * `kl(p||normal)`, `kl(q||normal)`: each Gaussian site of the policy
      against N(0, I).

    Terms of sites inside the step loop accumulate in new loop-carried
    values, so the loop stays one region. The objective is unchanged: its
    `gps.nll` / `gps.kl` / `gps.kl_std_normal` ops now denote the batch mean
    of the rollout's term of the same name. `gps.replay` and `gps.observe`
    are consumed.

    #### Input invariant

    The output of `gps-pair-policies` (one `gps.rollout`).

    #### Output IR

    `gps.rollout ... terms [...]` whose body returns the terms.
  }];
  let dependentDialects = ["::gps::GPSDialect"];
}

#endif // GPS_DIALECT_GPS_GPSPASSES_TD
