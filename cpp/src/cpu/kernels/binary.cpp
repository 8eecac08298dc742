// Binary elementwise kernels: one functor per op, one loop with fast paths for
// contiguous operands and for a broadcast scalar on either side.
#include <cmath>
#include <type_traits>

#include "cpu/binary_functors.h"
#include "cpu/loops.h"

namespace nd::cpu::NATIVEDL_ISA {
namespace {

// The scalar math is cpu/binary_functors.h's (shared with the CUDA kernels); each op adds its
// vector form: a Vec operation where one exists, else the scalar form lane by lane.
#define ND_VEC_OP(name, expr) \
  struct name##_f : bin::name##_f { template <typename V> static V v(V a, V b) { return expr; } };
#define ND_LANEWISE(name) ND_VEC_OP(name, zip(a, b, [](auto x, auto y) { return s(x, y); }))
ND_VEC_OP(add, a + b)
ND_VEC_OP(sub, a - b)
ND_VEC_OP(mul, a * b)
ND_VEC_OP(div, a / b)  // true division; integer inputs are promoted to float before they get here
ND_VEC_OP(maximum, vmax(a, b))
ND_VEC_OP(minimum, vmin(a, b))
ND_LANEWISE(div_floor)
ND_LANEWISE(div_trunc)
ND_LANEWISE(remainder)
ND_LANEWISE(fmod)
ND_LANEWISE(pow)
ND_LANEWISE(atan2)
ND_LANEWISE(hypot)
ND_LANEWISE(copysign)
#undef ND_LANEWISE
#undef ND_VEC_OP
// Comparisons and logical ops run scalar (bool outputs).
using bin::eq_f;
using bin::ne_f;
using bin::lt_f;
using bin::le_f;
using bin::gt_f;
using bin::ge_f;
using bin::logical_and_f;
using bin::logical_or_f;
using bin::logical_xor_f;

template <typename T, typename Op> void arith_typed(const ElementwiseIter& it) {
  using V = Vec<T>;
  parallel_runs(it, [](char** p, const int64_t* s, int64_t n) {
    T* o = reinterpret_cast<T*>(p[0]);
    const T* a = reinterpret_cast<const T*>(p[1]);
    const T* b = reinterpret_cast<const T*>(p[2]);
    constexpr int64_t e = sizeof(T);
    int64_t i = 0;
    if (s[0] == e && s[1] == e && s[2] == e) {
      for (; i + V::size <= n; i += V::size) Op::v(V::loadu(a + i), V::loadu(b + i)).storeu(o + i);
      for (; i < n; ++i) o[i] = Op::s(a[i], b[i]);
    } else if (s[0] == e && s[1] == e && s[2] == 0) {
      const V bv(*b);
      for (; i + V::size <= n; i += V::size) Op::v(V::loadu(a + i), bv).storeu(o + i);
      for (; i < n; ++i) o[i] = Op::s(a[i], *b);
    } else if (s[0] == e && s[1] == 0 && s[2] == e) {
      const V av(*a);
      for (; i + V::size <= n; i += V::size) Op::v(av, V::loadu(b + i)).storeu(o + i);
      for (; i < n; ++i) o[i] = Op::s(*a, b[i]);
    } else {
      for (; i < n; ++i)
        *reinterpret_cast<T*>(p[0] + i * s[0]) =
            Op::s(*reinterpret_cast<const T*>(p[1] + i * s[1]), *reinterpret_cast<const T*>(p[2] + i * s[2]));
    }
  });
}

template <typename T, typename Op> void bool_typed(const ElementwiseIter& it) {
  parallel_runs(it, [](char** p, const int64_t* s, int64_t n) {
    if (s[0] == 1 && s[1] == sizeof(T) && s[2] == sizeof(T)) {
      bool* o = reinterpret_cast<bool*>(p[0]);
      const T* a = reinterpret_cast<const T*>(p[1]);
      const T* b = reinterpret_cast<const T*>(p[2]);
      for (int64_t i = 0; i < n; ++i) o[i] = Op::s(a[i], b[i]);
    } else {
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<bool*>(p[0] + i * s[0]) =
            Op::s(*reinterpret_cast<const T*>(p[1] + i * s[1]), *reinterpret_cast<const T*>(p[2] + i * s[2]));
    }
  });
}

void binary_kernel(const ElementwiseIter& it, BinaryOp op) {
  const DType dt = it.dtypes[1];
  switch (op) {
#define ND_ARITH_CASE(name) case BinaryOp::name: ND_DISPATCH_ALL_TYPES(dt, T, arith_typed<T, name##_f>(it)) return;
    ND_BINARY_ARITH_OPS(ND_ARITH_CASE)
#undef ND_ARITH_CASE
#define ND_BOOL_CASE(name) case BinaryOp::name: ND_DISPATCH_ALL_TYPES(dt, T, bool_typed<T, name##_f>(it)) return;
    ND_BINARY_BOOL_OPS(ND_BOOL_CASE)
#undef ND_BOOL_CASE
    default: return;
  }
}

void where_kernel(const ElementwiseIter& it) {
  ND_DISPATCH_ALL_TYPES(it.dtypes[2], T, {
    parallel_runs(it, [](char** p, const int64_t* s, int64_t n) {
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<T*>(p[0] + i * s[0]) = *reinterpret_cast<const bool*>(p[1] + i * s[1])
            ? *reinterpret_cast<const T*>(p[2] + i * s[2]) : *reinterpret_cast<const T*>(p[3] + i * s[3]);
    });
  })
}

}  // namespace

void register_binary_kernels() {
  binary_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = binary_kernel;
  where_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = where_kernel;
}

}  // namespace nd::cpu::NATIVEDL_ISA
