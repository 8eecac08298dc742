"""Convolutions (forward, and forward + backward) against PyTorch's CPU convolutions."""
import importlib

from bench.case import Case

LIBS = ("nativedl", "torch")


def _channels(c_out, groups, c):
    """c_out and groups, where None means the input's channel count C (depthwise convs)."""
    return c if c_out is None else c_out, c if groups is None else groups


def _conv(op, c_out, k, stride=1, padding=0, dilation=1, groups=1, backward=False):
    """Setup for op(x, weight) with x of the case's shape (N, C, H, W); op is conv2d or conv_transpose2d."""
    def setup(lib, shape):
        n, c, h, w = shape
        c_out_, groups_ = _channels(c_out, groups, c)
        F = importlib.import_module(lib.m.__name__ + ".nn.functional")
        wshape = (c, c_out_ // groups_, k, k) if op == "conv_transpose2d" else (c_out_, c // groups_, k, k)
        x, weight = lib.randn(shape, seed=0), lib.randn(wshape, seed=1)
        fn = getattr(F, op)
        kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups_)
        if not backward:
            return lambda: fn(x, weight, **kw)
        x.requires_grad_(True), weight.requires_grad_(True)
        grad = fn(x, weight, **kw).detach()

        def step():
            fn(x, weight, **kw).backward(grad)
        return step
    return setup


def _flops(c_out, k, stride=1, padding=0, dilation=1, groups=1, transpose=False, backward=False):
    """Multiply-adds x 2 of the forward (x 3 with the two backward products)."""
    def flops(shape):
        n, c, h, w = shape
        c_out_, groups_ = _channels(c_out, groups, c)
        if transpose:
            macs = n * c * h * w * (c_out_ // groups_) * k * k
        else:
            oh = (h + 2 * padding - dilation * (k - 1) - 1) // stride + 1
            ow = (w + 2 * padding - dilation * (k - 1) - 1) // stride + 1
            macs = n * c_out_ * oh * ow * (c // groups_) * k * k
        return 2 * macs * (3 if backward else 1)
    return flops


def _bytes(c_out, k, stride=1, padding=0, dilation=1, groups=1, transpose=False, backward=False):
    """Float32 bytes of the least traffic: the forward reads x and w and writes y; the backward reads
    grad_y, x and w and writes grad_x and grad_w. What the bandwidth-bound (depthwise) convs are held to."""
    def nbytes(shape):
        n, c, h, w = shape
        c_out_, groups_ = _channels(c_out, groups, c)
        if transpose:
            size = lambda i: (i - 1) * stride - 2 * padding + dilation * (k - 1) + 1  # noqa: E731
        else:
            size = lambda i: (i + 2 * padding - dilation * (k - 1) - 1) // stride + 1  # noqa: E731
        x, wt, y = n * c * h * w, c_out_ * (c // groups_) * k * k, n * c_out_ * size(h) * size(w)
        return 4 * ((3 * x + 3 * wt + 2 * y) if backward else (x + wt + y))
    return nbytes


def _case(name, shape, quick, op, c_out, k, backward=False, **kw):
    return Case(name + (" fwd+bwd" if backward else ""), shape, quick, _conv(op, c_out, k, backward=backward, **kw),
                flops=_flops(c_out, k, transpose=op == "conv_transpose2d", backward=backward, **kw),
                bytes=_bytes(c_out, k, transpose=op == "conv_transpose2d", backward=backward, **kw), libs=LIBS)


CASES = [
    _case("conv2d 3x3 64->64", (16, 64, 56, 56), (2, 8, 14, 14), "conv2d", 64, 3, padding=1),
    _case("conv2d 3x3 64->64", (16, 64, 56, 56), (2, 8, 14, 14), "conv2d", 64, 3, padding=1, backward=True),
    _case("conv2d 1x1 128->256", (16, 128, 28, 28), (2, 8, 14, 14), "conv2d", 256, 1),
    _case("depthwise 3x3 C=512", (8, 512, 32, 32), (2, 16, 16, 16), "conv2d", None, 3, padding=1, groups=None),
    _case("depthwise 3x3 C=512", (8, 512, 32, 32), (2, 16, 16, 16), "conv2d", None, 3, padding=1, groups=None,
          backward=True),
    _case("conv2d 3x3 d=2 64->64", (16, 64, 56, 56), (2, 8, 14, 14), "conv2d", 64, 3, padding=2, dilation=2),
    _case("conv_transpose2d 4x4 s2 64->32", (16, 64, 28, 28), (2, 8, 14, 14), "conv_transpose2d", 32, 4, stride=2,
          padding=1),
    # MobileNet-sized batch: the 256 MiB input alone is 8x the last-level cache.
    _case("depthwise 3x3 C=512 N=128", (128, 512, 32, 32), (4, 16, 16, 16), "conv2d", None, 3, padding=1, groups=None),
]
