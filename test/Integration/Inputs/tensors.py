#!/usr/bin/env python3
"""Compares the tensors of two trainer checkpoints (safetensors files), for
the integration tests.

  tensors.py compare A.safetensors B.safetensors PREFIX...
      For each tensor of A whose name starts with one of the prefixes
      (parameters, or the Adam moments 'adam.m.' and 'adam.v.'), prints
      'same NAME' when B holds the same bytes and 'moved NAME' otherwise,
      in name order.
  tensors.py zero A.safetensors PREFIX...
      Prints 'zero NAME' or 'nonzero NAME' for each tensor of A with one of
      the prefixes.
  tensors.py options A.safetensors
      Prints the run's settings (the metadata 'options'), one 'key=value'
      line per setting in key order, values as JSON.
  tensors.py meta A.safetensors KEY
      Prints the metadata KEY (e.g. 'manifest').
"""
import json
import struct
import sys


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + size])
    header.pop("__metadata__", None)
    body = data[8 + size:]
    return {name: body[entry["data_offsets"][0]:entry["data_offsets"][1]]
            for name, entry in header.items()}


def selected(tensors, prefixes):
    return sorted(name for name in tensors
                  if any(name.startswith(p) for p in prefixes))


def main(argv):
    if argv[1] == "compare":
        a, b = read(argv[2]), read(argv[3])
        for name in selected(a, argv[4:]):
            print(("same " if a[name] == b.get(name) else "moved ") + name)
        return 0
    if argv[1] == "zero":
        a = read(argv[2])
        for name in selected(a, argv[3:]):
            print(("zero " if a[name] == bytes(len(a[name])) else "nonzero ")
                  + name)
        return 0
    if argv[1] == "options":
        with open(argv[2], "rb") as f:
            data = f.read()
        (size,) = struct.unpack("<Q", data[:8])
        options = json.loads(json.loads(data[8:8 + size])["__metadata__"]["options"])
        for key in sorted(options):
            print("%s=%s" % (key, json.dumps(options[key])))
        return 0
    if argv[1] == "meta":
        with open(argv[2], "rb") as f:
            data = f.read()
        (size,) = struct.unpack("<Q", data[:8])
        print(json.loads(data[8:8 + size])["__metadata__"][argv[3]])
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
