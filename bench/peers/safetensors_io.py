"""A tiny safetensors reader (json + numpy), for when the package is absent."""

import json
import struct

import numpy as np

_DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64,
           "U32": np.uint32, "U8": np.uint8}


def read(path):
    """Returns ({name: numpy array}, {metadata key: string})."""
    with open(path, "rb") as f:
        blob = f.read()
    (length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + length].decode("utf-8"))
    metadata = header.pop("__metadata__", {}) or {}
    base = 8 + length
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        dtype = np.dtype(_DTYPES[info["dtype"]]).newbyteorder("<")
        array = np.frombuffer(blob, dtype=dtype, count=(end - begin) //
                              dtype.itemsize, offset=base + begin)
        tensors[name] = array.reshape(info["shape"]).astype(dtype.newbyteorder("="))
    return tensors, metadata
