//===- GPSTypes.td - gps dialect enums, attributes and types -*- tablegen -*-===//
//
// Enums, attributes and types of the gps dialect.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_DIALECT_GPS_GPSTYPES_TD
#define GPS_DIALECT_GPS_GPSTYPES_TD

include "gps/Dialect/GPS/GPSDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def GPS_Role : I32EnumAttr<"Role", "role of a policy", [
    I32EnumAttrCase<"primary", 0>,
    I32EnumAttrCase<"guide", 1>,
    I32EnumAttrCase<"impute", 2>]> {
  let cppNamespace = "::gps";
  let genSpecializedAttr = 0;
}

def GPS_DataKind : I32EnumAttr<"DataKind", "element domain of a data input", [
    I32EnumAttrCase<"real", 0>,
    I32EnumAttrCase<"bits", 1>]> {
  let cppNamespace = "::gps";
  let genSpecializedAttr = 0;
}

def GPS_MaskKind : I32EnumAttr<"MaskKind", "missing-data process", [
    I32EnumAttrCase<"mar", 0>,
    I32EnumAttrCase<"mcar", 1>]> {
  let cppNamespace = "::gps";
  let genSpecializedAttr = 0;
}

def GPS_InitKind : I32EnumAttr<"InitKind", "parameter initialiser", [
    I32EnumAttrCase<"zeros", 0>,
    I32EnumAttrCase<"ones", 1>,
    I32EnumAttrCase<"normal", 2>,
    I32EnumAttrCase<"glorot", 3>]> {
  let cppNamespace = "::gps";
  let genSpecializedAttr = 0;
}

def GPS_DistKind : I32EnumAttr<"DistKind", "distribution family", [
    I32EnumAttrCase<"gaussian", 0>,
    I32EnumAttrCase<"normal", 1>,
    I32EnumAttrCase<"bernoulli", 2>]> {
  let cppNamespace = "::gps";
  let genSpecializedAttr = 0;
}

// The values are those of gps::rt::contract::Term (runtime/include/gps/
// Runtime/Contract.h), which owns the terms' spellings in the manifest.
def GPS_TermKind : I32EnumAttr<"TermKind", "a term of the objective", [
    I32EnumAttrCase<"objective", 0>,
    I32EnumAttrCase<"nll", 1>,
    I32EnumAttrCase<"kl_qp", 2>,
    I32EnumAttrCase<"kl_pq", 3>,
    I32EnumAttrCase<"kl_p_normal", 4>,
    I32EnumAttrCase<"kl_q_normal", 5>]> {
  let cppNamespace = "::gps";
  let genSpecializedAttr = 0;
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

def GPS_TermAttr : AttrDef<GPS_Dialect, "Term"> {
  let mnemonic = "term";
  let summary = "a term of the objective, or its value at every step";
  let description = [{
    Names a value that a rollout or a loss function returns: the objective,
    `nll`, `kl_qp` (`kl(q || p)`), `kl_pq`, `kl_p_normal` or
    `kl_q_normal`. With `steps`, the value is a `tensor<Nxf32>` holding the
    term's batch mean at each step `first .. last` (N = last - first + 1),
    of the sample site `site` alone.

    ```mlir
    #gps.term<kl_qp>
    #gps.term<kl_qp, site "z", steps 1 to 16>
    ```
  }];
  let parameters = (ins EnumParameter<GPS_TermKind>:$kind,
                        OptionalParameter<"::mlir::StringAttr">:$site,
                        OptionalParameter<"std::optional<int64_t>">:$first,
                        OptionalParameter<"std::optional<int64_t>">:$last);
  let assemblyFormat =
      "`<` $kind (`,` `site` $site^)? (`,` `steps` $first^ `to` $last)? `>`";
  let builders = [
    AttrBuilder<(ins "TermKind":$kind), [{
      return $_get($_ctxt, kind, ::mlir::StringAttr(), std::nullopt,
                   std::nullopt);
    }]>,
    AttrBuilder<(ins "TermKind":$kind, "::llvm::StringRef":$site,
                     "int64_t":$first, "int64_t":$last), [{
      return $_get($_ctxt, kind, ::mlir::StringAttr::get($_ctxt, site), first,
                   last);
    }]>
  ];
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Whether this names a per-step record rather than one value.
    bool isPerStep() const { return getFirst().has_value(); }
    /// The number of steps of a per-step record.
    int64_t getNumSteps() const { return *getLast() - *getFirst() + 1; }
  }];
}

def GPS_TermArrayAttr : TypedArrayAttrBase<GPS_TermAttr, "terms">;

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

def GPS_DistType : TypeDef<GPS_Dialect, "Dist"> {
  let mnemonic = "dist";
  let summary = "a batch of distributions over R^N or {0,1}^N";
  let description = [{
    One distribution per batch row over an event of `size` elements:

    * `gaussian`: diagonal Gaussian given by its mean and log-variance;
    * `normal`: the standard normal N(0, I);
    * `bernoulli`: independent Bernoulli variables given by their logits.

    ```mlir
    !gps.dist<gaussian, 100>
    ```
  }];
  let parameters = (ins "::gps::DistKind":$kind, "int64_t":$size);
  let assemblyFormat = "`<` $kind `,` $size `>`";
  let genVerifyDecl = 1;
}

def GPS_TapeType : TypeDef<GPS_Dialect, "Tape"> {
  let mnemonic = "tape";
  let summary = "per-step storage of a forward value for the reverse pass";
  let description = [{
    `length` slots, one per step of a `gps.for`, each holding a value of type
    `element`. `gps-autodiff` pushes the loop-body values that the reversed
    loop needs and reads them back in reverse order.

    ```mlir
    !gps.tape<6 x tensor<?x100xf32>>
    ```
  }];
  let parameters = (ins "int64_t":$length, "::mlir::Type":$element);
  let assemblyFormat = "`<` $length `x` $element `>`";
  let genVerifyDecl = 1;
}

/// A batched vector: `tensor<?xNxf32>`, leading dimension the minibatch.
def GPS_BatchTensor : Type<
    And<[RankedTensorOf<[F32]>.predicate, CPred<"::gps::isBatchTensor($_self)">]>,
    "batched f32 tensor (tensor<?xNxf32>)", "::mlir::RankedTensorType">;

/// A parameter: a statically shaped f32 tensor of rank 1 or 2.
def GPS_ParamTensor : Type<
    And<[RankedTensorOf<[F32]>.predicate, CPred<"::gps::isParamTensor($_self)">]>,
    "static f32 tensor of rank 1 or 2", "::mlir::RankedTensorType">;

/// A batched or a parameter-shaped tensor.
def GPS_AnyTensor : AnyTypeOf<[GPS_BatchTensor, GPS_ParamTensor]>;

#endif // GPS_DIALECT_GPS_GPSTYPES_TD
