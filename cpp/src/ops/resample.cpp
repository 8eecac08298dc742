// Resampling ops: interpolation tap tables with PyTorch's coordinate rules (Note [Resampling
// taps]), the kernel dispatch, and the backward (the transpose, itself recorded with the
// forward as its backward, so double backward works); pixel and channel shuffles as views.
#include <algorithm>
#include <cmath>
#include <memory>

#include "autograd/meta.h"
#include "core/shape.h"
#include "cpu/pooling_kernels.h"
#include "nativedl/nativedl.h"
#include "ops/iter.h"

namespace nd {

namespace cpu {
DispatchStub<ResampleKernel> resample_stub;
DispatchStub<ResampleBackwardKernel> resample_backward_stub;
}  // namespace cpu

using autograd::record;

namespace {

struct AxisTaps {
  std::vector<int64_t> idx;
  std::vector<double> wt;
  int taps = 1;
};

struct Taps {
  AxisTaps h, w;
  int64_t H = 1, W = 1;
  int64_t OH() const { return int64_t(h.idx.size()) / h.taps; }
  int64_t OW() const { return int64_t(w.idx.size()) / w.taps; }
  cpu::ResampleTaps view(int64_t planes, DType dtype) const {
    cpu::ResampleTaps t;
    t.idx_h = h.idx.data(); t.wt_h = h.wt.data(); t.taps_h = h.taps;
    t.idx_w = w.idx.data(); t.wt_w = w.wt.data(); t.taps_w = w.taps;
    t.planes = planes; t.H = H; t.W = W; t.OH = OH(); t.OW = OW();
    t.dtype = dtype;
    return t;
  }
};
using TapsPtr = std::shared_ptr<const Taps>;

enum class Mode { Nearest, Linear, Cubic };

// PyTorch's area_pixel_compute_scale: the source step per output step.
double coord_scale(int64_t in, int64_t out, bool align_corners, double scale_factor) {
  if (align_corners) return out > 1 ? double(in - 1) / double(out - 1) : 0.0;
  return scale_factor > 0 ? 1.0 / scale_factor : double(in) / double(out);
}

// cubic convolution weights (Keys, A = -0.75) for taps at offsets -1, 0, 1, 2 from floor(src).
void cubic_weights(double t, double* w) {
  constexpr double A = -0.75;
  auto near = [](double x) { return ((A + 2) * x - (A + 3)) * x * x + 1; };      // |x| <= 1
  auto far = [](double x) { return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A; };  // 1 < |x| < 2
  w[0] = far(t + 1);
  w[1] = near(t);
  w[2] = near(1 - t);
  w[3] = far(2 - t);
}

AxisTaps axis_taps(int64_t in, int64_t out, Mode mode, bool align_corners, double scale_factor) {
  AxisTaps a;
  a.taps = mode == Mode::Nearest ? 1 : mode == Mode::Linear ? 2 : 4;
  for (int64_t o = 0; o < out; ++o) {
    if (mode == Mode::Nearest) {
      // PyTorch computes this in float: floor(dst * scale) with a float scale.
      const float s = scale_factor > 0 ? float(1.0 / scale_factor) : float(in) / float(out);
      a.idx.push_back(std::min(int64_t(std::floor(float(o) * s)), in - 1));
      a.wt.push_back(1.0);
      continue;
    }
    const double scale = coord_scale(in, out, align_corners, scale_factor);
    double src = align_corners ? scale * double(o) : scale * (double(o) + 0.5) - 0.5;
    if (mode == Mode::Linear) {
      src = std::max(src, 0.0);
      const int64_t i0 = std::min(int64_t(std::floor(src)), in - 1);
      const double l = std::clamp(src - double(i0), 0.0, 1.0);
      a.idx.push_back(i0);
      a.idx.push_back(i0 + (i0 < in - 1 ? 1 : 0));
      a.wt.push_back(1 - l);
      a.wt.push_back(l);
    } else {
      const double f = std::floor(src);
      double w[4];
      cubic_weights(src - f, w);
      for (int k = 0; k < 4; ++k) {
        a.idx.push_back(std::clamp(int64_t(f) - 1 + k, int64_t(0), in - 1));
        a.wt.push_back(w[k]);
      }
    }
  }
  return a;
}

Tensor resample_backward(const TapsPtr& t, const Tensor& g, const Shape& in_shape);

int64_t planes_of(const Shape& s, int spatial) {
  int64_t p = 1;
  for (size_t i = 0; i + size_t(spatial) < s.size(); ++i) p *= s[i];
  return p;
}

Tensor resample_forward(const TapsPtr& t, const Tensor& x_in, int spatial) {
  const Tensor x = contiguous(x_in);
  Shape os = x.shape();
  if (spatial == 2) os[os.size() - 2] = t->OH();
  os.back() = t->OW();
  Tensor out = empty(os, TensorOptions(x.dtype()).with_device(x.device()));
  if (out.numel() > 0)
    ops::launch_on(x.device(), "interpolate", cpu::resample_stub, t->view(planes_of(os, spatial), x.dtype()),
                   x.device_data_ptr(), out.device_data_ptr());
  const Shape in_shape = x.shape();
  record("UpsampleBackward0", {x_in}, {out}, [t, in_shape](const TensorList& g) {
    return TensorList{resample_backward(t, g[0], in_shape)};
  });
  return out;
}

Tensor resample_backward(const TapsPtr& t, const Tensor& g_in, const Shape& in_shape) {
  const Tensor g = contiguous(g_in);
  const int spatial = int(in_shape.size()) - 2;
  Tensor gx = empty(in_shape, TensorOptions(g.dtype()).with_device(g.device()));
  if (gx.numel() > 0)
    ops::launch_on(g.device(), "interpolate_backward", cpu::resample_backward_stub,
                   t->view(planes_of(in_shape, spatial), g.dtype()), g.device_data_ptr(), gx.device_data_ptr());
  record("UpsampleBackwardBackward0", {g_in}, {gx}, [t, spatial](const TensorList& gg) {
    return TensorList{resample_forward(t, gg[0], spatial)};
  });
  return gx;
}

Mode parse_mode(const std::string& mode, int spatial, std::optional<bool> align_corners) {
  const char* op = "interpolate";
  if (mode == "nearest") {
    ND_CHECK(!align_corners, ValueError, "[", op, "] align_corners option can only be set with the interpolating "
             "modes: linear | bilinear | bicubic");
    return Mode::Nearest;
  }
  const char* wanted = mode == "linear" ? "3-d" : mode == "bilinear" || mode == "bicubic" ? "4-d" : nullptr;
  ND_CHECK(wanted != nullptr, ValueError, "[", op, "] mode must be 'nearest', 'linear', 'bilinear' or 'bicubic', got '",
           mode, "'");
  ND_CHECK((mode == "linear") == (spatial == 1), ValueError, "[", op, "] mode '", mode, "' expects a ", wanted,
           " input, got a ", spatial + 2, "-d input");
  return mode == "bicubic" ? Mode::Cubic : Mode::Linear;
}

}  // namespace

Tensor interpolate(const Tensor& x, const std::vector<int64_t>& size_in, const std::vector<double>& scale_in,
                   const std::string& mode, std::optional<bool> align_corners) {
  const char* op = "interpolate";
  ND_CHECK(x.dim() == 3 || x.dim() == 4, ValueError, "[", op, "] expected a 3-d (N, C, L) or 4-d (N, C, H, W) "
           "input, got shape ", shape_str(x.shape()));
  ND_CHECK(is_floating(x.dtype()), TypeError, "[", op, "] expected a floating point input, got dtype ",
           dtype_name(x.dtype()));
  const int spatial = int(x.dim()) - 2;
  const Mode m = parse_mode(mode, spatial, align_corners);
  // One value stands for every spatial dim.
  const std::vector<int64_t> size = size_in.size() == 1 ? std::vector<int64_t>(size_t(spatial), size_in[0]) : size_in;
  const std::vector<double> scale_factor =
      scale_in.size() == 1 ? std::vector<double>(size_t(spatial), scale_in[0]) : scale_in;
  ND_CHECK(size.empty() != scale_factor.empty(), ValueError, "[", op, "] exactly one of size and scale_factor must "
           "be given");
  ND_CHECK(size.empty() || int(size.size()) == spatial, ValueError, "[", op, "] size ", core::ints_str(size),
           " must have one entry per spatial dim of input ", shape_str(x.shape()));
  ND_CHECK(scale_factor.empty() || int(scale_factor.size()) == spatial, ValueError, "[", op,
           "] scale_factor must have one entry per spatial dim of input ", shape_str(x.shape()));
  std::vector<int64_t> out(static_cast<size_t>(spatial), 0);
  for (int i = 0; i < spatial; ++i) {
    const int64_t in = x.shape()[size_t(2 + i)];
    if (!scale_factor.empty())
      ND_CHECK(scale_factor[size_t(i)] > 0, ValueError, "[", op, "] scale_factor must be positive, got ",
               scale_factor[size_t(i)]);
    out[size_t(i)] = size.empty() ? int64_t(std::floor(double(in) * scale_factor[size_t(i)])) : size[size_t(i)];
    ND_CHECK(in > 0 && out[size_t(i)] > 0, ValueError, "[", op, "] input ", shape_str(x.shape()), " and output sizes ",
             core::ints_str(out), " must be positive");
  }
  const bool ac = align_corners.value_or(false);
  auto t = std::make_shared<Taps>();
  const auto sf = [&](int i) { return scale_factor.empty() ? 0.0 : scale_factor[size_t(i)]; };
  if (spatial == 2) {
    t->H = x.shape()[2];
    t->h = axis_taps(t->H, out[0], m, ac, sf(0));
  } else {
    t->h.idx = {0};
    t->h.wt = {1.0};
  }
  t->W = x.shape().back();
  t->w = axis_taps(t->W, out.back(), m, ac, sf(spatial - 1));
  return resample_forward(t, x, spatial);
}

Tensor pixel_shuffle(const Tensor& x, int64_t r) {
  ND_CHECK(x.dim() >= 3, ValueError, "[pixel_shuffle] expected an input with at least 3 dims, got shape ",
           shape_str(x.shape()));
  const int64_t n = x.dim(), C = x.shape()[size_t(n - 3)], H = x.shape()[size_t(n - 2)], W = x.shape().back();
  ND_CHECK(r > 0 && C % (r * r) == 0, ValueError, "[pixel_shuffle] the channel dim of input ", shape_str(x.shape()),
           " must be divisible by upscale_factor squared (", r, "^2)");
  Shape lead(x.shape().begin(), x.shape().end() - 3);
  Shape s6 = lead;
  for (int64_t v : {C / (r * r), r, r, H, W}) s6.push_back(v);
  std::vector<int64_t> perm;
  const int64_t L = int64_t(lead.size());
  for (int64_t i = 0; i < L; ++i) perm.push_back(i);
  for (int64_t v : {0, 3, 1, 4, 2}) perm.push_back(L + v);
  Shape os = lead;
  for (int64_t v : {C / (r * r), H * r, W * r}) os.push_back(v);
  return reshape(permute(reshape(x, s6), perm), os);
}

Tensor pixel_unshuffle(const Tensor& x, int64_t r) {
  ND_CHECK(x.dim() >= 3, ValueError, "[pixel_unshuffle] expected an input with at least 3 dims, got shape ",
           shape_str(x.shape()));
  const int64_t n = x.dim(), C = x.shape()[size_t(n - 3)], H = x.shape()[size_t(n - 2)], W = x.shape().back();
  ND_CHECK(r > 0 && H % r == 0 && W % r == 0, ValueError, "[pixel_unshuffle] the spatial dims of input ",
           shape_str(x.shape()), " must be divisible by downscale_factor ", r);
  Shape lead(x.shape().begin(), x.shape().end() - 3);
  Shape s6 = lead;
  for (int64_t v : {C, H / r, r, W / r, r}) s6.push_back(v);
  std::vector<int64_t> perm;
  const int64_t L = int64_t(lead.size());
  for (int64_t i = 0; i < L; ++i) perm.push_back(i);
  for (int64_t v : {0, 2, 4, 1, 3}) perm.push_back(L + v);
  Shape os = lead;
  for (int64_t v : {C * r * r, H / r, W / r}) os.push_back(v);
  return reshape(permute(reshape(x, s6), perm), os);
}

Tensor channel_shuffle(const Tensor& x, int64_t groups) {
  ND_CHECK(x.dim() >= 3, ValueError, "[channel_shuffle] expected an input with at least 3 dims (N, C, *), got shape ",
           shape_str(x.shape()));
  const int64_t C = x.shape()[1];
  ND_CHECK(groups > 0 && C % groups == 0, ValueError, "[channel_shuffle] number of channels ", C,
           " must be divisible by groups=", groups);
  Shape s = x.shape();
  s.erase(s.begin() + 1);
  s.insert(s.begin() + 1, {groups, C / groups});
  return reshape(transpose(reshape(x, s), 1, 2), x.shape());
}

}  // namespace nd
