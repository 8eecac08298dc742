// Descriptors and dispatch stubs of the normalization kernels (plain data only, see
// Note [ISA namespaces] in cpu/kernel_api.h).
//
// Note [Normalization layout]
// Batch, instance and group norm all see a contiguous input as (A, B, S) and normalize each
// b over its A*S elements: batch norm (N, C, H*W); instance and group norm (1, N*G, rest).
// Statistics and gradient sums per b come from one kernel each; the result is one per-b
// affine map y = x * scale[b] + shift[b] (+ g * gscale[b] in the backward), whose small
// per-b coefficients the op layer computes. Work is split over b: each thread owns whole
// channels, so no partial sums are shared. The fused kernels (below) take the statistics
// layout with P > 1 when each run of S holds P channels of their own weight and bias (group
// norm: (1, N*G, Cg*H*W) with P = Cg). Layer norm normalizes contiguous rows with an
// elementwise weight per column and has its own fused kernels (a row stays in cache).
#pragma once
#include <cstdint>

#include "cpu/kernel_api.h"

namespace nd::cpu {

struct NormLayout {
  int64_t A = 1, B = 0, S = 1;
  DType dtype = DType::Float32;
  int64_t P = 1;  // parts of S with their own parameters (fused kernels only; divides S)
};
/// mean[b] and biased var[b] of x over (A, S); both in x's dtype, accumulated in double.
using MomentsKernel = void (*)(const NormLayout& l, const void* x, void* mean, void* var);
/// sum_g[b] = sum g, sum_gx[b] = sum g * (x - center[b]) over (A, S).
using GradSumsKernel = void (*)(const NormLayout& l, const void* g, const void* x, const void* center,
                                void* sum_g, void* sum_gx);
/// out = x * scale[b] + shift[b] (+ g * gscale[b] when g is non-null).
using AffineKernel = void (*)(const NormLayout& l, const void* x, const void* scale, const void* shift,
                              const void* g, const void* gscale, void* out);

// Note [Fused per-channel normalization]
// With batch statistics, the forward (moments, then the affine map) and the backward
// (gradient sums, then the affine map) each need a whole b's statistics before writing it.
// The fused kernels finish one b at a time (its A runs of S, e.g. one channel of a batch:
// hundreds of KiB; a group of channels of one sample) so the later pass rereads it from
// cache: the forward moves x and y once, the backward g, x and dx once, instead of x or g and
// x twice. Each does two passes over b: the statistics (moments by blocks in L1; both
// gradient sums at once), then the affine map.

/// mean[b], biased var[b] and rstd[b] = 1 / sqrt(var + eps), then
/// out = (x - mean) * rstd * weight[k] + bias[k] on part k = b * P + p; weight, bias (B * P,
/// x's dtype) may be null.
using NormForwardKernel = void (*)(const NormLayout& l, const void* x, const void* weight, const void* bias,
                                   double eps, void* out, void* mean, void* var, void* rstd);
/// The batch-statistics backward of that map (Note [Fused normalization backward]):
/// sum_g[k] = sum g, sum_gx[k] = sum g * (x - mean[b]) over part k = b * P + p (B * P each), then
/// dx = rstd * (g * w - mean(g * w) - xhat * mean(g * w * xhat)), means over b; weight may be null.
using NormBackwardKernel = void (*)(const NormLayout& l, const void* g, const void* x, const void* mean,
                                    const void* rstd, const void* weight, void* dx, void* sum_g, void* sum_gx);

struct LayerNormArgs {
  int64_t rows = 0, cols = 0;
  double eps = 1e-5;
  const void* weight = nullptr;  // (cols) or null
  const void* bias = nullptr;    // (cols) or null
  DType dtype = DType::Float32;
};
/// out = (x - mean) * rstd * weight + bias per row; writes mean and rstd (rows).
using LayerNormKernel = void (*)(const LayerNormArgs& a, const void* x, void* out, void* mean, void* rstd);
/// grad_x (rows, cols); partial column sums of g * xhat and g per fixed row chunk into
/// grad_w_part and grad_b_part (kLayerNormChunks, cols), in double; either may be null.
using LayerNormBackwardKernel = void (*)(const LayerNormArgs& a, const void* g, const void* x, const void* mean,
                                         const void* rstd, void* grad_x, double* grad_w_part, double* grad_b_part);
/// Row chunks of the layer norm backward's parameter sums: fixed, so results don't depend on
/// the thread count.
constexpr int64_t kLayerNormChunks = 32;

extern DispatchStub<MomentsKernel> moments_stub;
extern DispatchStub<GradSumsKernel> grad_sums_stub;
extern DispatchStub<AffineKernel> affine_stub;
extern DispatchStub<NormForwardKernel> norm_forward_stub;
extern DispatchStub<NormBackwardKernel> norm_backward_stub;
extern DispatchStub<LayerNormKernel> layer_norm_stub;
extern DispatchStub<LayerNormBackwardKernel> layer_norm_backward_stub;

}  // namespace nd::cpu
