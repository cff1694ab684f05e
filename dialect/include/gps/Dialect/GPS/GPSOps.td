//===- GPSOps.td - gps dialect operations -------------------*- tablegen -*-===//
//
// Operations of the gps dialect (enums, attributes and types: GPSTypes.td).
//
//===----------------------------------------------------------------------===//

#ifndef GPS_DIALECT_GPS_GPSOPS_TD
#define GPS_DIALECT_GPS_GPSOPS_TD

include "gps/Dialect/GPS/GPSDialect.td"
include "gps/Dialect/GPS/GPSInterfaces.td"
include "gps/Dialect/GPS/GPSTypes.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Base class
//===----------------------------------------------------------------------===//

class GPS_Op<string mnemonic, list<Trait> traits = []> :
    Op<GPS_Dialect, mnemonic, traits>;

/// An op with a reverse-mode derivative (see GPSInterfaces.td).
def GPS_Differentiable :
    DeclareOpInterfaceMethods<GPS_DifferentiableOpInterface>;

//===----------------------------------------------------------------------===//
// Model-level operations
//===----------------------------------------------------------------------===//

def GPS_ModelOp : GPS_Op<"model", [IsolatedFromAbove, Symbol, SymbolTable,
    NoTerminator, SingleBlock, NoRegionArguments]> {
  let summary = "a generative model: data, parameters, nets, policies, objective";
  let description = [{
    The top-level container of one model. Its body holds the declarations
    (`gps.data`, `gps.mask`, `gps.param`, `gps.net`), exactly one primary
    `gps.policy`, at most one guide `gps.policy` and exactly one
    `gps.objective`. `steps` is the number of refinement steps `T`.

    ```mlir
    gps.model @vae steps = 0 {
      gps.data @x : real tensor<?x784xf32> in [0.0, 1.0]
      ...
    }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, I64Attr:$steps);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$sym_name `steps` `=` $steps attr-dict-with-keyword $body";
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    /// The primary policy, or null in an invalid model.
    PolicyOp getPrimary();
    /// The guide policy, or null when the model has none.
    PolicyOp getGuide();
    /// The imputation policy, or null when the model has none.
    PolicyOp getImpute();
  }];
}

def GPS_DataOp : GPS_Op<"data", [Symbol, HasParent<"ModelOp">]> {
  let summary = "a data input of the model";
  let description = [{
    Declares a data input: one batched vector per example. `real` data take
    values in `[lo, hi]`; `bits` data are binary.

    ```mlir
    gps.data @x : real tensor<?x784xf32> in [0.0, 1.0]
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, EnumProp<GPS_DataKind>:$kind,
                       TypeAttrOf<GPS_BatchTensor>:$type,
                       OptionalAttr<F64Attr>:$lo, OptionalAttr<F64Attr>:$hi);
  let assemblyFormat = [{
    $sym_name `:` $kind $type (`in` ` ` `[` $lo^ `,` $hi `]`)? attr-dict
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Number of elements per example.
    int64_t getSize();
  }];
}

def GPS_MaskOp : GPS_Op<"mask", [Symbol, HasParent<"ModelOp">,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "a missing-data mask over a data input";
  let description = [{
    Declares a mask over a data input, drawn by the trainer for every
    example: `mar` removes a `amount x amount` square at a random position
    of an image of shape `image`; `mcar` removes each element independently
    with probability `amount`. A mask value 1 marks a known element, 0 a
    missing one. The mask splits `@x` into the views `x.known` and
    `x.missing`.

    ```mlir
    gps.mask @m on @x : mar(14.0) image [28, 28]
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, FlatSymbolRefAttr:$data,
                       EnumProp<GPS_MaskKind>:$kind, F64Attr:$amount,
                       OptionalAttr<DenseI64ArrayAttr>:$image);
  let assemblyFormat = [{
    $sym_name `on` $data `:` $kind `(` $amount `)` (`image` $image^)? attr-dict
  }];
  let hasVerifier = 1;
}

def GPS_ParamOp : GPS_Op<"param", [Symbol, HasParent<"ModelOp">]> {
  let summary = "a trained parameter";
  let description = [{
    Declares a parameter tensor and its initialiser (`zeros`, `ones`,
    `normal` with standard deviation 0.01, or `glorot` uniform for
    matrices). Nets read parameters with `gps.read_param`.

    ```mlir
    gps.param @c0 : tensor<784xf32> init zeros
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       TypeAttrOf<GPS_ParamTensor>:$type,
                       EnumProp<GPS_InitKind>:$init);
  let assemblyFormat = "$sym_name `:` $type `init` $init attr-dict";
  let hasVerifier = 1;
}

def GPS_NetOp : GPS_Op<"net", [Symbol, HasParent<"ModelOp">,
    IsolatedFromAbove]> {
  let summary = "a network: a function of batched inputs using parameters";
  let description = [{
    A named network. The body computes the results from the entry block
    arguments and the parameters it reads with `gps.read_param`, and ends
    with `gps.return`. `arch` records the source architecture. A net may
    return batched tensors or distributions.

    ```mlir
    gps.net @enc "affine(784 -> gauss(20))" : (tensor<?x784xf32>) -> !gps.dist<gaussian, 20> {
    ^bb0(%x: tensor<?x784xf32>):
      ...
      gps.return %d : !gps.dist<gaussian, 20>
    }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, StrAttr:$arch,
                       TypeAttrOf<FunctionType>:$function_type);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $sym_name $arch `:` $function_type attr-dict-with-keyword $body
  }];
  let hasRegionVerifier = 1;
}

def GPS_CallOp : GPS_Op<"call", [Pure,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "apply a net";
  let description = [{
    Applies the net `callee` to the operands. Calls to the same net share
    its parameters.

    ```mlir
    %d = gps.call @enc(%x) : (tensor<?x784xf32>) -> !gps.dist<gaussian, 20>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$callee, Variadic<AnyType>:$args);
  let results = (outs Variadic<AnyType>:$results);
  let assemblyFormat = [{
    $callee `(` $args `)` attr-dict `:` functional-type($args, $results)
  }];
}

def GPS_ReadParamOp : GPS_Op<"read_param", [Pure,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "read the current value of a parameter";
  let description = [{
    ```mlir
    %w = gps.read_param @enc.w0 : tensor<784x250xf32>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$param);
  let results = (outs GPS_ParamTensor:$result);
  let assemblyFormat = "$param attr-dict `:` type($result)";
}

def GPS_PolicyOp : GPS_Op<"policy", [Symbol, HasParent<"ModelOp">,
    IsolatedFromAbove, SingleBlockImplicitTerminator<"ReturnOp">]> {
  let summary = "the primary policy p, the guide policy q or an imputation policy";
  let description = [{
    A policy generates a trajectory by sampling its sites in order. The entry
    block arguments are the data views the policy reads, named by `reads`
    (a data input `x`, its views `x.known` / `x.missing`, or a mask `m`).
    The primary may read only what it declares; a primary never reads
    guide-only data (`x`, `x.missing`).

    An `impute` policy is not trained: it is run at test time, on the known
    part and the mask only (like the primary), and observes the missing
    part; `gps-build-loss` makes the unguided evaluation and the sampling
    entry points from it instead of the primary. Its sites are its own:
    they are not paired with the guide's.

    ```mlir
    gps.policy primary @p reads ["x.known", "m"] {
    ^bb0(%xk: tensor<?x784xf32>, %m: tensor<?x784xf32>):
      ...
    }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, EnumProp<GPS_Role>:$role,
                       StrArrayAttr:$reads);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $role $sym_name `reads` $reads attr-dict-with-keyword $body
  }];
  let hasRegionVerifier = 1;
}

def GPS_RolloutOp : GPS_Op<"rollout", [Symbol, HasParent<"ModelOp">,
    IsolatedFromAbove, SingleBlockImplicitTerminator<"ReturnOp">]> {
  let summary = "the guide-led rollout: the guide samples, the primary replays";
  let description = [{
    Made by `gps-pair-policies` from the guide `guide` and the primary
    `primary`. The body runs the guide and, beside it, the primary; every
    primary site that the guide also samples is replaced by a `gps.replay`
    that scores the guide's value under the primary's distribution. Step
    loops of both policies over the same range are fused into one
    `gps.for`, so state both policies compute can be shared by CSE. The
    entry block arguments are the data views either policy reads.

    After `gps-expand-kl` the body returns one per-example value
    (`tensor<?x1xf32>`) per objective term, named by `terms`
    (`#gps.term<nll>`, `#gps.term<kl_qp>`, ...), and a per-step term's batch
    means (`#gps.term<kl_qp, steps 1 to 16>`, a `tensor<16xf32>`).

    ```mlir
    gps.rollout @rollout guide @q primary @p reads ["x"] {
    ^bb0(%x: tensor<?x784xf32>):
      ...
    }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, FlatSymbolRefAttr:$guide,
                       FlatSymbolRefAttr:$primary, StrArrayAttr:$reads,
                       OptionalAttr<GPS_TermArrayAttr>:$terms);
  let regions = (region SizedRegion<1>:$body);
  let extraClassDeclaration = [{
    /// The term an objective op (`gps.nll`, `gps.kl`, `gps.kl_std_normal`)
    /// of this rollout's model denotes, or nothing when it relates other
    /// policies.
    std::optional<TermKind> getTermOf(::mlir::Operation *termOp);
  }];
  let assemblyFormat = [{
    $sym_name `guide` $guide `primary` $primary `reads` $reads
    (`terms` $terms^)? attr-dict-with-keyword $body
  }];
  let hasRegionVerifier = 1;
}

def GPS_ReplayOp : GPS_Op<"replay", []> {
  let summary = "a primary site replayed at the guide's sample";
  let description = [{
    Pairs the guide's distribution `guide` and the primary's distribution
    `primary` at the sample site `site` (and step), where the guide drew
    `value`. `gps-expand-kl` turns it into the site's KL term.

    ```mlir
    gps.replay "z"[%t] value %z guide %qd primary %pd : tensor<?x100xf32>, !gps.dist<gaussian, 100>, !gps.dist<gaussian, 100>
    ```

    `monte_carlo` marks a site whose per-step KL has no closed form: the
    guide drew it conditioned on values the primary draws later (the
    guide's step loop runs against the primary's), so `gps-expand-kl`
    scores it as log q(z) - log p(z) at the guide's value.
  }];
  let arguments = (ins StrAttr:$site, Optional<Index>:$step,
                       GPS_BatchTensor:$value, GPS_DistType:$guide,
                       GPS_DistType:$primary, UnitAttr:$monte_carlo);
  let assemblyFormat = [{
    $site (`[` $step^ `]`)? `value` $value `guide` $guide `primary` $primary
    (`monte_carlo` $monte_carlo^)?
    attr-dict `:` type($value) `,` qualified(type($guide)) `,`
    qualified(type($primary))
  }];
  let hasVerifier = 1;
}

def GPS_SampleOp : GPS_Op<"sample", []> {
  let summary = "a named random choice of a policy";
  let description = [{
    Draws a batch of values from `dist` at the sample site `site`. Inside a
    `gps.for`, `step` indexes the site by the loop's step. The guide's site
    and the primary's site of the same name and step are paired when the
    primary is replayed along the guide's samples.

    ```mlir
    %z = gps.sample "z"[%t] from %d : !gps.dist<gaussian, 100> -> tensor<?x100xf32>
    ```
  }];
  let arguments = (ins StrAttr:$site, Optional<Index>:$step,
                       GPS_DistType:$dist);
  let results = (outs GPS_BatchTensor:$value);
  let assemblyFormat = [{
    $site (`[` $step^ `]`)? `from` $dist attr-dict `:` qualified(type($dist)) `->` type($value)
  }];
  let hasVerifier = 1;
}

def GPS_ObserveOp : GPS_Op<"observe", []> {
  let summary = "an observed site: the likelihood of data under the primary";
  let description = [{
    States that the data view `site` (`x` or `x.missing`) is distributed as
    `dist`. Only the primary observes data; the objective's `gps.nll` term
    collects `-log p(x | tau)` over the observed sites.

    ```mlir
    gps.observe "x.missing" from %d : !gps.dist<bernoulli, 784>
    ```
  }];
  let arguments = (ins StrAttr:$site, GPS_DistType:$dist);
  let assemblyFormat = "$site `from` $dist attr-dict `:` qualified(type($dist))";
  let hasVerifier = 1;
}

def GPS_ForOp : GPS_Op<"for", [SingleBlock, RecursiveMemoryEffects]> {
  let summary = "the step loop of a policy";
  let description = [{
    Runs the body for `t = lower .. upper` (both inclusive), or from `upper`
    down to `lower` when `reverse` is set. The body's first argument is the
    step `t`; the others carry the loop state, initialised by `inits` and
    updated by `gps.yield`. The body is one region: it is compiled once,
    never unrolled over the steps.

    ```mlir
    %c = gps.for 1 to 6 iter_args(%c0 : tensor<?x784xf32>) -> tensor<?x784xf32> {
    ^bb0(%t: index, %c: tensor<?x784xf32>):
      ...
      gps.yield %c1 : tensor<?x784xf32>
    }
    ```
  }];
  let arguments = (ins I64Attr:$lower, I64Attr:$upper, UnitAttr:$reverse,
                       Variadic<AnyType>:$inits);
  let results = (outs Variadic<AnyType>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $lower `to` $upper (`reverse` $reverse^)?
    (`iter_args` `(` $inits^ `:` type($inits) `)`)?
    (`->` type($results)^)? attr-dict-with-keyword $body
  }];
  let hasRegionVerifier = 1;
  let hasCanonicalizer = 1;
}

def GPS_YieldOp : GPS_Op<"yield", [Pure, Terminator, ReturnLike,
    HasParent<"ForOp">]> {
  let summary = "yield the loop state of a gps.for step";
  let description = [{
    ```mlir
    gps.yield %c1 : tensor<?x784xf32>
    ```
  }];
  let arguments = (ins Variadic<AnyType>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
}

def GPS_ReturnOp : GPS_Op<"return", [Pure, Terminator, ReturnLike,
    ParentOneOf<["NetOp", "PolicyOp", "RolloutOp", "ObjectiveOp"]>]> {
  let summary = "return from a net, a policy or the objective";
  let description = [{
    ```mlir
    gps.return %d : !gps.dist<gaussian, 20>
    ```
  }];
  let arguments = (ins Variadic<AnyType>:$values);
  let builders = [OpBuilder<(ins), [{ build($_builder, $_state, {}); }]>];
  let assemblyFormat = "($values^ `:` qualified(type($values)))? attr-dict";
}

//===----------------------------------------------------------------------===//
// Objective
//===----------------------------------------------------------------------===//

def GPS_ObjectiveOp : GPS_Op<"objective", [HasParent<"ModelOp">, IsolatedFromAbove,
    SingleBlock]> {
  let summary = "the training objective";
  let description = [{
    The body computes the scalar to minimise from objective terms
    (`gps.nll`, `gps.kl`, `gps.kl_std_normal`) combined with `arith`
    operations, and returns it with `gps.return`. This covers the general
    form `E_q[cost] + lambda * KL(q || p)` and weighted two-direction forms
    such as `nll + 0.95 * kl(q || p) + 0.05 * kl(p || q)`.

    ```mlir
    gps.objective {
      %nll = gps.nll : f32
      %kl = gps.kl @q, @p : f32
      %l = arith.addf %nll, %kl : f32
      gps.return %l : f32
    }
    ```
  }];
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "attr-dict-with-keyword $body";
  let hasRegionVerifier = 1;
}

class GPS_TermOp<string mnemonic, list<Trait> traits = []> :
    GPS_Op<mnemonic, !listconcat(traits, [Pure, HasParent<"ObjectiveOp">])> {
  let results = (outs F32:$result);
}

def GPS_NllOp : GPS_TermOp<"nll"> {
  let summary = "expected negative log-likelihood of the observed sites";
  let description = [{
    `E_q[-log p(x | tau)]`: the guide rolls out the trajectory, the primary
    scores the data at its `gps.observe` sites.

    ```mlir
    %nll = gps.nll : f32
    ```
  }];
  let assemblyFormat = "attr-dict `:` type($result)";
}

def GPS_KLOp : GPS_TermOp<"kl", [
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "path-wise KL divergence between two policies";
  let description = [{
    `KL(from || to)` summed over the latent sample sites of the trajectory,
    step by step. `gps.kl @q, @p` is the guided-policy-search divergence;
    `gps.kl @p, @q` the reverse direction.

    ```mlir
    %kl = gps.kl @q, @p : f32
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$from, FlatSymbolRefAttr:$to);
  let assemblyFormat = "$from `,` $to attr-dict `:` type($result)";
}

def GPS_KLStdNormalOp : GPS_TermOp<"kl_std_normal", [
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "KL divergence of a policy's sites to N(0, I)";
  let description = [{
    A regulariser: `KL(policy || N(0, I))` summed over the policy's Gaussian
    sample sites.

    ```mlir
    %r = gps.kl_std_normal @p : f32
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$policy);
  let assemblyFormat = "$policy attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// Math-level operations
//===----------------------------------------------------------------------===//

def GPS_BroadcastOp : GPS_Op<"broadcast", [Pure, GPS_Differentiable]> {
  let summary = "broadcast a parameter vector over the batch";
  let description = [{
    ```mlir
    %c = gps.broadcast %c0 : tensor<784xf32> -> tensor<?x784xf32>
    ```
  }];
  let arguments = (ins GPS_ParamTensor:$input);
  let results = (outs GPS_BatchTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def GPS_MatmulOp : GPS_Op<"matmul", [Pure]> {
  let summary = "batched vector times parameter matrix";
  let description = [{
    `result[b, n] = sum_k lhs[b, k] * rhs[k, n]`.

    ```mlir
    %y = gps.matmul %x, %w : tensor<?x784xf32>, tensor<784x250xf32> -> tensor<?x250xf32>
    ```
  }];
  let arguments = (ins GPS_BatchTensor:$lhs, GPS_ParamTensor:$rhs);
  let results = (outs GPS_BatchTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasVerifier = 1;
}

def GPS_AffineOp : GPS_Op<"affine", [Pure]> {
  let summary = "affine map: x W + b";
  let description = [{
    `result[b, n] = sum_k input[b, k] * weight[k, n] + bias[n]`.

    ```mlir
    %y = gps.affine %x, %w, %b : tensor<?x784xf32>, tensor<784x250xf32>, tensor<250xf32> -> tensor<?x250xf32>
    ```
  }];
  let arguments = (ins GPS_BatchTensor:$input, GPS_ParamTensor:$weight,
                       GPS_ParamTensor:$bias);
  let results = (outs GPS_BatchTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `,` $bias attr-dict `:` type($input) `,` type($weight)
    `,` type($bias) `->` type($result)
  }];
  let hasVerifier = 1;
}

class GPS_BinaryOp<string mnemonic, string expr> : GPS_Op<mnemonic,
    [Pure, Elementwise, SameOperandsAndResultType, GPS_Differentiable]> {
  let summary = "elementwise " # expr;
  let description = "Elementwise `" # expr # "` of two batched tensors, or"
    # " of two parameter-shaped tensors (gradients)."
    # "\n\n```mlir\n%r = gps." # mnemonic
    # " %a, %b : tensor<?x784xf32>\n```";
  let arguments = (ins GPS_AnyTensor:$lhs, GPS_AnyTensor:$rhs);
  let results = (outs GPS_AnyTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
}

def GPS_AddOp : GPS_BinaryOp<"add", "lhs + rhs"> {
  let hasCanonicalizer = 1;
}
def GPS_SubOp : GPS_BinaryOp<"sub", "lhs - rhs"> {
  let hasCanonicalizer = 1;
}
def GPS_MulOp : GPS_BinaryOp<"mul", "lhs * rhs">;
def GPS_DivOp : GPS_BinaryOp<"div", "lhs / rhs">;

class GPS_UnaryOp<string mnemonic, string expr> : GPS_Op<mnemonic,
    [Pure, Elementwise, SameOperandsAndResultType, GPS_Differentiable]> {
  let summary = "elementwise " # expr;
  let description = "Elementwise `" # expr # "` of a batched tensor."
    # "\n\n```mlir\n%r = gps." # mnemonic
    # " %a : tensor<?x784xf32>\n```";
  let arguments = (ins GPS_BatchTensor:$input);
  let results = (outs GPS_BatchTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def GPS_SigmoidOp : GPS_UnaryOp<"sigmoid", "1 / (1 + exp(-x))">;
def GPS_TanhOp : GPS_UnaryOp<"tanh", "tanh(x)">;
def GPS_ReluOp : GPS_UnaryOp<"relu", "max(x, 0)">;
def GPS_SoftplusOp : GPS_UnaryOp<"softplus", "log(1 + exp(x))">;
def GPS_ExpOp : GPS_UnaryOp<"exp", "exp(x)">;
def GPS_LogOp : GPS_UnaryOp<"log", "log(x)">;

def GPS_FillOp : GPS_Op<"fill", [Pure, Elementwise,
    SameOperandsAndResultType]> {
  let summary = "fill the known elements of a guess from the data";
  let description = [{
    `result = mask * known + (1 - mask) * guess`: the imputation model's
    current canvas with its known elements replaced by the data.

    ```mlir
    %f = gps.fill %c, %xk, %m : tensor<?x784xf32>
    ```
  }];
  let arguments = (ins GPS_BatchTensor:$guess, GPS_BatchTensor:$known,
                       GPS_BatchTensor:$mask);
  let results = (outs GPS_BatchTensor:$result);
  let assemblyFormat = "$guess `,` $known `,` $mask attr-dict `:` type($result)";
}

def GPS_ConcatOp : GPS_Op<"concat", [Pure, GPS_Differentiable]> {
  let summary = "concatenate batched tensors along the feature axis";
  let description = [{
    ```mlir
    %y = gps.concat %a, %b : (tensor<?x784xf32>, tensor<?x784xf32>) -> tensor<?x1568xf32>
    ```
  }];
  let arguments = (ins Variadic<GPS_BatchTensor>:$inputs);
  let results = (outs GPS_BatchTensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` functional-type($inputs, $result)";
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def GPS_SliceOp : GPS_Op<"slice", [Pure, GPS_Differentiable]> {
  let summary = "a contiguous range of features of a batched tensor";
  let description = [{
    `result[b, i] = input[b, offset + i]` for `i < size`.

    ```mlir
    %mu = gps.slice %h[0, 100] : tensor<?x200xf32> -> tensor<?x100xf32>
    ```
  }];
  let arguments = (ins GPS_BatchTensor:$input, I64Attr:$offset, I64Attr:$size);
  let results = (outs GPS_BatchTensor:$result);
  let assemblyFormat = [{
    $input `[` $offset `,` $size `]` attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def GPS_LSTMCellOp : GPS_Op<"lstm_cell", [Pure]> {
  let summary = "one step of an LSTM cell, optionally with peepholes";
  let description = [{
    With `a = x Wx + h Wh + b` split into the gates `i, f, g, o` (in that
    order, `H` features each):

    ```
    i  = sigmoid(a_i + p_i * c)       f = sigmoid(a_f + p_f * c)
    c' = f * c + i * tanh(a_g)        o = sigmoid(a_o + p_o * c')
    h' = o * tanh(c')
    ```

    The peephole weights `peephole = [p_i; p_f; p_o]` (a `3 x H` matrix) are
    optional; without them the `p` terms are zero.

    ```mlir
    %h1, %c1 = gps.lstm_cell %x, %h, %c, %wx, %wh, %b : (tensor<?x100xf32>, tensor<?x250xf32>, tensor<?x250xf32>, tensor<100x1000xf32>, tensor<250x1000xf32>, tensor<1000xf32>) -> (tensor<?x250xf32>, tensor<?x250xf32>)
    ```
  }];
  let arguments = (ins GPS_BatchTensor:$input, GPS_BatchTensor:$h,
                       GPS_BatchTensor:$c, GPS_ParamTensor:$wx,
                       GPS_ParamTensor:$wh, GPS_ParamTensor:$bias,
                       Optional<GPS_ParamTensor>:$peephole);
  let results = (outs GPS_BatchTensor:$h_next, GPS_BatchTensor:$c_next);
  let assemblyFormat = [{
    $input `,` $h `,` $c `,` $wx `,` $wh `,` $bias (`peephole` $peephole^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Distributions
//===----------------------------------------------------------------------===//

def GPS_GaussianOp : GPS_Op<"gaussian", [Pure, AllTypesMatch<["mean", "logvar"]>]> {
  let summary = "diagonal Gaussian from its mean and log-variance";
  let description = [{
    ```mlir
    %d = gps.gaussian %mu, %logvar : tensor<?x100xf32> -> !gps.dist<gaussian, 100>
    ```
  }];
  let arguments = (ins GPS_BatchTensor:$mean, GPS_BatchTensor:$logvar);
  let results = (outs GPS_DistType:$result);
  let assemblyFormat = [{
    $mean `,` $logvar attr-dict `:` type($mean) `->` qualified(type($result))
  }];
  let hasVerifier = 1;
}

def GPS_StdNormalOp : GPS_Op<"std_normal", [Pure]> {
  let summary = "the standard normal N(0, I)";
  let description = [{
    ```mlir
    %d = gps.std_normal : !gps.dist<normal, 20>
    ```
  }];
  let results = (outs GPS_DistType:$result);
  let assemblyFormat = "attr-dict `:` qualified(type($result))";
  let hasVerifier = 1;
}

def GPS_BernoulliOp : GPS_Op<"bernoulli", [Pure]> {
  let summary = "independent Bernoulli variables from their logits";
  let description = [{
    ```mlir
    %d = gps.bernoulli %c : tensor<?x784xf32> -> !gps.dist<bernoulli, 784>
    ```
  }];
  let arguments = (ins GPS_BatchTensor:$logits);
  let results = (outs GPS_DistType:$result);
  let assemblyFormat = [{
    $logits attr-dict `:` type($logits) `->` qualified(type($result))
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Per-example terms (made by gps-expand-kl)
//===----------------------------------------------------------------------===//

def GPS_ZerosOp : GPS_Op<"zeros", [Pure, GPS_Differentiable]> {
  let summary = "a batch of zero vectors, or a zero parameter-shaped tensor";
  let description = [{
    Zeros with the policy's batch size: the start of an accumulated term. A
    statically shaped result starts a parameter's gradient.

    ```mlir
    %acc = gps.zeros : tensor<?x1xf32>
    %dw = gps.zeros : tensor<784x500xf32>
    ```
  }];
  let results = (outs AnyTypeOf<[GPS_BatchTensor, GPS_ParamTensor]>:$result);
  let assemblyFormat = "attr-dict `:` type($result)";
}

def GPS_KLDivOp : GPS_Op<"kl_div", [Pure]> {
  let summary = "analytic KL divergence between two diagonal Gaussians";
  let description = [{
    Per example, `KL(from || to)` summed over the event's elements, in closed
    form: with means `m`, log-variances `l` (the standard normal has `m = 0`,
    `l = 0`),
    `0.5 * sum(l_to - l_from + (exp(l_from) + (m_from - m_to)^2) / exp(l_to) - 1)`.

    ```mlir
    %kl = gps.kl_div %q, %p : !gps.dist<gaussian, 100>, !gps.dist<normal, 100> -> tensor<?x1xf32>
    ```
  }];
  let arguments = (ins GPS_DistType:$from, GPS_DistType:$to);
  let results = (outs GPS_BatchTensor:$result);
  let assemblyFormat = [{
    $from `,` $to attr-dict `:` qualified(type($from)) `,`
    qualified(type($to)) `->` type($result)
  }];
  let hasVerifier = 1;
}

def GPS_LogProbOp : GPS_Op<"log_prob", [Pure]> {
  let summary = "log-density of a value under a distribution";
  let description = [{
    Per example, `sum_i log p(value_i)`. With `missing(%m)`, only the elements
    where the mask `%m` is 0 (missing) count. A Bernoulli takes soft targets
    in [0, 1] (cross-entropy against the logits).

    ```mlir
    %lp = gps.log_prob %d, %x missing(%m : tensor<?x784xf32>) : !gps.dist<bernoulli, 784>, tensor<?x784xf32> -> tensor<?x1xf32>
    ```
  }];
  let arguments = (ins GPS_DistType:$dist, GPS_BatchTensor:$value,
                       Optional<GPS_BatchTensor>:$missing);
  let results = (outs GPS_BatchTensor:$result);
  let assemblyFormat = [{
    $dist `,` $value (`missing` `(` $missing^ `:` type($missing) `)`)?
    attr-dict `:` qualified(type($dist)) `,` type($value) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Primitives (made by gps-decompose; the vocabulary of gps-autodiff)
//===----------------------------------------------------------------------===//

def GPS_F32Matrix : Type<
    And<[RankedTensorOf<[F32]>.predicate,
         CPred<"::llvm::cast<::mlir::RankedTensorType>($_self).getRank() == 2">]>,
    "rank-2 f32 tensor", "::mlir::RankedTensorType">;

def GPS_GemmOp : GPS_Op<"gemm", [Pure, GPS_Differentiable]> {
  let summary = "matrix product with optional transposes";
  let description = [{
    `result = op(lhs) * op(rhs)` where `op` transposes the operand when
    `transpose_lhs` / `transpose_rhs` is set. Either side may be a batch
    (`?` rows) or a parameter; a product over the batch gives a
    parameter-shaped result (the weight gradient `x^T * dy`). Lowered to a
    BLAS call.

    ```mlir
    %y = gps.gemm %x, %w : tensor<?x784xf32>, tensor<784x500xf32> -> tensor<?x500xf32>
    %dw = gps.gemm %x, %dy {transpose_lhs} : tensor<?x784xf32>, tensor<?x500xf32> -> tensor<784x500xf32>
    ```
  }];
  let arguments = (ins GPS_F32Matrix:$lhs, GPS_F32Matrix:$rhs,
                       UnitAttr:$transpose_lhs, UnitAttr:$transpose_rhs);
  let results = (outs GPS_F32Matrix:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasVerifier = 1;
}

def GPS_SplatOp : GPS_Op<"splat", [Pure, GPS_Differentiable]> {
  let summary = "a batch of vectors with every element equal to a scalar";
  let description = [{
    ```mlir
    %half = arith.constant 5.0e-01 : f32
    %h = gps.splat %half : tensor<?x50xf32>
    ```
  }];
  let arguments = (ins F32:$value);
  let results = (outs GPS_BatchTensor:$result);
  let assemblyFormat = "$value attr-dict `:` type($result)";
}

def GPS_SumOp : GPS_Op<"sum", [Pure, GPS_Differentiable]> {
  let summary = "sum over the features of each example";
  let description = [{
    ```mlir
    %s = gps.sum %x : tensor<?x50xf32> -> tensor<?x1xf32>
    ```
  }];
  let arguments = (ins GPS_BatchTensor:$input);
  let results = (outs GPS_BatchTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def GPS_ExpandOp : GPS_Op<"expand", [Pure, GPS_Differentiable]> {
  let summary = "repeat one value per example over N features";
  let description = [{
    The adjoint of `gps.sum`: `result[b, i] = input[b, 0]`.

    ```mlir
    %e = gps.expand %s : tensor<?x1xf32> -> tensor<?x50xf32>
    ```
  }];
  let arguments = (ins GPS_BatchTensor:$input);
  let results = (outs GPS_BatchTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def GPS_ColSumOp : GPS_Op<"col_sum", [Pure, GPS_Differentiable]> {
  let summary = "sum over the batch of each feature";
  let description = [{
    The adjoint of `gps.broadcast`: `result[i] = sum_b input[b, i]`.

    ```mlir
    %db = gps.col_sum %dy : tensor<?x500xf32> -> tensor<500xf32>
    ```
  }];
  let arguments = (ins GPS_BatchTensor:$input);
  let results = (outs GPS_ParamTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def GPS_ReluGradOp : GPS_Op<"relu_grad", [Pure, Elementwise,
    SameOperandsAndResultType]> {
  let summary = "the adjoint of relu: grad where input > 0, else 0";
  let description = [{
    ```mlir
    %dx = gps.relu_grad %x, %dy : tensor<?x500xf32>
    ```
  }];
  let arguments = (ins GPS_BatchTensor:$input, GPS_BatchTensor:$grad);
  let results = (outs GPS_BatchTensor:$result);
  let assemblyFormat = "$input `,` $grad attr-dict `:` type($result)";
}

def GPS_NoiseOp : GPS_Op<"noise", [Pure]> {
  let summary = "standard normal noise of a sample site";
  let description = [{
    The noise `eps ~ N(0, I)` of the reparameterised draw at a site and
    step. It is a pure function of `(key, stream, site, step)` through the
    counter-based Philox generator, so recomputing it gives the same values
    and two sites or steps never share a stream.

    ```mlir
    %eps = gps.noise "z"[%t] key %k stream %s : tensor<?x100xf32>
    ```
  }];
  let arguments = (ins StrAttr:$site, Optional<Index>:$step, I64:$key,
                       I64:$stream);
  let results = (outs GPS_BatchTensor:$result);
  let assemblyFormat = [{
    $site (`[` $step^ `]`)? `key` $key `stream` $stream attr-dict `:` type($result)
  }];
}

def GPS_MeanOp : GPS_Op<"mean", [Pure, GPS_Differentiable]> {
  let summary = "the batch mean of a per-example value";
  let description = [{
    ```mlir
    %m = gps.mean %kl : tensor<?x1xf32> -> f32
    ```
  }];
  let arguments = (ins GPS_BatchTensor:$input);
  let results = (outs F32:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def GPS_BatchSizeOp : GPS_Op<"batch_size", [Pure]> {
  let summary = "the number of examples in the batch, as a float";
  let description = [{
    ```mlir
    %n = gps.batch_size : f32
    ```
  }];
  let results = (outs F32:$result);
  let assemblyFormat = "attr-dict `:` type($result)";
}

def GPS_RowOp : GPS_Op<"row", [Pure, GPS_Differentiable]> {
  let summary = "one row of a parameter matrix";
  let description = [{
    ```mlir
    %pi = gps.row %peephole[0] : tensor<3x250xf32> -> tensor<250xf32>
    ```
  }];
  let arguments = (ins GPS_ParamTensor:$input, I64Attr:$index);
  let results = (outs GPS_ParamTensor:$result);
  let assemblyFormat = [{
    $input `[` $index `]` attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def GPS_PutRowsOp : GPS_Op<"put_rows", [Pure, GPS_Differentiable]> {
  let summary = "a zero matrix with some rows set: the adjoint of gps.row";
  let description = [{
    Row `indices[k]` of the result is `inputs[k]`; the other rows are zero.
    The adjoint of reading a parameter matrix by rows (an LSTM's peephole
    weights) is the sum of such matrices, which canonicalization makes one.

    ```mlir
    %dp = gps.put_rows %g at [0] : tensor<250xf32> -> tensor<3x250xf32>
    %dq = gps.put_rows %a, %b at [2, 0] : tensor<250xf32>, tensor<250xf32> -> tensor<3x250xf32>
    ```
  }];
  let arguments = (ins Variadic<GPS_ParamTensor>:$inputs,
                       DenseI64ArrayAttr:$indices);
  let results = (outs GPS_ParamTensor:$result);
  let assemblyFormat = [{
    $inputs `at` $indices attr-dict `:` type($inputs) `->` type($result)
  }];
  let hasVerifier = 1;
}

def GPS_TapeNewOp : GPS_Op<"tape_new", [Pure]> {
  let summary = "an empty tape";
  let description = [{
    ```mlir
    %tape = gps.tape_new : !gps.tape<6 x tensor<?x100xf32>>
    ```
  }];
  let results = (outs GPS_TapeType:$result);
  let assemblyFormat = "attr-dict `:` qualified(type($result))";
}

def GPS_TapePushOp : GPS_Op<"tape_push", [Pure,
    AllTypesMatch<["tape", "result"]>]> {
  let summary = "store a value in a tape slot";
  let description = [{
    Returns the tape with slot `index` holding `value`. The input tape is
    not used again (tapes are threaded linearly through the forward loop),
    so the lowering stores in place.

    ```mlir
    %tape1 = gps.tape_push %v into %tape[%i] : tensor<?x100xf32> into !gps.tape<6 x tensor<?x100xf32>>
    ```
  }];
  let arguments = (ins AnyType:$value, GPS_TapeType:$tape, Index:$index);
  let results = (outs GPS_TapeType:$result);
  let assemblyFormat = [{
    $value `into` $tape `[` $index `]` attr-dict `:` type($value) `into`
    qualified(type($tape))
  }];
  let hasVerifier = 1;
}

def GPS_TapeGetOp : GPS_Op<"tape_get", [Pure]> {
  let summary = "read a tape slot";
  let description = [{
    ```mlir
    %v = gps.tape_get %tape[%i] : !gps.tape<6 x tensor<?x100xf32>> -> tensor<?x100xf32>
    ```
  }];
  let arguments = (ins GPS_TapeType:$tape, Index:$index);
  let results = (outs AnyType:$result);
  let assemblyFormat = [{
    $tape `[` $index `]` attr-dict `:` qualified(type($tape)) `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // GPS_DIALECT_GPS_GPSOPS_TD
