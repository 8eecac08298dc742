"""Checkpoints: nativedl.save / nativedl.load in the safetensors format (no pickle: loading runs no code).

Tensors (and NumPy arrays) at any depth of dicts, lists and tuples go to the file's tensor section under
their path ("layer.weight", "state.0.exp_avg"); everything else (param groups, step counts, epoch, ...)
must be JSON-able and is kept, with the structure, in the header's metadata. The file stays a standard
safetensors file that other tools read, and a safetensors file from elsewhere loads as a dict of tensors.
Each tensor's CRC-32 is recorded too, so corruption inside tensor data is caught on load.
"""
import json
import os
import struct
import tempfile
import zlib

import numpy as np

from . import _C

__all__ = ["save", "load"]

_STRUCTURE_KEY = "nativedl.structure"
_CRC_KEY = "nativedl.crc32"
_CHUNK = 1 << 22  # bytes per write call


def _encode(obj, path, arrays):
    """obj as a JSON-able tree; tensors and arrays are moved to arrays under a name derived from path."""
    if isinstance(obj, (_C.Tensor, np.ndarray)):
        is_tensor = isinstance(obj, _C.Tensor)
        arr = obj.detach().cpu().numpy() if is_tensor else obj
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"[save] can't store the NumPy array at {'.'.join(path) or '<root>'} of dtype {arr.dtype}")
        base = name = ".".join(path) or "tensor"
        suffix = 1
        while name in arrays:  # a key containing '.' may collide with a nested path
            name, suffix = f"{base}#{suffix}", suffix + 1
        arrays[name] = np.array(arr, order="C", copy=not arr.flags.c_contiguous)  # keeps 0-d shapes
        return {"tensor" if is_tensor else "ndarray": name}
    if isinstance(obj, dict):
        for k in obj:
            if not isinstance(k, (str, int, float, bool)) and k is not None:
                raise TypeError(f"[save] dict key {k!r} at {'.'.join(path) or '<root>'} is not a str, number, "
                                f"bool or None")
        return {"dict": [[k, _encode(v, path + [str(k)], arrays)] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        items = [_encode(v, path + [str(i)], arrays) for i, v in enumerate(obj)]
        return {"tuple" if isinstance(obj, tuple) else "list": items}
    if isinstance(obj, np.generic):
        obj = obj.item()
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return {"value": obj}
    raise TypeError(f"[save] can't store {type(obj).__name__} at {'.'.join(path) or '<root>'}: a checkpoint holds "
                    f"tensors, NumPy arrays, numbers, strings, bools, None, and dicts/lists/tuples of them")


def _decode(node, arrays, used, name, device=None):
    """Inverse of _encode; raises ValueError on anything _encode could not have written. Tensors go to
    `device` (None: the CPU)."""
    if not isinstance(node, dict) or len(node) != 1:
        raise ValueError(f"[load] {name}: malformed structure entry {node!r:.80}")
    (kind, v), = node.items()
    if kind in ("tensor", "ndarray"):
        if v not in arrays:
            raise ValueError(f"[load] {name}: the structure refers to tensor {v!r}, which the file does not hold")
        used.add(v)
        return _tensor(arrays[v], device) if kind == "tensor" else arrays[v]
    if kind == "dict":
        return {k: _decode(x, arrays, used, name, device) for k, x in v}
    if kind in ("list", "tuple"):
        items = [_decode(x, arrays, used, name, device) for x in v]
        return tuple(items) if kind == "tuple" else items
    if kind == "value":
        return v
    raise ValueError(f"[load] {name}: unknown structure entry kind {kind!r}")


def _tensor(arr, device):
    t = _C.from_numpy(arr)
    return t if device is None else t._to_device(device)


def _crc(arr):
    return zlib.crc32(arr.reshape(-1).view(np.uint8)) if arr.size else 0


def _serialize(obj):
    from safetensors.numpy import save as st_save
    arrays = {}
    structure = _encode(obj, [], arrays)
    metadata = {"format": "nativedl", _STRUCTURE_KEY: json.dumps(structure),
                _CRC_KEY: json.dumps({k: _crc(a) for k, a in arrays.items()})}
    return st_save(arrays, metadata=metadata)


def _write_chunks(f, data):
    view = memoryview(data)
    for start in range(0, len(view), _CHUNK):
        f.write(view[start:start + _CHUNK])


def _fsync_dir(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # platforms without directory handles: the rename is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def save(obj, f):
    """Writes obj (a state_dict, or nested dicts/lists of tensors and JSON-able values) to f.

    A path is written atomically: to a temporary file in the same directory, fsynced, then renamed over f,
    so an interrupted save leaves any previous checkpoint at f intact. A writable binary file object is
    written directly.
    """
    data = _serialize(obj)
    if hasattr(f, "write"):
        _write_chunks(f, data)
        return
    path = os.fspath(f)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            _write_chunks(out, data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(directory)


def _header(data, name):
    """The file's JSON header, after checking that the bytes can be a safetensors file at all."""
    if len(data) < 8:
        raise ValueError(f"[load] {name} is not a checkpoint: {len(data)} bytes is too short for a safetensors file")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise ValueError(f"[load] {name} is truncated or not a checkpoint: its header claims {n} bytes, "
                         f"the file has {len(data) - 8} after the length field")
    try:
        header = json.loads(bytes(data[8:8 + n]).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"[load] {name} is corrupted or not a checkpoint: unreadable header ({e})") from None
    if not isinstance(header, dict):
        raise ValueError(f"[load] {name} is corrupted or not a checkpoint: the header is not a JSON object")
    return header


def load(f, map_location=None, *, weights_only=True):
    """Reads what save wrote (or any safetensors file, as a dict name -> tensor) from a path or file object.

    Raises ValueError naming the file when it is truncated, corrupted or not a checkpoint. Nothing in the
    file is executed, so weights_only is accepted for PyTorch scripts and changes nothing; map_location is
    a device ('cpu', 'cuda:0', nd.device) that every tensor is loaded onto.
    """
    device = None
    if map_location is not None:
        from ._device import device as _device
        device = str(_device(map_location))
        _C.from_numpy(np.zeros(0, np.float32))._to_device(device)  # an unusable device fails before any work
    from safetensors import SafetensorError
    from safetensors.numpy import load as st_load
    if hasattr(f, "read"):
        data, name = f.read(), repr(getattr(f, "name", f))
    else:
        with open(f, "rb") as fh:
            data = fh.read()
        name = repr(os.fspath(f))
    header = _header(data, name)
    try:
        arrays = st_load(bytes(data))
    except SafetensorError as e:
        raise ValueError(f"[load] {name} is truncated or corrupted: {e}") from None
    meta = header.get("__metadata__") or {}
    try:
        crcs = json.loads(meta[_CRC_KEY]) if _CRC_KEY in meta else {}
        structure = json.loads(meta[_STRUCTURE_KEY]) if _STRUCTURE_KEY in meta else None
    except json.JSONDecodeError as e:
        raise ValueError(f"[load] {name} is corrupted: unreadable nativedl metadata ({e})") from None
    bad = [k for k, c in crcs.items() if k not in arrays or _crc(arrays[k]) != c]
    if bad or (crcs and len(crcs) != len(arrays)):
        raise ValueError(f"[load] {name} is corrupted: tensor data does not match its checksum "
                         f"({', '.join(map(repr, bad[:5])) or 'tensor list differs'})")
    if structure is None:  # a flat state_dict, in the file's order
        return {k: _tensor(arrays[k], device) for k in header if k != "__metadata__"}
    used = set()
    obj = _decode(structure, arrays, used, name, device)
    if used != set(arrays):
        raise ValueError(f"[load] {name} is corrupted: tensors {sorted(set(arrays) - used)[:5]} are not in its "
                         f"structure")
    return obj
