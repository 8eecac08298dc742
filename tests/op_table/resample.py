"""Op-table rows of resampling: interpolate (nearest, linear, bilinear, bicubic; align_corners;
size or scale_factor) and the pixel/channel shuffles. The interpolation reference computes
each output sample with plain loops from PyTorch's documented coordinate rules."""
import math

import numpy as np

import nativedl as nd
from op_table import OpInfo

A = -0.75  # PyTorch's bicubic coefficient


def _cubic(t):
    """Keys' cubic convolution kernel at distance t."""
    t = abs(t)
    if t <= 1:
        return ((A + 2) * t - (A + 3)) * t * t + 1
    if t < 2:
        return ((A * t - 5 * A) * t + 8 * A) * t - 4 * A
    return 0.0


def _taps(n_in, n_out, mode, align_corners, scale_factor):
    """For each output index: a list of (input index, weight)."""
    taps = []
    for o in range(n_out):
        if mode == "nearest":
            scale = 1.0 / scale_factor if scale_factor else n_in / n_out
            taps.append([(min(int(np.floor(np.float32(o) * np.float32(scale))), n_in - 1), 1.0)])
            continue
        if align_corners:
            scale = (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
            src = o * scale
        else:
            scale = 1.0 / scale_factor if scale_factor else n_in / n_out
            src = (o + 0.5) * scale - 0.5
        if mode == "linear":
            src = max(src, 0.0)
            i0 = min(int(math.floor(src)), n_in - 1)
            i1 = min(i0 + 1, n_in - 1)
            lam = src - i0
            taps.append([(i0, 1 - lam), (i1, lam)])
        else:  # cubic: four taps around floor(src), indices clamped to the border
            f = math.floor(src)
            taps.append([(min(max(f - 1 + k, 0), n_in - 1), _cubic(src - (f - 1 + k))) for k in range(4)])
    return taps


def ref_interpolate(x, size=None, scale_factor=None, mode="nearest", align_corners=None):
    spatial = x.ndim - 2
    axis_mode = {"nearest": "nearest", "linear": "linear", "bilinear": "linear", "bicubic": "cubic"}[mode]
    sizes = [size] * spatial if isinstance(size, int) else size
    factors = [scale_factor] * spatial if not isinstance(scale_factor, (tuple, list)) else scale_factor
    outs = [sizes[i] if size is not None else math.floor(x.shape[2 + i] * factors[i]) for i in range(spatial)]
    axes = [_taps(x.shape[2 + i], outs[i], axis_mode, align_corners, None if size is not None else factors[i])
            for i in range(spatial)]
    x64 = x.astype(np.float64)
    out = np.zeros(x.shape[:2] + tuple(outs))
    if spatial == 1:
        for o, taps in enumerate(axes[0]):
            out[..., o] = sum(w * x64[..., i] for i, w in taps)
    else:
        for oh, th in enumerate(axes[0]):
            for ow, tw in enumerate(axes[1]):
                out[..., oh, ow] = sum(wh * ww * x64[..., ih, iw] for ih, wh in th for iw, ww in tw)
    return out.astype(x.dtype)


def ref_pixel_shuffle(x, upscale_factor):
    r = upscale_factor
    *lead, c, h, w = x.shape
    y = x.reshape(*lead, c // (r * r), r, r, h, w)
    n = len(lead)
    y = y.transpose(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return y.reshape(*lead, c // (r * r), h * r, w * r)


def ref_pixel_unshuffle(x, downscale_factor):
    r = downscale_factor
    *lead, c, h, w = x.shape
    out = np.zeros((*lead, c * r * r, h // r, w // r), x.dtype)
    for ch in range(c):
        for i in range(r):
            for j in range(r):
                out[..., ch * r * r + i * r + j, :, :] = x[..., ch, i::r, j::r]
    return out


def ref_channel_shuffle(x, groups):
    c = x.shape[1]
    k = c // groups
    out = np.empty_like(x)
    for g in range(groups):
        for i in range(k):
            out[:, i * groups + g] = x[:, g * k + i]  # channel (g, i) moves to position (i, g)
    return out


INTERP_2D = [{"size": (5, 7), "mode": "nearest"}, {"scale_factor": 2, "mode": "nearest"},
             {"scale_factor": (0.6, 1.7), "mode": "nearest"}, {"size": 3, "mode": "nearest"}]
for _m in ("bilinear", "bicubic"):
    for _ac in (False, True):
        INTERP_2D += [{"size": (5, 7), "mode": _m, "align_corners": _ac},
                      {"scale_factor": (1.5, 0.7), "mode": _m, "align_corners": _ac},
                      {"size": (2, 1), "mode": _m, "align_corners": _ac}]
INTERP_1D = [{"size": 9, "mode": "nearest"}, {"scale_factor": 1.5, "mode": "nearest"},
             {"size": 9, "mode": "linear", "align_corners": False}, {"size": 2, "mode": "linear", "align_corners": True},
             {"scale_factor": 0.6, "mode": "linear", "align_corners": False},
             {"scale_factor": 2.5, "mode": "linear", "align_corners": True}]

ROWS = [
    OpInfo("interpolate", nd.interpolate, ref_interpolate, [((2, 2, 4, 5),)], INTERP_2D,
           grad_shapes=[((1, 1, 3, 4),)]),
    OpInfo("interpolate-1d", nd.interpolate, ref_interpolate, [((2, 3, 6),)], INTERP_1D, grad_shapes=[((1, 2, 4),)]),
    OpInfo("pixel_shuffle", nd.pixel_shuffle, ref_pixel_shuffle, [((2, 8, 3, 2),), ((9, 2, 3),), ((2, 1, 4, 2, 2),)],
           [{"upscale_factor": 1}], grad_shapes=[((1, 4, 2, 2),)]),
    OpInfo("pixel_shuffle-2", nd.pixel_shuffle, ref_pixel_shuffle, [((2, 8, 3, 2),), ((1, 4, 2, 2),)],
           [{"upscale_factor": 2}], grad_shapes=[((1, 4, 2, 2),)]),
    OpInfo("pixel_unshuffle", nd.pixel_unshuffle, ref_pixel_unshuffle, [((2, 2, 4, 6),), ((3, 6, 3),)],
           [{"downscale_factor": 1}], grad_shapes=[((1, 1, 4, 2),)]),
    OpInfo("pixel_unshuffle-2", nd.pixel_unshuffle, ref_pixel_unshuffle, [((2, 2, 4, 6),), ((1, 4, 2),)],
           [{"downscale_factor": 2}], grad_shapes=[((1, 1, 4, 2),)]),
    OpInfo("channel_shuffle", nd.channel_shuffle, ref_channel_shuffle, [((2, 6, 3),), ((2, 6, 2, 2),)],
           [{"groups": 2}, {"groups": 3}, {"groups": 1}], grad_shapes=[((1, 6, 2),)]),
]
