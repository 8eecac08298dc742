"""Tensor methods that only parse arguments or format output (the numerics are in C++)."""
import numpy as np

from . import _C
from ._C import Tensor, dtype as _dtype
from ._device import device
from ._size import Size

_CPU = device("cpu")

_DEFAULT_DTYPES = ("nativedl.float32", "nativedl.int64", "nativedl.bool")


def _shape(self):
    return Size(self._shape())


def _size(self, dim=None):
    return Size(self._shape()) if dim is None else self._shape()[dim if dim >= 0 else dim + self.ndim]


def _to(self, *args, **kwargs):
    """to(dtype), to(device), to(other), to(device, dtype): returns self when nothing changes."""
    target, dev = kwargs.get("dtype"), kwargs.get("device")
    for a in args:
        if isinstance(a, _dtype):
            target = a
        elif isinstance(a, Tensor):
            target, dev = a.dtype, a.device
        else:
            dev = a
    out = self
    if dev is not None and not _on(self, device(dev)):
        out = out._to_device(str(device(dev)))
    if target is not None and target != out.dtype:
        out = out._to_dtype(target)
    return out


def _on(t, d):
    """Whether t already lives on device d ('cuda' without an index means the current device, 0)."""
    here = t.device
    return here.type == d.type and (d.type == "cpu" or (d.index or 0) == here.index)


def _device(self):
    return device(self._device())


def _cuda(self, device=None):  # noqa: F811 (PyTorch's argument name)
    return self.to("cuda" if device is None else f"cuda:{device}" if isinstance(device, int) else device)


def _host(self):
    """The values on the host (for printing and conversions), without autograd history."""
    t = self.detach()
    return t._to_device("cpu") if t.is_cuda else t


def _format_values(arr):
    """PyTorch's number formatting: '1.', '1.5000', or scientific when magnitudes call for it."""
    if arr.dtype == np.bool_:  # PyTorch pads to the widest word: tensor([ True, False])
        width = 4 if arr.all() else 5
        return np.array2string(arr, separator=", ", formatter={"bool": lambda v: f"{v!s:>{width}}"})
    if arr.dtype.kind in "iu":
        return np.array2string(arr, separator=", ")
    finite = np.abs(arr[np.isfinite(arr)])
    nonzero = finite[finite != 0]
    if finite.size and np.all(finite == np.round(finite)) and (finite.max() < 1e8):
        fmt = lambda v: f"{v:.0f}." if np.isfinite(v) else str(v)  # noqa: E731
    elif nonzero.size and (nonzero.max() / nonzero.min() > 1000.0 or nonzero.max() > 1e8 or nonzero.min() < 1e-4):
        fmt = lambda v: f"{v:.4e}"  # noqa: E731
    else:
        fmt = lambda v: f"{v:.4f}"  # noqa: E731
    return np.array2string(arr, separator=", ", formatter={"float_kind": fmt}, threshold=1000, edgeitems=3)


def _repr(self):
    arr = _host(self).numpy()
    body = _format_values(arr).replace("\n", "\n       ")
    extras = []
    if self.numel() == 0 and self.ndim != 1:
        extras.append(f"size={tuple(self.shape)}")
    if self.is_cuda:
        extras.append(f"device='{self._device()}'")
    if repr(self.dtype) not in _DEFAULT_DTYPES:
        extras.append(f"dtype={self.dtype!r}")
    if self.grad_fn is not None:
        extras.append(f"grad_fn=<{self.grad_fn.name()}>")
    elif self.requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + e for e in extras) + ")"


def _tolist(self):
    return _host(self).numpy().tolist()


def _len(self):
    if self.ndim == 0:
        raise TypeError("len() of a 0-d tensor")
    return self._shape()[0]


def _iter(self):
    if self.ndim == 0:
        raise TypeError("iteration over a 0-d tensor")
    return iter(self.unbind(0))


def _bool(self):
    if self.numel() != 1:
        raise RuntimeError(f"[bool] Boolean value of Tensor with {self.numel()} values is ambiguous")
    return bool(self.item())


def _array(self, dtype=None, copy=None):
    arr = self.numpy()
    return arr if dtype is None else arr.astype(dtype, copy=False)


def _deepcopy(self, memo):
    """A leaf copy with its own memory, keeping requires_grad."""
    out = self.detach().clone()
    return out.requires_grad_(True) if self.requires_grad else out


def _rebuild_tensor(array, requires_grad):
    return _C.from_numpy(array).requires_grad_(requires_grad)


def _reduce(self):
    """Pickling (DataLoader workers, multiprocessing): the values as a NumPy array, plus requires_grad."""
    return _rebuild_tensor, (_host(self).numpy().copy(), self.requires_grad)


def _new(factory):
    def method(self, *size, dtype=None, device=None, requires_grad=False):
        return factory(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)
    return method


def _install():
    from . import _creation as c
    methods = {
        "shape": property(_shape), "size": _size, "to": _to, "__repr__": _repr, "__str__": _repr,
        "tolist": _tolist, "__len__": _len, "__iter__": _iter, "__bool__": _bool, "__array__": _array,
        "__float__": lambda self: float(self.item()), "__int__": lambda self: int(self.item()),
        "__index__": lambda self: int(self.item()) if self.dtype.is_floating_point is False else
        (_ for _ in ()).throw(TypeError("only integer tensors can be converted to an index")),
        "float": lambda self: self.to(_dtype.float32), "double": lambda self: self.to(_dtype.float64),
        "long": lambda self: self.to(_dtype.int64), "int": lambda self: self.to(_dtype.int32),
        "bool": lambda self: self.to(_dtype.bool), "byte": lambda self: self.to(_dtype.uint8),
        "type_as": lambda self, other: self.to(other.dtype),
        "is_floating_point": lambda self: self.dtype.is_floating_point,
        "device": property(_device), "cuda": _cuda, "cpu": lambda self: self.to(_CPU),
        "data": property(lambda self: self.detach(), lambda self, v: self._set_data(v.detach())),
        "new_zeros": _new(c.zeros), "new_ones": _new(c.ones), "new_empty": _new(c.empty),
        "new_full": lambda self, size, v, dtype=None, device=None: c.full(size, v, dtype=dtype or self.dtype,
                                                                          device=device or self.device),
        "new_tensor": lambda self, data, dtype=None, device=None: c.tensor(data, dtype=dtype or self.dtype,
                                                                           device=device or self.device),
        "__array_priority__": 1000, "__deepcopy__": _deepcopy, "__reduce__": _reduce,
    }
    for name, m in methods.items():
        setattr(Tensor, name, m)


_install()
