// Convolutions: argument checks, the choice of kernel (general or depthwise), and the
// backward rules, each written with the three maps of Note [Convolution triple] so that
// gradients of gradients are convolutions again.
#include <algorithm>
#include <string>

#include "autograd/meta.h"
#include "cpu/conv_kernels.h"
#include "ops/iter.h"
#include "nativedl/nativedl.h"

namespace nd {

namespace cpu {
DispatchStub<ConvForwardKernel> conv_forward_stub;
DispatchStub<ConvTransposeKernel> conv_transpose_stub;
DispatchStub<ConvWeightKernel> conv_weight_stub;
DispatchStub<ConvForwardKernel> depthwise_forward_stub;
DispatchStub<ConvTransposeKernel> depthwise_transpose_stub;
DispatchStub<ConvWeightKernel> depthwise_weight_stub;
DispatchStub<DepthwiseBackwardKernel> depthwise_backward_stub;
}  // namespace cpu

using autograd::record;

namespace {

/// Stride, padding, dilation and groups of a 2-D convolution (1-D ones have H = 1).
struct ConvParams {
  Int2 stride, padding, dilation;
  int64_t groups;
};

// The geometry of x (n, c, h, w) -> y (n, o, oh, ow) through weight (o, c / groups, kh, kw).
cpu::ConvGeom geom(DType dtype, const Shape& x, const Shape& w, const Shape& y, const ConvParams& p) {
  cpu::ConvGeom g;
  g.dtype = dtype;
  g.n = x[0], g.c = x[1], g.h = x[2], g.w = x[3];
  g.o = y[1], g.oh = y[2], g.ow = y[3];
  g.kh = w[2], g.kw = w[3];
  g.sh = p.stride[0], g.sw = p.stride[1], g.ph = p.padding[0], g.pw = p.padding[1];
  g.dh = p.dilation[0], g.dw = p.dilation[1], g.groups = p.groups;
  return g;
}

// Depthwise convs (one input channel per group) have their own kernels (Note [Depthwise by padded planes]).
bool depthwise(const cpu::ConvGeom& g) { return g.groups > 1 && g.groups == g.c; }

Tensor conv_fwd(const Tensor& x, const Tensor& w, const Tensor& b, int64_t oh, int64_t ow, const ConvParams& p);
Tensor conv_tpose(const Tensor& y, const Tensor& w, const Tensor& b, int64_t h, int64_t wd, const ConvParams& p);
Tensor conv_wgrad(const Tensor& x, const Tensor& y, int64_t kh, int64_t kw, const ConvParams& p);

const void* ptr_or_null(const Tensor& t) { return t.defined() ? t.device_data_ptr() : nullptr; }

// Options for an output of `like`'s dtype on its device.
TensorOptions like(const Tensor& t) { return TensorOptions(t.dtype()).with_device(t.device()); }

// The gradients {x, w, b (when need_b)} of a depthwise conv2d in one pass over the data (Note
// [Fused depthwise backward] in cpu/kernels/depthwise.cpp); CPU only, and without history:
// double backward takes the separate maps.
TensorList depthwise_backward(const Tensor& x, const Tensor& w, const Tensor& gy, bool need_b, const ConvParams& p) {
  const Tensor xc = contiguous(x), wc = contiguous(w), gc = contiguous(gy);
  Tensor gx = empty(x.shape(), like(x)), gw = empty(w.shape(), like(w));
  Tensor gb = need_b ? empty({w.size(0)}, like(w)) : Tensor();
  const cpu::ConvGeom g = geom(x.dtype(), x.shape(), w.shape(), gy.shape(), p);
  ops::launch_on(x.device(), "conv2d_backward", cpu::depthwise_backward_stub, g, xc.device_data_ptr(),
                 gc.device_data_ptr(), wc.device_data_ptr(), gx.device_data_ptr(), gw.device_data_ptr(),
                 need_b ? gb.device_data_ptr() : nullptr);
  return need_b ? TensorList{gx, gw, gb} : TensorList{gx, gw};
}

// y = conv(x, w) + b of the given output size; its gradients are conv_tpose and conv_wgrad.
Tensor conv_fwd(const Tensor& x, const Tensor& w, const Tensor& b, int64_t oh, int64_t ow, const ConvParams& p) {
  Tensor out;
  {
    NoGradGuard no_grad;
    const Device device = ops::common_device("conv2d", {&x, &w, &b});
    const Tensor xc = contiguous(x), wc = contiguous(w), bc = b.defined() ? contiguous(b) : Tensor();
    out = empty({x.size(0), w.size(0), oh, ow}, like(x));
    const cpu::ConvGeom g = geom(x.dtype(), x.shape(), w.shape(), out.shape(), p);
    if (out.numel() > 0)
      ops::launch_on(device, "conv2d", depthwise(g) ? cpu::depthwise_forward_stub : cpu::conv_forward_stub, g,
                     xc.device_data_ptr(), wc.device_data_ptr(), ptr_or_null(bc), out.device_data_ptr());
  }
  const TensorList inputs = b.defined() ? TensorList{x, w, b} : TensorList{x, w};
  if (!autograd::any_requires_grad(inputs)) return out;
  const bool need_x = x.requires_grad(), need_w = w.requires_grad(), need_b = b.defined() && b.requires_grad();
  const SavedTensor sx(need_w ? x : Tensor()), sw(need_x ? w : Tensor());
  const int64_t h = x.size(2), wd = x.size(3), kh = w.size(2), kw = w.size(3);
  const bool fused = need_x && need_w && p.groups > 1 && p.groups == x.size(1) && x.device().type == DeviceType::CPU;
  record("ConvolutionBackward0", inputs, {out}, [=](const TensorList& g) {
    if (fused && !grad_mode_enabled()) {
      TensorList grads = depthwise_backward(sx.unpack(), sw.unpack(), g[0], need_b, p);
      grads.resize(inputs.size());
      return grads;
    }
    TensorList grads(inputs.size());
    if (need_x) grads[0] = conv_tpose(g[0], sw.unpack(), Tensor(), h, wd, p);
    if (need_w) grads[1] = conv_wgrad(sx.unpack(), g[0], kh, kw, p);
    if (need_b) grads[2] = sum(g[0], {0, 2, 3});
    return grads;
  });
  return out;
}

// x = conv^T(y, w) + b of the given size: <conv^T(y, w), u> = <y, conv(u, w)> = <conv_w(u, y), w>.
Tensor conv_tpose(const Tensor& y, const Tensor& w, const Tensor& b, int64_t h, int64_t wd, const ConvParams& p) {
  Tensor out;
  {
    NoGradGuard no_grad;
    const Device device = ops::common_device("conv_transpose2d", {&y, &w, &b});
    const Tensor yc = contiguous(y), wc = contiguous(w), bc = b.defined() ? contiguous(b) : Tensor();
    out = empty({y.size(0), w.size(1) * p.groups, h, wd}, like(y));
    const cpu::ConvGeom g = geom(y.dtype(), out.shape(), w.shape(), y.shape(), p);
    if (out.numel() > 0)
      ops::launch_on(device, "conv_transpose2d", depthwise(g) ? cpu::depthwise_transpose_stub : cpu::conv_transpose_stub,
                     g, yc.device_data_ptr(), wc.device_data_ptr(), ptr_or_null(bc), out.device_data_ptr());
  }
  const TensorList inputs = b.defined() ? TensorList{y, w, b} : TensorList{y, w};
  if (!autograd::any_requires_grad(inputs)) return out;
  const bool need_y = y.requires_grad(), need_w = w.requires_grad(), need_b = b.defined() && b.requires_grad();
  const SavedTensor sy(need_w ? y : Tensor()), sw(need_y ? w : Tensor());
  const int64_t oh = y.size(2), ow = y.size(3), kh = w.size(2), kw = w.size(3);
  record("ConvolutionBackward0", inputs, {out}, [=](const TensorList& g) {
    TensorList grads(inputs.size());
    if (need_y) grads[0] = conv_fwd(g[0], sw.unpack(), Tensor(), oh, ow, p);
    if (need_w) grads[1] = conv_wgrad(g[0], sy.unpack(), kh, kw, p);
    if (need_b) grads[2] = sum(g[0], {0, 2, 3});
    return grads;
  });
  return out;
}

// w = conv_w(x, y): <conv_w(x, y), v> = <y, conv(x, v)> = <conv^T(y, v), x>.
Tensor conv_wgrad(const Tensor& x, const Tensor& y, int64_t kh, int64_t kw, const ConvParams& p) {
  Tensor out;
  {
    NoGradGuard no_grad;
    const Device device = ops::common_device("conv2d_weight", {&x, &y});
    const Tensor xc = contiguous(x), yc = contiguous(y);
    out = empty({y.size(1), x.size(1) / p.groups, kh, kw}, like(x));
    const cpu::ConvGeom g = geom(x.dtype(), x.shape(), out.shape(), y.shape(), p);
    if (out.numel() > 0)
      ops::launch_on(device, "conv2d_weight", depthwise(g) ? cpu::depthwise_weight_stub : cpu::conv_weight_stub, g,
                     xc.device_data_ptr(), yc.device_data_ptr(), out.device_data_ptr());
  }
  if (!autograd::any_requires_grad(TensorList{x, y})) return out;
  const bool need_x = x.requires_grad(), need_y = y.requires_grad();
  const SavedTensor sx(need_y ? x : Tensor()), sy(need_x ? y : Tensor());
  const int64_t h = x.size(2), wd = x.size(3), oh = y.size(2), ow = y.size(3);
  record("ConvolutionBackwardWeight0", {x, y}, {out}, [=](const TensorList& g) {
    TensorList grads(2);
    if (need_x) grads[0] = conv_tpose(sy.unpack(), g[0], Tensor(), h, wd, p);
    if (need_y) grads[1] = conv_fwd(sx.unpack(), g[0], Tensor(), oh, ow, p);
    return grads;
  });
  return out;
}

// The user's arguments of one conv call, spatial dims last (nsp = 1 or 2).
struct ConvCall {
  const char* op;
  int nsp;
  bool transposed;
  Int2 stride, padding, dilation, output_padding;  // the last nsp entries are the user's
  int64_t groups;
};

std::string ints_str(const ConvCall& c, const Int2& v) {
  return c.nsp == 1 ? std::to_string(v[1]) : "(" + std::to_string(v[0]) + ", " + std::to_string(v[1]) + ")";
}

void check_conv(const ConvCall& c, const Tensor& input, const Tensor& weight, const Tensor& bias) {
  const char* op = c.op;
  ND_CHECK(is_floating(input.dtype()), TypeError, "[", op, "] expected a floating-point input, got ",
           dtype_name(input.dtype()));
  ND_CHECK(weight.dtype() == input.dtype(), TypeError, "[", op, "] weight has dtype ", dtype_name(weight.dtype()),
           " but input has dtype ", dtype_name(input.dtype()));
  ND_CHECK(!bias.defined() || bias.dtype() == input.dtype(), TypeError, "[", op, "] bias has dtype ",
           dtype_name(bias.dtype()), " but input has dtype ", dtype_name(input.dtype()));
  ND_CHECK(input.dim() == c.nsp + 1 || input.dim() == c.nsp + 2, ValueError, "[", op, "] expected a ", c.nsp + 1,
           "D (unbatched) or ", c.nsp + 2, "D (batched) input, got input of shape ", shape_str(input.shape()));
  ND_CHECK(weight.dim() == c.nsp + 2, ValueError, "[", op, "] expected a ", c.nsp + 2,
           "D weight, got weight of shape ", shape_str(weight.shape()));
  ND_CHECK(!bias.defined() || bias.dim() == 1, ValueError, "[", op, "] expected a 1D bias, got bias of shape ",
           shape_str(bias.shape()));
  ND_CHECK(c.groups > 0, ValueError, "[", op, "] groups must be positive, got ", c.groups);
  for (int d = 2 - c.nsp; d < 2; ++d) {
    ND_CHECK(c.stride[d] > 0, ValueError, "[", op, "] stride must be positive, got ", ints_str(c, c.stride));
    ND_CHECK(c.dilation[d] > 0, ValueError, "[", op, "] dilation must be positive, got ", ints_str(c, c.dilation));
    ND_CHECK(c.padding[d] >= 0, ValueError, "[", op, "] padding must be non-negative, got ", ints_str(c, c.padding));
    ND_CHECK(c.output_padding[d] >= 0 && c.output_padding[d] < std::max(c.stride[d], c.dilation[d]), ValueError,
             "[", op, "] output_padding ", ints_str(c, c.output_padding),
             " must be non-negative and smaller than either stride ", ints_str(c, c.stride), " or dilation ",
             ints_str(c, c.dilation));
  }
  const int64_t lead = input.dim() - c.nsp - 1;  // the channel dim
  const int64_t in_ch = input.size(lead);
  const int64_t w0 = weight.size(0), w1 = weight.size(1);
  if (!c.transposed) {
    ND_CHECK(w0 % c.groups == 0, ValueError, "[", op, "] weight ", shape_str(weight.shape()), " has ", w0,
             " output channels, not divisible by groups=", c.groups);
    ND_CHECK(in_ch == w1 * c.groups, ValueError, "[", op, "] input ", shape_str(input.shape()), " has ", in_ch,
             " channels but weight ", shape_str(weight.shape()), " expects ", w1 * c.groups, " (groups=", c.groups, ")");
  } else {
    ND_CHECK(in_ch == w0, ValueError, "[", op, "] input ", shape_str(input.shape()), " has ", in_ch,
             " channels but weight ", shape_str(weight.shape()), " expects ", w0, " (groups=", c.groups, ")");
    ND_CHECK(w0 % c.groups == 0, ValueError, "[", op, "] weight ", shape_str(weight.shape()), " has ", w0,
             " input channels, not divisible by groups=", c.groups);
  }
  const int64_t out_ch = c.transposed ? w1 * c.groups : w0;
  ND_CHECK(!bias.defined() || bias.size(0) == out_ch, ValueError, "[", op, "] bias of shape ",
           shape_str(bias.shape()), " does not match the ", out_ch, " output channels of weight ",
           shape_str(weight.shape()));
  for (int d = 0; d < c.nsp; ++d) {
    const int64_t pd = d + 2 - c.nsp;  // index into the Int2 parameters
    const int64_t size = input.size(lead + 1 + d), k = weight.size(2 + d);
    const int64_t reach = c.dilation[pd] * (k - 1) + 1;
    if (!c.transposed) {
      ND_CHECK(size + 2 * c.padding[pd] >= reach, ValueError, "[", op, "] input ", shape_str(input.shape()),
               " padded by ", ints_str(c, c.padding), " is smaller than the kernel of weight ",
               shape_str(weight.shape()), " with dilation ", ints_str(c, c.dilation));
    } else {
      const int64_t out = (size - 1) * c.stride[pd] - 2 * c.padding[pd] + reach + c.output_padding[pd];
      ND_CHECK(size > 0 && out > 0, ValueError, "[", op, "] input ", shape_str(input.shape()), " with weight ",
               shape_str(weight.shape()), " gives an empty output (size ", out, " along spatial dim ", d, ")");
    }
  }
}

// Runs the call on the 4-D forms of its tensors (a batch dim added to unbatched input, H = 1
// inserted for 1-D) and returns the result in the input's form.
Tensor run_conv(const ConvCall& c, const Tensor& input, const Tensor& weight, const Tensor& bias) {
  check_conv(c, input, weight, bias);
  const bool batched = input.dim() == c.nsp + 2;
  Tensor x = batched ? input : unsqueeze(input, 0);
  Tensor w = weight;
  if (c.nsp == 1) x = unsqueeze(x, 2), w = unsqueeze(w, 2);
  const ConvParams p{c.stride, c.padding, c.dilation, c.groups};
  Tensor out;
  if (!c.transposed) {
    auto size = [&](int d) {
      return (x.size(2 + d) + 2 * p.padding[d] - p.dilation[d] * (w.size(2 + d) - 1) - 1) / p.stride[d] + 1;
    };
    out = conv_fwd(x, w, bias, size(0), size(1), p);
  } else {
    auto size = [&](int d) {
      return (x.size(2 + d) - 1) * p.stride[d] - 2 * p.padding[d] + p.dilation[d] * (w.size(2 + d) - 1) +
             c.output_padding[d] + 1;
    };
    out = conv_tpose(x, w, bias, size(0), size(1), p);
  }
  if (c.nsp == 1) out = squeeze(out, std::vector<int64_t>{2});
  return batched ? out : squeeze(out, std::vector<int64_t>{0});
}

}  // namespace

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, Int2 stride, Int2 padding, Int2 dilation,
              int64_t groups) {
  return run_conv({"conv2d", 2, false, stride, padding, dilation, {0, 0}, groups}, input, weight, bias);
}

Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias, int64_t stride, int64_t padding,
              int64_t dilation, int64_t groups) {
  return run_conv({"conv1d", 1, false, {1, stride}, {0, padding}, {1, dilation}, {0, 0}, groups}, input, weight, bias);
}

Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias, Int2 stride, Int2 padding,
                        Int2 output_padding, int64_t groups, Int2 dilation) {
  return run_conv({"conv_transpose2d", 2, true, stride, padding, dilation, output_padding, groups}, input, weight,
                  bias);
}

Tensor conv_transpose1d(const Tensor& input, const Tensor& weight, const Tensor& bias, int64_t stride,
                        int64_t padding, int64_t output_padding, int64_t groups, int64_t dilation) {
  return run_conv({"conv_transpose1d", 1, true, {1, stride}, {0, padding}, {1, dilation}, {0, output_padding}, groups},
                  input, weight, bias);
}

}  // namespace nd
