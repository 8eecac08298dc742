// Descriptors and dispatch stubs of the activation kernels (plain data only, see
// Note [ISA namespaces] in cpu/kernel_api.h).
#pragma once
#include <cstdint>

#include "cpu/kernel_api.h"

namespace nd::cpu {

// Pointwise activations with parameters; sigmoid, tanh and relu are unary elementwise ops.
#define ND_ACTIVATION_OPS(_)                                                                \
  _(hardtanh) _(leaky_relu) _(elu) _(gelu) _(gelu_tanh) _(silu) _(mish) _(hardsigmoid) \
  _(hardswish) _(softplus) _(softsign) _(logsigmoid)

#define ND_ENUM_ENTRY(name) name,
enum class ActOp : int { ND_ACTIVATION_OPS(ND_ENUM_ENTRY) kCount };
#undef ND_ENUM_ENTRY

/// The op's parameters: hardtanh (min, max), leaky_relu (slope), elu (alpha, scale,
/// input_scale), softplus (beta, threshold); the others take none.
struct ActParams {
  double a = 0, b = 0, c = 0;
};

/// Operands (out, x): out = f(x). Float dtypes.
using ActForwardKernel = void (*)(const ElementwiseIter&, ActOp op, const ActParams& p);
/// Operands (grad_x, grad_out, x): grad_x = grad_out * f'(x).
using ActBackwardKernel = void (*)(const ElementwiseIter&, ActOp op, const ActParams& p);

/// Softmax over the middle dim of contiguous (outer, len, inner) tensors (Note [Reduction
/// layout] in cpu/reduce_kernels.h). Forward: y = softmax(x) or log_softmax(x), computed
/// from x - max. Backward (`grad` set): grad_x from grad and the forward output y:
/// softmax: y * (grad - sum(grad * y)); log_softmax: grad - exp(y) * sum(grad).
struct SoftmaxArgs {
  const void* x = nullptr;     // forward input, or the forward output y in backward
  const void* grad = nullptr;  // backward only
  void* out = nullptr;
  DType dtype = DType::Float32;
  int64_t outer = 1, len = 0, inner = 1;
  bool log = false;
};
using SoftmaxKernel = void (*)(const SoftmaxArgs&);

/// Cross-entropy of contiguous (rows, classes) logits x with class-index targets. Forward:
/// lse[r] = logsumexp(x[r]) and loss[r] = lse[r] - x[r][target[r]] (0 where target[r] ==
/// ignore_index). Backward (`grad` = d loss[r], per row): out[r] = grad[r] * (softmax(x[r]) -
/// onehot(target[r])), 0 on ignored rows. Targets are checked by the op layer.
struct CrossEntropyArgs {
  const void* x = nullptr;
  const int64_t* target = nullptr;
  void* lse = nullptr;         // written by the forward, read by the backward
  void* loss = nullptr;        // forward only
  const void* grad = nullptr;  // backward only
  void* out = nullptr;         // backward only
  DType dtype = DType::Float32;
  int64_t rows = 0, classes = 0, ignore_index = -100;
};
using CrossEntropyKernel = void (*)(const CrossEntropyArgs&);

extern DispatchStub<ActForwardKernel> act_forward_stub;
extern DispatchStub<ActBackwardKernel> act_backward_stub;
extern DispatchStub<SoftmaxKernel> softmax_forward_stub;
extern DispatchStub<SoftmaxKernel> softmax_backward_stub;
extern DispatchStub<CrossEntropyKernel> cross_entropy_forward_stub;
extern DispatchStub<CrossEntropyKernel> cross_entropy_backward_stub;

}  // namespace nd::cpu
