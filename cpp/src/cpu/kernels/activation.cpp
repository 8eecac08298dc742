// Activation kernels: one functor per pointwise activation (f and its derivative df, both
// written once for every ISA), one forward loop and one backward loop. Softmax is in
// softmax.cpp.
#include <cmath>
#include <type_traits>

#include "cpu/activation_functors.h"
#include "cpu/activation_kernels.h"
#include "cpu/activation_vec.h"
#include "cpu/loops.h"

namespace nd::cpu::NATIVEDL_ISA {
namespace {

// The pointwise functors are in cpu/activation_functors.h, shared with the CUDA kernels.
using namespace act;

// body(tag, i) over a contiguous run of n elements: full Vec<T>s (tag a null Vec<T>*), then
// the tail one element at a time on a one-lane VecN (tag a null VecN<T, 1>*), so the tail runs
// the same vector code.
template <typename T, typename Body> void vec_run(int64_t n, const Body& body) {
  using V = Vec<T>;
  int64_t i = 0;
  for (; i + V::size <= n; i += V::size) body(static_cast<V*>(nullptr), i);
  for (; i < n; ++i) body(static_cast<VecN<T, 1>*>(nullptr), i);
}
template <typename Tag> using tag_vec = std::remove_pointer_t<Tag>;

// Contiguous runs of the functors with a vector form (cpu/activation_vec.h: those calling
// exp, log1p, tanh ...) run it; the others get plain pointer loops, which the compiler
// vectorizes itself. Strided runs walk byte strides with the scalar f / df.
template <typename T, typename Op> void act_forward_typed(const ElementwiseIter& it, const ActParams& prm) {
  parallel_runs(it, [&prm](char** p, const int64_t* s, int64_t n) {
    if (s[0] == sizeof(T) && s[1] == sizeof(T)) {
      T* __restrict y = reinterpret_cast<T*>(p[0]);
      const T* __restrict x = reinterpret_cast<const T*>(p[1]);
      const ActParams q = prm;
      if constexpr (vec_form<Op>::value) {
        vec_run<T>(n, [&](auto tag, int64_t i) {
          using V = tag_vec<decltype(tag)>;
          vec_form<Op>::f(V::loadu(x + i), q).storeu(y + i);
        });
      } else {
        for (int64_t i = 0; i < n; ++i) y[i] = Op::f(x[i], q);
      }
      return;
    }
    for (int64_t i = 0; i < n; ++i)
      *reinterpret_cast<T*>(p[0] + i * s[0]) = Op::f(*reinterpret_cast<const T*>(p[1] + i * s[1]), prm);
  });
}

template <typename T, typename Op> void act_backward_typed(const ElementwiseIter& it, const ActParams& prm) {
  parallel_runs(it, [&prm](char** p, const int64_t* s, int64_t n) {
    if (s[0] == sizeof(T) && s[1] == sizeof(T) && s[2] == sizeof(T)) {
      T* __restrict gx = reinterpret_cast<T*>(p[0]);
      const T* __restrict g = reinterpret_cast<const T*>(p[1]);
      const T* __restrict x = reinterpret_cast<const T*>(p[2]);
      const ActParams q = prm;
      if constexpr (vec_form<Op>::value) {
        vec_run<T>(n, [&](auto tag, int64_t i) {
          using V = tag_vec<decltype(tag)>;
          (V::loadu(g + i) * vec_form<Op>::df(V::loadu(x + i), q)).storeu(gx + i);
        });
      } else {
        for (int64_t i = 0; i < n; ++i) gx[i] = act::grad_of<Op>(g[i], x[i], q);
      }
      return;
    }
    for (int64_t i = 0; i < n; ++i)
      *reinterpret_cast<T*>(p[0] + i * s[0]) = act::grad_of<Op>(*reinterpret_cast<const T*>(p[1] + i * s[1]),
                                                                *reinterpret_cast<const T*>(p[2] + i * s[2]), prm);
  });
}

// Note [AVX-512 activations]: the avx512 set runs every activation here: the vector forms on
// 16 lanes with vec_avx512.h's exp, expm1, log1p, tanh, sigmoid and erf (polynomial math is
// compute-bound, so lanes are time), the other functors through the compiler's 512-bit loops.
void act_forward(const ElementwiseIter& it, ActOp op, const ActParams& p) {
  switch (op) {
#define ND_CASE(name) \
    case ActOp::name: ND_DISPATCH_FLOAT_TYPES(it.dtypes[0], T, act_forward_typed<T, name##_f>(it, p)) return;
    ND_ACTIVATION_OPS(ND_CASE)
#undef ND_CASE
    default: return;
  }
}

void act_backward(const ElementwiseIter& it, ActOp op, const ActParams& p) {
  switch (op) {
#define ND_CASE(name) \
    case ActOp::name: ND_DISPATCH_FLOAT_TYPES(it.dtypes[0], T, act_backward_typed<T, name##_f>(it, p)) return;
    ND_ACTIVATION_OPS(ND_CASE)
#undef ND_CASE
    default: return;
  }
}

}  // namespace

void register_activation_kernels() {
  const int i = int(Isa::NATIVEDL_ISA_ENUM);
  act_forward_stub.fns[i] = act_forward;
  act_backward_stub.fns[i] = act_backward;
}

}  // namespace nd::cpu::NATIVEDL_ISA
