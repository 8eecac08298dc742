"""Op table rows for convolutions (F.conv1d, conv2d, conv_transpose1d, conv_transpose2d).

The references are loops over output (or input) positions written from the definitions:
    conv:      y[n, o, p, q] = b[o] + sum_{c, i, j} w[o, c, i, j] * xpad[n, g*cg + c, p*s + i*d, q*s + j*d]
    transpose: y[n, g*og + o, p*s + i*d - pad, q*s + j*d - pad] += x[n, c, p, q] * w[c, o, i, j]
computed in float64. 1-D convolutions are the 2-D ones with a height of 1.

Tolerances: float32 sums of up to 64*9 products of inputs in [-2, 2], so 1e-4.
"""
import numpy as np

import nativedl as nd
import nativedl.nn.functional as F
from op_table import OpInfo

TOL = dict(atol={"float32": 1e-4, "float64": 1e-10}, rtol={"float32": 1e-4, "float64": 1e-10})


def _n(v, n):
    return (v,) * n if isinstance(v, int) else tuple(v)


def _pair(v, n, fill):
    """A parameter of an n-D conv as the (height, width) pair of its 2-D form (height `fill` for 1-D)."""
    return _n(v, 2) if n == 2 else (fill,) + _n(v, 1)


def _lift(a, n):
    """A 1-D conv's array (N, C, L) as the 2-D form (N, C, 1, L)."""
    return a if n == 2 else a[:, :, None, :]


def ref_conv(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    n, dtype = x.ndim - 2, x.dtype
    ks = w.shape[2:]
    if padding == "valid":
        padding = 0
    if padding == "same":
        totals = [d * (k - 1) for d, k in zip(_n(dilation, n), ks)]
        pads = [(t // 2, t - t // 2) for t in totals]
    else:
        pads = [(p, p) for p in _n(padding, n)]
    x = np.pad(x.astype(np.float64), [(0, 0), (0, 0)] + pads)
    x, w = _lift(x, n), _lift(w.astype(np.float64), n)
    (sh, sw), (dh, dw) = _pair(stride, n, 1), _pair(dilation, n, 1)
    N, _, H, W = x.shape
    O, cg, kh, kw = w.shape
    og = O // groups
    oh, ow = (H - dh * (kh - 1) - 1) // sh + 1, (W - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((N, O, oh, ow))
    for b_ in range(N):
        for o in range(O):
            g = o // og
            for p in range(oh):
                for q in range(ow):
                    patch = x[b_, g * cg:(g + 1) * cg, p * sh:p * sh + dh * (kh - 1) + 1:dh,
                              q * sw:q * sw + dw * (kw - 1) + 1:dw]
                    y[b_, o, p, q] = np.sum(patch * w[o])
    if b is not None:
        y += b.astype(np.float64)[:, None, None]
    return (y[:, :, 0, :] if n == 1 else y).astype(dtype)


def ref_conv_transpose(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    n, dtype = x.ndim - 2, x.dtype
    x2, w2 = _lift(x.astype(np.float64), n), _lift(w.astype(np.float64), n)
    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = (_pair(stride, n, 1), _pair(padding, n, 0),
                                                _pair(output_padding, n, 0), _pair(dilation, n, 1))
    N, C, H, W = x2.shape
    _, og, kh, kw = w2.shape
    cg = C // groups
    full = np.zeros((N, og * groups, (H - 1) * sh + dh * (kh - 1) + 1 + oph, (W - 1) * sw + dw * (kw - 1) + 1 + opw))
    for b_ in range(N):
        for c in range(C):
            g = c // cg
            for p in range(H):
                for q in range(W):
                    for i in range(kh):
                        for j in range(kw):
                            full[b_, g * og:(g + 1) * og, p * sh + i * dh, q * sw + j * dw] += x2[b_, c, p, q] * w2[c, :, i, j]
    y = full[:, :, ph:full.shape[2] - ph, pw:full.shape[3] - pw]
    if b is not None:
        y = y + b.astype(np.float64)[:, None, None]
    return (y[:, :, 0, :] if n == 1 else y).astype(dtype)


def _with_bias(f):
    return lambda x, w, b=None, **kw: f(x, w, b, **kw)


def _row(name, fn, ref, shapes, kwargs, grad_shapes=None):
    return OpInfo(name, _with_bias(fn), ref, shapes, kwargs=kwargs, grad_shapes=grad_shapes, **TOL)


def _per_channel(f):
    """f with groups = the input's channels (a depthwise convolution)."""
    return lambda x, w, b=None, **kw: f(x, w, b, groups=x.shape[1], **kw)


def _unbatched_ref(ref):
    return lambda x, w, b=None, **kw: ref(x[None], w, b, **kw)[0]


ROWS = [
    _row("conv2d", F.conv2d, ref_conv, [((2, 3, 6, 7), (4, 3, 3, 3), (4,)), ((2, 3, 6, 7), (4, 3, 3, 3))], [
        {}, {"padding": 1}, {"stride": 2}, {"stride": 2, "padding": 1}, {"padding": "same"}, {"padding": "valid"},
        {"dilation": 2}, {"dilation": 2, "padding": "same"}, {"stride": (2, 1), "padding": (1, 2), "dilation": (1, 2)},
    ], grad_shapes=[((2, 2, 5, 6), (3, 2, 3, 3), (3,)), ((1, 2, 5, 6), (3, 2, 3, 3))]),
    _row("conv2d-same_asymmetric", F.conv2d, ref_conv, [((2, 3, 6, 7), (4, 3, 2, 4), (4,))],
         [{"padding": "same"}, {"padding": "same", "dilation": (1, 2)}],
         grad_shapes=[((1, 2, 4, 5), (2, 2, 2, 4), (2,))]),
    _row("conv2d-kernel_1x3_3x1", F.conv2d, ref_conv,
         [((2, 3, 5, 6), (4, 3, 1, 3), (4,)), ((2, 3, 5, 6), (4, 3, 3, 1))],
         [{}, {"padding": (0, 1)}, {"stride": (1, 2)}, {"padding": (1, 1), "dilation": (2, 1)}],
         grad_shapes=[((1, 2, 4, 5), (3, 2, 1, 3), (3,)), ((1, 2, 4, 5), (3, 2, 3, 1))]),
    _row("conv2d-groups", F.conv2d, ref_conv, [((2, 4, 6, 6), (6, 2, 3, 3), (6,)), ((2, 4, 6, 6), (6, 2, 3, 3))],
         [{"groups": 2}, {"groups": 2, "stride": 2, "padding": 1}, {"groups": 2, "dilation": 2, "padding": 2}],
         grad_shapes=[((1, 4, 5, 5), (4, 2, 3, 3), (4,))]),
    # groups == channels: the depthwise kernels, with multiplier 2 and 1, and rows wide
    # enough for the vector loops and their tails.
    _row("conv2d-depthwise", _per_channel(F.conv2d), _per_channel(ref_conv), [
        ((2, 3, 6, 6), (6, 1, 3, 3), (6,)), ((2, 3, 6, 6), (3, 1, 3, 3)), ((1, 2, 5, 40), (4, 1, 3, 3), (4,)),
    ], [{}, {"stride": 2, "padding": 1}, {"dilation": 2, "padding": 2}, {"padding": "same"},
        {"stride": (1, 2), "padding": (2, 0), "dilation": (2, 1)}],
        grad_shapes=[((2, 2, 5, 5), (4, 1, 3, 3), (4,)), ((1, 2, 3, 21), (2, 1, 3, 3))]),
    _row("conv2d-1x1", F.conv2d, ref_conv, [((2, 6, 4, 5), (4, 6, 1, 1), (4,)), ((2, 6, 4, 5), (4, 6, 1, 1))],
         [{}, {"stride": 2}, {"padding": 1}], grad_shapes=[((2, 3, 3, 4), (2, 3, 1, 1), (2,))]),
    # Enough channels and rows that the column matrix is built in several row blocks.
    _row("conv2d-blocked", F.conv2d, ref_conv, [((1, 64, 40, 40), (8, 64, 3, 3), (8,))], [{"padding": 1}],
         grad_shapes=[((1, 2, 4, 4), (2, 2, 3, 3))]),
    _row("conv2d-unbatched", F.conv2d, _unbatched_ref(ref_conv), [((3, 6, 7), (4, 3, 3, 3), (4,))],
         [{}, {"padding": 1}], grad_shapes=[((2, 4, 4), (2, 2, 3, 3), (2,))]),
    _row("conv1d", F.conv1d, ref_conv, [((2, 3, 10), (4, 3, 3), (4,)), ((2, 3, 10), (4, 3, 3))],
         [{}, {"stride": 2, "padding": 1}, {"dilation": 2}, {"padding": "same"}, {"padding": "same", "dilation": 2}],
         grad_shapes=[((2, 2, 7), (3, 2, 3), (3,))]),
    _row("conv1d-groups", F.conv1d, ref_conv, [((2, 4, 9), (6, 2, 3), (6,)), ((2, 4, 9), (6, 2, 4))],
         [{"groups": 2}, {"groups": 2, "padding": "same"}], grad_shapes=[((2, 4, 7), (4, 2, 3), (4,))]),
    _row("conv1d-depthwise", _per_channel(F.conv1d), _per_channel(ref_conv), [((2, 3, 9), (6, 1, 4), (6,))],
         [{}, {"padding": "same"}, {"stride": 2, "dilation": 2}], grad_shapes=[((2, 2, 7), (4, 1, 3), (4,))]),
    _row("conv_transpose2d", F.conv_transpose2d, ref_conv_transpose,
         [((2, 4, 5, 5), (4, 3, 3, 3), (3,)), ((2, 4, 4, 5), (4, 3, 2, 3))], [
             {}, {"stride": 2}, {"stride": 2, "padding": 1, "output_padding": 1}, {"dilation": 2, "padding": 1},
             {"stride": 2, "dilation": 2, "output_padding": 1}, {"dilation": 2, "output_padding": 1},
             {"stride": (2, 1), "padding": (1, 0), "output_padding": (1, 0)},
         ], grad_shapes=[((1, 2, 3, 4), (2, 3, 3, 3), (3,)), ((2, 2, 3, 3), (2, 2, 2, 3))]),
    _row("conv_transpose2d-groups", F.conv_transpose2d, ref_conv_transpose,
         [((2, 4, 5, 5), (4, 3, 3, 3), (6,)), ((2, 4, 5, 5), (4, 3, 3, 3))],
         [{"groups": 2}, {"groups": 2, "stride": 2, "padding": 1, "output_padding": 1},
          {"groups": 2, "dilation": 2, "padding": 1}], grad_shapes=[((1, 4, 3, 3), (4, 2, 3, 3), (4,))]),
    # One output channel per group: the depthwise kernels (multiplier 2, then 1).
    _row("conv_transpose2d-depthwise", F.conv_transpose2d, ref_conv_transpose,
         [((2, 8, 5, 5), (8, 1, 3, 3), (4,)), ((2, 4, 5, 5), (4, 1, 3, 3))],
         [{"groups": 4}, {"groups": 4, "stride": 2, "padding": 1, "output_padding": 1},
          {"groups": 4, "dilation": 2, "padding": 1}, {"groups": 4, "stride": 2, "dilation": 2, "padding": 3},
          {"groups": 4, "stride": 2, "padding": 3}],
         grad_shapes=[((1, 8, 3, 4), (8, 1, 3, 3), (4,))]),
    _row("conv_transpose1d", F.conv_transpose1d, ref_conv_transpose, [((2, 4, 6), (4, 3, 3), (3,)), ((2, 4, 6), (4, 3, 3))],
         [{}, {"stride": 2, "padding": 1, "output_padding": 1}, {"dilation": 2}],
         grad_shapes=[((2, 2, 5), (2, 3, 3), (3,))]),
    _row("conv_transpose1d-groups", F.conv_transpose1d, ref_conv_transpose, [((2, 4, 6), (4, 3, 3), (6,))],
         [{"groups": 2}, {"groups": 2, "stride": 2, "output_padding": 1}], grad_shapes=[((1, 4, 5), (4, 1, 3), (2,))]),
]
