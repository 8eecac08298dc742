// Pointwise activations (gelu, silu, leaky_relu ... ND_ACTIVATION_OPS) forward and backward on
// CUDA, with the CPU kernels' functors (cpu/activation_functors.h).
#include "cpu/activation_functors.h"
#include "cuda/elementwise.cuh"

namespace nd::cuda {
namespace {

using namespace elementwise;
using cpu::ActOp;
using cpu::ActParams;

// Operands (out, x): out = f(x).
template <typename T, typename Op> __global__ void act_forward_kernel(const ElementwiseIter it, const ActParams prm) {
  ND_FOR_EACH_ELEMENT(it, i) {
    char* p[2];
    locate(it, i, p);
    *reinterpret_cast<T*>(p[0]) = Op::f(*reinterpret_cast<const T*>(p[1]), prm);
  }
}

// Operands (grad_x, grad_out, x): grad_x = grad_out * f'(x) (act::grad_of).
template <typename T, typename Op> __global__ void act_backward_kernel(const ElementwiseIter it, const ActParams prm) {
  ND_FOR_EACH_ELEMENT(it, i) {
    char* p[3];
    locate(it, i, p);
    *reinterpret_cast<T*>(p[0]) = act::grad_of<Op>(*reinterpret_cast<const T*>(p[1]), *reinterpret_cast<const T*>(p[2]), prm);
  }
}

void act_forward(const ElementwiseIter& it, ActOp op, const ActParams& p) {
  switch (op) {
#define ND_CASE(name) \
    case ActOp::name: ND_CUDA_FLOAT_TYPES(it.dtypes[0], T, run(act_forward_kernel<T, act::name##_f>, it, p)) return;
    ND_ACTIVATION_OPS(ND_CASE)
#undef ND_CASE
    default: return;
  }
}

void act_backward(const ElementwiseIter& it, ActOp op, const ActParams& p) {
  switch (op) {
#define ND_CASE(name) \
    case ActOp::name: ND_CUDA_FLOAT_TYPES(it.dtypes[0], T, run(act_backward_kernel<T, act::name##_f>, it, p)) return;
    ND_ACTIVATION_OPS(ND_CASE)
#undef ND_CASE
    default: return;
  }
}

}  // namespace

void register_activation_kernels() {
  cpu::act_forward_stub.cuda = act_forward;
  cpu::act_backward_stub.cuda = act_backward;
}

}  // namespace nd::cuda
