// Normalization ops: checks, statistics, dispatch, running-statistics updates and backward
// rules (Note [Normalization layout]).
//
// Note [Fused normalization backward]
// The backward of batch/group/instance norm is the closed form
//   dx = rstd * (gh - mean_group(gh) - xhat * mean_group(gh * xhat)),  gh = g * weight,
// run on the CPU as one fused kernel per statistics group (Note [Fused per-channel
// normalization]), elsewhere as one gradient-sums pass and one affine pass (the per-group
// coefficients are small tensors computed with ops); layer norm's is one fused kernel. These
// kernels are not differentiable themselves, so when the backward runs under create_graph,
// the gradient is instead taken through a composition of ops equal to the forward
// (`Composed`), which autograd can differentiate again: double backward is exact, and the
// common single backward stays fused.
#include <algorithm>
#include <functional>
#include <tuple>

#include "autograd/meta.h"
#include "core/shape.h"
#include "cpu/norm_kernels.h"
#include "ops/iter.h"
#include "nativedl/nativedl.h"

namespace nd {

namespace cpu {
DispatchStub<MomentsKernel> moments_stub;
DispatchStub<GradSumsKernel> grad_sums_stub;
DispatchStub<AffineKernel> affine_stub;
DispatchStub<NormForwardKernel> norm_forward_stub;
DispatchStub<NormBackwardKernel> norm_backward_stub;
DispatchStub<LayerNormKernel> layer_norm_stub;
DispatchStub<LayerNormBackwardKernel> layer_norm_backward_stub;
}  // namespace cpu

using autograd::record;

namespace {

using Map = std::function<Tensor(const Tensor&)>;
/// The forward as ops of (x, weight, bias) (Note [Fused normalization backward]).
using Composed = std::function<Tensor(const Tensor&, const Tensor&, const Tensor&)>;

// How statistics groups (Bs of them, M elements each) relate to the per-b units of the
// affine pass (Ba, the `apply` layout) and to channels (C): identity maps for batch norm.
struct Plan {
  const char* op;  // names the op in device errors
  Device device;   // x's: the kernels run there
  cpu::NormLayout stats, apply;
  cpu::NormLayout fused;  // stats, with the apply units of a statistics group as its P parts
  int64_t M = 1;
  Map expand;       // (Bs) -> (Ba)
  Map group_sum;    // (Ba) -> (Bs)
  Map channel;      // (C) -> (Ba)
  Map channel_sum;  // (Ba) -> (C)
};

Tensor identity(const Tensor& t) { return t; }

// Options for a tensor of `dtype` on x's device.
TensorOptions on(const Tensor& x, DType dtype) { return TensorOptions(dtype).with_device(x.device()); }

Plan batch_plan(const Tensor& x, const char* op) {
  Plan p{op, x.device()};
  const int64_t N = x.shape()[0], C = x.shape()[1], S = x.numel() / std::max<int64_t>(N * C, 1);
  p.stats = p.apply = p.fused = cpu::NormLayout{N, C, S, x.dtype()};
  p.M = N * S;
  p.expand = p.group_sum = p.channel = p.channel_sum = identity;
  return p;
}

Plan group_plan(const Tensor& x, int64_t G) {
  Plan p{"group_norm", x.device()};
  const int64_t N = x.shape()[0], C = x.shape()[1], S = x.numel() / std::max<int64_t>(N * C, 1), Cg = C / G;
  p.stats = cpu::NormLayout{1, N * G, Cg * S, x.dtype()};
  p.apply = cpu::NormLayout{1, N * C, S, x.dtype()};
  p.fused = cpu::NormLayout{1, N * G, Cg * S, x.dtype(), Cg};
  p.M = Cg * S;
  p.expand = [=](const Tensor& t) { return reshape(expand(reshape(t, {N, G, 1}), {N, G, Cg}), {N * C}); };
  p.group_sum = [=](const Tensor& t) { return reshape(sum(reshape(t, {N, G, Cg}), {2}), {N * G}); };
  p.channel = [=](const Tensor& t) { return reshape(expand(reshape(t, {1, C}), {N, C}), {N * C}); };
  p.channel_sum = [=](const Tensor& t) { return sum(reshape(t, {N, C}), {0}); };
  return p;
}

// The fused per-group kernels (Note [Fused per-channel normalization]) are the CPU's.
bool fused(const Plan& p) { return p.device.type == DeviceType::CPU; }

void run_affine(const Plan& p, const Tensor& x, const Tensor& scale, const Tensor& shift, const Tensor& g,
                const Tensor& gscale, Tensor& out) {
  if (out.numel() == 0) return;
  const Tensor sc = contiguous(scale), sh = contiguous(shift);
  const Tensor gs = gscale.defined() ? contiguous(gscale) : gscale;
  ops::launch_on(p.device, p.op, cpu::affine_stub, p.apply, x.device_data_ptr(), sc.device_data_ptr(),
                 sh.device_data_ptr(), g.defined() ? g.device_data_ptr() : nullptr,
                 gs.defined() ? gs.device_data_ptr() : nullptr, out.device_data_ptr());
}

// Per-group mean and biased variance of contiguous x.
std::pair<Tensor, Tensor> moments(const Plan& p, const Tensor& x) {
  const cpu::NormLayout& l = p.stats;
  Tensor mean = empty({l.B}, on(x, x.dtype())), var = empty({l.B}, on(x, x.dtype()));
  if (l.B > 0)
    ops::launch_on(p.device, p.op, cpu::moments_stub, l, x.device_data_ptr(), mean.device_data_ptr(),
                   var.device_data_ptr());
  return {mean, var};
}

Tensor channel_or(const Plan& p, const Tensor& t, double dflt, DType dtype) {
  return t.defined() ? p.channel(to_dtype(t, dtype))
                     : full({p.apply.B}, Scalar(dflt), TensorOptions(dtype).with_device(p.device));
}

// y = (x - mean) * rstd * weight + bias with per-group mean/rstd (Bs).
Tensor normalize(const Plan& p, const Tensor& x, const Tensor& mean, const Tensor& rstd, const Tensor& w,
                 const Tensor& b) {
  NoGradGuard no_grad;
  const Tensor scale = channel_or(p, w, 1, x.dtype()) * p.expand(rstd);
  const Tensor shift = channel_or(p, b, 0, x.dtype()) - p.expand(mean) * scale;
  Tensor out = empty(x.shape(), on(x, x.dtype()));
  run_affine(p, x, scale, shift, {}, {}, out);
  return out;
}

// Per-group mean, biased var and rstd of contiguous x, and the normalized output: one fused
// kernel on the CPU (Note [Fused per-channel normalization]), else moments, then the affine pass.
std::tuple<Tensor, Tensor, Tensor, Tensor> batch_stats_forward(const Plan& p, const Tensor& x, const Tensor& w,
                                                               const Tensor& b, double eps) {
  NoGradGuard no_grad;
  if (!fused(p)) {
    auto [mean, var] = moments(p, x);
    const Tensor rstd = rsqrt(var + Scalar(eps));
    return {mean, var, rstd, normalize(p, x, mean, rstd, w, b)};
  }
  const Tensor wc = w.defined() ? contiguous(channel_or(p, w, 1, x.dtype())) : w;
  const Tensor bc = b.defined() ? contiguous(channel_or(p, b, 0, x.dtype())) : b;
  Tensor mean = empty({p.stats.B}, x.dtype()), var = empty({p.stats.B}, x.dtype());
  Tensor rstd = empty({p.stats.B}, x.dtype()), out = empty(x.shape(), x.dtype());
  if (p.stats.B > 0)
    cpu::select(cpu::norm_forward_stub)(p.fused, x.data_ptr(), wc.defined() ? wc.data_ptr() : nullptr,
                                        bc.defined() ? bc.data_ptr() : nullptr, eps, out.data_ptr(), mean.data_ptr(),
                                        var.data_ptr(), rstd.data_ptr());
  return {mean, var, rstd, out};
}

// Note [Fused normalization backward]; `batch_stats`: mean/rstd came from x (not constants).
TensorList fused_backward(const Plan& p, const Tensor& g_in, const Tensor& x_in, const Tensor& mean,
                          const Tensor& rstd, const Tensor& w, const Tensor& b, bool batch_stats) {
  NoGradGuard no_grad;
  const Tensor g = contiguous(g_in), x = contiguous(x_in);
  const Tensor rstd_a = p.expand(rstd), w_a = channel_or(p, w, 1, x.dtype());
  Tensor sg = empty({p.apply.B}, on(x, x.dtype())), sgx = empty({p.apply.B}, on(x, x.dtype()));
  Tensor dx = empty(x.shape(), on(x, x.dtype()));
  if (batch_stats && fused(p)) {  // Note [Fused per-channel normalization]
    const Tensor m = contiguous(mean), rs = contiguous(rstd), wc = contiguous(w_a);
    if (p.stats.B > 0)
      cpu::select(cpu::norm_backward_stub)(p.fused, g.data_ptr(), x.data_ptr(), m.data_ptr(), rs.data_ptr(),
                                           wc.data_ptr(), dx.data_ptr(), sg.data_ptr(), sgx.data_ptr());
    return {dx, w.defined() ? to_dtype(p.channel_sum(sgx * rstd_a), w.dtype()) : Tensor{},
            b.defined() ? to_dtype(p.channel_sum(sg), b.dtype()) : Tensor{}};
  }
  const Tensor mean_a = contiguous(p.expand(mean));
  if (p.apply.B > 0)
    ops::launch_on(p.device, p.op, cpu::grad_sums_stub, p.apply, g.device_data_ptr(), x.device_data_ptr(),
                   mean_a.device_data_ptr(), sg.device_data_ptr(), sgx.device_data_ptr());
  const Tensor sgxhat = sgx * rstd_a;
  if (batch_stats) {
    const double inv_m = 1.0 / double(p.M);
    const Tensor c1 = p.expand(p.group_sum(w_a * sg)) * inv_m, c2 = p.expand(p.group_sum(w_a * sgxhat)) * inv_m;
    const Tensor scale = -(rstd_a * rstd_a * c2), shift = rstd_a * (rstd_a * mean_a * c2 - c1);
    run_affine(p, x, scale, shift, g, rstd_a * w_a, dx);
  } else {
    run_affine(p, g, rstd_a * w_a, zeros({p.apply.B}, on(x, x.dtype())), {}, {}, dx);
  }
  return {dx, w.defined() ? to_dtype(p.channel_sum(sgxhat), w.dtype()) : Tensor{},
          b.defined() ? to_dtype(p.channel_sum(sg), b.dtype()) : Tensor{}};
}

// Under create_graph: the gradient through the composed forward (differentiable again).
TensorList composed_backward(const Composed& f, const Tensor& g, const Tensor& x, const Tensor& w, const Tensor& b) {
  TensorList ins;
  std::vector<int> pos;
  const Tensor all[3] = {x, w, b};
  for (int i = 0; i < 3; ++i)
    if (all[i].defined() && all[i].requires_grad()) { ins.push_back(all[i]); pos.push_back(i); }
  TensorList out(3);
  if (ins.empty()) return out;
  const TensorList gr = autograd::grad({f(x, w, b)}, ins, {g}, true, true, true);
  for (size_t k = 0; k < pos.size(); ++k) out[size_t(pos[k])] = gr[k];
  return out;
}

// Records the backward shared by batch/group/instance norm.
void record_norm(const char* name, const Plan& p, const Tensor& out, const Tensor& x, const Tensor& w,
                 const Tensor& b, const Tensor& mean, const Tensor& rstd, bool batch_stats, Composed composed) {
  SavedTensor sx(x), sw(w), sb(b);
  record(name, {x, w, b}, {out}, [=](const TensorList& g) {
    const Tensor xs = sx.unpack(), ws = sw.defined() ? sw.unpack() : Tensor{}, bs = sb.defined() ? sb.unpack() : Tensor{};
    if (grad_mode_enabled()) return composed_backward(composed, g[0], xs, ws, bs);
    return fused_backward(p, g[0], xs, mean, rstd, ws, bs, batch_stats);
  });
}

// weight / bias viewed as (1, C, 1, ...) for the composed forward.
Tensor channel_view(const Tensor& t, int64_t ndim) {
  Shape s(size_t(ndim), 1);
  s[1] = t.numel();
  return reshape(t, s);
}

Tensor affine_composed(const Tensor& xhat, const Tensor& w, const Tensor& b) {
  Tensor y = w.defined() ? xhat * channel_view(w, xhat.dim()) : xhat;
  return b.defined() ? y + channel_view(b, xhat.dim()) : y;
}

void check_param(const Tensor& t, int64_t C, const char* op, const char* arg, const Tensor& x) {
  if (!t.defined()) return;
  ND_CHECK(t.dim() == 1 && t.shape()[0] == C, ValueError, "[", op, "] ", arg, " must have shape (", C,
           ") for input ", shape_str(x.shape()), ", got ", shape_str(t.shape()));
  ND_CHECK(is_floating(t.dtype()), TypeError, "[", op, "] ", arg, " must be floating point, got ",
           dtype_name(t.dtype()));
}

void check_channels_input(const Tensor& x, const char* op) {
  ND_CHECK(x.dim() >= 2, ValueError, "[", op, "] expected an input with at least 2 dims (N, C, ...), got shape ",
           shape_str(x.shape()));
  ND_CHECK(is_floating(x.dtype()), TypeError, "[", op, "] expected a floating point input, got dtype ",
           dtype_name(x.dtype()));
}

std::vector<int64_t> dims_except_channel(int64_t ndim) {
  std::vector<int64_t> d{0};
  for (int64_t i = 2; i < ndim; ++i) d.push_back(i);
  return d;
}

}  // namespace

Tensor batch_norm(const Tensor& x_in, const Tensor& w, const Tensor& b, const Tensor& running_mean,
                  const Tensor& running_var, bool training, double momentum, double eps) {
  const char* op = "batch_norm";
  check_channels_input(x_in, op);
  const int64_t C = x_in.shape()[1];
  check_param(w, C, op, "weight", x_in);
  check_param(b, C, op, "bias", x_in);
  check_param(running_mean, C, op, "running_mean", x_in);
  check_param(running_var, C, op, "running_var", x_in);
  ND_CHECK(training || (running_mean.defined() && running_var.defined()), ValueError, "[", op,
           "] running_mean and running_var are required when not training");
  ops::common_device(op, {&x_in, &w, &b, &running_mean, &running_var});
  const Tensor x = contiguous(x_in);
  const Plan p = batch_plan(x, op);
  ND_CHECK(!training || p.M > 1 || x.numel() == 0, ValueError, "[", op,
           "] Expected more than 1 value per channel when training, got input size ", shape_str(x.shape()));
  Tensor mean, var, rstd, out;
  if (training) {
    NoGradGuard no_grad;
    std::tie(mean, var, rstd, out) = batch_stats_forward(p, x, w, b, eps);
    if (running_mean.defined()) {
      Tensor rm = running_mean;
      add_(mul_(rm, Scalar(1 - momentum)), to_dtype(mean, rm.dtype()) * Scalar(momentum));
    }
    if (running_var.defined() && p.M > 1) {
      Tensor rv = running_var;
      const double unbias = double(p.M) / double(p.M - 1);
      add_(mul_(rv, Scalar(1 - momentum)), to_dtype(var, rv.dtype()) * Scalar(momentum * unbias));
    }
  } else {
    NoGradGuard no_grad;
    mean = clone(to_dtype(running_mean, x.dtype()));
    var = clone(to_dtype(running_var, x.dtype()));
    rstd = rsqrt(var + Scalar(eps));
    out = normalize(p, x, mean, rstd, w, b);
  }
  const std::vector<int64_t> dims = dims_except_channel(x.dim());
  Composed composed = [=](const Tensor& xc, const Tensor& wc, const Tensor& bc) {
    if (!training) return affine_composed((xc - channel_view(mean, xc.dim())) * channel_view(rstd, xc.dim()), wc, bc);
    const Tensor m = nd::mean(xc, dims, true), v = nd::var(xc, dims, 0, true);
    return affine_composed((xc - m) * rsqrt(v + Scalar(eps)), wc, bc);
  };
  record_norm("NativeBatchNormBackward0", p, out, x_in, w, b, mean, rstd, training, composed);
  return out;
}

Tensor group_norm(const Tensor& x_in, int64_t G, const Tensor& w, const Tensor& b, double eps) {
  const char* op = "group_norm";
  check_channels_input(x_in, op);
  const int64_t N = x_in.shape()[0], C = x_in.shape()[1];
  ND_CHECK(G > 0 && C % G == 0, ValueError, "[", op, "] expected the number of channels ", C,
           " to be divisible by num_groups=", G, " (input ", shape_str(x_in.shape()), ")");
  check_param(w, C, op, "weight", x_in);
  check_param(b, C, op, "bias", x_in);
  ops::common_device(op, {&x_in, &w, &b});
  const Tensor x = contiguous(x_in);
  const Plan p = group_plan(x, G);
  const auto [mean, var, rstd, out] = batch_stats_forward(p, x, w, b, eps);
  const Shape shape = x.shape();
  Composed composed = [=](const Tensor& xc, const Tensor& wc, const Tensor& bc) {
    const Tensor xg = reshape(xc, {N, G, -1});
    const Tensor m = nd::mean(xg, {2}, true), v = nd::var(xg, {2}, 0, true);
    return affine_composed(reshape((xg - m) * rsqrt(v + Scalar(eps)), shape), wc, bc);
  };
  record_norm("NativeGroupNormBackward0", p, out, x_in, w, b, mean, rstd, true, composed);
  return out;
}

Tensor instance_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& w,
                     const Tensor& b, bool use_input_stats, double momentum, double eps) {
  const char* op = "instance_norm";
  check_channels_input(x, op);
  const int64_t N = x.shape()[0], C = x.shape()[1];
  check_param(w, C, op, "weight", x);
  check_param(b, C, op, "bias", x);
  check_param(running_mean, C, op, "running_mean", x);
  check_param(running_var, C, op, "running_var", x);
  ND_CHECK(use_input_stats || (running_mean.defined() && running_var.defined()), ValueError, "[", op,
           "] expected running_mean and running_var to be defined when use_input_stats is false");
  ND_CHECK(!use_input_stats || x.numel() == 0 || x.numel() / (N * C) > 1, ValueError, "[", op,
           "] Expected more than 1 spatial element when training, got input size ", shape_str(x.shape()));
  // As PyTorch: batch norm of the (1, N*C, ...) reshape, the parameters repeated per sample;
  // the running statistics receive the mean of the per-sample updates.
  Shape s = x.shape();
  s[0] = 1;
  s[1] = N * C;
  auto rep = [N](const Tensor& t) { return t.defined() ? repeat(t, {N}) : t; };
  Tensor rm, rv;
  {
    NoGradGuard no_grad;
    rm = running_mean.defined() ? repeat(running_mean, {N}) : Tensor{};
    rv = running_var.defined() ? repeat(running_var, {N}) : Tensor{};
  }
  const Tensor out = batch_norm(reshape(x, s), rep(w), rep(b), rm, rv, use_input_stats, momentum, eps);
  if (use_input_stats) {
    NoGradGuard no_grad;
    if (running_mean.defined()) { Tensor t = running_mean; copy_(t, mean(reshape(rm, {N, C}), {0})); }
    if (running_var.defined()) { Tensor t = running_var; copy_(t, mean(reshape(rv, {N, C}), {0})); }
  }
  return reshape(out, x.shape());
}

Tensor layer_norm(const Tensor& x_in, const Shape& normalized_shape, const Tensor& w, const Tensor& b, double eps) {
  const char* op = "layer_norm";
  const int64_t k = int64_t(normalized_shape.size());
  ND_CHECK(is_floating(x_in.dtype()), TypeError, "[", op, "] expected a floating point input, got dtype ",
           dtype_name(x_in.dtype()));
  ND_CHECK(k >= 1 && x_in.dim() >= k &&
               Shape(x_in.shape().end() - k, x_in.shape().end()) == normalized_shape,
           ValueError, "[", op, "] input ", shape_str(x_in.shape()), " does not end with normalized_shape ",
           shape_str(normalized_shape));
  for (const Tensor* t : {&w, &b})
    ND_CHECK(!t->defined() || t->shape() == normalized_shape, ValueError, "[", op, "] ",
             t == &w ? "weight" : "bias", " must have shape normalized_shape ", shape_str(normalized_shape), ", got ",
             shape_str(t->shape()));
  const Tensor x = contiguous(x_in);
  const Tensor wc = w.defined() ? contiguous(to_dtype(w, x.dtype())) : w;
  const Tensor bc = b.defined() ? contiguous(to_dtype(b, x.dtype())) : b;
  cpu::LayerNormArgs a;
  a.cols = shape_numel(normalized_shape);
  a.rows = a.cols > 0 ? x.numel() / a.cols : 0;
  a.eps = eps;
  const Device device = ops::common_device(op, {&x, &wc, &bc});
  a.weight = wc.defined() ? wc.device_data_ptr() : nullptr;
  a.bias = bc.defined() ? bc.device_data_ptr() : nullptr;
  a.dtype = x.dtype();
  Tensor out = empty(x.shape(), on(x, x.dtype())), mean = empty({a.rows}, on(x, x.dtype()));
  Tensor rstd = empty({a.rows}, on(x, x.dtype()));
  if (x.numel() > 0)
    ops::launch_on(device, op, cpu::layer_norm_stub, a, x.device_data_ptr(), out.device_data_ptr(),
                   mean.device_data_ptr(), rstd.device_data_ptr());
  std::vector<int64_t> dims;
  for (int64_t i = x.dim() - k; i < x.dim(); ++i) dims.push_back(i);
  Composed composed = [=](const Tensor& xc, const Tensor& wt, const Tensor& bt) {
    Tensor y = (xc - nd::mean(xc, dims, true)) * rsqrt(nd::var(xc, dims, 0, true) + Scalar(eps));
    if (wt.defined()) y = y * wt;
    return bt.defined() ? y + bt : y;
  };
  SavedTensor sx(x_in), sw(w);
  const bool has_b = b.defined();
  const Shape ns = normalized_shape;
  record("NativeLayerNormBackward0", {x_in, w, b}, {out}, [=](const TensorList& g) {
    const Tensor xs = sx.unpack(), ws = sw.defined() ? sw.unpack() : Tensor{};
    if (grad_mode_enabled()) return composed_backward(composed, g[0], xs, ws, has_b ? b : Tensor{});
    const Tensor gc = contiguous(g[0]), xcont = contiguous(xs);
    const Tensor wcast = ws.defined() ? contiguous(to_dtype(ws, xs.dtype())) : ws;
    cpu::LayerNormArgs ba = a;
    ba.weight = wcast.defined() ? wcast.device_data_ptr() : nullptr;
    ba.bias = nullptr;
    Tensor gx = empty(xs.shape(), on(xs, xs.dtype()));
    Tensor gw_part = zeros({cpu::kLayerNormChunks, ba.cols}, on(xs, DType::Float64));
    Tensor gb_part = zeros({cpu::kLayerNormChunks, ba.cols}, on(xs, DType::Float64));
    if (xs.numel() > 0)
      ops::launch_on(ops::common_device(op, {&gc, &xcont}), op, cpu::layer_norm_backward_stub, ba, gc.device_data_ptr(),
                     xcont.device_data_ptr(), mean.device_data_ptr(), rstd.device_data_ptr(), gx.device_data_ptr(),
                     ws.defined() ? static_cast<double*>(gw_part.device_data_ptr()) : nullptr,
                     has_b ? static_cast<double*>(gb_part.device_data_ptr()) : nullptr);
    return TensorList{gx, ws.defined() ? reshape(to_dtype(sum(gw_part, {0}), ws.dtype()), ns) : Tensor{},
                      has_b ? reshape(to_dtype(sum(gb_part, {0}), b.dtype()), ns) : Tensor{}};
  });
  return out;
}

}  // namespace nd
