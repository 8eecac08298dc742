// The vector type kernels are written against: Vec<T> has `size` lanes of T, loads,
// stores, arithmetic and the math below. Per-ISA files get the widest type of their ISA;
// see Note [ISA namespaces] in cpu/kernel_api.h for why all of it sits in NATIVEDL_ISA.
#pragma once
#ifndef NATIVEDL_ISA
#error "vec.h is for per-ISA kernel files (NATIVEDL_ISA must be defined)"
#endif
#include "cpu/vec/vec_generic.h"
#if defined(__AVX512F__)
#include "cpu/vec/vec_avx512.h"
#elif defined(__AVX2__) && defined(__FMA__)
#include "cpu/vec/vec_avx2.h"
#endif
#include "cpu/vec/vec_math.h"

namespace nd::cpu::NATIVEDL_ISA {

/// The sum of v's lanes, in lane order (a horizontal reduction, after a loop of vector sums).
template <typename T> T lane_sum(const Vec<T>& v) {
  T lanes[Vec<T>::size];
  v.storeu(lanes);
  T s = 0;
  for (int k = 0; k < Vec<T>::size; ++k) s += lanes[k];
  return s;
}

}  // namespace nd::cpu::NATIVEDL_ISA
