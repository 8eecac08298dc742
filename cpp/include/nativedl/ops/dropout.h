// Dropout from nativedl's seeded generator (the same seed gives the same mask on any thread
// count). p must lie in [0, 1]; not training (or p = 0) returns the input unchanged.
#pragma once
#include "nativedl/tensor.h"

namespace nd {

/// Inverted dropout: each element kept with probability 1 - p and scaled by 1 / (1 - p);
/// p = 1 gives zeros.
Tensor dropout(const Tensor& x, double p, bool train);
/// In place on x (which must not need its value for backward).
Tensor& dropout_(Tensor& x, double p, bool train);
/// Drops whole channels: one draw per (n, c) of an (N, C, ...) input (at least 2 dims).
Tensor feature_dropout(const Tensor& x, double p, bool train);
/// SELU-preserving dropout: dropped units are set to -alpha' (alpha' = 1.7580993408473766 =
/// SELU's scale * alpha), then an affine map keeps mean 0 and variance 1; p = 1 gives zeros.
Tensor alpha_dropout(const Tensor& x, double p, bool train);
/// alpha_dropout with one draw per (N, C).
Tensor feature_alpha_dropout(const Tensor& x, double p, bool train);

}  // namespace nd
