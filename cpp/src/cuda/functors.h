// The elementwise math of the CUDA kernels: one functor per op of the op lists
// (nativedl/ops/op_list.h), `__host__ __device__` so the same code runs in the CUDA kernels and
// on the CPU, where cpp/tests/test_cuda_functors.cpp checks it against the CPU kernels' results
// for every op and dtype, without a GPU. The unary and binary functors are the CPU kernels'
// own (cpu/unary_functors.h, cpu/binary_functors.h).
// So both backends agree on signs of zero, NaN and integer rounding. Plain C++ when a host
// compiler reads it.
#pragma once
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "core/host_device.h"
#include "cpu/binary_functors.h"  // the binary functors, shared with the CPU kernels
#include "cpu/unary_functors.h"   // and the unary ones

namespace nd::cuda::fn {

// ---------------------------------------------------------------- copy and fill
/// The dtype conversion of copy_ and to(): to bool is "nonzero", otherwise a static_cast.
template <typename To, typename From> ND_HD To convert(From x) {
  if constexpr (std::is_same_v<To, bool>) return x != From(0);
  else return static_cast<To>(x);
}
/// The value fill_ writes, from the Scalar's double and int64 forms.
template <typename T> ND_HD T fill_value(double v, int64_t iv) {
  if constexpr (std::is_floating_point_v<T>) return T(v);
  else if constexpr (std::is_same_v<T, bool>) return v != 0 || iv != 0;
  else return T(iv);
}

}  // namespace nd::cuda::fn
