"""Creation functions with PyTorch's signatures (argument parsing only; the work is in C++)."""
import builtins

import numpy as np

from . import _C
from ._C import Tensor
from ._device import device as _device

_NUMPY_OF = {"bool": np.bool_, "uint8": np.uint8, "int32": np.int32, "int64": np.int64,
             "float32": np.float32, "float64": np.float64}


def _sizes(size):
    if len(size) == 1 and not isinstance(size[0], builtins.int):
        return tuple(size[0])
    return tuple(size)


def _infer_numpy(data, dtype):
    """data as a NumPy array with torch.tensor's dtype inference."""
    if isinstance(data, np.ndarray):
        arr = data
    else:
        if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in data):
            data = [x.detach().cpu().numpy() if isinstance(x, Tensor) else x for x in data]
        arr = np.asarray(data)
        if arr.dtype == np.float64 and dtype is None and not isinstance(data, np.generic):
            arr = arr.astype(_NUMPY_OF[str(_C.get_default_dtype()).split(".")[1]])
    if dtype is not None:
        arr = arr.astype(_NUMPY_OF[str(dtype).split(".")[1]])
    elif arr.dtype.kind in "iu" and arr.dtype != np.uint8 and arr.dtype != np.int32:
        arr = arr.astype(np.int64)
    elif arr.dtype.kind == "f" and arr.dtype.itemsize < 4:
        arr = arr.astype(np.float32)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"[tensor] can't convert data of NumPy dtype {arr.dtype} to a tensor")
    return arr


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new tensor holding a copy of data (numbers, nested lists, NumPy arrays, tensors)."""
    if isinstance(data, Tensor):
        out = data.detach().clone()
        out = out if dtype is None else out.to(dtype)
    else:
        out = _C.from_numpy(np.array(_infer_numpy(data, dtype), copy=True, order="C"))
    if device is not None:
        out = out._to_device(_dev(device))
    if requires_grad:
        out.requires_grad_(True)
    return out


def as_tensor(data, dtype=None, device=None):
    """Like tensor(), but shares memory with a NumPy array or tensor when dtypes and devices allow."""
    if isinstance(data, Tensor):
        out = data if dtype is None else data.to(dtype)
        return out if device is None else out.to(device)
    if isinstance(data, np.ndarray) and (dtype is None or _NUMPY_OF[str(dtype).split(".")[1]] == data.dtype):
        out = _C.from_numpy(data)
        return out if device is None else out._to_device(_dev(device))
    return tensor(data, dtype=dtype, device=device)


def _dev(device):
    """None (the CPU) or the device's string for _C; nd.device validates it."""
    return None if device is None else str(_device(device))


def empty(*size, dtype=None, device=None, requires_grad=False):
    return _C._empty(_sizes(size), dtype, requires_grad, _dev(device))


def zeros(*size, dtype=None, device=None, requires_grad=False):
    return _C._zeros(_sizes(size), dtype, requires_grad, _dev(device))


def ones(*size, dtype=None, device=None, requires_grad=False):
    return _C._ones(_sizes(size), dtype, requires_grad, _dev(device))


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    return _C._full(tuple(size), fill_value, dtype, requires_grad, _dev(device))


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    return _C._arange(start, end, step, dtype, requires_grad, _dev(device))


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    return _C._linspace(builtins.float(start), builtins.float(end), steps, dtype, requires_grad, _dev(device))


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    return _C._eye(n, m, dtype, requires_grad, _dev(device))


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    return _C._rand(_sizes(size), generator, dtype, requires_grad, _dev(device))


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    return _C._randn(_sizes(size), generator, dtype, requires_grad, _dev(device))


def randint(low, high=None, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    if high is None:
        raise TypeError("[randint] missing 'size'")
    return _C._randint(low, high, tuple(size), generator, dtype, requires_grad, _dev(device))


def randperm(n, generator=None, dtype=None, device=None, requires_grad=False):
    return _C._randperm(n, generator, dtype, requires_grad, _dev(device))


def empty_like(input, dtype=None, device=None, requires_grad=False):
    return empty(input.shape, dtype=dtype or input.dtype, device=device or input.device, requires_grad=requires_grad)


def zeros_like(input, dtype=None, device=None, requires_grad=False):
    return zeros(input.shape, dtype=dtype or input.dtype, device=device or input.device, requires_grad=requires_grad)


def ones_like(input, dtype=None, device=None, requires_grad=False):
    return ones(input.shape, dtype=dtype or input.dtype, device=device or input.device, requires_grad=requires_grad)


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False):
    return full(input.shape, fill_value, dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad)


def rand_like(input, dtype=None, device=None, requires_grad=False, generator=None):
    return rand(input.shape, generator=generator, dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad)


def randn_like(input, dtype=None, device=None, requires_grad=False, generator=None):
    return randn(input.shape, generator=generator, dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad)


def from_dlpack(ext_tensor):
    """A tensor sharing memory with any object implementing __dlpack__ (or a DLPack capsule)."""
    if hasattr(ext_tensor, "__dlpack__"):
        device_type, _ = ext_tensor.__dlpack_device__()
        if device_type not in (1, 2):  # kDLCPU, kDLCUDA
            raise ValueError(f"[from_dlpack] only CPU and CUDA tensors are supported, got DLPack device type {device_type}")
        # nativedl queues CUDA work on the legacy default stream (DLPack's stream 1).
        capsule = ext_tensor.__dlpack__(stream=1) if device_type == 2 else ext_tensor.__dlpack__()
        return _C._from_dlpack_capsule(capsule)
    return _C._from_dlpack_capsule(ext_tensor)
