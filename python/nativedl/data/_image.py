"""Whole-array image operations behind nativedl.data.transforms (images are (..., C, H, W) NumPy arrays).

Resampling is linear along each axis, so resize and blur are two small matrix products per image:
out = Mh @ img @ Mw.T, with Mh (out_h x in_h) and Mw (out_w x in_w) holding the filter taps.
"""
import math

import numpy as np

__all__ = ["resample_matrix", "blur_matrix", "separable", "affine_sample", "inverse_affine", "blend",
           "grayscale", "bound"]


def bound(arr):
    """The largest value of an image of arr's dtype (1 for float images, 255 for uint8)."""
    return 1.0 if arr.dtype.kind == "f" else float(np.iinfo(arr.dtype).max)


def _cast_like(values, like):
    """values (float) back to like's dtype: rounded and clipped for integer images."""
    if like.dtype.kind == "f":
        return values.astype(like.dtype, copy=False)
    info = np.iinfo(like.dtype)
    return np.clip(np.rint(values), info.min, info.max).astype(like.dtype)


def _work_dtype(arr):
    return arr.dtype if arr.dtype.kind == "f" else np.float32


def resample_matrix(n_in, n_out, mode, antialias):
    """Taps mapping n_in samples to n_out: nearest (PyTorch's floor rule) or the linear (triangle) filter
    at half-pixel centres, widened by the scale factor when shrinking with antialias (as PIL)."""
    scale = n_in / n_out
    if mode == "nearest":
        src = np.minimum(np.floor(np.arange(n_out) * scale).astype(np.int64), n_in - 1)
        m = np.zeros((n_out, n_in))
        m[np.arange(n_out), src] = 1.0
        return m
    support = max(scale, 1.0) if antialias else 1.0
    centres = (np.arange(n_out) + 0.5) * scale
    w = np.clip(1.0 - np.abs((np.arange(n_in)[None, :] + 0.5 - centres[:, None]) / support), 0.0, None)
    return w / w.sum(axis=1, keepdims=True)  # taps outside the image are dropped, the rest renormalized


def _reflect(p, n):
    """Index p reflected into [0, n) without repeating the edge (NumPy's and PyTorch's 'reflect')."""
    if n == 1:
        return np.zeros_like(p)
    period = 2 * (n - 1)
    p = np.mod(p, period)
    return np.where(p > n - 1, period - p, p)


def blur_matrix(n, kernel_size, sigma):
    """Gaussian blur along one axis of length n, with reflect padding folded into the matrix."""
    half = (kernel_size - 1) * 0.5
    k = np.exp(-0.5 * (np.linspace(-half, half, kernel_size) / sigma) ** 2)
    k /= k.sum()
    rows = np.repeat(np.arange(n), kernel_size)
    cols = _reflect(rows + np.tile(np.arange(kernel_size), n) - kernel_size // 2, n)
    m = np.zeros((n, n))
    np.add.at(m, (rows, cols), np.tile(k, n))
    return m


def separable(arr, mh, mw):
    """mh @ arr @ mw.T over the last two axes, in arr's float precision (float32 for integer images)."""
    dt = _work_dtype(arr)
    return _cast_like(np.matmul(np.matmul(mh.astype(dt), arr.astype(dt, copy=False)), mw.T.astype(dt)), arr)


def inverse_affine(angle, translate, scale, shear, center=(0.0, 0.0)):
    """The 2x3 matrix taking output pixel coordinates (relative to the image centre, y down) to input ones,
    for a counter-clockwise rotation by angle degrees, then scale, shear (degrees) and translate: the
    matrix torchvision builds for tensors (it negates angle and shear there, as done here)."""
    rot, sx, sy = math.radians(-angle), math.radians(-shear[0]), math.radians(-shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    m = [d / scale, -b / scale, 0.0, -c / scale, a / scale, 0.0]  # (rotation*shear)^-1 / scale; det == 1
    m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty) + cx
    m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty) + cy
    return m


def _fill_array(fill, arr):
    f = np.asarray(fill, dtype=np.float64).reshape(-1)
    channels = arr.shape[-3] if arr.ndim >= 3 else 1
    if f.size not in (1, channels):
        raise ValueError(f"[transforms] fill has {f.size} values but the image has {channels} channels")
    return f.reshape(-1, 1, 1) if f.size > 1 else f.reshape(())


def affine_sample(arr, matrix, out_hw, mode, fill):
    """Output pixel (i, j) takes the input at matrix @ (j - (ow-1)/2, i - (oh-1)/2, 1) + input centre,
    sampled nearest or bilinear; where that lies outside the image the output is fill (blended at edges)."""
    h, w = arr.shape[-2:]
    oh, ow = out_hw
    ys, xs = np.meshgrid(np.arange(oh) - (oh - 1) / 2, np.arange(ow) - (ow - 1) / 2, indexing="ij")
    sx = matrix[0] * xs + matrix[1] * ys + matrix[2] + (w - 1) / 2
    sy = matrix[3] * xs + matrix[4] * ys + matrix[5] + (h - 1) / 2
    fill = _fill_array(fill, arr)
    dt = _work_dtype(arr)
    if mode == "nearest":
        ix, iy = np.rint(sx).astype(np.int64), np.rint(sy).astype(np.int64)
        inside = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
        picked = arr[..., np.clip(iy, 0, h - 1), np.clip(ix, 0, w - 1)]
        return _cast_like(np.where(inside, picked, fill), arr)
    x0, y0 = np.floor(sx), np.floor(sy)
    acc = np.zeros(arr.shape[:-2] + (oh, ow), dtype=dt)
    covered = np.zeros((oh, ow), dtype=dt)
    for dx, dy in ((0, 0), (1, 0), (0, 1), (1, 1)):  # the four bilinear taps, each over the whole image
        tx, ty = (x0 + dx).astype(np.int64), (y0 + dy).astype(np.int64)
        weight = ((1 - np.abs(sx - tx)) * (1 - np.abs(sy - ty))).astype(dt)
        weight *= (tx >= 0) & (tx < w) & (ty >= 0) & (ty < h)
        acc += weight * arr[..., np.clip(ty, 0, h - 1), np.clip(tx, 0, w - 1)]
        covered += weight
    return _cast_like(acc + (1 - covered) * fill, arr)


def blend(img1, img2, ratio):
    """ratio*img1 + (1-ratio)*img2, clipped to the image range, in img1's dtype."""
    return _cast_like(np.clip(ratio * img1.astype(_work_dtype(img1)) + (1 - ratio) * img2, 0, bound(img1)), img1)


def grayscale(arr):
    """ITU-R 601 luma of (..., 3, H, W) RGB images (1-channel images are their own), keeping the channel axis."""
    x = arr.astype(_work_dtype(arr), copy=False)
    if arr.shape[-3] == 1:
        return x
    r, g, b = x[..., 0:1, :, :], x[..., 1:2, :, :], x[..., 2:3, :, :]
    return 0.2989 * r + 0.587 * g + 0.114 * b
