// Pooling ops: argument checks, the window tables of Note [Window tables], dispatch, and
// backward rules. Each backward is itself an op with a backward (avg pooling's backward is
// avg pooling's transpose, max pooling's is a scatter to the recorded indices whose
// transpose is a gather), so double backward works.
#include <algorithm>
#include <array>
#include <cmath>
#include <memory>

#include "autograd/meta.h"
#include "core/shape.h"
#include "cpu/pooling_kernels.h"
#include "ops/iter.h"
#include "nativedl/nativedl.h"

namespace nd {

namespace cpu {
DispatchStub<MaxPoolKernel> max_pool_stub;
DispatchStub<MaxPoolBackwardKernel> max_pool_backward_stub;
DispatchStub<AvgPoolKernel> avg_pool_stub;
DispatchStub<AvgPoolBackwardKernel> avg_pool_backward_stub;
}  // namespace cpu

using autograd::record;

namespace {

// The window tables of one call (Note [Window tables]), shared by the forward and backward.
struct Windows {
  std::vector<int64_t> start_h, end_h, start_w, end_w;
  std::vector<double> div_h, div_w;
  double divisor_override = 0;
  int64_t dil_h = 1, dil_w = 1, H = 0, W = 0;
  int64_t OH() const { return int64_t(start_h.size()); }
  int64_t OW() const { return int64_t(start_w.size()); }
  cpu::PoolWindows view(int64_t planes, DType dtype) const {
    cpu::PoolWindows w;
    w.start_h = start_h.data(); w.end_h = end_h.data(); w.start_w = start_w.data(); w.end_w = end_w.data();
    // Null without divisors (max pooling): a CUDA launch copies only the tables that exist.
    w.div_h = div_h.empty() ? nullptr : div_h.data();
    w.div_w = div_w.empty() ? nullptr : div_w.data();
    w.divisor_override = divisor_override;
    w.dil_h = dil_h; w.dil_w = dil_w;
    w.tap_cols = taps(start_w, end_w, dil_w);
    w.planes = planes; w.H = H; w.W = W; w.OH = OH(); w.OW = OW();
    w.dtype = dtype;
    return w;
  }
  // The most taps of a window along one axis, and in a window.
  static int64_t taps(const std::vector<int64_t>& start, const std::vector<int64_t>& end, int64_t dil) {
    int64_t n = 1;
    for (size_t o = 0; o < start.size(); ++o) n = std::max(n, (end[o] - start[o] + dil - 1) / dil);
    return n;
  }
  int64_t window_taps() const { return taps(start_h, end_h, dil_h) * taps(start_w, end_w, dil_w); }
};
using WindowsPtr = std::shared_ptr<const Windows>;

// One spatial axis of a strided pooling.
struct Axis { int64_t in, k, s, p, d; };

int64_t pooled_size(const Axis& a, bool ceil_mode) {
  const int64_t span = a.in + 2 * a.p - a.d * (a.k - 1) - 1 + (ceil_mode ? a.s - 1 : 0);
  int64_t out = (span >= 0 ? span / a.s : -((-span + a.s - 1) / a.s)) + 1;
  // A last window starting inside the right padding is dropped (PyTorch's rule).
  if (ceil_mode && (out - 1) * a.s >= a.in + a.p) --out;
  return out;
}

// Max windows: taps start, start+d, ... clipped to the input.
void max_axis(const Axis& a, int64_t out, std::vector<int64_t>& start, std::vector<int64_t>& end) {
  for (int64_t o = 0; o < out; ++o) {
    int64_t s = o * a.s - a.p;
    const int64_t e = std::min(s + (a.k - 1) * a.d + 1, a.in);
    while (s < 0) s += a.d;
    start.push_back(s);
    end.push_back(e);
  }
}

// Avg windows: clipped bounds, and the divisor factor counting padding or not.
void avg_axis(const Axis& a, int64_t out, bool count_include_pad, std::vector<int64_t>& start,
              std::vector<int64_t>& end, std::vector<double>& div) {
  for (int64_t o = 0; o < out; ++o) {
    const int64_t s = o * a.s - a.p, e = std::min(s + a.k, a.in + a.p);
    const int64_t cs = std::max<int64_t>(s, 0), ce = std::min(e, a.in);
    start.push_back(cs);
    end.push_back(ce);
    div.push_back(double(count_include_pad ? e - s : ce - cs));
  }
}

void adaptive_axis(int64_t in, int64_t out, std::vector<int64_t>& start, std::vector<int64_t>& end,
                   std::vector<double>& div) {
  for (int64_t o = 0; o < out; ++o) {
    const int64_t s = (o * in) / out, e = ((o + 1) * in + out - 1) / out;
    start.push_back(s);
    end.push_back(e);
    div.push_back(double(e - s));
  }
}

// Accepts (C, H, W) or (N, C, H, W) floating inputs with non-empty planes.
void check_input(const Tensor& x, const char* op, int spatial) {
  const int64_t lo = 1 + spatial, hi = 2 + spatial;
  ND_CHECK(x.dim() == lo || x.dim() == hi, ValueError, "[", op, "] expected a ", lo, "-d or ", hi,
           "-d (batched) input, got shape ", shape_str(x.shape()));
  ND_CHECK(is_floating(x.dtype()), TypeError, "[", op, "] expected a floating point input, got dtype ",
           dtype_name(x.dtype()));
  for (int64_t d = x.dim() - spatial - 1; d < x.dim(); ++d)
    ND_CHECK(x.shape()[size_t(d)] > 0, ValueError, "[", op, "] expected non-zero channel and spatial sizes, got input ",
             shape_str(x.shape()));
}

Size2 pair(const Size2& v, const Size2& dflt, const char* op, const char* arg) {
  if (v.empty()) return dflt;
  ND_CHECK(v.size() == 1 || v.size() == 2, ValueError, "[", op, "] ", arg, " must be one int or two ints, got ",
           v.size(), " values");
  return v.size() == 1 ? Size2{v[0], v[0]} : v;
}

// Checks strided pooling arguments and returns the two axes.
std::array<Axis, 2> strided_axes(const Tensor& x, const Size2& k_, const Size2& s_, const Size2& p_, const Size2& d_,
                                 bool ceil_mode, const char* op) {
  const Size2 k = pair(k_, {}, op, "kernel_size");
  ND_CHECK(k.size() == 2, ValueError, "[", op, "] kernel_size is required");
  const Size2 s = pair(s_, k, op, "stride"), p = pair(p_, {0, 0}, op, "padding"), d = pair(d_, {1, 1}, op, "dilation");
  std::array<Axis, 2> axes;
  for (int i = 0; i < 2; ++i) {
    ND_CHECK(k[i] > 0 && s[i] > 0 && d[i] > 0, ValueError, "[", op, "] kernel_size, stride and dilation must be "
             "positive, got kernel_size=", core::ints_str(k), ", stride=", core::ints_str(s), ", dilation=",
             core::ints_str(d));
    ND_CHECK(p[i] >= 0 && p[i] <= k[i] / 2, ValueError, "[", op, "] padding should be at most half of kernel size, "
             "got padding=", core::ints_str(p), ", kernel_size=", core::ints_str(k));
    axes[i] = Axis{x.shape()[size_t(x.dim() - 2 + i)], k[i], s[i], p[i], d[i]};
    ND_CHECK(pooled_size(axes[i], ceil_mode) >= 1, ValueError, "[", op, "] input ", shape_str(x.shape()),
             " is too small for kernel_size=", core::ints_str(k), ", dilation=", core::ints_str(d), ", padding=",
             core::ints_str(p), ": the output would be empty");
  }
  return axes;
}

Shape out_shape(const Tensor& x, int64_t oh, int64_t ow) {
  Shape s = x.shape();
  s[s.size() - 2] = oh;
  s[s.size() - 1] = ow;
  return s;
}

int64_t planes_of(const Tensor& x) { return x.numel() / (x.shape()[size_t(x.dim() - 2)] * x.shape().back()); }

Tensor avg_backward(const WindowsPtr& w, const Tensor& g, const Shape& in_shape);

// Average pooling over `w`; its backward spreads the gradient back (avg_backward).
Tensor avg_forward(const WindowsPtr& w, const Tensor& x_in) {
  const Tensor x = contiguous(x_in);
  Tensor out = empty(out_shape(x, w->OH(), w->OW()), TensorOptions(x.dtype()).with_device(x.device()));
  if (out.numel() > 0)
    ops::launch_on(x.device(), "avg_pool2d", cpu::avg_pool_stub, w->view(planes_of(x), x.dtype()), x.device_data_ptr(),
                   out.device_data_ptr());
  const Shape in_shape = x.shape();
  record("AvgPool2DBackward0", {x_in}, {out}, [w, in_shape](const TensorList& g) {
    return TensorList{avg_backward(w, g[0], in_shape)};
  });
  return out;
}

Tensor avg_backward(const WindowsPtr& w, const Tensor& g_in, const Shape& in_shape) {
  const Tensor g = contiguous(g_in);
  Tensor gx = empty(in_shape, TensorOptions(g.dtype()).with_device(g.device()));
  if (gx.numel() > 0)
    ops::launch_on(g.device(), "avg_pool2d_backward", cpu::avg_pool_backward_stub, w->view(planes_of(gx), g.dtype()),
                   g.device_data_ptr(), gx.device_data_ptr());
  record("AvgPool2DBackwardBackward0", {g_in}, {gx}, [w](const TensorList& gg) {
    return TensorList{avg_forward(w, gg[0])};
  });
  return gx;
}

// The flat indices of max pooling's tap codes (Note [Tap codes]), for the transpose of its
// backward (double backward only; the kernels' tap_flat on the host).
Tensor flat_indices(const Windows& w, const Tensor& taps_in) {
  const Tensor taps = contiguous(to_device(taps_in, Device{}));
  Tensor idx = empty(taps.shape(), TensorOptions(DType::Int64));
  const uint8_t* t = taps.data<uint8_t>();
  int64_t* ix = idx.data<int64_t>();
  const int64_t cols = Windows::taps(w.start_w, w.end_w, w.dil_w), OW = w.OW(), plane = w.OH() * OW;
  for (int64_t k = 0; k < taps.numel(); ++k) {
    const size_t oh = size_t(k % plane / OW), ow = size_t(k % OW);
    ix[k] = (w.start_h[oh] + t[k] / cols * w.dil_h) * w.W + w.start_w[ow] + t[k] % cols * w.dil_w;
  }
  return to_device(idx, taps_in.device());
}

// Places src (planes, K) in zero planes at the maxima given by idx (planes, K, flat
// indices) or taps (tap codes): summing repeats (max pooling's backward, given the forward's
// windows) or writing them (unpooling: idx, no windows). Its transpose is a gather.
Tensor scatter_planes(const Tensor& src_in, const Tensor& idx, const Tensor& taps, const Shape& out_shape_,
                      bool accumulate, const WindowsPtr& windows, const char* op) {
  const Tensor src = contiguous(src_in);
  const Tensor& where = idx.defined() ? idx : taps;
  const Device device = ops::common_device(op, {&src, &where});
  Tensor out = empty(out_shape_, TensorOptions(src.dtype()).with_device(device));
  if (out.numel() > 0) {
    const int64_t planes =
        where.dim() >= 2 ? where.numel() / (where.shape()[where.dim() - 2] * where.shape().back()) : 1;
    cpu::PoolWindows w = windows ? windows->view(planes, src.dtype()) : cpu::PoolWindows{};
    w.planes = planes;
    w.H = out_shape_[out_shape_.size() - 2];
    w.W = out_shape_.back();
    w.OH = where.shape()[size_t(where.dim() - 2)];
    w.OW = where.shape().back();
    w.dtype = src.dtype();
    ops::launch_on(device, op, cpu::max_pool_backward_stub, w, src.device_data_ptr(),
                   idx.defined() ? static_cast<const int64_t*>(idx.device_data_ptr()) : nullptr,
                   taps.defined() ? static_cast<const uint8_t*>(taps.device_data_ptr()) : nullptr,
                   out.device_data_ptr(), accumulate);
  }
  const Shape src_shape = src.shape();
  record(accumulate ? "MaxPool2DWithIndicesBackward0" : "MaxUnpool2DBackward0", {src_in}, {out},
         [idx, taps, windows, src_shape](const TensorList& g) {
           const Tensor flat = idx.defined() ? idx : flat_indices(*windows, taps);
           const int64_t hw = g[0].shape()[size_t(g[0].dim() - 2)] * g[0].shape().back();
           const int64_t k = src_shape[src_shape.size() - 2] * src_shape.back();
           return TensorList{reshape(gather(reshape(g[0], {-1, hw}), 1, reshape(flat, {-1, k})), src_shape)};
         });
  return out;
}

// Max pooling over `w`: the values, and their flat indices when `with_indices` (undefined
// otherwise). The backward gets tap codes instead where they fit (Note [Tap codes]).
std::tuple<Tensor, Tensor> max_forward(const Windows& w, const Tensor& x_in, const char* node, bool with_indices) {
  const Tensor x = contiguous(x_in);
  const Shape os = out_shape(x, w.OH(), w.OW());
  const bool codes = !with_indices && w.window_taps() <= 256;
  Tensor out = empty(os, TensorOptions(x.dtype()).with_device(x.device()));
  Tensor idx = codes ? Tensor{} : empty(os, TensorOptions(DType::Int64).with_device(x.device()));
  Tensor taps = codes ? empty(os, TensorOptions(DType::UInt8).with_device(x.device())) : Tensor{};
  if (out.numel() > 0)
    ops::launch_on(x.device(), "max_pool2d", cpu::max_pool_stub, w.view(planes_of(x), x.dtype()), x.device_data_ptr(),
                   out.device_data_ptr(), idx.defined() ? static_cast<int64_t*>(idx.device_data_ptr()) : nullptr,
                   taps.defined() ? static_cast<uint8_t*>(taps.device_data_ptr()) : nullptr);
  const Shape in_shape = x.shape();
  const WindowsPtr wp = std::make_shared<Windows>(w);
  record(node, {x_in}, {out}, [idx, taps, in_shape, wp](const TensorList& g) {
    return TensorList{scatter_planes(g[0], idx, taps, in_shape, true, wp, "max_pool2d_backward")};
  });
  return {out, with_indices ? idx : Tensor{}};
}

// Runs a 1-d op as the 2-d op on (..., 1, L) and drops the unit dim.
template <typename F> auto as_1d(const Tensor& x, const char* op, F f) {
  check_input(x, op, 1);
  return f(unsqueeze(x, -2));
}
Tensor squeeze_h(const Tensor& t) { return squeeze(t, std::vector<int64_t>{t.dim() - 2}); }

std::tuple<Tensor, Tensor> max_pool2d_impl(const Tensor& x, const Size2& k, const Size2& s, const Size2& p,
                                           const Size2& d, bool ceil_mode, const char* op, bool with_indices) {
  const auto axes = strided_axes(x, k, s, p, d, ceil_mode, op);
  Windows w;
  max_axis(axes[0], pooled_size(axes[0], ceil_mode), w.start_h, w.end_h);
  max_axis(axes[1], pooled_size(axes[1], ceil_mode), w.start_w, w.end_w);
  w.dil_h = axes[0].d;
  w.dil_w = axes[1].d;
  w.H = axes[0].in;
  w.W = axes[1].in;
  return max_forward(w, x, "MaxPool2DWithIndicesBackward0", with_indices);
}

Tensor avg_pool2d_impl(const Tensor& x, const Size2& k, const Size2& s, const Size2& p, bool ceil_mode,
                       bool count_include_pad, std::optional<int64_t> divisor_override, const char* op) {
  ND_CHECK(!divisor_override || *divisor_override != 0, ValueError, "[", op, "] divisor must be not zero");
  const auto axes = strided_axes(x, k, s, p, {1, 1}, ceil_mode, op);
  auto w = std::make_shared<Windows>();
  avg_axis(axes[0], pooled_size(axes[0], ceil_mode), count_include_pad, w->start_h, w->end_h, w->div_h);
  avg_axis(axes[1], pooled_size(axes[1], ceil_mode), count_include_pad, w->start_w, w->end_w, w->div_w);
  w->divisor_override = divisor_override ? double(*divisor_override) : 0.0;
  w->H = axes[0].in;
  w->W = axes[1].in;
  return avg_forward(w, x);
}

Windows adaptive_windows(const Tensor& x, const Size2& size_, const char* op) {
  const Size2 size = pair(size_, {}, op, "output_size");
  ND_CHECK(size.size() == 2 && size[0] >= 0 && size[1] >= 0, ValueError, "[", op,
           "] output_size must be non-negative, got ", core::ints_str(size_));
  Windows w;
  w.H = x.shape()[size_t(x.dim() - 2)];
  w.W = x.shape().back();
  adaptive_axis(w.H, size[0], w.start_h, w.end_h, w.div_h);
  adaptive_axis(w.W, size[1], w.start_w, w.end_w, w.div_w);
  return w;
}

}  // namespace

std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& x, const Size2& k, const Size2& s, const Size2& p,
                                                   const Size2& d, bool ceil_mode) {
  check_input(x, "max_pool2d", 2);
  return max_pool2d_impl(x, k, s, p, d, ceil_mode, "max_pool2d", true);
}

Tensor max_pool2d(const Tensor& x, const Size2& k, const Size2& s, const Size2& p, const Size2& d, bool ceil_mode) {
  check_input(x, "max_pool2d", 2);
  return std::get<0>(max_pool2d_impl(x, k, s, p, d, ceil_mode, "max_pool2d", false));
}

std::tuple<Tensor, Tensor> max_pool1d_with_indices(const Tensor& x, int64_t k, std::optional<int64_t> s, int64_t p,
                                                   int64_t d, bool ceil_mode) {
  return as_1d(x, "max_pool1d", [&](const Tensor& x2) {
    auto [v, i] = max_pool2d_impl(x2, {1, k}, {1, s.value_or(k)}, {0, p}, {1, d}, ceil_mode, "max_pool1d", true);
    return std::tuple<Tensor, Tensor>{squeeze_h(v), squeeze_h(i)};
  });
}

Tensor max_pool1d(const Tensor& x, int64_t k, std::optional<int64_t> s, int64_t p, int64_t d, bool ceil_mode) {
  return as_1d(x, "max_pool1d", [&](const Tensor& x2) {
    return squeeze_h(std::get<0>(
        max_pool2d_impl(x2, {1, k}, {1, s.value_or(k)}, {0, p}, {1, d}, ceil_mode, "max_pool1d", false)));
  });
}

Tensor avg_pool2d(const Tensor& x, const Size2& k, const Size2& s, const Size2& p, bool ceil_mode,
                  bool count_include_pad, std::optional<int64_t> divisor_override) {
  check_input(x, "avg_pool2d", 2);
  return avg_pool2d_impl(x, k, s, p, ceil_mode, count_include_pad, divisor_override, "avg_pool2d");
}

Tensor avg_pool1d(const Tensor& x, int64_t k, std::optional<int64_t> s, int64_t p, bool ceil_mode,
                  bool count_include_pad) {
  return as_1d(x, "avg_pool1d", [&](const Tensor& x2) {
    return squeeze_h(avg_pool2d_impl(x2, {1, k}, {1, s.value_or(k)}, {0, p}, ceil_mode, count_include_pad,
                                     std::nullopt, "avg_pool1d"));
  });
}

Tensor adaptive_avg_pool2d(const Tensor& x, const Size2& output_size) {
  check_input(x, "adaptive_avg_pool2d", 2);
  return avg_forward(std::make_shared<Windows>(adaptive_windows(x, output_size, "adaptive_avg_pool2d")), x);
}

Tensor adaptive_avg_pool1d(const Tensor& x, int64_t output_size) {
  return as_1d(x, "adaptive_avg_pool1d", [&](const Tensor& x2) {
    return squeeze_h(adaptive_avg_pool2d(x2, {1, output_size}));
  });
}

std::tuple<Tensor, Tensor> adaptive_max_pool2d(const Tensor& x, const Size2& output_size) {
  check_input(x, "adaptive_max_pool2d", 2);
  return max_forward(adaptive_windows(x, output_size, "adaptive_max_pool2d"), x, "AdaptiveMaxPool2DBackward0", true);
}

std::tuple<Tensor, Tensor> adaptive_max_pool1d(const Tensor& x, int64_t output_size) {
  return as_1d(x, "adaptive_max_pool1d", [&](const Tensor& x2) {
    auto [v, i] = adaptive_max_pool2d(x2, {1, output_size});
    return std::tuple<Tensor, Tensor>{squeeze_h(v), squeeze_h(i)};
  });
}

Tensor max_unpool2d(const Tensor& x, const Tensor& indices, const Size2& output_size) {
  const char* op = "max_unpool2d";
  check_input(x, op, 2);
  ND_CHECK(indices.dtype() == DType::Int64, TypeError, "[", op, "] indices must be int64, got ",
           dtype_name(indices.dtype()));
  ND_CHECK(indices.shape() == x.shape(), ValueError, "[", op, "] indices ", shape_str(indices.shape()),
           " must have the shape of input ", shape_str(x.shape()));
  ND_CHECK(output_size.size() == 2 && output_size[0] > 0 && output_size[1] > 0, ValueError, "[", op,
           "] output_size must be two positive ints, got ", core::ints_str(output_size));
  ops::common_device(op, {&x, &indices});
  const int64_t hw = output_size[0] * output_size[1];
  const Tensor idx = contiguous(indices);
  if (idx.numel() > 0) {
    const int64_t lo = amin(idx).item<int64_t>(), hi = amax(idx).item<int64_t>();
    ND_CHECK(lo >= 0 && hi < hw, IndexError, "[", op, "] found an invalid max index ", lo < 0 ? lo : hi,
             " for output_size=", core::ints_str(output_size), " (", hw, " elements per plane)");
  }
  return scatter_planes(x, idx, Tensor{}, out_shape(x, output_size[0], output_size[1]), false, nullptr, op);
}

}  // namespace nd
