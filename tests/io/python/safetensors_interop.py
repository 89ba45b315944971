"""Safetensors files exchanged between modyn and the format's reference
implementation (safetensors from PyPI), for tests/io/pytorch.cpp.

    python safetensors_interop.py read DIR    # check the files modyn wrote in DIR
    python safetensors_interop.py write DIR   # write files for modyn to check

Every tensor holds values of one formula, which tests/io/pytorch.cpp computes
too (expected_entry there): for n elements, element i is
  floats:   (i - 5) * 0.375
  signed:   (i * 37 + 11) % 100 - 50
  unsigned: (i * 37 + 11) % 100
  bool:     i % 3 == 0
then, for n >= 2, element 0 is the dtype's lowest and element n - 1 its
largest finite value, and for floats with n >= 4, element 1 is +inf and
element 2 the smallest positive subnormal. Exits non-zero, saying why, on
the first difference.
"""

import json
import struct
import sys

import numpy as np

# name -> (safetensors dtype, shape); the same table as TENSORS in pytorch.cpp.
TENSORS = {
    "f32": ("F32", (2, 3, 4)),
    "f64": ("F64", (3, 4)),
    "f16": ("F16", (12,)),
    "bf16": ("BF16", (4, 3)),
    "i8": ("I8", (2, 2, 3)),
    "i16": ("I16", (12,)),
    "i32": ("I32", (3, 4)),
    "i64": ("I64", (2, 6)),
    "u8": ("U8", (3, 4)),
    "u16": ("U16", (12,)),
    "u32": ("U32", (1, 12)),
    "u64": ("U64", (6, 2)),
    "bool": ("BOOL", (3, 4)),
    "f32_scalar": ("F32", ()),
    "f32_empty": ("F32", (0, 3)),
    "i64_rank4": ("I64", (1, 2, 3, 2)),
}

# Dtypes that plain numpy and torch 1.13 lack.
NOT_IN_NUMPY = {"BF16"}
NOT_IN_TORCH = set() if hasattr(__import__("torch"), "uint16") else {"U16", "U32", "U64"}

NUMPY = {
    "F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2",
    "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1",
    "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "u1",
}


def bf16_bits_to_f32(bits):
    return (np.asarray(bits, dtype=np.uint32) << 16).view(np.float32)


def float_limits(dtype):
    """(lowest, largest, smallest subnormal) of a float dtype, as float64."""
    if dtype == "BF16":
        largest = float(bf16_bits_to_f32([0x7F7F])[0])
        return -largest, largest, float(bf16_bits_to_f32([0x0001])[0])
    info = np.finfo(NUMPY[dtype])
    return float(info.min), float(info.max), float(info.smallest_subnormal)


def expected(dtype, shape):
    """The formula's values: a numpy array of the dtype (float32 for BF16)."""
    n = int(np.prod(shape, dtype=np.int64))
    i = list(range(n))
    if dtype in ("F64", "F32", "F16", "BF16"):
        v = [(k - 5) * 0.375 for k in i]
        lowest, largest, subnormal = float_limits(dtype)
        if n >= 2:
            v[0], v[-1] = lowest, largest
        if n >= 4:
            v[1], v[2] = float("inf"), subnormal
        return np.array(v, dtype=np.float32 if dtype == "BF16" else NUMPY[dtype]).reshape(shape)
    if dtype == "BOOL":
        return np.array([k % 3 == 0 for k in i], dtype=bool).reshape(shape)
    info = np.iinfo(NUMPY[dtype])
    v = [(k * 37 + 11) % 100 - (50 if info.min < 0 else 0) for k in i]
    if n >= 2:
        v[0], v[-1] = int(info.min), int(info.max)
    return np.array(v, dtype=NUMPY[dtype]).reshape(shape)


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def same(what, got, want):
    if tuple(got.shape) != tuple(want.shape):
        fail(f"{what}: shape {tuple(got.shape)}, expected {tuple(want.shape)}")
    if got.dtype != want.dtype:
        fail(f"{what}: dtype {got.dtype}, expected {want.dtype}")
    if not np.array_equal(got, want):
        fail(f"{what}: values\n{got}\nexpected\n{want}")


def torch_as_numpy(t):
    import torch

    return t.float().numpy() if t.dtype == torch.bfloat16 else t.numpy()


def plain_read(path):
    """A reader with numpy and json only, from the format's description."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    if (8 + n) % 8 != 0:
        fail(f"{path}: the data starts at byte {8 + n}, not a multiple of 8")
    header = json.loads(data[8 : 8 + n].decode("utf-8"))
    body = data[8 + n :]
    metadata = header.pop("__metadata__", {})
    tensors, covered = {}, []
    for name, info in header.items():
        dtype, shape, (begin, end) = info["dtype"], tuple(info["shape"]), info["data_offsets"]
        size = np.dtype(NUMPY[dtype]).itemsize
        if begin % size != 0:
            fail(f"{path}: '{name}' starts at data byte {begin}, not aligned for {dtype}")
        if end - begin != size * int(np.prod(shape, dtype=np.int64)):
            fail(f"{path}: '{name}' has {end - begin} bytes for {dtype} {shape}")
        raw = np.frombuffer(body[begin:end], dtype=NUMPY[dtype]).reshape(shape)
        if dtype == "BF16":
            raw = bf16_bits_to_f32(raw)
        elif dtype == "BOOL":
            if raw.size and raw.max() > 1:
                fail(f"{path}: '{name}' has a bool byte other than 0 or 1")
            raw = raw.astype(bool)
        tensors[name] = (dtype, raw)
        covered.append((begin, end))
    position = 0
    for begin, end in sorted(covered):
        if begin != position:
            fail(f"{path}: data bytes {position} to {begin} belong to no tensor")
        position = end
    if position != len(body):
        fail(f"{path}: {len(body) - position} trailing bytes")
    return tensors, metadata


def read(directory):
    """Checks every.safetensors and common.safetensors, written by modyn."""
    import torch
    from safetensors import safe_open
    from safetensors.numpy import load_file as np_load_file
    from safetensors.torch import load_file as pt_load_file

    every = f"{directory}/every.safetensors"
    common = f"{directory}/common.safetensors"

    # The plain reader: every dtype.
    tensors, metadata = plain_read(every)
    if set(tensors) != set(TENSORS):
        fail(f"plain reader: keys {sorted(tensors)}, expected {sorted(TENSORS)}")
    if "modyn.version" not in metadata:
        fail(f"plain reader: no modyn.version in the metadata {metadata}")
    for name, (dtype, shape) in TENSORS.items():
        got_dtype, got = tensors[name]
        if got_dtype != dtype:
            fail(f"plain reader: '{name}' is {got_dtype}, expected {dtype}")
        same(f"plain reader: '{name}'", got, expected(dtype, shape))

    # The reference implementation, tensor by tensor, for each framework;
    # only the dtypes a framework lacks are refused.
    for framework, lacking in (("np", NOT_IN_NUMPY), ("pt", NOT_IN_TORCH)):
        with safe_open(every, framework=framework) as f:
            if f.metadata().get("modyn.version") is None:
                fail(f"safe_open({framework}): no modyn.version in the metadata {f.metadata()}")
            if set(f.keys()) != set(TENSORS):
                fail(f"safe_open({framework}): keys {sorted(f.keys())}")
            for name, (dtype, shape) in TENSORS.items():
                if dtype in lacking:
                    continue
                t = f.get_tensor(name)
                got = t if framework == "np" else torch_as_numpy(t)
                same(f"safe_open({framework}): '{name}'", got, expected(dtype, shape))
                if framework == "pt" and dtype == "BF16" and t.dtype != torch.bfloat16:
                    fail(f"safe_open(pt): '{name}' is {t.dtype}")

    # load_file of both bindings, on a file of the dtypes numpy and torch 1.13 have.
    names = [n for n, (d, _) in TENSORS.items() if d not in {"BF16", "U16", "U32", "U64"}]
    loaded_np = np_load_file(common)
    loaded_pt = pt_load_file(common)
    for loaded, binding in ((loaded_np, "numpy"), (loaded_pt, "torch")):
        if set(loaded) != set(names):
            fail(f"safetensors.{binding}.load_file: keys {sorted(loaded)}, expected {sorted(names)}")
    for name in names:
        dtype, shape = TENSORS[name]
        same(f"safetensors.numpy.load_file: '{name}'", loaded_np[name], expected(dtype, shape))
        same(f"safetensors.torch.load_file: '{name}'", torch_as_numpy(loaded_pt[name]), expected(dtype, shape))
    print(f"read: {len(TENSORS)} tensors checked by the plain reader and safe_open, {len(names)} by load_file")


def write(directory):
    """numpy.safetensors (safetensors.numpy.save_file: every numpy dtype) and
    torch.safetensors (safetensors.torch.save_file: every torch dtype)."""
    import torch
    from safetensors.numpy import save_file as np_save_file
    from safetensors.torch import save_file as pt_save_file

    TORCH = {
        "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
        "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
        "U8": torch.uint8, "BOOL": torch.bool,
    }
    for name in ("U16", "U32", "U64"):
        if name not in NOT_IN_TORCH:
            TORCH[name] = getattr(torch, name.replace("U", "uint"))

    np_tensors = {n: expected(d, s) for n, (d, s) in TENSORS.items() if d not in NOT_IN_NUMPY}
    np_save_file(np_tensors, f"{directory}/numpy.safetensors", metadata={"writer": "numpy"})
    pt_tensors = {}
    for n, (d, s) in TENSORS.items():
        if d in TORCH:
            # torch.from_numpy has no bfloat16: BF16 goes through float32 (exact).
            pt_tensors[n] = torch.from_numpy(expected(d, s).copy()).to(TORCH[d])
    pt_save_file(pt_tensors, f"{directory}/torch.safetensors", metadata={"writer": "torch"})
    with open(f"{directory}/torch_dtypes.txt", "w") as f:
        f.write(" ".join(sorted(pt_tensors)))
    print(f"write: {len(np_tensors)} tensors with numpy, {len(pt_tensors)} with torch")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("read", "write"):
        fail("usage: safetensors_interop.py read|write DIR")
    {"read": read, "write": write}[sys.argv[1]](sys.argv[2])
