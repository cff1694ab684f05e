#!/usr/bin/env python3
"""PyTorch peers of the examples: the equal-work check and the timed run.

  peer.py check --model M --dump FILE [--steps T]
      Loads a gps trainer's update dump (GPS_TRAINER_DUMP_UPDATE: the batch,
      its masks, the parameters, the compiled gradient and terms, the seed
      and stream), recomputes the objective and gradient in PyTorch with the
      same weights and gps's own noise (gpsnoise.py), on both GEMM paths in
      float32 and on the BLAS path in float64, and prints one JSON object:
      the largest differences from gps per term and over the gradients.

  peer.py bench --model M --batch B --updates N --threads K --gemm blas|mkldnn
                [--steps T] [--data FILE] [--device cuda [--compile] [--tf32]]
      Trains N Adam updates (gps's defaults: lr 2e-4, betas 0.9, 0.999,
      eps 1e-8) on Fashion-MNIST and prints one JSON object with the
      seconds of each update (batch, masks, forward, backward, Adam). On
      the GPU (--device cuda) each update is timed to its completion
      (torch.cuda.synchronize), the objective is compiled with
      torch.compile(mode="max-autotune") under --compile, cuBLAS may use
      TF32 under --tf32 (FP32 otherwise), and the object adds the GPU
      memory peak and the GPU operations (kernels, copies, fills) of one
      more update, counted by torch.profiler.

Runs under PyTorch 1.13 (Debian 12) and 2.x.
"""

import argparse
import gzip
import json
import os
import resource
import struct
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gpsnoise  # noqa: E402
import safetensors_io  # noqa: E402


def _torch(threads):
    # The thread count must be fixed before torch starts its pools.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    import torch
    torch.set_num_threads(threads)
    return torch


# ----------------------------------------------------------------------------
# check
# ----------------------------------------------------------------------------

def _compare(a, b):
    """(max |a - b|, max |a - b| / max |b|) over one tensor or scalar."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    diff = float(np.max(np.abs(a - b))) if a.size else 0.0
    scale = float(np.max(np.abs(b))) if b.size else 0.0
    return diff, (diff / scale if scale > 0 else diff)


def check(args):
    torch = _torch(args.threads)
    import models
    tensors, meta = safetensors_io.read(args.dump)
    name = meta["model"]
    if name != args.model and not name.startswith(args.model):
        raise SystemExit("peer.py: dump is of model '%s', not '%s'" % (name, args.model))
    seed, stream = int(meta["seed"]), int(meta["stream"])
    term_names = json.loads(meta["terms"])
    gps_terms = dict(zip(term_names, tensors["terms"].tolist()))
    params = {k[len("param."):]: v for k, v in tensors.items() if k.startswith("param.")}
    grads = {k[len("grad."):]: v for k, v in tensors.items() if k.startswith("grad.")}
    x_np = tensors["x"]
    mask_np = tensors.get("mask")
    rows = x_np.shape[0]

    results = {}
    for label, gemm, dtype in (("float32/blas", "blas", torch.float32),
                               ("float32/mkldnn", "mkldnn", torch.float32),
                               ("float64/blas", "blas", torch.float64)):
        model = models.build(args.model, gemm, dtype, steps=args.steps)
        missing = set(model.names) ^ set(params)
        if missing:
            raise SystemExit("peer.py: parameters differ: %s" % sorted(missing))
        model.load_gps(params)
        sites = model.sites

        def noise(site, step, r, cols, dtype=dtype):
            eps = gpsnoise.normal(seed, stream, sites[site], step, r, cols)
            return torch.from_numpy(eps).to(dtype)

        x = torch.from_numpy(x_np).to(dtype)
        mask = torch.from_numpy(mask_np).to(dtype) if mask_np is not None else None
        terms = model.terms(x, mask, noise)
        terms["objective"].backward()
        peer_grads = model.grads_gps()
        row = {"terms": {}, "grad_max_abs": 0.0, "grad_max_rel": 0.0,
               "grad_worst": None}
        for term, value in terms.items():
            if term in gps_terms:
                diff, rel = _compare(float(value), gps_terms[term])
                row["terms"][term] = {"gps": gps_terms[term], "peer": float(value),
                                      "abs": diff, "rel": rel}
        for pname in model.names:
            diff, rel = _compare(peer_grads[pname], grads[pname])
            row["grad_max_abs"] = max(row["grad_max_abs"], diff)
            if rel >= row["grad_max_rel"]:
                row["grad_max_rel"], row["grad_worst"] = rel, pname
        results[label] = row

    # The float32 peer against float64: what float rounding alone gives.
    print(json.dumps({"model": args.model, "batch": rows, "seed": seed,
                      "stream": stream, "torch": torch.__version__,
                      "results": results}))


# ----------------------------------------------------------------------------
# bench
# ----------------------------------------------------------------------------

def _load_idx_bytes(path):
    """An IDX(.gz) image file as a uint8 array [count, rows * cols]."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        blob = f.read()
    magic, count = struct.unpack(">II", blob[:8])
    dims = [struct.unpack(">I", blob[8 + 4 * i:12 + 4 * i])[0]
            for i in range((magic & 0xFF) - 1)]
    offset = 8 + 4 * len(dims)
    size = int(np.prod(dims))
    return np.frombuffer(blob, dtype=np.uint8, offset=offset,
                         count=count * size).reshape(count, size)


def bench(args):
    torch = _torch(args.threads)
    import models
    cuda = args.device == "cuda"
    if cuda and not torch.cuda.is_available():
        raise SystemExit("peer.py: --device cuda, but PyTorch sees no GPU")
    if (args.compile or args.tf32) and not cuda:
        raise SystemExit("peer.py: --compile and --tf32 are for --device cuda")
    if args.compile and not hasattr(torch, "compile"):
        raise SystemExit("peer.py: --compile needs PyTorch 2 (this is %s)" %
                         torch.__version__)
    device = torch.device(args.device)
    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = args.tf32
        torch.backends.cudnn.allow_tf32 = args.tf32
    torch.manual_seed(args.seed)
    model = models.build(args.model, args.gemm, torch.float32,
                         steps=args.steps).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=2e-4, betas=(0.9, 0.999),
                           eps=1e-8)
    # The data stays bytes; each batch is scaled to [0, 1] (gps: lo + (hi -
    # lo) * byte / 255) or, for bits data, binarised once up front.
    images = torch.from_numpy(_load_idx_bytes(args.data).copy())
    if args.model == "lstm_gen":
        gen = torch.Generator().manual_seed(4)
        images = (torch.rand(images.shape, generator=gen) <
                  images.float() / 255.0).to(torch.uint8) * 255
    images = images.to(device)
    count = images.shape[0]
    order = torch.randperm(count, device=device)
    position = 0
    b = args.batch

    def next_batch():
        nonlocal order, position
        if position + b > count:
            order, position = torch.randperm(count, device=device), 0
        idx = order[position:position + b]
        position += b
        return images.index_select(0, idx).float().mul_(1.0 / 255.0)

    mask_spec = model.mask
    rows_cols = None
    if mask_spec is not None:
        _, side, h, w = mask_spec
        rows_cols = (torch.arange(h, device=device).view(1, h, 1),
                     torch.arange(w, device=device).view(1, 1, w))

    def next_masks():
        # MAR: a side x side square of missing pixels (0) at a uniform position.
        _, side, h, w = mask_spec
        top = torch.randint(0, h - side + 1, (b, 1, 1), device=device)
        left = torch.randint(0, w - side + 1, (b, 1, 1), device=device)
        r, c = rows_cols
        hole = (r >= top) & (r < top + side) & (c >= left) & (c < left + side)
        return (~hole).float().view(b, h * w)

    def noise(site, step, r, cols):
        return torch.randn(r, cols, device=device)

    def objective(x, m):
        return model.terms(x, m, noise)
    if args.compile:
        objective = torch.compile(objective, mode="max-autotune")

    def sync():
        if cuda:
            torch.cuda.synchronize()

    skipped = 0

    def update():
        nonlocal skipped
        x = next_batch()
        m = next_masks() if mask_spec is not None else None
        opt.zero_grad(set_to_none=True)
        terms = objective(x, m)
        terms["objective"].backward()
        # As gps's --on-nan skip (bench/run): a non-finite objective leaves
        # the parameters alone; the work of the update is the same.
        if torch.isfinite(terms["objective"]):
            opt.step()
        else:
            skipped += 1
        return terms

    seconds = []
    terms_first = None
    sync()
    for u in range(args.updates):
        start = time.perf_counter()
        terms = update()
        sync()
        seconds.append(time.perf_counter() - start)
        if terms_first is None:
            terms_first = {k: float(v) for k, v in terms.items()}
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result = {
        "model": args.model, "batch": b, "steps": getattr(model, "steps", 0),
        "gemm": args.gemm, "threads": args.threads, "torch": torch.__version__,
        "device": args.device, "compiled": args.compile, "tf32": args.tf32,
        "update_seconds": seconds, "first_terms": terms_first, "skipped": skipped,
        "max_rss_kb": usage.ru_maxrss}
    if cuda:
        result["max_gpu_bytes"] = torch.cuda.max_memory_allocated()
        from torch.profiler import ProfilerActivity, profile
        with profile(activities=[ProfilerActivity.CUDA]) as prof:
            update()
            sync()
        result["gpu_ops_per_update"] = sum(
            1 for e in prof.events() if e.device_type.name == "CUDA")
    print(json.dumps(result))


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("check")
    c.add_argument("--model", required=True, choices=["vae", "gpsi_add", "lstm_gen"])
    c.add_argument("--dump", required=True)
    c.add_argument("--steps", type=int, default=None)
    c.add_argument("--threads", type=int, default=1)
    r = sub.add_parser("bench")
    r.add_argument("--model", required=True, choices=["vae", "gpsi_add", "lstm_gen"])
    r.add_argument("--batch", type=int, required=True)
    r.add_argument("--updates", type=int, default=10)
    r.add_argument("--threads", type=int, default=2)
    r.add_argument("--gemm", choices=["blas", "mkldnn"], default="blas")
    r.add_argument("--steps", type=int, default=None)
    r.add_argument("--seed", type=int, default=1)
    r.add_argument("--data", default="/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")
    r.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    r.add_argument("--compile", action="store_true")
    r.add_argument("--tf32", action="store_true")
    args = parser.parse_args()
    {"check": check, "bench": bench}[args.command](args)


if __name__ == "__main__":
    main()
