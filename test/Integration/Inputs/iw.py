#!/usr/bin/env python3
"""Checks of the importance-weighted bound (trainer eval --iw), for the
integration tests.

  iw.py agree EVAL.json SIGMAS
      The mean of -log w over the draws (an unbiased Monte Carlo estimate of
      nll + kl(q||p)) agrees with eval's guided nll + kl(q||p) (closed-form
      KLs, one draw for nll) within SIGMAS standard errors of their
      difference: sqrt(sd^2 / n + sd^2 / (n K)), sd the spread of -log w
      over the draws of one example (draw_sd). The first term bounds the
      Monte Carlo error of eval's one-draw estimate (whose KL part has no
      noise), the second is that of the K-draw mean.
  iw.py tighter A.json B.json
      The bound of B (more draws) is below the bound of A.

The rest is for test/Integration/iw-exact-posterior.gps, a linear-Gaussian
model whose guide is its exact posterior.

The model: z ~ N(0, I_2); x_i ~ N(a_i z_i + c_i, s_i) for i = 1, 2 and
x_i ~ N(c_i, s_i) for i = 3, 4 (net dec = affine(2 -> gauss(4))). Its
posterior is q(z_i | x) = N((a_i / s_i)(x_i - c_i) / P_i, 1 / P_i) with
P_i = 1 + a_i^2 / s_i, affine in x (net enc = affine(4 -> gauss(2))). With
the guide equal to the posterior, log w = log p(x, z) - log q(z | x) =
log p(x) whatever z was drawn: every log w_k of an example is its exact
log-likelihood, and so is the bound for any K.

  iw.py data FILE               writes 40 examples (IDX, [40, 4] bytes)
  iw.py set CHECKPOINT          sets the parameters (the file in place)
  iw.py check EVAL.json FILE    compares eval --iw with -mean log p(x)
"""
import json
import math
import struct
import sys

A = [1.5, -0.8]
C = [0.3, -0.2, 0.5, 0.1]
S = [0.5, 0.3, 1.2, 0.7]          # variances of x given z
LO, HI = -4.0, 4.0                # the data's range in the model
N, DIM = 40, 4


def examples():
    """Byte rows, deterministic."""
    return [[(37 * n + 91 * d + 13 * n * d) % 256 for d in range(DIM)]
            for n in range(N)]


def value(byte):
    # float32 arithmetic aside, as Dataset::row scales a pixel.
    return LO + (HI - LO) * byte / 255.0


def log_normal(x, mean, var):
    return -0.5 * (math.log(2 * math.pi * var) + (x - mean) ** 2 / var)


def log_px(row):
    x = [value(b) for b in row]
    total = 0.0
    for i in range(DIM):
        var = S[i] + (A[i] ** 2 if i < 2 else 0.0)
        total += log_normal(x[i], C[i], var)
    return total


def parameters():
    # affine(n -> gauss(m)): w is [n, 2m] (means, then log-variances), b [2m].
    dec_w = [[0.0] * 8 for _ in range(2)]
    dec_w[0][0], dec_w[1][1] = A
    dec_b = C + [math.log(s) for s in S]
    enc_w = [[0.0] * 4 for _ in range(4)]
    enc_b = [0.0] * 4
    for i in range(2):
        p = 1 + A[i] ** 2 / S[i]
        enc_w[i][i] = A[i] / S[i] / p
        enc_b[i] = -A[i] * C[i] / S[i] / p
        enc_b[2 + i] = -math.log(p)
    flat = lambda rows: [v for row in rows for v in row]
    return {"dec.l0.w": flat(dec_w), "dec.l0.b": dec_b,
            "enc.l0.w": flat(enc_w), "enc.l0.b": enc_b}


def set_checkpoint(path):
    with open(path, "rb") as f:
        data = bytearray(f.read())
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + size])
    base = 8 + size
    for name, values in parameters().items():
        begin, end = header[name]["data_offsets"]
        assert end - begin == 4 * len(values), name
        data[base + begin:base + end] = struct.pack("<%df" % len(values),
                                                    *values)
    with open(path, "wb") as f:
        f.write(data)


def main(argv):
    if argv[1] == "data":
        with open(argv[2], "wb") as f:
            f.write(bytes([0, 0, 8, 2]) + struct.pack(">II", N, DIM))
            f.write(bytes(b for row in examples() for b in row))
        return 0
    if argv[1] == "set":
        set_checkpoint(argv[2])
        return 0
    if argv[1] == "agree":
        report = json.load(open(argv[2]))
        guided, iw = report["guided"], report["iw"]
        n, k, sd = report["examples"], iw["k"], iw["draw_sd"]
        exact = guided["nll"] + guided["kl(q||p)"]
        sigma = math.sqrt(sd ** 2 / n + sd ** 2 / (n * k))
        diff = iw["mean_neg_log_w"] - exact
        print(f"nll + kl(q||p) {exact:.4f}, mean -log w {iw['mean_neg_log_w']:.4f} "
              f"(K = {k}); difference {diff:.4f} = {diff / sigma:.2f} sigma "
              f"(sigma {sigma:.4f})")
        ok = abs(diff) <= float(argv[3]) * sigma
        print("agree" if ok else "disagree")
        return 0 if ok else 1
    if argv[1] == "tighter":
        a, b = (json.load(open(path))["iw"] for path in argv[2:4])
        print(f"K = {a['k']}: {a['bound']:.4f} +- {a['bound_stderr']:.4f}; "
              f"K = {b['k']}: {b['bound']:.4f} +- {b['bound_stderr']:.4f}")
        ok = b["bound"] < a["bound"]
        print("tighter" if ok else "not tighter")
        return 0 if ok else 1
    if argv[1] == "check":
        iw = json.load(open(argv[2]))["iw"]
        exact = -sum(log_px(row) for row in examples()) / N
        # float32 arithmetic in the model: a few 1e-6 of the values.
        ok = (abs(iw["bound"] - exact) < 1e-4 and
              abs(iw["mean_neg_log_w"] - exact) < 1e-4 and
              iw["draw_sd"] < 1e-4)
        print(f"k {iw['k']}: bound {iw['bound']:.6f}, mean -log w "
              f"{iw['mean_neg_log_w']:.6f}, exact -log p(x) {exact:.6f}, "
              f"spread of log w over draws {iw['draw_sd']:.2g}")
        print("log w is log p(x)" if ok else "log w is not log p(x)")
        return 0 if ok else 1
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
