"""Op-table rows of the pooling family. References are plain loops over output positions,
written from PyTorch's documented formulas (output size, padding, dilation, ceil_mode)."""
import math

import numpy as np

import nativedl as nd
from op_table import OpInfo

TOL = {"float32": 1e-5, "float64": 1e-10}


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _out_size(n, k, s, p, d, ceil_mode):
    span = n + 2 * p - d * (k - 1) - 1
    out = (math.ceil(span / s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= n + p:  # a window may not start in the right padding
        out -= 1
    return out


def ref_max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    kh, kw = _pair(kernel_size)
    sh, sw = _pair(stride if stride is not None else kernel_size)
    ph, pw = _pair(padding)
    dh, dw = _pair(dilation)
    H, W = x.shape[-2:]
    OH, OW = _out_size(H, kh, sh, ph, dh, ceil_mode), _out_size(W, kw, sw, pw, dw, ceil_mode)
    planes = x.reshape(-1, H, W)
    out = np.zeros((planes.shape[0], OH, OW), x.dtype)
    idx = np.zeros((planes.shape[0], OH, OW), np.int64)
    for p in range(planes.shape[0]):
        for i in range(OH):
            for j in range(OW):
                best, arg = -np.inf, -1
                for a in range(kh):
                    for b in range(kw):
                        h, w = i * sh - ph + a * dh, j * sw - pw + b * dw
                        if 0 <= h < H and 0 <= w < W and planes[p, h, w] > best:
                            best, arg = planes[p, h, w], h * W + w
                out[p, i, j], idx[p, i, j] = best, arg
    shape = x.shape[:-2] + (OH, OW)
    return out.reshape(shape), idx.reshape(shape)


def ref_avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                   divisor_override=None):
    kh, kw = _pair(kernel_size)
    sh, sw = _pair(stride if stride is not None else kernel_size)
    ph, pw = _pair(padding)
    H, W = x.shape[-2:]
    OH, OW = _out_size(H, kh, sh, ph, 1, ceil_mode), _out_size(W, kw, sw, pw, 1, ceil_mode)
    planes = x.reshape(-1, H, W).astype(np.float64)
    out = np.zeros((planes.shape[0], OH, OW))
    for i in range(OH):
        for j in range(OW):
            h0, w0 = i * sh - ph, j * sw - pw
            # The padded window stops at the end of the right/bottom padding.
            h1, w1 = min(h0 + kh, H + ph), min(w0 + kw, W + pw)
            inside = planes[:, max(h0, 0):min(h1, H), max(w0, 0):min(w1, W)]
            if divisor_override:
                div = divisor_override
            elif count_include_pad:
                div = (h1 - h0) * (w1 - w0)
            else:
                div = inside.shape[1] * inside.shape[2]
            out[:, i, j] = inside.sum(axis=(1, 2)) / div
    return out.reshape(x.shape[:-2] + (OH, OW)).astype(x.dtype)


def _adaptive_bounds(n, out):
    return [(math.floor(i * n / out), math.ceil((i + 1) * n / out)) for i in range(out)]


def ref_adaptive(x, output_size, reduce):
    oh, ow = _pair(output_size)
    H, W = x.shape[-2:]
    planes = x.reshape(-1, H, W)
    out = np.zeros((planes.shape[0], oh, ow), x.dtype)
    idx = np.zeros((planes.shape[0], oh, ow), np.int64)
    for i, (h0, h1) in enumerate(_adaptive_bounds(H, oh)):
        for j, (w0, w1) in enumerate(_adaptive_bounds(W, ow)):
            win = planes[:, h0:h1, w0:w1]
            if reduce == "avg":
                out[:, i, j] = win.astype(np.float64).mean(axis=(1, 2))
            else:
                flat = win.reshape(win.shape[0], -1)
                k = flat.argmax(axis=1)
                out[:, i, j] = flat.max(axis=1)
                idx[:, i, j] = (h0 + k // (w1 - w0)) * W + w0 + k % (w1 - w0)
    shape = x.shape[:-2] + (oh, ow)
    return out.reshape(shape) if reduce == "avg" else (out.reshape(shape), idx.reshape(shape))


def as_1d(ref2d):
    """A 1-d reference from a 2-d one: the input as one row, each size argument (1, v) (padding (0, v))."""
    def f(x, kernel_size, stride=None, padding=0, dilation=1, **flags):
        kw = dict(kernel_size=(1, kernel_size), stride=(1, kernel_size if stride is None else stride),
                  padding=(0, padding), **flags)
        if dilation != 1:
            kw["dilation"] = (1, dilation)
        out = ref2d(x[..., None, :], **kw)
        return tuple(o[..., 0, :] for o in out) if isinstance(out, tuple) else out[..., 0, :]
    return f


def ref_unpool(x, indices, output_size):
    H, W = output_size
    planes, idx = x.reshape(-1, x.shape[-2] * x.shape[-1]), indices.reshape(-1, x.shape[-2] * x.shape[-1])
    out = np.zeros((planes.shape[0], H * W), x.dtype)
    for p in range(planes.shape[0]):
        for k in range(planes.shape[1]):
            out[p, idx[p, k]] = planes[p, k]
    return out.reshape(x.shape[:-2] + (H, W))


def unpool_inputs(shapes, dtype, rng):
    """Values and valid distinct indices: the argmax positions of 2x2 windows of a (.., 2h, 2w) plane."""
    (shape,) = shapes
    x = rng.uniform(-2, 2, size=shape).astype(dtype)
    h, w = shape[-2:]
    dh, dw = rng.integers(0, 2, size=shape), rng.integers(0, 2, size=shape)
    rows = (np.arange(h)[:, None] * 2 + dh) * (2 * w)
    cols = np.arange(w)[None, :] * 2 + dw
    return [x, (rows + cols).astype(np.int64)]


SHAPES_2D = [((2, 3, 7, 8),), ((3, 6, 5),)]
SHAPES_1D = [((2, 3, 9),), ((3, 7),)]
GRAD_2D = [((1, 2, 5, 6),)]
GRAD_1D = [((2, 2, 7),)]
MAX_KW = [{"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1},
          {"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 0), "dilation": (1, 2)},
          {"kernel_size": 3, "stride": 2, "ceil_mode": True},
          {"kernel_size": (2, 3), "stride": 2, "padding": 1, "dilation": 2, "ceil_mode": True}]
AVG_KW = [{"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1},
          {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
          {"kernel_size": (3, 2), "stride": (2, 3), "padding": (1, 1), "ceil_mode": True},
          {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
          {"kernel_size": 2, "padding": 1, "divisor_override": 3}]
MAX1_KW = [{"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
           {"kernel_size": 2, "stride": 1, "padding": 1, "dilation": 3}]
AVG1_KW = [{"kernel_size": 3}, {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
           {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False}]


def tie_inputs(shapes, dtype, rng):
    """Small integers: most windows hold their maximum more than once (the first one wins)."""
    return [rng.integers(0, 3, size=s).astype(dtype) for s in shapes]


# Planes wide enough for the kernels' vector lanes, with odd sizes for their scalar ends.
WIDE_2D = [((1, 2, 9, 37),), ((2, 11, 40),)]


def values(f):
    """The values of a (values, indices) op, for gradcheck."""
    return lambda *a, **k: f(*a, **k)[0]


ROWS = [
    OpInfo("max_pool2d_with_indices", nd.max_pool2d_with_indices, ref_max_pool2d, SHAPES_2D, MAX_KW,
           differentiable=False, atol=TOL, rtol=TOL),
    OpInfo("max_pool2d_with_indices-grad", values(nd.max_pool2d_with_indices), lambda *a, **k: ref_max_pool2d(*a, **k)[0],
           [((1, 2, 5, 6),)], MAX_KW),
    OpInfo("max_pool2d_with_indices-ties", nd.max_pool2d_with_indices, ref_max_pool2d, SHAPES_2D + WIDE_2D, MAX_KW,
           gen=tie_inputs, differentiable=False),
    OpInfo("max_pool2d", nd.max_pool2d, lambda *a, **k: ref_max_pool2d(*a, **k)[0], SHAPES_2D + WIDE_2D, MAX_KW,
           grad_shapes=[((1, 2, 5, 6),), ((1, 1, 3, 21),)]),
    OpInfo("max_pool1d", nd.max_pool1d, lambda *a, **k: as_1d(ref_max_pool2d)(*a, **k)[0],
           SHAPES_1D + [((2, 3, 41),)], MAX1_KW, grad_shapes=[((2, 2, 7),), ((1, 1, 37),)]),
    OpInfo("max_pool1d_with_indices", nd.max_pool1d_with_indices, as_1d(ref_max_pool2d), SHAPES_1D, MAX1_KW,
           differentiable=False),
    OpInfo("max_pool1d_with_indices-grad", values(nd.max_pool1d_with_indices),
           lambda *a, **k: as_1d(ref_max_pool2d)(*a, **k)[0], GRAD_1D, MAX1_KW),
    OpInfo("avg_pool2d", nd.avg_pool2d, ref_avg_pool2d, SHAPES_2D + WIDE_2D, AVG_KW,
           grad_shapes=GRAD_2D + [((1, 1, 4, 23),)]),
    OpInfo("avg_pool1d", nd.avg_pool1d, as_1d(ref_avg_pool2d), SHAPES_1D + [((2, 3, 41),)], AVG1_KW,
           grad_shapes=GRAD_1D + [((1, 1, 37),)]),
    OpInfo("adaptive_avg_pool2d", nd.adaptive_avg_pool2d, lambda x, output_size: ref_adaptive(x, output_size, "avg"),
           SHAPES_2D, [{"output_size": (3, 4)}, {"output_size": 1}, {"output_size": (5, 3)}, {"output_size": (7, 2)}],
           grad_shapes=GRAD_2D),
    OpInfo("adaptive_avg_pool1d", nd.adaptive_avg_pool1d,
           lambda x, output_size: ref_adaptive(x[..., None, :], (1, output_size), "avg")[..., 0, :],
           SHAPES_1D, [{"output_size": 4}, {"output_size": 1}, {"output_size": 7}], grad_shapes=GRAD_1D),
    OpInfo("adaptive_max_pool2d", nd.adaptive_max_pool2d, lambda x, output_size: ref_adaptive(x, output_size, "max"),
           SHAPES_2D, [{"output_size": (3, 4)}, {"output_size": 1}, {"output_size": (5, 3)}], differentiable=False),
    OpInfo("adaptive_max_pool2d-grad", values(nd.adaptive_max_pool2d),
           lambda x, output_size: ref_adaptive(x, output_size, "max")[0], GRAD_2D,
           [{"output_size": (3, 4)}, {"output_size": 2}]),
    OpInfo("adaptive_max_pool1d", nd.adaptive_max_pool1d,
           lambda x, output_size: tuple(o[..., 0, :] for o in ref_adaptive(x[..., None, :], (1, output_size), "max")),
           SHAPES_1D, [{"output_size": 4}, {"output_size": 2}], differentiable=False),
    OpInfo("adaptive_max_pool1d-grad", values(nd.adaptive_max_pool1d),
           lambda x, output_size: ref_adaptive(x[..., None, :], (1, output_size), "max")[0][..., 0, :], GRAD_1D,
           [{"output_size": 3}]),
    OpInfo("max_unpool2d", lambda x, i: nd.max_unpool2d(x, i, (2 * x.shape[-2], 2 * x.shape[-1])),
           lambda x, i: ref_unpool(x, i, (2 * x.shape[-2], 2 * x.shape[-1])), [((2, 3, 3, 4),), ((2, 2, 3),)],
           gen=unpool_inputs, grad_inputs=[0], noncontig=False),
]
