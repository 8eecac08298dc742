// Descriptors and dispatch stubs of the pooling and resampling kernels (plain data only, see
// Note [ISA namespaces] in cpu/kernel_api.h).
//
// Note [Window tables]
// Every 2-D pooling op (max, avg, adaptive, with padding, dilation, ceil_mode) is separable:
// output row oh reads input rows start_h[oh], start_h[oh] + dil_h, ... < end_h[oh] (already
// clipped to the input), and likewise for columns. The op layer computes these tables once
// per call; the kernels just walk them, so one kernel serves every option. Avg pooling divides
// by div_h[oh] * div_w[ow] (the window size with or without padding) or by divisor_override.
// A 1-D op is the 2-D op on one row. All tensors are contiguous (planes, H, W), planes = N*C,
// and work is split over planes, so the backward writes each input plane from one thread
// (no atomics).
//
// Note [Resampling taps]
// Interpolation is separable too: output row oh is sum_k wt_h[oh*taps_h+k] * row idx_h[...]
// (1 tap nearest, 2 linear, 4 cubic), and the same across columns. The op layer computes the
// tables with PyTorch's coordinate rules; one kernel runs every mode, and the backward
// scatters with the same weights, plane by plane.
#pragma once
#include <cstdint>

#include "cpu/kernel_api.h"

namespace nd::cpu {

struct PoolWindows {
  const int64_t* start_h = nullptr;
  const int64_t* end_h = nullptr;
  const int64_t* start_w = nullptr;
  const int64_t* end_w = nullptr;
  const double* div_h = nullptr;  // avg only
  const double* div_w = nullptr;
  double divisor_override = 0;    // avg only; 0: none
  int64_t dil_h = 1, dil_w = 1;
  int64_t tap_cols = 1;           // max only: taps in a window row (Note [Tap codes])
  int64_t planes = 0, H = 0, W = 0, OH = 0, OW = 0;
  DType dtype = DType::Float32;
};

// Note [Tap codes]
// Max pooling's backward needs each window's argmax. As a flat int64 index (h * W + w) it
// costs twice the bytes of a float32 output; as the tap's position in its window, window row
// times tap_cols plus window column, it fits one byte for windows of at most 256 taps. The
// op layer asks for the flat indices only when the caller wants them (return_indices,
// max_unpool, adaptive pooling) or the windows are too large, and tap codes otherwise.

/// out (planes, OH, OW) = window maxima, the first maximum or the last NaN when the window
/// has NaNs (as PyTorch); indices and taps (each if non-null) = where: the flat h*W + w in
/// its plane, the tap code (Note [Tap codes]).
using MaxPoolKernel = void (*)(const PoolWindows& w, const void* in, void* out, int64_t* indices, uint8_t* taps);
/// out (planes, H, W) = zeros with src (planes, OH, OW) placed at the maxima: summed where
/// several land on one element (accumulate: max pooling's backward, given the forward's
/// tables and its taps or indices) or written (max unpooling: indices, no tables).
using MaxPoolBackwardKernel = void (*)(const PoolWindows& w, const void* src, const int64_t* indices,
                                       const uint8_t* taps, void* out, bool accumulate);
/// out = window sums / divisor.
using AvgPoolKernel = void (*)(const PoolWindows& w, const void* in, void* out);
/// grad_in (written) = each grad_out / divisor spread over its window.
using AvgPoolBackwardKernel = void (*)(const PoolWindows& w, const void* grad_out, void* grad_in);

struct ResampleTaps {
  const int64_t* idx_h = nullptr;
  const double* wt_h = nullptr;
  const int64_t* idx_w = nullptr;
  const double* wt_w = nullptr;
  int taps_h = 1, taps_w = 1;
  int64_t planes = 0, H = 0, W = 0, OH = 0, OW = 0;
  DType dtype = DType::Float32;
};
/// out (planes, OH, OW) from in (planes, H, W).
using ResampleKernel = void (*)(const ResampleTaps& t, const void* in, void* out);
/// grad_in (planes, H, W), written, from grad_out (planes, OH, OW): the transpose.
using ResampleBackwardKernel = void (*)(const ResampleTaps& t, const void* grad_out, void* grad_in);

extern DispatchStub<MaxPoolKernel> max_pool_stub;
extern DispatchStub<MaxPoolBackwardKernel> max_pool_backward_stub;
extern DispatchStub<AvgPoolKernel> avg_pool_stub;
extern DispatchStub<AvgPoolBackwardKernel> avg_pool_backward_stub;
extern DispatchStub<ResampleKernel> resample_stub;
extern DispatchStub<ResampleBackwardKernel> resample_backward_stub;

}  // namespace nd::cpu
