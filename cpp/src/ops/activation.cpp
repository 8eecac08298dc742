// Activations: checks, dispatch to the fused kernels, and the backward rules (a fused
// backward kernel, or differentiable ops when the backward itself is being recorded).
#include <cmath>

#include "autograd/meta.h"
#include "core/shape.h"
#include "cpu/activation_kernels.h"
#include "nativedl/nativedl.h"
#include "ops/iter.h"

namespace nd {

namespace cpu {
DispatchStub<ActForwardKernel> act_forward_stub;
DispatchStub<ActBackwardKernel> act_backward_stub;
DispatchStub<SoftmaxKernel> softmax_forward_stub;
DispatchStub<SoftmaxKernel> softmax_backward_stub;
DispatchStub<CrossEntropyKernel> cross_entropy_forward_stub;
DispatchStub<CrossEntropyKernel> cross_entropy_backward_stub;
}  // namespace cpu

using cpu::ActOp;
using cpu::ActParams;

namespace {

void check_floating_input(const Tensor& x, const char* op) {
  ND_CHECK(is_floating(x.dtype()), TypeError, "[", op, "] expected a floating point input, got dtype ",
           dtype_name(x.dtype()));
}

Tensor mask_of(const Tensor& cond, const Tensor& like) { return to_dtype(cond, like.dtype()); }

// f'(x) written with differentiable ops: the create_graph path of the backward.
Tensor derivative_ops(ActOp op, const Tensor& x, const ActParams& p) {
  constexpr double kSqrt1_2 = 0.70710678118654752440, kInvSqrt2Pi = 0.39894228040143267794;
  constexpr double kSqrt2OverPi = 0.79788456080286535588, kGeluC = 0.044715;
  switch (op) {
    case ActOp::hardtanh: return mask_of(logical_and(gt(x, Scalar(p.a)), lt(x, Scalar(p.b))), x);
    case ActOp::leaky_relu: return mask_of(gt(x, Scalar(0.0)), x) * Scalar(1.0 - p.a) + Scalar(p.a);
    case ActOp::elu:
      return where(gt(x, Scalar(0.0)), full_like(x, Scalar(p.b)), exp(x * Scalar(p.c)) * Scalar(p.b * p.a * p.c));
    case ActOp::gelu:
      return (erf(x * Scalar(kSqrt1_2)) + Scalar(1.0)) * Scalar(0.5) +
             x * exp(square(x) * Scalar(-0.5)) * Scalar(kInvSqrt2Pi);
    case ActOp::gelu_tanh: {
      const Tensor t = tanh((x + x * x * x * Scalar(kGeluC)) * Scalar(kSqrt2OverPi));
      return (t + Scalar(1.0)) * Scalar(0.5) +
             x * (-square(t) + Scalar(1.0)) * (square(x) * Scalar(3 * kGeluC) + Scalar(1.0)) * Scalar(0.5 * kSqrt2OverPi);
    }
    case ActOp::silu: {
      const Tensor s = sigmoid(x);
      return s * (x * (-s + Scalar(1.0)) + Scalar(1.0));
    }
    case ActOp::mish: {
      const Tensor t = tanh(softplus(x));
      return t + x * (-square(t) + Scalar(1.0)) * sigmoid(x);
    }
    case ActOp::hardsigmoid:
      return mask_of(logical_and(gt(x, Scalar(-3.0)), lt(x, Scalar(3.0))), x) * Scalar(1.0 / 6.0);
    case ActOp::hardswish:
      return where(lt(x, Scalar(-3.0)), zeros_like(x), where(le(x, Scalar(3.0)), x / Scalar(3.0) + Scalar(0.5), ones_like(x)));
    case ActOp::softplus:
      return where(gt(x * Scalar(p.a), Scalar(p.b)), ones_like(x), sigmoid(x * Scalar(p.a)));
    case ActOp::softsign: return reciprocal(square(abs(x) + Scalar(1.0)));
    case ActOp::logsigmoid: return sigmoid(-x);
    default: throw Error("[activation] unknown op");
  }
}

Tensor activation_backward(ActOp op, const Tensor& g, const Tensor& x, const ActParams& p) {
  if (grad_mode_enabled()) return g * derivative_ops(op, x, p);
  Tensor gx = empty_like(x);
  ops::launch(cpu::act_backward_stub, ops::make_iter(gx, {to_dtype(g, x.dtype()), x}, "activation_backward"), op, p);
  return gx;
}

// save_output: the backward reads the output instead of x, which only an op whose derivative
// is the same at f(x) as at x may ask for (hardtanh: x lies strictly inside the bounds exactly
// when the clamped value does).
Tensor activation(ActOp op, const Tensor& x, const ActParams& p, const char* name, const char* grad_name,
                  bool save_output = false) {
  check_floating_input(x, name);
  Tensor out = empty_like(x);
  {
    NoGradGuard no_grad;
    ops::launch(cpu::act_forward_stub, ops::make_iter(out, {x}, name), op, p);
  }
  if (autograd::any_requires_grad({&x})) {
    const SavedTensor sx = save_output ? SavedTensor(out, 0) : SavedTensor(x);
    autograd::record(grad_name, {x}, {out}, [op, p, sx](const TensorList& g) {
      return TensorList{activation_backward(op, g[0], sx.unpack(), p)};
    });
  }
  return out;
}

// ---------------------------------------------------------------- softmax

cpu::SoftmaxArgs softmax_layout(const Tensor& t, int64_t d) {
  cpu::SoftmaxArgs a;
  a.dtype = t.dtype();
  a.len = t.dim() == 0 ? 1 : t.shape()[size_t(d)];
  for (int64_t i = 0; i < d; ++i) a.outer *= t.shape()[size_t(i)];
  for (int64_t i = d + 1; i < t.dim(); ++i) a.inner *= t.shape()[size_t(i)];
  return a;
}

Tensor softmax_backward(const Tensor& g, const Tensor& y, int64_t d, bool log) {
  if (grad_mode_enabled()) {
    const std::vector<int64_t> dims = y.dim() == 0 ? std::vector<int64_t>{} : std::vector<int64_t>{d};
    return log ? g - exp(y) * sum(g, dims, true) : y * (g - sum(g * y, dims, true));
  }
  const Tensor gc = contiguous(to_dtype(g, y.dtype())), yc = contiguous(y);
  const Device device = ops::common_device("softmax_backward", {&gc, &yc});
  Tensor gx = empty_like(yc);
  cpu::SoftmaxArgs a = softmax_layout(yc, d);
  a.x = yc.device_data_ptr();
  a.grad = gc.device_data_ptr();
  a.out = gx.device_data_ptr();
  a.log = log;
  ops::launch_on(device, "softmax_backward", cpu::softmax_backward_stub, a);
  return gx;
}

Tensor softmax_op(const Tensor& x, int64_t dim, bool log) {
  const char* name = log ? "log_softmax" : "softmax";
  check_floating_input(x, name);
  const int64_t d = core::wrap_dim(dim, std::max<int64_t>(x.dim(), 1), name);
  const Tensor xc = contiguous(x);
  Tensor out = empty_like(xc);
  {
    NoGradGuard no_grad;
    cpu::SoftmaxArgs a = softmax_layout(xc, d);
    a.x = xc.device_data_ptr();
    a.out = out.device_data_ptr();
    a.log = log;
    ops::launch_on(x.device(), name, cpu::softmax_forward_stub, a);
  }
  if (autograd::any_requires_grad({&x})) {
    SavedTensor sy(out, 0);
    autograd::record(log ? "LogSoftmaxBackward0" : "SoftmaxBackward0", {x}, {out}, [sy, d, log](const TensorList& g) {
      return TensorList{softmax_backward(g[0], sy.unpack(), d, log)};
    });
  }
  return out;
}

}  // namespace

Tensor hardtanh(const Tensor& x, double min_val, double max_val) {
  ND_CHECK(max_val >= min_val, ValueError, "[hardtanh] max_val (", max_val, ") must be >= min_val (", min_val, ")");
  return activation(ActOp::hardtanh, x, {min_val, max_val, 0}, "hardtanh", "HardtanhBackward0");
}
Tensor relu6(const Tensor& x) { return activation(ActOp::hardtanh, x, {0, 6, 0}, "relu6", "HardtanhBackward0"); }
// Without history the kernel clamps x where it lies. With history the clamped values go to a
// fresh tensor first, which the backward reads and nobody else can write (so, as in PyTorch,
// writing x afterwards doesn't invalidate the backward), then into x: two passes, where writing
// to a copy of x and copying back took four.
Tensor& hardtanh_(Tensor& x, double min_val, double max_val) {
  const char* name = "hardtanh_";
  ND_CHECK(max_val >= min_val, ValueError, "[", name, "] max_val (", max_val, ") must be >= min_val (", min_val, ")");
  check_floating_input(x, name);
  ops::check_no_internal_overlap(x, name);
  autograd::check_inplace(x, {}, name);
  const ActParams p{min_val, max_val, 0};
  if (!autograd::any_requires_grad({&x})) {
    ops::launch(cpu::act_forward_stub, ops::make_iter(x, {x}, name), ActOp::hardtanh, p);
    x.bump_version();
    return x;
  }
  const Tensor result = activation(ActOp::hardtanh, x, p, name, "HardtanhBackward0", /*save_output=*/true);
  {
    NoGradGuard no_grad;
    copy_(x, result);
  }
  autograd::rebase_history(x, result);
  return x;
}
Tensor leaky_relu(const Tensor& x, double negative_slope) {
  return activation(ActOp::leaky_relu, x, {negative_slope, 0, 0}, "leaky_relu", "LeakyReluBackward0");
}
Tensor elu(const Tensor& x, double alpha, double scale, double input_scale) {
  return activation(ActOp::elu, x, {alpha, scale, input_scale}, "elu", "EluBackward0");
}
Tensor selu(const Tensor& x) {
  return activation(ActOp::elu, x, {1.6732632423543772848170429916717, 1.0507009873554804934193349852946, 1.0},
                    "selu", "EluBackward0");
}
Tensor celu(const Tensor& x, double alpha) {
  ND_CHECK(alpha != 0, ValueError, "[celu] alpha must not be 0 (it divides x)");
  return activation(ActOp::elu, x, {alpha, 1.0, 1.0 / alpha}, "celu", "EluBackward0");
}
Tensor gelu(const Tensor& x, const std::string& approximate) {
  ND_CHECK(approximate == "none" || approximate == "tanh", ValueError,
           "[gelu] approximate must be 'none' or 'tanh', got '", approximate, "'");
  return activation(approximate == "tanh" ? ActOp::gelu_tanh : ActOp::gelu, x, {}, "gelu", "GeluBackward0");
}
Tensor silu(const Tensor& x) { return activation(ActOp::silu, x, {}, "silu", "SiluBackward0"); }
Tensor mish(const Tensor& x) { return activation(ActOp::mish, x, {}, "mish", "MishBackward0"); }
Tensor hardsigmoid(const Tensor& x) { return activation(ActOp::hardsigmoid, x, {}, "hardsigmoid", "HardsigmoidBackward0"); }
Tensor hardswish(const Tensor& x) { return activation(ActOp::hardswish, x, {}, "hardswish", "HardswishBackward0"); }
Tensor softplus(const Tensor& x, double beta, double threshold) {
  ND_CHECK(beta != 0, ValueError, "[softplus] beta must not be 0 (it divides the result)");
  return activation(ActOp::softplus, x, {beta, threshold, 0}, "softplus", "SoftplusBackward0");
}
Tensor softsign(const Tensor& x) { return activation(ActOp::softsign, x, {}, "softsign", "SoftsignBackward0"); }
Tensor logsigmoid(const Tensor& x) { return activation(ActOp::logsigmoid, x, {}, "logsigmoid", "LogSigmoidBackward0"); }

// ---------------------------------------------------------------- cross-entropy rows

Tensor cross_entropy_rows(const Tensor& x_in, const Tensor& target, int64_t ignore_index) {
  const char* op = "cross_entropy";
  check_floating_input(x_in, op);
  ND_CHECK(target.dtype() == DType::Int64, TypeError, "[", op, "] class-index target must have dtype int64, got ",
           dtype_name(target.dtype()));
  ND_CHECK(x_in.dim() == 2 && target.dim() == 1 && target.size(0) == x_in.size(0), ValueError, "[", op,
           "] expected input (N, C) and target (N), got input ", shape_str(x_in.shape()), " and target ",
           shape_str(target.shape()));
  const Tensor x = contiguous(x_in), t = contiguous(target);
  const int64_t rows = x.size(0), classes = x.size(1);
  const int64_t* tp = t.data<int64_t>();
  for (int64_t r = 0; r < rows; ++r)
    ND_CHECK(tp[r] == ignore_index || (tp[r] >= 0 && tp[r] < classes), IndexError, "[", op, "] target ", tp[r],
             " is out of bounds for ", classes, " classes (valid: 0..", classes - 1, ", or ignore_index=",
             ignore_index, ")");
  Tensor loss = empty({rows}, x.dtype()), lse = empty({rows}, x.dtype());
  cpu::CrossEntropyArgs a;
  a.x = x.data_ptr(), a.target = tp, a.lse = lse.data_ptr(), a.loss = loss.data_ptr();
  a.dtype = x.dtype(), a.rows = rows, a.classes = classes, a.ignore_index = ignore_index;
  if (rows > 0 && classes > 0) cpu::select(cpu::cross_entropy_forward_stub)(a);
  if (autograd::any_requires_grad({&x_in})) {
    SavedTensor sx(x_in);
    autograd::record("CrossEntropyBackward0", {x_in}, {loss}, [sx, t, lse, a](const TensorList& g) {
      const Tensor xs = sx.unpack();
      if (grad_mode_enabled()) {  // (softmax - onehot) * g as ops, so it can be differentiated again
        const Tensor valid = ne(t, Scalar(double(a.ignore_index)));
        const Tensor safe = unsqueeze(where(valid, t, zeros_like(t)), 1);
        const Tensor gv = unsqueeze(g[0] * to_dtype(valid, xs.dtype()), 1);
        return TensorList{(softmax(xs, 1) - scatter(zeros_like(xs), 1, safe, Scalar(1.0))) * gv};
      }
      const Tensor xc = contiguous(xs), gc = contiguous(to_dtype(g[0], xs.dtype()));
      Tensor gx = empty(xc.shape(), xc.dtype());
      cpu::CrossEntropyArgs b = a;
      b.x = xc.data_ptr(), b.lse = lse.data_ptr(), b.grad = gc.data_ptr(), b.out = gx.data_ptr();
      if (gx.numel() > 0) cpu::select(cpu::cross_entropy_backward_stub)(b);
      return TensorList{gx};
    });
  }
  return loss;
}

Tensor softmax(const Tensor& x, int64_t dim) { return softmax_op(x, dim, false); }
Tensor log_softmax(const Tensor& x, int64_t dim) { return softmax_op(x, dim, true); }

}  // namespace nd
