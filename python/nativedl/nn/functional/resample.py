"""Resampling: interpolate and the pixel/channel shuffles (PyTorch's nn.functional API)."""
import math

from ... import _C
from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d

__all__ = ["interpolate", "upsample", "pixel_shuffle", "pixel_unshuffle", "channel_shuffle"]

pixel_shuffle = _C.pixel_shuffle
pixel_unshuffle = _C.pixel_unshuffle
channel_shuffle = _C.channel_shuffle


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resizes (N, C, L) or (N, C, H, W) inputs: modes nearest, linear (3-d), bilinear, bicubic
    (4-d) and area (adaptive average pooling), with PyTorch's coordinate rules."""
    if antialias:
        raise ValueError("[interpolate] antialias=True is not supported")
    if (size is None) == (scale_factor is None):
        raise ValueError("[interpolate] exactly one of size and scale_factor must be given")
    spatial = input.dim() - 2
    if scale_factor is not None and (recompute_scale_factor or mode == "area"):
        # The output size alone decides the coordinates, as PyTorch does in these cases.
        factors = scale_factor if isinstance(scale_factor, (tuple, list)) else [scale_factor] * spatial
        size = [math.floor(float(input.shape[2 + i]) * float(f)) for i, f in enumerate(factors)]
        scale_factor = None
    if mode == "area":
        if align_corners is not None:
            raise ValueError("[interpolate] align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic")
        if spatial == 1:
            return adaptive_avg_pool1d(input, size if isinstance(size, int) else size[0])
        return adaptive_avg_pool2d(input, size)
    return _C.interpolate(input, size, scale_factor, mode, align_corners)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of interpolate, as in PyTorch."""
    return interpolate(input, size, scale_factor, mode, align_corners)
