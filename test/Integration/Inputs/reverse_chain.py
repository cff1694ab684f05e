#!/usr/bin/env python3
"""Checks of test/Integration/reverse-chain-exact.gps: a primary that runs a
stationary Gaussian AR(1) chain forward, z0 ~ N(0, I), z_t ~ N(A z_{t-1},
S), x ~ N(A z_T, S) with A^2 + S = 1, and a fixed guide that runs the same
chain backward from the data, z_T ~ N(A x, S), z_{t-1} ~ N(A z_t, S). A
stationary Gaussian chain is reversible, so the guide is the primary's
exact posterior: log p(x, z) - log q(z | x) = log p(x) = log N(x; 0, I) for
every draw, whatever T. The training bound (nll plus the path-wise KL, by
Monte Carlo) and the importance-weighted bound of any K are then -log p(x)
exactly, with no spread over draws.

  reverse_chain.py data FILE          writes 40 examples (IDX, [40, 3] bytes)
  reverse_chain.py check EVAL.json    compares eval with -mean log p(x)
"""
import json
import math
import struct
import sys

LO, HI = -4.0, 4.0                # the data's range in the model
N, DIM = 40, 3


def examples():
    """Byte rows, deterministic."""
    return [[(37 * n + 91 * d + 13 * n * d) % 256 for d in range(DIM)]
            for n in range(N)]


def value(byte):
    return LO + (HI - LO) * byte / 255.0


def neg_log_px(row):
    return sum(0.5 * math.log(2 * math.pi) + 0.5 * value(b) ** 2 for b in row)


def main(argv):
    if argv[1] == "data":
        with open(argv[2], "wb") as f:
            f.write(bytes([0, 0, 8, 2]) + struct.pack(">II", N, DIM))
            f.write(bytes(b for row in examples() for b in row))
        return 0
    if argv[1] == "check":
        report = json.load(open(argv[2]))
        guided, iw = report["guided"], report["iw"]
        exact = sum(neg_log_px(row) for row in examples()) / N
        bound = guided["nll"] + guided["kl(q||p)"]
        steps = sum(v for k, v in guided.items() if k.startswith("kl(q||p)["))
        # float32 arithmetic in the model: a few 1e-6 of the values.
        ok = (abs(bound - exact) < 1e-4 and abs(iw["bound"] - exact) < 1e-4
              and abs(iw["mean_neg_log_w"] - exact) < 1e-4
              and iw["draw_sd"] < 1e-4)
        print(f"nll + kl(q||p) {bound:.6f} (of which the loop's sites "
              f"{steps:.6f}), iw bound {iw['bound']:.6f} (K = {iw['k']}), "
              f"exact -log p(x) {exact:.6f}, spread of log w over draws "
              f"{iw['draw_sd']:.2g}")
        print("the bound is -log p(x)" if ok else "the bound is not -log p(x)")
        return 0 if ok else 1
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
