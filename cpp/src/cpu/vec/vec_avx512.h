// AVX-512 vectors for float (16 lanes) and double (8 lanes): the operations the GEMM
// kernel uses. The avx512 kernel set holds only kernels written against these (see
// Note [AVX-512 kernel set] in cpu/kernels/avx512/register.cpp).
#pragma once
#include <immintrin.h>

namespace nd::cpu::NATIVEDL_ISA {

template <typename T> struct VecAvx512;

template <> struct VecAvx512<float> {
  static constexpr int size = 16;
  __m512 v;
  VecAvx512() = default;
  VecAvx512(__m512 x) : v(x) {}
  explicit VecAvx512(float x) : v(_mm512_set1_ps(x)) {}
  static VecAvx512 loadu(const float* p) { return _mm512_loadu_ps(p); }
  void storeu(float* p) const { _mm512_storeu_ps(p, v); }
  friend VecAvx512 operator+(VecAvx512 a, VecAvx512 b) { return _mm512_add_ps(a.v, b.v); }
  friend VecAvx512 operator-(VecAvx512 a, VecAvx512 b) { return _mm512_sub_ps(a.v, b.v); }
  friend VecAvx512 operator*(VecAvx512 a, VecAvx512 b) { return _mm512_mul_ps(a.v, b.v); }
  friend VecAvx512 operator/(VecAvx512 a, VecAvx512 b) { return _mm512_div_ps(a.v, b.v); }
};

template <> struct VecAvx512<double> {
  static constexpr int size = 8;
  __m512d v;
  VecAvx512() = default;
  VecAvx512(__m512d x) : v(x) {}
  explicit VecAvx512(double x) : v(_mm512_set1_pd(x)) {}
  static VecAvx512 loadu(const double* p) { return _mm512_loadu_pd(p); }
  void storeu(double* p) const { _mm512_storeu_pd(p, v); }
  friend VecAvx512 operator+(VecAvx512 a, VecAvx512 b) { return _mm512_add_pd(a.v, b.v); }
  friend VecAvx512 operator-(VecAvx512 a, VecAvx512 b) { return _mm512_sub_pd(a.v, b.v); }
  friend VecAvx512 operator*(VecAvx512 a, VecAvx512 b) { return _mm512_mul_pd(a.v, b.v); }
  friend VecAvx512 operator/(VecAvx512 a, VecAvx512 b) { return _mm512_div_pd(a.v, b.v); }
};

template <> struct VecOf<float> { using type = VecAvx512<float>; };
template <> struct VecOf<double> { using type = VecAvx512<double>; };

inline VecAvx512<float> vfmadd(VecAvx512<float> a, VecAvx512<float> b, VecAvx512<float> c) {
  return _mm512_fmadd_ps(a.v, b.v, c.v);
}
inline VecAvx512<double> vfmadd(VecAvx512<double> a, VecAvx512<double> b, VecAvx512<double> c) {
  return _mm512_fmadd_pd(a.v, b.v, c.v);
}

}  // namespace nd::cpu::NATIVEDL_ISA
