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
    A model without a guide is paired with an empty guide policy (added
    to the model), so the primary samples every site. The rollout's symbol
    is renamed where the model already uses `rollout`.

    #### Output IR

    The model gains `gps.rollout @rollout guide @q primary @p`. The policies
    stay, for unguided evaluation. Run `--canonicalize --cse` afterwards: loop
    state that both policies compute the same way (the shared LSTM state and
    canvas of `lstm_gen`) is merged and computed once.

    When the guide's step loop runs against the primary's (a fixed reverse
    process, as in a diffusion model), the loops are not fused: the whole
    guide runs first, and its loop pushes each step's sample, and the mean
    and log-variance of its distribution, onto tapes (`gps.tape_push` at
    slot t - lower); the primary's loop reads step t's slot with
    `gps.tape_get` and replays it. Every replay of such a pairing is marked
    `monte_carlo`: the guide drew the site given values the primary draws
    later, so the per-step KL has no closed form. The guide must not read
    trained parameters (the gradient does not flow back through the tapes).
  }];
  let dependentDialects = ["::gps::GPSDialect"];
  let statistics = [
    Statistic<"numReplayed", "replayed-sites",
              "Primary sites replayed at the guide's samples">,
    Statistic<"numFusedLoops", "fused-loops", "Step loops fused">,
    Statistic<"numOpposedLoops", "opposed-loops",
              "Step loops paired in opposite directions, through tapes">
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
      when both sides are Gaussians or the standard normal and the
      primary's distribution there does not depend on the guide's sample of
      the site (directly, or through sites the guide samples after it), as
      the paper's Rao-Blackwellised path-wise KL; otherwise the Monte Carlo
      term `log q(z) - log p(z)` at the guide's sample. Sites only the
      primary samples add nothing (both sides draw them from the primary);
    * `kl(p||q)`: the analytic KL of the reverse direction at every replay
      (a located error where no closed form is valid);
    * `kl(p||normal)`, `kl(q||normal)`: each Gaussian site of the policy
      against N(0, I).

    Terms of sites inside the step loop accumulate in new loop-carried
    values, so the loop stays one region. When `kl(q||p)` has sites in the
    loop, the rollout also returns its batch mean per step, in one
    `tensor<Nxf32>` that each step writes at its own index, named
    `#gps.term<kl_qp, steps first to last>` after the others (the paper's
    per-step KL; the trainer logs it and names the first step that is not
    finite). The IR
    does not grow with the number of steps. The objective is unchanged: its
    `gps.nll` / `gps.kl` / `gps.kl_std_normal` ops now denote the batch mean
    of the rollout's term of the same name. `gps.replay` and `gps.observe`
    are consumed.

    With `monte-carlo`, `kl(q||p)` is the Monte Carlo term at every site,
    Gaussian or not: an unbiased estimate of the same KL with more variance,
    for checking the closed forms and for comparison with the paper.

    With `log-weights`, a model that observes its data also gets a copy of
    the rollout, `gps.rollout @log_weights`, expanded into the per-example
    `nll` and Monte Carlo `kl(q||p)` (`log q(z) - log p(z)` at every site,
    no per-step record): their sum is `-log w`, with `log w = log p(x, tau)
    - log q(tau | x)` for the guide's sampled trajectory, the summand of
    the importance-weighted bound (`gps-build-loss` makes it
    `@gps_log_weights`).

    #### Input invariant

    The output of `gps-pair-policies` (one `gps.rollout`).

    #### Output IR

    `gps.rollout ... terms [...]` whose body returns the terms (and, with
    `log-weights`, `gps.rollout @log_weights ... terms [nll, kl_qp]`).
  }];
  let options = [
    Option<"monteCarlo", "monte-carlo", "bool", /*default=*/"false",
           "Estimate kl(q||p) by log q(z) - log p(z) at the guide's sample "
           "even where a closed form exists">,
    Option<"logWeights", "log-weights", "bool", /*default=*/"false",
           "Also expand a copy of the rollout into the per-example terms of "
           "log w (nll and Monte Carlo kl(q||p)), for the "
           "importance-weighted bound">
  ];
  let dependentDialects = ["::gps::GPSDialect", "::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect"];
}

def BuildLossPass : Pass<"gps-build-loss", "::mlir::ModuleOp"> {
  let summary = "Make the objective of each model a function of data and parameters";
  let description = [{
    Builds `func.func @gps_loss` from the model's expanded `gps.rollout` and
    its `gps.objective`: the rollout's body with every `gps.call` inlined and
    every `gps.read_param` replaced by a function argument, the batch mean
    (`gps.mean`) of each per-example term, and the objective's arithmetic
    on those means.

    The arguments are the data views the rollout reads (`gps.read`
    argument attribute), every parameter in declaration order (`gps.param`),
    then the random key and stream (`gps.rng`). The results are the
    objective followed by the term means; the function's `gps.terms`
    attribute names them.

    #### Input invariant

    One `gps.model` whose rollout has been expanded by `gps-expand-kl`.

    #### Output IR

    The module gains `@gps_loss`; the model is unchanged (its declarations
    describe the trainer's data and parameters). It also gains the primary
    alone: `@gps_sample`, returning the mean of the observed site's
    distribution, and, for a model with a mask, `@gps_primary_loss`, the
    batch mean of `-log p(x.missing | x.known, m)` without the guide.
    `@gps_sample_steps` returns that mean after every step of the primary's
    step loop, a `!gps.tape` of one slot per step: the ops that compute the
    mean from the loop's results after the loop are cloned into the loop
    body, on the state each step yields, and pushed into the tape (the body
    is not unrolled). It is not built when the primary has no step loop or
    the mean is not a pure function of the loop state (and values defined
    before the loop). From
    a `gps.rollout @log_weights` (`gps-expand-kl` with `log-weights`) it
    builds `@gps_log_weights`, returning `log w = -(nll + kl(q||p))` per
    example (`tensor<?x1xf32>`), which is not differentiated.
  }];
  let dependentDialects = ["::gps::GPSDialect", "::mlir::func::FuncDialect",
                           "::mlir::arith::ArithDialect"];
}

def DecomposePass : Pass<"gps-decompose", "::mlir::func::FuncOp"> {
  let summary = "Rewrite distributions and compound ops into primitives";
  let description = [{
    Leaves only the primitives that `gps-autodiff` differentiates and the
    lowering knows:

    * `gps.affine`, `gps.matmul` become `gps.gemm` (plus `gps.broadcast` of
      the bias); `gps.fill` becomes `m * known + (1 - m) * guess`;
    * `gps.sample` from a Gaussian is reparameterised,
      `mean + exp(logvar / 2) * eps`, with `eps` a `gps.noise` of the
      site and step drawn from the function's `gps.rng` arguments;
    * `gps.kl_div` and `gps.log_prob` become their closed forms summed with
      `gps.sum`; a Bernoulli's log-probability of soft targets `x` is
      `x * logits - softplus(logits)`;
    * `gps.lstm_cell` becomes two `gps.gemm`s, gate slices and elementwise
      ops;
    * `gps.zeros` of a parameter shape and other ops are left alone.

    A distribution that cannot be reparameterised (sampling a Bernoulli) is
    a located error.

    #### Input invariant

    The functions of `gps-build-loss` (nets inlined, parameters bound to
    arguments, `gps.rng` key and stream arguments), on tensors.

    #### Output IR

    The same functions on primitives only: `gps.gemm`, elementwise ops,
    `gps.sum` / `gps.expand` / `gps.col_sum`, `gps.concat` / `gps.slice`,
    `gps.row` / `gps.put_rows`, `gps.noise`, `gps.mean`, `gps.for`, and
    `arith` on scalars. No `!gps.dist` value is left.
  }];
  let dependentDialects = ["::gps::GPSDialect", "::mlir::arith::ArithDialect"];
}

def AutodiffPass : Pass<"gps-autodiff", "::mlir::ModuleOp"> {
  let summary = "Reverse-mode differentiation of the loss";
  let description = [{
    For every function with the `gps.differentiate` attribute, builds
    `<name>_grad`: the same results followed by the gradient of result 0
    with respect to each argument marked `gps.param`, in argument order.

    The forward computation is kept; then the ops are visited in reverse
    and each op's `DifferentiableOpInterface` emits its operands' adjoints,
    summed where a value has several uses. Only values that depend on a
    parameter are differentiated. A `gps.for` is reversed: the forward
    loop pushes the body values that the adjoint needs on `gps.tape`s, and
    a loop over the same steps in the opposite direction reads them back,
    carrying the adjoints of the loop state and of the outer values the
    body uses. Loop state the adjoint reads both before and after a step
    has one tape of T + 1 slots; the forward body reads the state from it
    (and the code after the loop its final value), so that the state
    itself, no longer read, can be dropped by canonicalization.

    A reversed loop carries adjoint state only for loop state that reaches
    a result with an adjoint (state such as the per-step KL record, which
    the objective does not use, gets none). An op that has no adjoint is an
    error at its location.

    #### Input invariant

    The output of `gps-decompose`: primitives on tensors, at most one level
    of `gps.for`, parameters as `gps.param` arguments.

    #### Output IR

    Each differentiated function unchanged, and `<name>_grad` beside it:
    the forward ops (loops rebuilt with `!gps.tape` state and
    `gps.tape_push`), then the adjoints (reversed `gps.for` with
    `gps.tape_get`), returning the original results and then one gradient
    per parameter argument, of the parameter's type.
  }];
  let dependentDialects = ["::gps::GPSDialect", "::mlir::func::FuncDialect",
                           "::mlir::arith::ArithDialect"];
}

def BuildEntriesPass : Pass<"gps-build-entries", "::mlir::ModuleOp"> {
  let summary = "Build the trainer's entry points and manifest";
  let description = [{
    Wraps `@gps_loss_grad` and `@gps_loss` in the functions a trainer calls
    (runtime/include/gps/Runtime/Interface.h): `@gps_model_train` and
    `@gps_model_eval`, with the `llvm.emit_c_interface` ABI. Their
    arguments are memrefs: the data and mask rows, one flat vector of all
    parameters (and of their gradients), the term outputs, and the random
    key and stream. Parameter `i` is a view of the flat vector at the offset
    the manifest gives; the data views `x.known` and `x.missing` are
    computed from `x` and the mask. Where `gps-build-loss` made them,
    `@gps_primary_loss` becomes `@gps_model_eval_primary` (the unguided
    result) and `@gps_sample` becomes `@gps_model_sample`, which writes a
    batch of rows instead of terms; `@gps_sample_steps` becomes
    `@gps_model_sample_steps`, which writes the tape's steps x batch rows,
    step-major, and the manifest's `sample_steps` gives their number and
    width; `@gps_log_weights` becomes
    `@gps_model_log_weights`, which writes one value per example into a
    vector. Every model also gets the optimizer's two entry points on the
    flat vectors: `@gps_model_grad_sumsq` (the sum of the squares of a
    gradient, in f64) and `@gps_model_adam` (one Adam update of the
    parameters and both moments in place, the runtime's operations in its
    order, with the coefficients read from memory, the clipping scale
    computed from grad_sumsq's sums, and the old values kept when those
    sums or the terms are not finite); and `@gps_model_gather`, which
    writes a batch of the data set's examples from its bytes and the value
    of each byte (one linalg op on the buffers); and, for a model with a
    mask, `@gps_model_masks`, which writes a training batch's masks, the
    trainer's own (MCAR: from its Philox stream, element by element; MAR:
    from the squares the trainer places).

    The manifest, a JSON description of the model (data, mask, parameters
    and their offsets, terms), becomes the string returned by
    `gps_model_manifest()`. `gps_model_check_abi()` calls the runtime's
    `gps_rt_check_abi` with the ABI version and magic the code was compiled
    against (runtime/include/gps/Runtime/Contract.h); the trainer calls it
    first. The loss functions and the `gps.model` are then removed: the
    module holds only code.

    #### Input invariant

    A module with one `gps.model` and the `@gps_loss` / `@gps_loss_grad`
    functions of `gps-build-loss` and `gps-autodiff` (and, where built,
    `@gps_primary_loss` and `@gps_sample`), on tensors.

    #### Output IR

    `func.func`s on memrefs with `llvm.emit_c_interface`, still holding gps
    math ops on tensors inside; `llvm.mlir.global @gps_manifest` and the
    `llvm.func`s `@gps_model_manifest` and `@gps_model_check_abi`.
  }];
  let options = [
    Option<"abiVersion", "abi-version", "unsigned", /*default=*/"0",
           "The ABI version the generated code announces (0: the "
           "runtime's own); another value only tests the start-up check">
  ];
  let dependentDialects = ["::gps::GPSDialect", "::mlir::func::FuncDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::LLVM::LLVMDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::scf::SCFDialect"];
}

def ConvertGPSToLinalgPass : Pass<"convert-gps-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lower gps primitives to linalg, tensor and scf on tensors";
  let description = [{
    Makes the implicit batch explicit: in every function with a
    `gps.batch_arg` attribute, the batch size is the leading dimension of
    that argument, and it sizes `gps.zeros`, `gps.splat`, `gps.broadcast`,
    `gps.noise` and every new tensor. Then:

    * elementwise ops, broadcasts and sums become `linalg.generic` (or
      `linalg.fill`), ready for elementwise fusion;
    * `gps.gemm` becomes `linalg.matmul` (transposes as indexing maps);
    * `gps.concat` / `gps.slice` become `tensor.insert_slice` /
      `tensor.extract_slice`; `gps.row` an extract_slice, `gps.put_rows`
      one generic selecting by row, and `acc + gps.put_rows(...)` (a
      gradient read by rows, summed) an extract_slice of each row of
      `acc`, an add and an insert_slice back, for an update in place;
    * `gps.noise` becomes a call to the runtime's Philox generator
      (`gps_rt_normal(out, key, stream, site, step)`), the site numbered by
      the sorted site names; the runtime derives the key of the pair
      (`gps_rt_noise_key`);
    * `gps.for` becomes `scf.for`, and a `!gps.tape<T x tensor<?xN>>`
      becomes a `tensor<Tx?xN>` written and read with slices.

    The patterns are public (`populateGPSToLinalgConversionPatterns`,
    include/gps/Conversion/GPSToLinalg.h).

    #### Input invariant

    The entry points of `gps-build-entries`: functions with a
    `gps.batch_arg` attribute whose bodies hold gps primitives on tensors.

    #### Output IR

    No gps op or type: `linalg`, `tensor`, `scf`, `arith`, `math` on
    tensors, with `memref.alloc` + `func.call @gps_rt_normal` for noise
    (with `inline-noise`, a `linalg.generic` computing each element's
    Philox4x32-10 block and Box-Muller value from its index instead: the
    same numbers, drawn where a GPU kernel can compute them).
  }];
  let options = [
    Option<"inlineNoise", "inline-noise", "bool", /*default=*/"false",
           "Compute the noise in the generated code, number for number the "
           "runtime's gps_rt_normal, instead of calling it">
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::arith::ArithDialect"];
}

def FusePass : Pass<"gps-fuse", "::mlir::func::FuncOp"> {
  let summary = "Fuse chains of elementwise linalg ops into one loop nest";
  let description = [{
    Fuses each elementwise `linalg.generic` into its consumer when it has no
    other user, so a chain such as `exp(0.5 * logvar) * eps + mean` becomes
    one `linalg.generic` (one loop nest, no intermediate tensors). A cheap
    producer (a few adds, multiplies, comparisons and selects: a bias add, a
    ReLU) with several `linalg.generic` users is fused into each, computed
    again there rather than written to memory and read back. A costlier
    producer with several users is fused into its first user when that
    user is elementwise, reads each point of the producer once (a
    permutation map) and comes before every other user in the block: the
    fused op also yields the producer's value, which the other users (a
    tape slot, a product, a later elementwise op) then read, so it is
    computed once and no loop nest is spent on it alone. Matrix products
    stay `linalg.matmul` for BLAS.

    Before that, `acc + P` where `P` is a `linalg.matmul` or a sum
    starting from a zero fill becomes `P` accumulating into `acc` (`P`
    moves down to the add when `acc` is a slice taken after it: a row of
    a gradient read by rows): a
    parameter's gradient summed over the steps of a loop is updated in place
    (BLAS `beta = 1`) rather than copied into a new tensor per step. After
    fusion, an op whose output is a `tensor.empty` (or a fill of one)
    defined in another block, or a fill of one shared with other ops (as CSE
    leaves them), gets its own next to it: a buffer of its block, which
    `gps-fold-copies` can compute in place, and for a product BLAS
    `beta = 0` rather than a fill and a copy. An empty tensor shared within
    one block stays shared: buffers are freed at the end of their block,
    and reusing a dead value's buffer keeps the peak lower.

    #### Input invariant

    The output of `convert-gps-to-linalg` (then canonicalize and CSE), on
    tensors.

    #### Output IR

    The same dialects, with fewer `linalg.generic`s and accumulating
    `linalg.matmul`s / reductions.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def ConvertLinalgToBlasPass : Pass<"convert-linalg-to-blas", "::mlir::ModuleOp"> {
  let summary = "Replace linalg.matmul on buffers by calls to BLAS sgemm";
  let description = [{
    After bufferization, each `linalg.matmul` on memrefs becomes a call to
    the runtime's `gps_rt_sgemm(transA, transB, alpha, A, B, beta, C)`
    (OpenBLAS `cblas_sgemm`), with the transposes read off its indexing
    maps. A zero `linalg.fill` of the output just before the product is
    folded into `beta = 0`.

    #### Input invariant

    Bufferized code (one-shot bufferization): `linalg.matmul` on memrefs
    whose innermost stride is 1.

    #### Output IR

    No `linalg.matmul`: `func.call @gps_rt_sgemm` on rank-2 memrefs, and the
    function's private declaration with `llvm.emit_c_interface`.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

def ApproximateMathPass : Pass<"gps-approximate-math"> {
  let summary = "Replace f32 exp, log, log1p and tanh of elementwise loops by "
                "polynomial approximations";
  let description = [{
    Rewrites `math.exp`, `math.log`, `math.log1p` and `math.tanh` on `f32`
    in the body of a `linalg.generic` whose innermost loop is parallel into
    arithmetic: range reduction plus a polynomial or rational approximation
    (MLIR's math polynomial approximations). The CPU code generator then
    vectorises those loops, where a call to libm per element kept them
    scalar. In a generic whose innermost loop is a reduction the loop stays
    scalar anyway (a float sum is not reordered), and there libm's call is
    the faster one, so those are left alone, as are other types and
    operations.

    The approximations are within about two float32 roundings of the exact
    function (test/unit/Pipelines/ApproximateMathTest.cpp measures them
    against libm over sweeps of inputs).

    #### Input invariant

    Linalg on buffers or tensors, before `convert-linalg-to-loops`.

    #### Output IR

    The selected `math` operations replaced by `arith` and `math.fma`
    operations; everything else unchanged.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect"];
}

def ConvertLinalgToGPUPass : Pass<"convert-linalg-to-gpu", "::mlir::ModuleOp"> {
  let summary = "Outline every loop nest on buffers into a GPU kernel";
  let description = [{
    The GPU counterpart of `convert-linalg-to-loops`: each `linalg` op on
    memrefs outside a kernel (after `gps-fuse`, one fused elementwise chain
    each) becomes one `gpu.func` in the module's `gpu.module @gps_kernels`
    and one `gpu.launch_func` where the op was. `memref.copy` is a copy
    kernel.

    - A nest with parallel loops runs one thread per point of its parallel
      iteration space (flattened, `block-size` threads per block); each
      thread runs the reduction loops, if any, in order.
    - A nest with only reduction loops whose body adds into its output (a
      sum: `yield addf(f(inputs), out)`) is a block-wide reduction: one
      block of `reduce-block-size` threads, each summing a strided share,
      combined by `gpu.all_reduce add`. Any other reduction runs on one
      thread, in order.

    Host code that still reads or writes a buffer element (`memref.load`,
    `memref.store` outside a kernel: the scalar tail of a loss) moves into a
    one-thread kernel together with the scalar arithmetic it needs, so that
    host code never touches device memory. A loaded value the host itself
    needs (a loop bound, a call argument) is an error. Buffers of index and
    i1 elements are the buffer deallocation's bookkeeping and stay on the
    host.

    #### Input invariant

    Bufferized code after `convert-linalg-to-blas`: linalg ops with pure
    buffer semantics whose bodies hold arith and math ops and
    `linalg.index`, `memref.copy`, `memref.load`/`memref.store` on host.

    #### Output IR

    No linalg op and no `memref.copy` outside `gpu.module @gps_kernels`;
    the module has the `gpu.container_module` attribute; host code keeps its
    loops, allocations and runtime calls and launches the kernels with
    `gpu.launch_func`.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per block of an elementwise kernel">,
    Option<"reduceBlockSize", "reduce-block-size", "int64_t",
           /*default=*/"1024",
           "Threads of the one block of a full reduction">,
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::affine::AffineDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect"];
}

def DeviceBuffersPass : Pass<"gps-device-buffers", "::mlir::ModuleOp"> {
  let summary = "Put the buffers of code launching GPU kernels on the device";
  let description = [{
    After `convert-linalg-to-gpu`: every buffer of float elements that the
    host code allocates becomes a device buffer (`gpu.alloc`,
    `gpu.dealloc`). The entry points' memref arguments are used in place
    when `in-place-arguments` is set: the caller passes memory the GPU can
    address (the trainer's buffers in CUDA managed memory, ParamMemory.h).
    Otherwise each entry point copies them, as host memory, into device
    buffers on entry (`gpu.memcpy`) and the ones it writes back before it
    returns. An argument counts as written when a kernel stores to it, when
    it is the output of an sgemm or noise call, or when it is passed to
    anything else.
    Calls of the runtime's host functions become calls of their device
    counterparts (`gps_rt_cuda_sgemm`, or with `tf32`
    `gps_rt_cuda_sgemm_tf32`; `gps_rt_cuda_normal`).

    #### Input invariant

    The output of `convert-linalg-to-gpu`: host code that only allocates,
    calls the runtime and launches kernels.

    #### Output IR

    Host code whose float buffers are all device buffers; `memref.alloc` is
    left only for the buffer deallocation's index and i1 bookkeeping.
  }];
  let options = [
    Option<"tf32", "tf32", "bool", /*default=*/"false",
           "Let cuBLAS round the products' inputs to TF32 on tensor cores "
           "(gps_rt_cuda_sgemm_tf32) instead of computing in FP32">,
    Option<"inPlaceArguments", "in-place-arguments", "bool",
           /*default=*/"false",
           "Use the entry points' memref arguments in place (the caller "
           "passes memory the GPU can address) instead of copying them in "
           "and out">
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::func::FuncDialect"];
}

def CaptureEntriesPass : Pass<"gps-capture-entries", "::mlir::ModuleOp"> {
  let summary = "Let the GPU runtime replay an entry point's work from a "
                "CUDA Graph";
  let description = [{
    After `gps-device-buffers`: a model entry point (train, eval,
    eval_primary, log_weights, sample, sample_steps, masks) whose host code only
    passes its last argument, `stream`, to kernels and calls no runtime
    function but the sgemm can have its GPU work recorded once in a CUDA
    Graph and replayed by later calls. Such an entry first calls
    `gps_rt_cuda_graph_begin(entry, signature, stream)`, where `entry`
    numbers the entry points of the module and `signature` hashes the
    addresses and sizes of the memref arguments and the other scalars (a
    graph recorded for one signature replays only for the same one); the
    call returns a device buffer holding `stream`, and each kernel that took
    `stream` as an operand loads it from that buffer instead (the runtime
    refreshes it before each replay). The entry is marked `gps.graph`.

    The entries without `stream` (grad_sumsq, adam, gather) get the same
    call, with 0 for it; the trainer records them, and masks, with the
    train entry as one training step (`gps_rt_cuda_step_begin`).

    The runtime (runtime/cuda/) runs the entry's first call with a
    signature as usual, records the second, and replays the graph for the
    calls after it, during which the host code still runs but enqueues
    nothing. An entry that computes with `stream` on the host or calls
    another runtime function (`gps_rt_cuda_normal` of `--noise=runtime`)
    is left as it is and always runs as usual.

    #### Input invariant

    The output of `gps-device-buffers` with `in-place-arguments`: a
    graph's replay reads the arguments where the recording found them.

    #### Output IR

    The same host code and kernels, `stream` read from the device.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::gpu::GPUDialect",
                           "::mlir::memref::MemRefDialect"];
}

def EmulateGPUPass : Pass<"gps-emulate-gpu", "::mlir::ModuleOp"> {
  let summary = "Run the GPU kernels as host loops, to check the GPU "
                "lowering on a machine without a GPU";
  let description = [{
    A test harness, not a target: it checks what `convert-linalg-to-gpu`
    and `gps-device-buffers` made of a model against the CPU's numbers on
    a machine with no GPU (`gpsc --target=cuda --emulate-gpu`). Each
    `gpu.launch_func` becomes loops over its blocks and their threads
    around a copy of the kernel's body, `gpu.block_id` and `gpu.thread_id`
    the loops' indices. A kernel whose body holds one `gpu.all_reduce add`
    (a block-wide sum) runs in two phases per block: every thread
    computes its operand into a buffer of the block's size, the buffer is
    summed in thread order, and every thread runs the rest of the body
    with that sum. Device allocations become host allocations filled with
    NaN (fresh device memory holds anything: a kernel that reads it before
    it is written shows in the numbers), deallocations and copies their
    host counterparts, and the runtime's device functions its host ones
    (`gps_rt_cuda_sgemm` and its TF32 form become `gps_rt_sgemm`,
    `gps_rt_cuda_normal` `gps_rt_normal`); a call of
    `gps_rt_cuda_graph_begin` (`gps-capture-entries`) becomes a host
    buffer holding the call's `stream`, which the kernels read. The
    `gpu.module` goes.

    Run one after another, a kernel's threads compute some answer even
    when they conflict, where a GPU would give whichever answer its
    scheduling gives, and an access out of bounds corrupts host memory
    silently. So the runtime checks both (Interface.h): each launch first
    calls `gps_rt_emu_launch` with its number in the module, each load and
    store of a kernel reports the element's address and the thread to
    `gps_rt_emu_access`, which stops the run when two threads of one
    launch touch an element and one of them writes it, and each failed
    `cf.assert` (the bounds checks `generate-runtime-verification` adds
    before this pass, to the kernels' accesses and to the host's views)
    calls `gps_rt_emu_fail` with the launch's number (-1 in host code) and
    the check's message. The race check knows no barrier: a thread that
    writes after the block-wide sum what another read before it is
    reported, though the sum orders the two (the kernels convert-linalg-to-gpu
    makes have no such access).

    #### Input invariant

    The output of `gps-device-buffers` (and `gps-capture-entries`):
    one-dimensional synchronous launches of a constant block of at most
    1024 threads (the kernel's `known_block_size`, if it has one), kernels
    of one block without workgroup or private memory whose only GPU
    operations are the indices (at the top of the body),
    `gpu.all_reduce add` of a float (at most one, at the top of the body,
    with nothing written before it) and `gpu.return`, and whose only
    memory accesses are loads and stores of integer and float elements.
    Anything else is an error.

    #### Output IR

    Host code only: no `gpu` operation and no `gpu.container_module`.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect"];
}

def MergeSiblingsPass : Pass<"gps-merge-siblings", "::mlir::func::FuncOp"> {
  let summary = "Run neighbouring loop nests over the same points as one";
  let description = [{
    After bufferization (and `gps-fold-copies`): two `linalg.generic` ops
    on buffers of one block, over the same loops (iterator types, and
    sizes that the operands' types, views and allocations show equal), of
    which neither may write what the other reads or writes, become one op
    that runs both bodies at each point and writes both ops' outputs, where
    the second was: one kernel on the GPU instead of two. The ops between
    them must be ops whose accesses are known (ops without memory effects,
    allocations, linalg ops, copies, the runtime's sgemm; at most 64) of
    which none may write what the first touches or touch what it writes,
    so that the first may move down to the second: the bias gradients of
    an LSTM's two layers, computed with products between them. Repeated, a run of such siblings
    (the six column sums of an LSTM's peephole gradients, the bias
    gradients of a layer's halves) becomes one. Each output's value is
    computed by the same operations in the same order as before, so the
    numbers do not change.

    Where two buffers may share memory is `gps-fold-copies`' analysis
    (BufferAliases.h): different allocations, arguments of an entry point,
    slices of one buffer that their types or offsets show apart. An op
    without a parallel loop (a sum over all of its points) stays alone: it
    is a block-wide reduction on the GPU only as an op with one output. A
    merged op has at most 32 operands (a kernel's arguments and registers
    grow with each).

    #### Input invariant

    Bufferized code: linalg ops with pure buffer semantics.

    #### Output IR

    The same, with fewer `linalg.generic` ops.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def FoldCopiesPass : Pass<"gps-fold-copies", "::mlir::func::FuncOp"> {
  let summary = "Compute a value in the buffer it is copied to";
  let description = [{
    After bufferization, a value the step computes into a fresh buffer and
    then copies into its place (a tape slot, a slice of the gradient, a
    block of a concatenation) is computed in its place. For a
    `memref.copy %src, %dst` where `%src` is a `memref.alloc` of the same
    block, every use of `%src` is in that block, those before the copy
    access it in place, element by element (an operand of a linalg op,
    of a load or store, of another copy, or, through a cast to the fully
    strided type it takes, of the runtime's sgemm), and those after it
    only read it (an input of a linalg op, a load, the source of a copy, a
    factor of the sgemm), the uses take `%dst` instead
    (its views cloned before the first, and its allocation moved up to
    the first when it is in the block and its sizes are available there:
    a concatenation allocated after its pieces), and the copy and the
    allocation go. A `memref.subview` of `%src` whose uses all come before
    the copy and access it in place is a piece of it: it is taken of
    `%dst` instead (a concatenation built in its tape slot). A use nested
    in an op of the block before the copy (an scf.for whose steps
    accumulate a gradient in place: a linalg op, a load or store, a copy,
    the sgemm through a cast) counts as that op's. Last, fills of one
    constant that run one after another (nothing between them but ops
    without memory effects), of contiguous views of one buffer whose
    static spans adjoin, become one fill of a `memref.reinterpret_cast` of
    the span; an allocation that is only ever filled goes with its fills. A fresh buffer holds nothing before it is written, so `%dst`'s old
    values may stand in for that. Only when nothing from the first use to
    the copy (but the uses through `%src`) may touch the memory `%dst` is
    a view of, and nothing from the copy to the last use may write it
    (reads of it there see the value copied): the roots of two memrefs are taken to be different buffers only
    when both are allocations, one is an allocation and the other an
    argument of the function, both are arguments of an entry point
    (`gps.batch_arg`; the buffers an entry writes alias nothing,
    Interface.h), or one of those is never carried by a loop or a branch,
    passed to a call that returns a buffer, or returned, and the other is a
    block argument; a result or iteration argument of an scf.for may only
    be its initial or yielded buffers; two views of one such root are apart when their types
    give static spans that do not overlap (the gradient's slices), or when
    both are `memref.subview`s of one buffer of identity layout whose index
    ranges are apart in some dimension where sizes and strides are static
    and the offsets differ by a constant (a concatenation's columns, for a
    batch of any size; a tape's slots t and t + 1). First, a copy of an
    allocation whose only contents are a `linalg.fill` of a constant (read
    everywhere else, never viewed) becomes that fill of the target. The
    values computed are the same, bit for bit.

    Last, a `linalg.fill` of zero whose buffer the runtime's sgemm then
    accumulates onto (beta = 1: a gradient's first contribution), nothing
    touching that memory in between (the same aliasing rules) and neither
    factor reaching it, goes, and the sgemm overwrites instead (beta = 0).
    The numbers are the same but for the sign of a zero (x + 0 turns -0
    into +0).

    #### Input invariant

    Bufferized code (after `one-shot-bufferize`), before the buffer
    deallocation pipeline.

    #### Output IR

    The same, with fewer `memref.copy`, `memref.alloc` and `linalg.fill`
    ops.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

def ElideHostWaitsPass : Pass<"gps-elide-host-waits", "::mlir::func::FuncOp"> {
  let summary = "Drop the host synchronisations one stream makes unnecessary";
  let description = [{
    `gpu-async-region` makes every launch, allocation and copy asynchronous
    and puts a blocking `gpu.wait` (a host synchronisation) before each op
    with side effects it cannot see into (a call, a loop, a branch) and at
    the end of each region. The runtime has one stream (`mgpuStreamCreate`
    returns it every time; cuBLAS and the noise copies use it too), so the
    GPU runs the work in the order the host enqueues it whatever the host
    waits for; a wait is needed only where the host itself touches memory
    the GPU writes, and the host code of `convert-linalg-to-gpu` touches
    none: only the caller does, after the return. So this pass drops every
    blocking wait and waits once on the stream before each `func.return`.
    A training step then synchronises once, at its end, instead of at every
    matrix product and step. A function whose host code does read or write
    float buffers (a `memref.load`, `store` or `copy` of float elements, a
    call other than `gps_rt_cuda_sgemm` and `gps_rt_cuda_normal` taking
    one) is left as it is.

    #### Input invariant

    The output of `gpu-async-region` on the host code of
    `gps-device-buffers`.

    #### Output IR

    The same, with one blocking `gpu.wait` (on a new token of the one
    stream) before each return and no other.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

#endif // GPS_DIALECT_GPS_GPSPASSES_TD
