"""safetensors_io.py — a small F32-only safetensors writer and reader.

File layout (the same one nn/safetensors.h reads):
  8-byte little-endian header length n,
  n bytes of JSON {"name": {"dtype": "F32", "shape": [...], "data_offsets": [b, e]}, ...,
                   "__metadata__": {"key": "value", ...}}, padded with spaces to a multiple of 8,
  then the data block: little-endian float32, contiguous, tensors in header order.

Only numpy is needed; torch tensors are accepted by the writer via np.asarray.
"""

import json
import struct

import numpy as np


def write_safetensors(path, tensors, metadata=None):
    """Writes tensors (a list of (name, array) pairs or a dict, kept in order) as F32,
    with metadata (str -> str) under "__metadata__"."""
    items = list(tensors.items()) if isinstance(tensors, dict) else list(tensors)
    header = {}
    blobs = []
    offset = 0
    for name, value in items:
        if name == "__metadata__" or name in header:
            raise ValueError(f"{path}: bad or duplicate tensor name '{name}'")
        if hasattr(value, "detach"):  # a torch tensor
            value = value.detach().cpu().numpy()
        arr = np.ascontiguousarray(np.asarray(value, dtype="<f4"))
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{path}: tensor '{name}' has a non-finite value")
        data = arr.tobytes(order="C")
        header[name] = {
            "dtype": "F32",
            "shape": [int(s) for s in arr.shape],
            "data_offsets": [offset, offset + len(data)],
        }
        blobs.append(data)
        offset += len(data)
    meta = {}
    for key, val in (metadata or {}).items():
        if not isinstance(key, str) or not isinstance(val, str):
            raise ValueError(f"{path}: metadata must map str to str ({key!r})")
        meta[key] = val
    header["__metadata__"] = meta
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    text += b" " * ((-len(text)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for data in blobs:
            f.write(data)


def read_safetensors(path):
    """Reads an F32 safetensors file; returns (dict name -> float32 array, metadata dict).
    Checks that the data offsets tile the data block exactly, in header order."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: too short")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise ValueError(f"{path}: header length {n} beyond end of file")
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    meta = header.pop("__metadata__", {}) or {}
    out = {}
    expect = 0
    for name, info in header.items():
        if info["dtype"] != "F32":
            raise ValueError(f"{path}: tensor '{name}' has dtype {info['dtype']}, expected F32")
        begin, end = info["data_offsets"]
        shape = tuple(info["shape"])
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if begin != expect or end - begin != 4 * count:
            raise ValueError(f"{path}: tensor '{name}' has bad data_offsets [{begin},{end}]")
        out[name] = np.frombuffer(data[begin:end], dtype="<f4").reshape(shape).copy()
        expect = end
    if expect != len(data):
        raise ValueError(f"{path}: data block has {len(data)} bytes, tensors use {expect}")
    return out, meta
