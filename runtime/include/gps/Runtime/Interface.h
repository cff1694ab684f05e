//===- Interface.h - the gps compiler<->runtime contract --------*- C++ -*-===//
//
// Part of the gps project.
//
//===----------------------------------------------------------------------===//
//
// This header is the single owner of the ABI between code emitted by the gps
// compiler and the runtime library: the API version and magic checked at
// start-up, the memref descriptor layout, and every `gps_rt_*` symbol the
// lowering may call. It is plain C++17 (no MLIR/LLVM) so both sides can
// include it. Changing any layout or signature here requires bumping
// GPS_RUNTIME_API_VERSION.
//
//===----------------------------------------------------------------------===//

#ifndef GPS_RUNTIME_INTERFACE_H
#define GPS_RUNTIME_INTERFACE_H

#include <cstddef>
#include <cstdint>

/// Version of the compiler<->runtime ABI. Generated code passes the value it
/// was compiled against to gps_rt_check_abi (gps_model_check_abi). Version 2:
/// gps_rt_normal takes the site and the step and derives their key. Version
/// 3: gps_model_adam reads its coefficients and the clipping norm from
/// memory and guards the update itself; gps_model_gather and
/// gps_model_masks.
#define GPS_RUNTIME_API_VERSION 3u

/// Magic word ("GPSR" in ASCII) guarding against calling a foreign library.
#define GPS_RUNTIME_MAGIC 0x47505352u

/// Marks a symbol as part of the exported runtime ABI.
#if defined(_WIN32)
#define GPS_RT_EXPORT __declspec(dllexport)
#else
#define GPS_RT_EXPORT __attribute__((visibility("default")))
#endif

//===----------------------------------------------------------------------===//
// Memref descriptors
//===----------------------------------------------------------------------===//

/// A ranked memref descriptor with the same layout as MLIR's
/// `StridedMemRefType<T, Rank>` (mlir/ExecutionEngine/CRunnerUtils.h) and the
/// LLVM-dialect struct `{ptr, ptr, i64, array<Rank x i64>, array<Rank x i64>}`
/// that the memref-to-LLVM lowering produces.
template <typename T, int Rank> struct gps_memref {
  static_assert(Rank > 0, "rank-0 memrefs use the specialisation below");
  /// The pointer returned by the allocator (freed on deallocation).
  T *allocated;
  /// The aligned pointer that indexing starts from.
  T *aligned;
  /// Offset of element 0, in elements, from `aligned`.
  int64_t offset;
  /// Extent of each dimension.
  int64_t sizes[Rank];
  /// Stride of each dimension, in elements.
  int64_t strides[Rank];

  /// The element at the given multi-index.
  T &operator()(const int64_t (&index)[Rank]) const {
    int64_t linear = offset;
    for (int i = 0; i < Rank; ++i)
      linear += index[i] * strides[i];
    return aligned[linear];
  }
  /// Number of elements.
  int64_t numElements() const {
    int64_t n = 1;
    for (int i = 0; i < Rank; ++i)
      n *= sizes[i];
    return n;
  }
};

/// Rank-0 memref descriptor: `{ptr, ptr, i64}`, as `StridedMemRefType<T, 0>`.
template <typename T> struct gps_memref<T, 0> {
  T *allocated;
  T *aligned;
  int64_t offset;

  T &operator()() const { return aligned[offset]; }
  int64_t numElements() const { return 1; }
};

static_assert(sizeof(int64_t) == 8, "memref indices are i64");
static_assert(sizeof(gps_memref<float, 0>) == 2 * sizeof(void *) + 8,
              "rank-0 memref descriptor layout");
static_assert(sizeof(gps_memref<float, 1>) == 2 * sizeof(void *) + 8 + 2 * 8,
              "rank-1 memref descriptor layout");
static_assert(sizeof(gps_memref<float, 2>) == 2 * sizeof(void *) + 8 + 4 * 8,
              "rank-2 memref descriptor layout");
static_assert(sizeof(gps_memref<float, 4>) == 2 * sizeof(void *) + 8 + 8 * 8,
              "rank-4 memref descriptor layout");
/// An unranked memref descriptor `{i64 rank, ptr descriptor}`, as MLIR's
/// `UnrankedMemRefType`: `descriptor` points to a ranked descriptor of that
/// rank.
struct gps_unranked_memref {
  int64_t rank;
  void *descriptor;
};

/// Common instance, also named so offsetof can take it.
typedef gps_memref<float, 2> gps_memref_2d_f32;

static_assert(offsetof(gps_memref_2d_f32, aligned) == sizeof(void *),
              "aligned pointer follows the allocated pointer");
static_assert(offsetof(gps_memref_2d_f32, offset) == 2 * sizeof(void *),
              "offset follows the two pointers");
static_assert(offsetof(gps_memref_2d_f32, sizes) == 2 * sizeof(void *) + 8,
              "sizes follow the offset");
static_assert(offsetof(gps_memref_2d_f32, strides) ==
                  2 * sizeof(void *) + 8 + 2 * 8,
              "strides follow the sizes");

//===----------------------------------------------------------------------===//
// Runtime entry points
//===----------------------------------------------------------------------===//

extern "C" {

/// Checks that generated code and this runtime agree on the ABI. Generated
/// code (gps_model_check_abi) calls it first with the GPS_RUNTIME_API_VERSION
/// and GPS_RUNTIME_MAGIC it was compiled against; on any mismatch it prints
/// one line naming both values to stderr and exits with status 1.
GPS_RT_EXPORT void gps_rt_check_abi(uint32_t version, uint32_t magic);

/// The API version this runtime library was built with.
GPS_RT_EXPORT uint32_t gps_rt_api_version(void);

/// Fills `out[0..count)` with uniform floats in the open interval (0, 1) from
/// Philox4x32-10 with the 64-bit `key`. Element i is lane i % 4 of the block
/// at 64-bit counter `counter + i / 4` (counter words {lo, hi, 0, 0}), so a
/// caller that draws again should advance `counter` by ceil(count / 4).
/// Deterministic for a given (key, counter, count); `count <= 0` does nothing.
GPS_RT_EXPORT void gps_rt_philox_uniform_f32(float *out, int64_t count,
                                             uint64_t key, uint64_t counter);

/// Fills `out[0..count)` with standard normal floats (Box-Muller on the
/// uniforms of gps_rt_philox_uniform_f32: lanes (0,1) and (2,3) of each block
/// give two normals each). Same counter convention as the uniform variant.
GPS_RT_EXPORT void gps_rt_philox_normal_f32(float *out, int64_t count,
                                            uint64_t key, uint64_t counter);

/// Fills `out[0..count)` with standard normals like gps_rt_philox_normal_f32,
/// from a 128-bit counter: element block i / 4 uses counter words
/// {i/4 lo, i/4 hi, stream lo, stream hi}. Generated code gives every
/// (update, site, step) its own `stream`, so a draw is a pure function of
/// its coordinates and can be recomputed.
GPS_RT_EXPORT void gps_rt_philox_normal_stream_f32(float *out, int64_t count,
                                                   uint64_t key,
                                                   uint64_t stream);

//===--------------------------------------------------------------------===//
// Called by generated code (memref C interface)
//===--------------------------------------------------------------------===//

/// C = alpha * op(A) * op(B) + beta * C with op(X) = X or X^T, in row-major
/// strided memrefs (the unit stride must be the last one). Calls the GEMM
/// library the trainer links (Blas.h).
GPS_RT_EXPORT void _mlir_ciface_gps_rt_sgemm(int32_t transA, int32_t transB,
                                             float alpha,
                                             gps_memref<float, 2> *a,
                                             gps_memref<float, 2> *b,
                                             float beta,
                                             gps_memref<float, 2> *c);

/// The Philox key of the draws of sample site number `site` at step `step`
/// for the run's `seed`: seed + ((site << 32) | step) * 0x9E3779B97F4A7C15.
/// Multiplying by an odd constant is a bijection modulo 2^64, so for one seed
/// no two (site, step) pairs with site, step < 2^32 share a key (the language
/// allows at most 100,000 steps).
GPS_RT_EXPORT uint64_t gps_rt_noise_key(uint64_t seed, uint64_t site,
                                        uint64_t step);

/// Fills a rank-2 memref (any strides) with the standard normals of site
/// number `site` at step `step` (0 outside the step loop): those of
/// gps_rt_philox_normal_stream_f32 with key gps_rt_noise_key(seed, site, step)
/// on `stream`, in row-major order.
GPS_RT_EXPORT void _mlir_ciface_gps_rt_normal(gps_memref<float, 2> *out,
                                              uint64_t seed, uint64_t stream,
                                              uint64_t site, uint64_t step);

/// memref.copy between buffers that are not both contiguous: copies every
/// element of `src` to `dst` (same rank and sizes, any strides), each
/// `elemSize` bytes. The name is the one the memref-to-LLVM lowering calls.
GPS_RT_EXPORT void memrefCopy(int64_t elemSize, gps_unranked_memref *src,
                              gps_unranked_memref *dst);

/// Buffers of generated code come from an arena (the memref lowering's
/// generic allocation functions): a bump allocator that the trainer resets
/// after each call into the model, since no buffer outlives one call. A
/// freed buffer is kept for the next allocation of the same size and
/// alignment.
GPS_RT_EXPORT void *_mlir_memref_to_llvm_alloc(size_t size);
GPS_RT_EXPORT void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment,
                                                       size_t size);
GPS_RT_EXPORT void _mlir_memref_to_llvm_free(void *ptr);
/// Releases every arena buffer at once.
GPS_RT_EXPORT void gps_rt_arena_reset(void);
/// Bytes of the buffers allocated and not freed (alignment padding not
/// counted), and the high-water mark since the arena was made.
GPS_RT_EXPORT size_t gps_rt_arena_used(void);
GPS_RT_EXPORT size_t gps_rt_arena_peak(void);

/// The GPU emulation's checks (gpsc --target=cuda --emulate-gpu, a test
/// harness, EmulatedGPU.cpp). Generated code calls gps_rt_emu_launch before
/// the threads of each launch run, numbered `launch` in the module, and
/// gps_rt_emu_access before each of their accesses to a buffer element at
/// `address` by thread `thread` (global in the launch), `write` non-zero for
/// a store. An element one thread writes and another reads or writes in one
/// launch is a race: the run stops with one line naming the launch, the two
/// threads and the address.
GPS_RT_EXPORT void gps_rt_emu_launch(int64_t launch);
GPS_RT_EXPORT void gps_rt_emu_access(int64_t address, int64_t thread,
                                     int32_t write);
/// A failed bounds check of an emulated kernel in launch `launch`: prints
/// the check's message (`length` bytes at address `message`) and stops.
GPS_RT_EXPORT void gps_rt_emu_fail(int64_t launch, int64_t message,
                                   int64_t length);

} // extern "C"

//===----------------------------------------------------------------------===//
// Entry points of a compiled model (defined by generated code)
//===----------------------------------------------------------------------===//
//
// `gpsc model.gps -o trainer` emits an object defining the symbols below and
// links it with the runtime's trainer. Shapes, names and the parameter
// layout are in the manifest (docs/trainer.md):
//
//   gps_model_manifest()  JSON: model name, data (name, dim, kind, range),
//                         mask (kind, amount, image) or null, steps, the
//                         parameters (name, shape, init, offset into the
//                         flat parameter vector), param_count, and `terms`:
//                         the names of terms[0..] below.
//
// All parameters live in one flat float vector (offsets from the manifest),
// as do their gradients. `x` and `mask` are [batch, dim] row-major; models
// without a mask ignore `mask` (pass x again). `terms` receives the
// objective at index 0 and the batch means of the objective's terms after
// it. `key` is the seed; `stream` numbers the call (the update count), so
// every random draw is a pure function of (key, stream, site, step).
//
// The buffers an entry point writes (grads, terms, out) are distinct from
// each other and from its other arguments, which it only reads and which
// may be one buffer (x and mask, for a model without a mask):
// gps-fold-copies relies on it. The entry points of code compiled with
// --target=cuda use their memref arguments in place: every one must be
// memory the GPU can address (the trainer's SharedVectors, ParamMemory.h,
// in CUDA managed memory).
//
//   train:  guided rollout (q samples, p replays), terms, and d objective /
//           d params into `grads` (overwritten).
//   eval:   the same terms without gradients.
//   eval_primary (models with a mask only): the primary alone, unguided;
//           terms[0] = -log p(x.missing | known), the paper's imputation
//           result.
//   sample: rolls out the primary for each row of x/mask (x.known, m are
//           its only inputs), writes the mean of the observed site's
//           distribution (sigmoid of the logits) into `out` [batch, dim].
//   sample_steps (models whose primary has a step loop; the manifest's
//           `sample_steps` gives T): the same rollout as sample (the same
//           draws for the same key and stream), writing that mean
//           evaluated on the loop state after each step t = 1..T into
//           `out` [T * batch, dim], step-major: row (t - 1) * batch + b
//           is example b after step t. Its step T rows are sample's `out`.
//   log_weights (models that observe their data): one guided rollout, and
//           for each example b, into `out` [batch],
//           log w_b = log p(x_b, tau_b) - log q(tau_b | x_b) at the guide's
//           sampled trajectory tau_b (every latent site and step, plus the
//           observation): the summand of the importance-weighted bound.
//           Another `stream` draws another trajectory.
//   grad_sumsq: out[0] = the sum of the squares of `grads`, accumulated in
//           double (finite exactly when every element is: a finite
//           float's square cannot overflow a double's sum).
//   adam:   one Adam update of `params` and its moments `m` and `v` in
//           place: the runtime's elementwise operations in its order
//           (Adam.h), so the same numbers. `coefficients` holds the
//           learning rate, beta1, beta2, epsilon and the two bias
//           corrections (Contract.h's AdamCoefficient); the gradient is
//           scaled by clipGradNorm's scale for `clip` (none for clip <= 0)
//           from the norm sqrt(sum of `sums`), the grad_sumsq results of
//           the update's ranges. When that sum or one of `terms` is not
//           finite, nothing changes. The trainer passes views of the flat
//           vectors (a trainable range). Every number that changes between
//           updates is in memory, so the GPU half can replay one recording.
//   gather: out[r, d] = values[bytes[rows[r], d]]: the batch of the data
//           set's examples `rows` from its bytes (count x dim) and the
//           value of each byte (Dataset::row), so that the data set can
//           stay on the GPU.
//   masks (models with a mask only): the masks of training update
//           `stream`, the trainer's own (Masks.h): MCAR from
//           PhiloxStream(key, stream << 32), `corners` unused; MAR from the
//           top and left of each example's square in `corners` [batch, 2],
//           which the trainer draws (a sequential rejection sampler).

extern "C" {
const char *gps_model_manifest(void);
/// Calls gps_rt_check_abi with the ABI version and magic the model was
/// compiled against; a trainer calls it before anything else.
void gps_model_check_abi(void);
void _mlir_ciface_gps_model_train(gps_memref<float, 2> *x,
                                  gps_memref<float, 2> *mask,
                                  gps_memref<float, 1> *params,
                                  gps_memref<float, 1> *grads,
                                  gps_memref<float, 1> *terms, uint64_t key,
                                  uint64_t stream);
void _mlir_ciface_gps_model_eval(gps_memref<float, 2> *x,
                                 gps_memref<float, 2> *mask,
                                 gps_memref<float, 1> *params,
                                 gps_memref<float, 1> *terms, uint64_t key,
                                 uint64_t stream);
void _mlir_ciface_gps_model_eval_primary(gps_memref<float, 2> *x,
                                         gps_memref<float, 2> *mask,
                                         gps_memref<float, 1> *params,
                                         gps_memref<float, 1> *terms,
                                         uint64_t key, uint64_t stream);
void _mlir_ciface_gps_model_log_weights(gps_memref<float, 2> *x,
                                        gps_memref<float, 2> *mask,
                                        gps_memref<float, 1> *params,
                                        gps_memref<float, 1> *out,
                                        uint64_t key, uint64_t stream);
void _mlir_ciface_gps_model_sample(gps_memref<float, 2> *x,
                                   gps_memref<float, 2> *mask,
                                   gps_memref<float, 1> *params,
                                   gps_memref<float, 2> *out, uint64_t key,
                                   uint64_t stream);
void _mlir_ciface_gps_model_grad_sumsq(gps_memref<float, 1> *grads,
                                       gps_memref<double, 1> *out);
void _mlir_ciface_gps_model_adam(gps_memref<float, 1> *params,
                                 gps_memref<float, 1> *grads,
                                 gps_memref<float, 1> *m,
                                 gps_memref<float, 1> *v,
                                 gps_memref<float, 1> *coefficients,
                                 gps_memref<double, 1> *sums,
                                 gps_memref<float, 1> *terms, double clip);
void _mlir_ciface_gps_model_gather(gps_memref<uint8_t, 2> *bytes,
                                   gps_memref<float, 1> *values,
                                   gps_memref<int64_t, 1> *rows,
                                   gps_memref<float, 2> *out);
void _mlir_ciface_gps_model_masks(gps_memref<float, 2> *out,
                                  gps_memref<int64_t, 2> *corners, uint64_t key,
                                  uint64_t stream);
void _mlir_ciface_gps_model_sample_steps(gps_memref<float, 2> *x,
                                         gps_memref<float, 2> *mask,
                                         gps_memref<float, 1> *params,
                                         gps_memref<float, 2> *out,
                                         uint64_t key, uint64_t stream);
} // extern "C"

#endif // GPS_RUNTIME_INTERFACE_H
