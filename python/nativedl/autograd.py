"""nativedl.autograd: grad(), backward(), grad-mode switches and gradcheck."""
import functools

import numpy as np

from . import _C
from ._C import Tensor


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False):
    """Accumulates the gradients of tensors (summed, weighted by grad_tensors) into leaves."""
    _C._backward(tensors, grad_tensors, create_graph if retain_graph is None else retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """The gradients of outputs with respect to inputs, as a tuple (None for unused inputs if allowed)."""
    return _C._grad(outputs, inputs, grad_outputs, create_graph if retain_graph is None else retain_graph,
                    create_graph, allow_unused)


class RemovableHandle:
    """Returned by register_hook; remove() unregisters the hook."""

    def __init__(self, remover):
        self._remover = remover

    def remove(self):
        if self._remover is not None:
            self._remover()
            self._remover = None


class _GradMode:
    """Base of no_grad / enable_grad / set_grad_enabled: a context manager and a decorator."""
    _enabled = True

    def __enter__(self):
        self._prev = _C.is_grad_enabled()
        _C._set_grad_enabled(self._enabled)
        return self

    def __exit__(self, *exc):
        _C._set_grad_enabled(self._prev)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradMode):
    _enabled = False


class enable_grad(_GradMode):
    _enabled = True


class set_grad_enabled(_GradMode):
    def __init__(self, mode):
        self._enabled = bool(mode)
        self._prev = _C.is_grad_enabled()
        _C._set_grad_enabled(self._enabled)  # takes effect as a plain call too, as in PyTorch

    def __enter__(self):
        return self

    def __call__(self, fn):
        mode = self._enabled
        _C._set_grad_enabled(self._prev)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)
        return wrapper


class GradcheckError(RuntimeError):
    """Raised by gradcheck when analytic and numerical gradients disagree."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Compares analytic gradients of fn at inputs with central finite differences.

    Inputs that require grad must be float64. Every output element is checked against every
    input element. Returns True, or raises GradcheckError naming the worst mismatch.
    """
    inputs = _as_tuple(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    for i in diff:
        if inputs[i].dtype != _C.dtype.float64:
            raise ValueError(f"[gradcheck] input {i} requires grad but has dtype {inputs[i].dtype}; use float64")
    outputs = [o for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor) and o.dtype.is_floating_point]

    def flat_outputs():
        with no_grad():
            return np.concatenate([o.detach().numpy().astype(np.float64).ravel()
                                   for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor) and o.dtype.is_floating_point]
                                  or [np.zeros(0)])

    n_out = sum(o.numel() for o in outputs)
    worst = (0.0, None)
    for i in diff:
        x = inputs[i]
        data = x.detach().numpy()  # shares memory: perturb in place
        numerical = np.zeros((data.size, n_out))
        flat_view = data.reshape(-1) if data.flags.c_contiguous else None
        if flat_view is None:
            raise ValueError(f"[gradcheck] input {i} must be contiguous")
        for k in range(data.size):
            orig = flat_view[k]
            flat_view[k] = orig + eps
            plus = flat_outputs()
            flat_view[k] = orig - eps
            minus = flat_outputs()
            flat_view[k] = orig
            numerical[k] = (plus - minus) / (2 * eps)
        analytic = np.zeros((data.size, n_out))
        col = 0
        for o in outputs:
            for j in range(o.numel()):
                if not o.requires_grad:
                    col += 1
                    continue
                seed = np.zeros(o.numel())
                seed[j] = 1.0
                g = grad([o], [x], [Tensor(_C.from_numpy(seed.reshape(tuple(o.shape))).to(o.dtype))],
                         retain_graph=True, allow_unused=True)[0]
                if g is not None:
                    analytic[:, col] = g.detach().numpy().astype(np.float64).ravel()
                col += 1
        err = np.abs(analytic - numerical) - (atol + rtol * np.abs(numerical))
        if err.size and err.max() > worst[0]:
            k, j = np.unravel_index(np.argmax(err), err.shape)
            worst = (err.max(), (i, k, j, analytic[k, j], numerical[k, j]))
    if worst[1] is not None:
        i, k, j, a, n = worst[1]
        msg = (f"[gradcheck] Jacobian mismatch for input {i}, element {k}, output element {j}: "
               f"analytic {a:.8g} vs numerical {n:.8g}")
        if raise_exception:
            raise GradcheckError(msg)
        return False
    return True
