#!/usr/bin/env python3
#===- fuzz/make-seeds.py - small valid inputs for the runtime fuzzers ------===#
#
# Writes the seed corpora of gps-idx-fuzzer, gps-safetensors-fuzzer and the
# hand-written part of gps-manifest-fuzzer's to fuzz/seeds/<target>/ (checked
# in; run again after changing a format). The manifests vae.json,
# gpsi_add.json and lstm_gen.json are the examples' own, as gpsc embeds them.
#
#===------------------------------------------------------------------------===#
import gzip
import json
import os
import struct

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")


def write(target, name, data):
    os.makedirs(os.path.join(root, target), exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(root, target, name), "wb") as f:
        f.write(data)


def idx(dims, payload):
    return bytes([0, 0, 8, len(dims)]) + b"".join(
        struct.pack(">I", d) for d in dims) + bytes(payload)


# gps-idx-fuzzer: the first byte is the mode (IdxFuzzer.cpp): bit 0 gzips
# the rest, bits 1-2 pick readIdx / images / 28x28 images / labels.
images = idx([2, 3, 3], range(0, 180, 10))
labels = idx([4], [0, 3, 9, 1])
mnist = idx([1, 28, 28], [i % 256 for i in range(784)])
write("idx", "images-raw", bytes([0]) + images)
write("idx", "images-zipped-by-target", bytes([1]) + images)
write("idx", "images-gz", bytes([2]) + gzip.compress(images, mtime=0))
write("idx", "mnist-28x28", bytes([4]) + mnist)
write("idx", "labels", bytes([6]) + labels)
write("idx", "labels-gz-two-members",
      bytes([6]) + gzip.compress(labels[:6], mtime=0) +
      gzip.compress(labels[6:], mtime=0))
write("idx", "rank0", bytes([0]) + idx([], [42]))
write("idx", "empty-array", bytes([0]) + idx([0, 28, 28], []))


def safetensors(tensors, metadata=None):
    """tensors: (name, dtype, shape, bytes)."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    offset = 0
    data = b""
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("<Q", len(text)) + text + data


f32 = lambda *v: struct.pack("<%df" % len(v), *v)
write("safetensors", "checkpoint.safetensors", safetensors(
    [("enc.l0.w", "F32", [2, 3], f32(1, 2, 3, 4, 5, 6)),
     ("adam.m.enc.l0.w", "F32", [2, 3], f32(*[0.0] * 6)),
     ("adam.v.enc.l0.w", "F32", [2, 3], f32(*[0.5] * 6))],
    {"format": "gps-trainer-checkpoint/1", "model": "vae", "step": "10",
     "window": "{\"n\":0}"}))
write("safetensors", "dtypes.safetensors", safetensors(
    [("a", "I64", [2], struct.pack("<2q", -1, 7)),
     ("b", "U32", [1, 1], struct.pack("<I", 5)),
     ("c", "U8", [3], bytes([1, 2, 3])),
     ("scalar", "F32", [], f32(3.5)),
     ("empty", "F32", [0, 4], b"")]))
write("safetensors", "no-tensors.safetensors", safetensors([], {}))
write("safetensors", "bare.safetensors", struct.pack("<Q", 2) + b"{}")

# gps-manifest-fuzzer: variants of the schema in docs/trainer.md.
base = {"abi": 2, "model": "m", "steps": 2,
        "data": {"name": "x", "kind": "bits", "dim": 16},
        "mask": {"name": "m", "kind": "mcar", "amount": 0.5},
        "params": [{"name": "w", "shape": [4, 4], "init": "normal",
                    "std": 0.1, "offset": 0, "net": "f",
                    "policies": ["primary", "guide"]},
                   {"name": "b", "shape": [4], "init": "ones", "offset": 16,
                    "policies": ["guide"]}],
        "param_count": 20,
        "terms": ["objective", "nll", "kl(q||p)", "kl(q||p)[z,1]",
                  "kl(q||p)[z,2]"]}
write("manifest", "mcar.json", json.dumps(base))
mar = dict(base, mask={"name": "m", "kind": "mar", "amount": 2,
                       "image": [2, 8]}, steps=0)
write("manifest", "mar-image.json", json.dumps(mar, indent=1))
bare = {"abi": 2, "model": "tiny", "data": {"name": "x", "kind": "real",
                                            "dim": 3, "lo": -1, "hi": 1},
        "params": [], "param_count": 0, "terms": ["objective"]}
write("manifest", "no-params.json", json.dumps(bare))
