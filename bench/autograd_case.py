"""Setup helper for forward + backward cases (nativedl and PyTorch: the libraries with autograd)."""
from typing import Callable

from bench.case import Case
from bench.libs import Lib

AUTOGRAD_LIBS = ("nativedl", "torch")


def fwd_bwd(forward: Callable, param_shapes: Callable = lambda shape: ()) -> Callable:
    """Setup timing y = forward(F, x, *params) followed by the gradients of (y * g).sum() w.r.t. x
    and the params (g a fixed random tensor of y's shape)."""
    def setup(lib: Lib, shape: tuple):
        F = lib.m.nn.functional
        x = lib.randn(shape).requires_grad_(True)
        params = [lib.randn(s, seed=i + 2).requires_grad_(True) for i, s in enumerate(param_shapes(shape))]
        g = lib.randn(tuple(forward(F, x, *params).shape), seed=1)

        def call():
            return lib.m.autograd.grad([forward(F, x, *params)], [x, *params], [g])
        return call
    return setup


def fwd(forward: Callable, param_shapes: Callable = lambda shape: ()) -> Callable:
    """Setup timing forward(F, x, *params) without autograd."""
    def setup(lib: Lib, shape: tuple):
        F = lib.m.nn.functional
        x = lib.randn(shape)
        params = [lib.randn(s, seed=i + 2) for i, s in enumerate(param_shapes(shape))]
        return lambda: forward(F, x, *params)
    return setup


def pair(name: str, shape: tuple, quick: tuple, forward: Callable, param_shapes: Callable = lambda shape: (),
         tensors_fwd: float = 2, tensors_bwd: float = 5) -> list:
    """A forward case and a forward + backward case of one op; bytes: tensors of the input's size read or
    written (fractions for smaller ones, e.g. 0.25 for a stride-2 pooling's output)."""
    import math
    return [Case(f"{name}_fwd", shape, quick, fwd(forward, param_shapes), libs=AUTOGRAD_LIBS,
                 bytes=lambda s: 4 * tensors_fwd * math.prod(s)),
            Case(f"{name}_fwd_bwd", shape, quick, fwd_bwd(forward, param_shapes), libs=AUTOGRAD_LIBS,
                 bytes=lambda s: 4 * tensors_bwd * math.prod(s))]
