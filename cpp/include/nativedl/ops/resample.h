// Resampling: interpolation with PyTorch's coordinate rules, and the pixel/channel shuffles.
#pragma once
#include <optional>
#include <string>

#include "nativedl/tensor.h"

namespace nd {

/// Resizes the spatial dims of an (N, C, L) or (N, C, H, W) input to `size` (one int per
/// spatial dim, or one for all), or to floor(in * scale_factor) when size is empty. mode: "nearest"
/// (source floor(dst * in / out), or floor(dst / scale_factor) when a scale factor is given),
/// "linear" (3-d), "bilinear" or "bicubic" (4-d; A = -0.75, border taps clamped). With
/// align_corners the corner pixels' centers line up; otherwise half-pixel centers, and a given
/// scale_factor (rather than in / out) sets the coordinate scale, as PyTorch.
Tensor interpolate(const Tensor& x, const std::vector<int64_t>& size, const std::vector<double>& scale_factor,
                   const std::string& mode, std::optional<bool> align_corners = std::nullopt);
/// (*, C * r * r, H, W) -> (*, C, H * r, W * r).
Tensor pixel_shuffle(const Tensor& x, int64_t upscale_factor);
/// (*, C, H * r, W * r) -> (*, C * r * r, H, W).
Tensor pixel_unshuffle(const Tensor& x, int64_t downscale_factor);
/// (N, C, *) with C = g * k: channel order (g, k) becomes (k, g).
Tensor channel_shuffle(const Tensor& x, int64_t groups);

}  // namespace nd
