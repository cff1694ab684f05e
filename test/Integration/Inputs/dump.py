#!/usr/bin/env python3
"""Checks a trainer's update dump (GPS_TRAINER_DUMP_UPDATE), for the
integration tests.

  dump.py check DUMP.safetensors METRICS.jsonl
      Prints the dump's tensors (name and shape, in file order) and
      metadata, then checks it against the record of METRICS (written with
      --log-every 1) of the dumped update (its `step` is the dump's stream): `terms` against the record's total_cost, nll_term
      and kld_q2p, and the norm of the `grad.` tensors against grad_norm.
      With a `mask`, also prints how many elements of each row are missing.
"""
import json
import math
import struct
import sys


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + size])
    metadata = header.pop("__metadata__", {})
    body = data[8 + size:]
    tensors = []
    for name, entry in sorted(header.items(),
                              key=lambda item: item[1]["data_offsets"][0]):
        begin, end = entry["data_offsets"]
        values = struct.unpack("<%df" % ((end - begin) // 4), body[begin:end])
        tensors.append((name, entry["shape"], values))
    return tensors, metadata


def close(a, b, rtol):
    return abs(a - b) <= rtol * max(abs(a), abs(b), 1e-30)


def main(argv):
    tensors, metadata = read(argv[2])
    with open(argv[3]) as f:
        records = [json.loads(line) for line in f]
    record = next(r for r in records if r["step"] == int(metadata["stream"]))
    for name, shape, _ in tensors:
        print("tensor %s %s" % (name, "x".join(map(str, shape))))
    for key in sorted(metadata):
        print("meta %s %s" % (key, metadata[key]))
    values = {name: v for name, _, v in tensors}
    names = json.loads(metadata["terms"])
    terms = dict(zip(names, values["terms"]))
    for term, column in (("objective", "total_cost"), ("nll", "nll_term"),
                         ("kl(q||p)", "kld_q2p")):
        ok = close(terms[term], record[column], 1e-6)
        print("%s %s" % (term, "matches" if ok else "DIFFERS: %r vs %r" %
                         (terms[term], record[column])))
    norm = math.sqrt(sum(g * g for name, _, v in tensors
                         if name.startswith("grad.") for g in v))
    ok = close(norm, record["grad_norm"], 1e-4)
    print("grad_norm %s" % ("matches" if ok else "DIFFERS: %r vs %r" %
                            (norm, record["grad_norm"])))
    if "mask" in values:
        _, shape, mask = next(t for t in tensors if t[0] == "mask")
        rows, cols = shape
        missing = {cols - int(sum(mask[r * cols:(r + 1) * cols]))
                   for r in range(rows)}
        print("missing per row %s" % sorted(missing))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
