//===- GPSDialect.td - gps dialect definition --------------*- tablegen -*-===//
//
// The gps dialect: generative models trained by guided policy search.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_DIALECT_GPS_GPSDIALECT_TD
#define GPS_DIALECT_GPS_GPSDIALECT_TD

include "mlir/IR/OpBase.td"

def GPS_Dialect : Dialect {
  let name = "gps";
  let cppNamespace = "::gps";
  let summary = "Generative models as guided policy search";
  let description = [{
    The `gps` dialect describes a generative model in the form of Bachman &
    Precup (2015), "Data Generation as Sequential Decision Making": a
    *primary* policy `p` generates a trajectory `tau = {z_0 .. z_T, x}` step by
    step; a *guide* policy `q`, which also sees privileged information, samples
    trajectories; training minimises `E_q[cost] + lambda * KL(q || p)`.

    The dialect has two levels:

    * model level: `gps.model`, `gps.data`, `gps.mask`, `gps.param`,
      `gps.net`, `gps.policy`, `gps.sample`, `gps.observe`, `gps.for`,
      `gps.objective` and the objective terms;
    * math level: the operations the nets compute (`gps.affine`,
      `gps.matmul`, elementwise arithmetic, `gps.concat`, `gps.slice`,
      `gps.lstm_cell`, activations) and the distributions
      (`gps.gaussian`, `gps.std_normal`, `gps.bernoulli`).

    Batched values are rank-2 tensors `tensor<?xNxf32>`: the leading dimension
    is the minibatch, whose size is a run-time value shared by every batched
    value of a policy. Parameters are statically shaped tensors.
  }];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
  // The attributes the passes attach to functions and their arguments.
  let discardableAttrs = (ins
    // A loss function's data argument: the view it reads (`x`, `m`,
    // `x.known`, `x.missing`).
    "::mlir::StringAttr":$read,
    // A loss function's parameter argument: the parameter's name.
    "::mlir::StringAttr":$param,
    // A loss function's random-number argument: `key` or `stream`.
    "::mlir::StringAttr":$rng,
    // What a loss function returns, in order.
    "::mlir::ArrayAttr":$terms,
    // The model a loss function was built from.
    "::mlir::StringAttr":$model,
    // A loss function that gps-autodiff differentiates.
    "::mlir::UnitAttr":$differentiate,
    // An entry point's argument whose leading dimension is the batch.
    "::mlir::IntegerAttr":$batch_arg,
    // An entry point whose GPU work the runtime may record in a CUDA Graph
    // and replay (gps-capture-entries).
    "::mlir::UnitAttr":$graph
  );
  let dependentDialects = ["::mlir::arith::ArithDialect"];
  let extraClassDeclaration = [{
    void registerTypes();
    void registerAttributes();
  }];
}

#endif // GPS_DIALECT_GPS_GPSDIALECT_TD
