"""Image transforms with torchvision's names and arguments, on (..., C, H, W) tensors or NumPy arrays.

A transform returns the kind it was given (tensor -> tensor, array -> array). Random transforms draw
from nativedl's generators: the default one (nd.manual_seed) or the `generator=` given to the transform,
and apply one draw to a whole (N, C, H, W) batch, as torchvision does. Numerics are whole-array NumPy
operations (see _image.py).
"""
import enum
import math
import numbers

import numpy as np

from .. import _C
from .._creation import rand, randint, randn, randperm
from .._dtypes import float64
from . import _image

__all__ = ["InterpolationMode", "Compose", "ToTensor", "Normalize", "RandomHorizontalFlip", "RandomVerticalFlip",
           "RandomCrop", "RandomResizedCrop", "Resize", "CenterCrop", "RandomRotation", "RandomAffine",
           "ColorJitter", "GaussianNoise", "GaussianBlur", "RandomErasing"]


class InterpolationMode(str, enum.Enum):
    NEAREST = "nearest"
    BILINEAR = "bilinear"


def _mode(interpolation, name):
    try:
        return InterpolationMode(interpolation).value
    except ValueError:
        raise ValueError(f"[{name}] interpolation must be 'nearest' or 'bilinear', got {interpolation!r}") from None


def _unwrap(img, name, min_dim=2):
    """(array, rewrap): the image as a NumPy array and the function that returns a result in img's kind."""
    if isinstance(img, _C.Tensor):
        arr, rewrap = img.detach().numpy(), lambda a: _C.from_numpy(np.ascontiguousarray(a))
    elif isinstance(img, np.ndarray):
        arr, rewrap = img, np.ascontiguousarray
    else:
        raise TypeError(f"[{name}] expects a tensor or NumPy array, got {type(img).__name__}")
    if arr.ndim < min_dim:
        raise ValueError(f"[{name}] expects an image with at least {min_dim} dims (..., H, W), got shape {arr.shape}")
    return arr, rewrap


def _size2(size, name, arg="size"):
    """(h, w) from an int or a 1- or 2-sequence."""
    if isinstance(size, numbers.Integral):
        size = (int(size), int(size))
    elif len(size) == 1:
        size = (int(size[0]), int(size[0]))
    if len(size) != 2 or min(size) <= 0:
        raise ValueError(f"[{name}] {arg} must be a positive int or a (h, w) pair, got {size!r}")
    return int(size[0]), int(size[1])


def _range(value, name, arg, center=None, lower=None):
    """(lo, hi) from a number v (-> (center-v, center+v), lo clipped at lower) or a pair."""
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"[{name}] if {arg} is a single number, it must be non-negative, got {value}")
        lo, hi = (center or 0) - value, (center or 0) + value
        lo = max(lo, lower) if lower is not None else lo
    elif len(value) == 2:
        lo, hi = float(value[0]), float(value[1])
    else:
        raise ValueError(f"[{name}] {arg} must be a number or a (min, max) pair, got {value!r}")
    if lo > hi or (lower is not None and lo < lower):
        raise ValueError(f"[{name}] {arg} range ({lo}, {hi}) must be ordered and not below {lower}")
    return float(lo), float(hi)


def _uniform(lo, hi, g):
    return lo + (hi - lo) * rand(1, generator=g, dtype=float64).item()


def _randint(lo, hi, g):
    return randint(lo, hi, (1,), generator=g).item()


class _Transform:
    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_") and k != "generator")
        return f"{type(self).__name__}({args})"


class Compose(_Transform):
    """Applies transforms one after another."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img


class ToTensor(_Transform):
    """HWC (or HW) image -> CHW float tensor; uint8 values are scaled to [0, 1] (PIL images via NumPy)."""

    def __call__(self, pic):
        if isinstance(pic, _C.Tensor):
            raise TypeError("[ToTensor] pic should be a NumPy array or PIL image, got a tensor")
        arr = np.asarray(pic)
        if arr.ndim not in (2, 3):
            raise ValueError(f"[ToTensor] pic should be 2 or 3 dimensional (HW or HWC), got shape {arr.shape}")
        arr = arr[:, :, None] if arr.ndim == 2 else arr
        chw = np.ascontiguousarray(arr.transpose(2, 0, 1))
        if chw.dtype == np.uint8:
            dt = np.float64 if _C.get_default_dtype() == float64 else np.float32
            chw = chw.astype(dt) / dt(255)
        elif chw.dtype == np.bool_:
            chw = chw.astype(np.uint8)
        return _C.from_numpy(chw)


class Normalize(_Transform):
    """(img - mean[c]) / std[c] per channel of a float image."""

    def __init__(self, mean, std, inplace=False):
        self.mean, self.std, self.inplace = mean, std, inplace

    def __call__(self, img):
        arr, rewrap = _unwrap(img, "Normalize", 3)
        if arr.dtype.kind != "f":
            raise TypeError(f"[Normalize] input should be a float image, got dtype {arr.dtype}")
        mean, std = (np.asarray(v, dtype=arr.dtype).reshape(-1, 1, 1) for v in (self.mean, self.std))
        if np.any(std == 0):
            raise ValueError(f"[Normalize] std evaluated to zero after conversion to {arr.dtype}, leading to "
                             f"division by zero: std={self.std}")
        for v, arg in ((mean, "mean"), (std, "std")):
            if v.shape[0] not in (1, arr.shape[-3]):
                raise ValueError(f"[Normalize] {arg} has {v.shape[0]} values, the image {arr.shape} has "
                                 f"{arr.shape[-3]} channels")
        if self.inplace:
            arr -= mean
            arr /= std
            return img
        return rewrap((arr - mean) / std)


class _RandomFlip(_Transform):
    _axis = None

    def __init__(self, p=0.5, *, generator=None):
        if not 0 <= p <= 1:
            raise ValueError(f"[{type(self).__name__}] p should be a probability in [0, 1], got {p}")
        self.p, self.generator = p, generator

    def __call__(self, img):
        arr, rewrap = _unwrap(img, type(self).__name__)
        if rand(1, generator=self.generator, dtype=float64).item() < self.p:
            return rewrap(np.flip(arr, self._axis))
        return img


class RandomHorizontalFlip(_RandomFlip):
    """Mirrors left-right with probability p."""
    _axis = -1


class RandomVerticalFlip(_RandomFlip):
    """Mirrors top-bottom with probability p."""
    _axis = -2


def _pad(arr, left, top, right, bottom, fill, mode, name):
    if mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError(f"[{name}] padding_mode must be constant, edge, reflect or symmetric, got {mode!r}")
    if not isinstance(fill, numbers.Number):
        raise TypeError(f"[{name}] fill must be a number for tensors and arrays, got {fill!r}")
    widths = [(0, 0)] * (arr.ndim - 2) + [(top, bottom), (left, right)]
    return np.pad(arr, widths, mode=mode, **({"constant_values": fill} if mode == "constant" else {}))


def _crop(arr, top, left, h, w):
    return arr[..., top:top + h, left:left + w]


class CenterCrop(_Transform):
    """The central size region (zero-padded first where the image is smaller)."""

    def __init__(self, size):
        self.size = _size2(size, "CenterCrop")

    def __call__(self, img):
        arr, rewrap = _unwrap(img, "CenterCrop")
        (th, tw), (h, w) = self.size, arr.shape[-2:]
        if th > h or tw > w:
            arr = _pad(arr, max(tw - w, 0) // 2, max(th - h, 0) // 2, max(tw - w + 1, 0) // 2,
                       max(th - h + 1, 0) // 2, 0, "constant", "CenterCrop")
            h, w = arr.shape[-2:]
        return rewrap(_crop(arr, int(round((h - th) / 2.0)), int(round((w - tw) / 2.0)), th, tw))


class RandomCrop(_Transform):
    """A random size region, after optional padding (int, (lr, tb) or (l, t, r, b)) or padding as needed."""

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant", *, generator=None):
        self.size = _size2(size, "RandomCrop")
        if padding is not None:
            padding = (padding,) * 4 if isinstance(padding, numbers.Integral) else tuple(padding)
            if len(padding) == 2:
                padding = padding * 2
            if len(padding) != 4 or min(padding) < 0:
                raise ValueError(f"[RandomCrop] padding must be a non-negative int or a 2- or 4-sequence, "
                                 f"got {padding!r}")
        self.padding, self.pad_if_needed, self.fill, self.padding_mode = padding, pad_if_needed, fill, padding_mode
        self.generator = generator

    def __call__(self, img):
        arr, rewrap = _unwrap(img, "RandomCrop")
        if self.padding is not None:
            arr = _pad(arr, *self.padding, self.fill, self.padding_mode, "RandomCrop")
        (th, tw), (h, w) = self.size, arr.shape[-2:]
        if self.pad_if_needed and (w < tw or h < th):  # both sides, by the whole shortfall (as torchvision)
            dw, dh = max(tw - w, 0), max(th - h, 0)
            arr = _pad(arr, dw, dh, dw, dh, self.fill, self.padding_mode, "RandomCrop")
            h, w = arr.shape[-2:]
        if h < th or w < tw:
            raise ValueError(f"[RandomCrop] required crop size {(th, tw)} is larger than the (padded) image "
                             f"size {(h, w)}")
        top, left = _randint(0, h - th + 1, self.generator), _randint(0, w - tw + 1, self.generator)
        return rewrap(_crop(arr, top, left, th, tw))


def _resize(arr, out_hw, mode, antialias):
    (h, w), (oh, ow) = arr.shape[-2:], out_hw
    return _image.separable(arr, _image.resample_matrix(h, oh, mode, antialias),
                            _image.resample_matrix(w, ow, mode, antialias))


class Resize(_Transform):
    """Resizes to (h, w), or an int: the smaller edge to size keeping the aspect ratio (longer edge <= max_size)."""

    def __init__(self, size, interpolation="bilinear", max_size=None, antialias=True):
        if isinstance(size, numbers.Integral) or len(size) == 1:
            s = int(size if isinstance(size, numbers.Integral) else size[0])
            if s <= 0:
                raise ValueError(f"[Resize] size must be positive, got {size!r}")
            self.size = s
        else:
            if max_size is not None:
                raise ValueError("[Resize] max_size is only supported when size is a single int")
            self.size = _size2(size, "Resize")
        self.interpolation = _mode(interpolation, "Resize")
        self.max_size, self.antialias = max_size, antialias

    def _output_size(self, h, w):
        if not isinstance(self.size, int):
            return self.size
        short, long = min(h, w), max(h, w)
        new_short, new_long = self.size, int(self.size * long / short)
        if self.max_size is not None:
            if self.max_size <= self.size:
                raise ValueError(f"[Resize] max_size = {self.max_size} must be strictly greater than the requested "
                                 f"size for the smaller edge size = {self.size}")
            if new_long > self.max_size:
                new_short, new_long = int(self.max_size * new_short / new_long), self.max_size
        return (new_short, new_long) if h <= w else (new_long, new_short)

    def __call__(self, img):
        arr, rewrap = _unwrap(img, "Resize")
        return rewrap(_resize(arr, self._output_size(*arr.shape[-2:]), self.interpolation, self.antialias))


class RandomResizedCrop(_Transform):
    """A random region of random area (scale) and aspect ratio (ratio), resized to size."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0), interpolation="bilinear",
                 antialias=True, *, generator=None):
        self.size = _size2(size, "RandomResizedCrop")
        if scale[0] > scale[1] or ratio[0] > ratio[1] or min(scale) <= 0 or min(ratio) <= 0:
            raise ValueError(f"[RandomResizedCrop] scale {scale} and ratio {ratio} must be positive (min, max) pairs")
        self.scale, self.ratio = tuple(scale), tuple(ratio)
        self.interpolation, self.antialias = _mode(interpolation, "RandomResizedCrop"), antialias
        self.generator = generator

    def get_params(self, height, width):
        """(top, left, h, w): ten tries at a random box inside the image, else the central box of legal ratio."""
        g, area = self.generator, height * width
        log_ratio = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        for _ in range(10):
            target_area = area * _uniform(*self.scale, g)
            aspect = math.exp(_uniform(*log_ratio, g))
            w, h = int(round(math.sqrt(target_area * aspect))), int(round(math.sqrt(target_area / aspect)))
            if 0 < w <= width and 0 < h <= height:
                return _randint(0, height - h + 1, g), _randint(0, width - w + 1, g), h, w
        in_ratio = width / height
        if in_ratio < self.ratio[0]:
            w, h = width, int(round(width / self.ratio[0]))
        elif in_ratio > self.ratio[1]:
            h, w = height, int(round(height * self.ratio[1]))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def __call__(self, img):
        arr, rewrap = _unwrap(img, "RandomResizedCrop")
        box = self.get_params(*arr.shape[-2:])
        return rewrap(_resize(_crop(arr, *box), self.size, self.interpolation, self.antialias))


def _center_offset(center, arr):
    """torchvision's centre argument (pixel coordinates) relative to the image centre; None: the centre."""
    if center is None:
        return (0.0, 0.0)
    h, w = arr.shape[-2:]
    return (center[0] - w * 0.5, center[1] - h * 0.5)


class RandomRotation(_Transform):
    """Rotates counter-clockwise by an angle drawn from degrees ((-d, d) for a number d)."""

    def __init__(self, degrees, interpolation="nearest", expand=False, center=None, fill=0, *, generator=None):
        self.degrees = _range(degrees, "RandomRotation", "degrees")
        self.interpolation = _mode(interpolation, "RandomRotation")
        self.expand, self.center, self.fill, self.generator = expand, center, fill, generator

    def __call__(self, img):
        arr, rewrap = _unwrap(img, "RandomRotation")
        angle = _uniform(*self.degrees, self.generator)
        m = _image.inverse_affine(angle, (0.0, 0.0), 1.0, (0.0, 0.0), _center_offset(self.center, arr))
        out_hw = _expanded_size(m, *arr.shape[-2:]) if self.expand else arr.shape[-2:]
        return rewrap(_image.affine_sample(arr, m, out_hw, self.interpolation, self.fill))


def _expanded_size(m, h, w):
    """(h, w) of the box holding the whole rotated image (torchvision's rounding, to 1e-4)."""
    inv = np.linalg.inv(np.array([[m[0], m[1]], [m[3], m[4]]]))
    corners = np.array([[-0.5 * w, -0.5 * h], [-0.5 * w, 0.5 * h], [0.5 * w, 0.5 * h], [0.5 * w, -0.5 * h]])
    pts = corners @ inv.T
    tol = 1e-4
    hi, lo = np.ceil(np.trunc(pts.max(0) / tol) * tol), np.floor(np.trunc(pts.min(0) / tol) * tol)
    size = hi - lo
    return int(size[1]), int(size[0])


class RandomAffine(_Transform):
    """Random rotation (degrees), translation (fractions of width/height), scale and shear, one matrix."""

    def __init__(self, degrees, translate=None, scale=None, shear=None, interpolation="nearest", fill=0,
                 center=None, *, generator=None):
        self.degrees = _range(degrees, "RandomAffine", "degrees")
        if translate is not None and (len(translate) != 2 or not all(0 <= t <= 1 for t in translate)):
            raise ValueError(f"[RandomAffine] translate should be a pair of fractions in [0, 1], got {translate!r}")
        if scale is not None and (len(scale) != 2 or min(scale) <= 0 or scale[0] > scale[1]):
            raise ValueError(f"[RandomAffine] scale should be a positive (min, max) pair, got {scale!r}")
        if shear is not None:
            shear = (_range(shear, "RandomAffine", "shear") if isinstance(shear, numbers.Number) or len(shear) == 2
                     else _range(shear[:2], "RandomAffine", "shear") + _range(shear[2:], "RandomAffine", "shear"))
        self.translate, self.scale, self.shear = translate, scale, shear
        self.interpolation = _mode(interpolation, "RandomAffine")
        self.fill, self.center, self.generator = fill, center, generator

    def get_params(self, height, width):
        """(angle, (tx, ty), scale, (shear_x, shear_y)) drawn as torchvision draws them."""
        g = self.generator
        angle = _uniform(*self.degrees, g)
        tx = ty = 0
        if self.translate is not None:
            max_dx, max_dy = self.translate[0] * width, self.translate[1] * height
            tx, ty = int(round(_uniform(-max_dx, max_dx, g))), int(round(_uniform(-max_dy, max_dy, g)))
        scale = _uniform(*self.scale, g) if self.scale is not None else 1.0
        shear = [0.0, 0.0]
        if self.shear is not None:
            shear[0] = _uniform(self.shear[0], self.shear[1], g)
            if len(self.shear) == 4:
                shear[1] = _uniform(self.shear[2], self.shear[3], g)
        return angle, (tx, ty), scale, tuple(shear)

    def __call__(self, img):
        arr, rewrap = _unwrap(img, "RandomAffine")
        m = _image.inverse_affine(*self.get_params(*arr.shape[-2:]), _center_offset(self.center, arr))
        return rewrap(_image.affine_sample(arr, m, arr.shape[-2:], self.interpolation, self.fill))


def _color_channels(arr, name):
    if arr.shape[-3] not in (1, 3):
        raise ValueError(f"[{name}] expects 1- or 3-channel images (..., C, H, W), got shape {arr.shape}")


class ColorJitter(_Transform):
    """Random brightness, contrast and saturation factors, applied in a random order."""

    def __init__(self, brightness=0, contrast=0, saturation=0, *, generator=None):
        self.brightness = _range(brightness, "ColorJitter", "brightness", center=1, lower=0)
        self.contrast = _range(contrast, "ColorJitter", "contrast", center=1, lower=0)
        self.saturation = _range(saturation, "ColorJitter", "saturation", center=1, lower=0)
        self.generator = generator

    def __call__(self, img):
        arr, rewrap = _unwrap(img, "ColorJitter", 3)
        _color_channels(arr, "ColorJitter")
        g = self.generator
        factors = [_uniform(*r, g) for r in (self.brightness, self.contrast, self.saturation)]
        for op in randperm(3, generator=g).tolist():
            f = factors[op]
            if op == 0:
                arr = _image.blend(arr, 0.0, f)
            elif op == 1:
                arr = _image.blend(arr, _image.grayscale(arr).mean(axis=(-3, -2, -1), keepdims=True), f)
            elif arr.shape[-3] == 3:  # saturation: 1-channel images have none
                arr = _image.blend(arr, _image.grayscale(arr), f)
        return rewrap(arr)


class GaussianNoise(_Transform):
    """Adds N(mean, sigma^2) noise to a float image, clipped to [0, 1] when clip."""

    def __init__(self, mean=0.0, sigma=0.1, clip=True, *, generator=None):
        if sigma < 0:
            raise ValueError(f"[GaussianNoise] sigma shouldn't be negative, got {sigma}")
        self.mean, self.sigma, self.clip, self.generator = mean, sigma, clip, generator

    def __call__(self, img):
        arr, rewrap = _unwrap(img, "GaussianNoise")
        if arr.dtype.kind != "f":
            raise TypeError(f"[GaussianNoise] input should be a float image, got dtype {arr.dtype}")
        noise = randn(arr.shape, generator=self.generator, dtype=float64).numpy()
        out = (arr + (self.mean + self.sigma * noise)).astype(arr.dtype)
        return rewrap(np.clip(out, 0, 1) if self.clip else out)


class GaussianBlur(_Transform):
    """Gaussian blur with kernel_size (kx, ky) odd, sigma drawn from a (min, max) range (or fixed), reflect edges."""

    def __init__(self, kernel_size, sigma=(0.1, 2.0), *, generator=None):
        ks = (kernel_size, kernel_size) if isinstance(kernel_size, numbers.Integral) else tuple(kernel_size)
        if len(ks) != 2 or any(k <= 0 or k % 2 == 0 for k in ks):
            raise ValueError(f"[GaussianBlur] kernel_size should be an odd positive int or (kx, ky) pair, "
                             f"got {kernel_size!r}")
        s = (sigma, sigma) if isinstance(sigma, numbers.Number) else tuple(sigma)
        if len(s) != 2 or s[0] <= 0 or s[0] > s[1]:
            raise ValueError(f"[GaussianBlur] sigma should be a positive number or (min, max) pair, got {sigma!r}")
        self.kernel_size, self.sigma, self.generator = ks, s, generator

    def __call__(self, img):
        arr, rewrap = _unwrap(img, "GaussianBlur")
        sigma = _uniform(*self.sigma, self.generator)
        (h, w), (kx, ky) = arr.shape[-2:], self.kernel_size
        return rewrap(_image.separable(arr, _image.blur_matrix(h, ky, sigma), _image.blur_matrix(w, kx, sigma)))


class RandomErasing(_Transform):
    """With probability p, a random box (area fraction scale, aspect ratio) set to value (number, per-channel
    sequence, or 'random' for N(0, 1) noise)."""

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False, *, generator=None):
        if not 0 <= p <= 1:
            raise ValueError(f"[RandomErasing] p should be a probability in [0, 1], got {p}")
        if scale[0] > scale[1] or ratio[0] > ratio[1] or scale[0] < 0 or scale[1] > 1 or ratio[0] <= 0:
            raise ValueError(f"[RandomErasing] scale {scale} should be in [0, 1] and ordered, ratio {ratio} "
                             f"positive and ordered")
        if isinstance(value, str) and value != "random":
            raise ValueError(f"[RandomErasing] if value is a str, it should be 'random', got {value!r}")
        self.p, self.scale, self.ratio, self.value, self.inplace = p, scale, ratio, value, inplace
        self.generator = generator

    def get_params(self, channels, height, width):
        """(top, left, h, w, fill) of the box, or None when ten tries found none that fits."""
        g, area = self.generator, height * width
        log_ratio = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        for _ in range(10):
            erase_area = area * _uniform(*self.scale, g)
            aspect = math.exp(_uniform(*log_ratio, g))
            h, w = int(round(math.sqrt(erase_area * aspect))), int(round(math.sqrt(erase_area / aspect)))
            if not (h < height and w < width):
                continue
            if self.value == "random":
                fill = randn((channels, h, w), generator=g, dtype=float64).numpy()
            else:
                fill = np.asarray(self.value, dtype=np.float64).reshape(-1, 1, 1)
                if fill.shape[0] not in (1, channels):
                    raise ValueError(f"[RandomErasing] value has {fill.shape[0]} values, the image has "
                                     f"{channels} channels")
            return _randint(0, height - h + 1, g), _randint(0, width - w + 1, g), h, w, fill
        return None

    def __call__(self, img):
        arr, rewrap = _unwrap(img, "RandomErasing", 3)
        if rand(1, generator=self.generator, dtype=float64).item() >= self.p:
            return img
        params = self.get_params(*arr.shape[-3:])
        if params is None:
            return img
        top, left, h, w, fill = params
        out = arr if self.inplace else arr.copy()
        out[..., top:top + h, left:left + w] = fill
        return img if self.inplace else rewrap(out)
