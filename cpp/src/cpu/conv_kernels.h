// Descriptors and dispatch stubs of the convolution kernels. Plain data and function-pointer
// types only (see Note [ISA namespaces]).
//
// Note [Convolution triple]
// One convolution geometry gives three linear maps, and every conv op is one of them:
//   forward:   y = conv(x, w)      (conv2d; conv_transpose2d's input gradient)
//   transpose: x = conv^T(y, w)    (conv2d's input gradient; conv_transpose2d)
//   weight:    w = conv_w(x, y)    (the weight gradient of both)
// with x (n, c, h, w) the big side, y (n, o, oh, ow) the small side and weight
// (o, c / groups, kh, kw):
//   y[n, o, p, q] = sum_{ci, i, j} w[o, ci, i, j] * x[n, g * cg + ci, p*sh - ph + i*dh, q*sw - pw + j*dw]
// (g = o / og, taps outside x read zero). Each map is the adjoint of another in one argument,
// so the gradient of each is written with the other two, and double backward comes free.
// Sizes are given explicitly on both sides: conv_transpose2d's output_padding makes h larger
// than the rows y reaches, and those rows simply receive nothing.
#pragma once
#include <cstdint>

#include "cpu/kernel_api.h"

namespace nd::cpu {

/// The geometry of one convolution (Note [Convolution triple]); all tensors contiguous.
struct ConvGeom {
  DType dtype = DType::Float32;
  int64_t n = 0, c = 0, h = 0, w = 0;  // x
  int64_t o = 0, oh = 0, ow = 0;       // y
  int64_t kh = 1, kw = 1;
  int64_t sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1;
  int64_t groups = 1;
};

/// y = conv(x, w) (+ bias[o] when bias is non-null).
using ConvForwardKernel = void (*)(const ConvGeom& g, const void* x, const void* w, const void* bias, void* y);
/// x = conv^T(y, w) (+ bias[c] when bias is non-null).
using ConvTransposeKernel = void (*)(const ConvGeom& g, const void* y, const void* w, const void* bias, void* x);
/// w = conv_w(x, y): dw[o, ci, i, j] = sum_{n, p, q} y[n, o, p, q] * x[n, g*cg + ci, p*sh - ph + i*dh, ...].
using ConvWeightKernel = void (*)(const ConvGeom& g, const void* x, const void* y, void* w);

/// The general kernels: im2col (or the input itself for 1x1 convs) and the blocked GEMM, or
/// Winograd F(2x2, 3x3) for 3x3 stride-1 convs with enough channels.
extern DispatchStub<ConvForwardKernel> conv_forward_stub;
extern DispatchStub<ConvTransposeKernel> conv_transpose_stub;
extern DispatchStub<ConvWeightKernel> conv_weight_stub;
/// Depthwise kernels (groups == c, o = c * multiplier): direct SIMD loops, no GEMM.
extern DispatchStub<ConvForwardKernel> depthwise_forward_stub;
extern DispatchStub<ConvTransposeKernel> depthwise_transpose_stub;
extern DispatchStub<ConvWeightKernel> depthwise_weight_stub;
/// The whole depthwise backward in one pass over the data: gx = conv^T(gy, w), gw = conv_w(x, gy)
/// and, when gb is non-null, gb[o] = the sum of gy's plane o over the batch.
using DepthwiseBackwardKernel = void (*)(const ConvGeom& g, const void* x, const void* gy, const void* w, void* gx,
                                         void* gw, void* gb);
extern DispatchStub<DepthwiseBackwardKernel> depthwise_backward_stub;

}  // namespace nd::cpu
