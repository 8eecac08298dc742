// AVX2/FMA vectors for float (8 lanes) and double (4 lanes).
#pragma once
#include <immintrin.h>

namespace nd::cpu::NATIVEDL_ISA {

template <typename T> struct VecAvx;

template <> struct VecAvx<float> {
  static constexpr int size = 8;
  __m256 v;
  VecAvx() = default;
  VecAvx(__m256 x) : v(x) {}
  explicit VecAvx(float x) : v(_mm256_set1_ps(x)) {}
  static VecAvx loadu(const float* p) { return _mm256_loadu_ps(p); }
  void storeu(float* p) const { _mm256_storeu_ps(p, v); }
  void stream(float* p) const { _mm256_stream_ps(p, v); }
  template <typename F> VecAvx map(F f) const {
    alignas(32) float t[8]; _mm256_store_ps(t, v);
    for (float& x : t) x = f(x);
    return _mm256_load_ps(t);
  }
  template <typename F> friend VecAvx zip(const VecAvx& a, const VecAvx& b, F f) {
    alignas(32) float x[8], y[8]; _mm256_store_ps(x, a.v); _mm256_store_ps(y, b.v);
    for (int i = 0; i < 8; ++i) x[i] = f(x[i], y[i]);
    return _mm256_load_ps(x);
  }
  friend VecAvx operator+(VecAvx a, VecAvx b) { return _mm256_add_ps(a.v, b.v); }
  friend VecAvx operator-(VecAvx a, VecAvx b) { return _mm256_sub_ps(a.v, b.v); }
  friend VecAvx operator*(VecAvx a, VecAvx b) { return _mm256_mul_ps(a.v, b.v); }
  friend VecAvx operator/(VecAvx a, VecAvx b) { return _mm256_div_ps(a.v, b.v); }
  VecAvx operator-() const { return _mm256_xor_ps(v, _mm256_set1_ps(-0.0f)); }
};

template <> struct VecAvx<double> {
  static constexpr int size = 4;
  __m256d v;
  VecAvx() = default;
  VecAvx(__m256d x) : v(x) {}
  explicit VecAvx(double x) : v(_mm256_set1_pd(x)) {}
  static VecAvx loadu(const double* p) { return _mm256_loadu_pd(p); }
  void storeu(double* p) const { _mm256_storeu_pd(p, v); }
  void stream(double* p) const { _mm256_stream_pd(p, v); }
  template <typename F> VecAvx map(F f) const {
    alignas(32) double t[4]; _mm256_store_pd(t, v);
    for (double& x : t) x = f(x);
    return _mm256_load_pd(t);
  }
  template <typename F> friend VecAvx zip(const VecAvx& a, const VecAvx& b, F f) {
    alignas(32) double x[4], y[4]; _mm256_store_pd(x, a.v); _mm256_store_pd(y, b.v);
    for (int i = 0; i < 4; ++i) x[i] = f(x[i], y[i]);
    return _mm256_load_pd(x);
  }
  friend VecAvx operator+(VecAvx a, VecAvx b) { return _mm256_add_pd(a.v, b.v); }
  friend VecAvx operator-(VecAvx a, VecAvx b) { return _mm256_sub_pd(a.v, b.v); }
  friend VecAvx operator*(VecAvx a, VecAvx b) { return _mm256_mul_pd(a.v, b.v); }
  friend VecAvx operator/(VecAvx a, VecAvx b) { return _mm256_div_pd(a.v, b.v); }
  VecAvx operator-() const { return _mm256_xor_pd(v, _mm256_set1_pd(-0.0)); }
};

template <> struct VecOf<float> { using type = VecAvx<float>; };
template <> struct VecOf<double> { using type = VecAvx<double>; };

using Vf = VecAvx<float>;
using Vd = VecAvx<double>;
inline Vf vabs(Vf a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a.v); }
inline Vd vabs(Vd a) { return _mm256_andnot_pd(_mm256_set1_pd(-0.0), a.v); }
inline Vf vsqrt(Vf a) { return _mm256_sqrt_ps(a.v); }
inline Vd vsqrt(Vd a) { return _mm256_sqrt_pd(a.v); }
inline Vf vfloor(Vf a) { return _mm256_floor_ps(a.v); }
inline Vd vfloor(Vd a) { return _mm256_floor_pd(a.v); }
inline Vf vceil(Vf a) { return _mm256_ceil_ps(a.v); }
inline Vd vceil(Vd a) { return _mm256_ceil_pd(a.v); }
inline Vf vtrunc(Vf a) { return _mm256_round_ps(a.v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC); }
inline Vd vtrunc(Vd a) { return _mm256_round_pd(a.v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC); }
inline Vf vround(Vf a) { return _mm256_round_ps(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
inline Vd vround(Vd a) { return _mm256_round_pd(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
inline Vf vfmadd(Vf a, Vf b, Vf c) { return _mm256_fmadd_ps(a.v, b.v, c.v); }
inline Vd vfmadd(Vd a, Vd b, Vd c) { return _mm256_fmadd_pd(a.v, b.v, c.v); }
// _mm256_max_ps(a, b) returns b when either is NaN; blending a's NaNs back in makes
// the result NaN whenever either input is.
inline Vf vmax(Vf a, Vf b) {
  __m256 m = _mm256_max_ps(a.v, b.v);
  return _mm256_blendv_ps(m, a.v, _mm256_cmp_ps(a.v, a.v, _CMP_UNORD_Q));
}
inline Vd vmax(Vd a, Vd b) {
  __m256d m = _mm256_max_pd(a.v, b.v);
  return _mm256_blendv_pd(m, a.v, _mm256_cmp_pd(a.v, a.v, _CMP_UNORD_Q));
}
inline Vf vmin(Vf a, Vf b) {
  __m256 m = _mm256_min_ps(a.v, b.v);
  return _mm256_blendv_ps(m, a.v, _mm256_cmp_ps(a.v, a.v, _CMP_UNORD_Q));
}
inline Vd vmin(Vd a, Vd b) {
  __m256d m = _mm256_min_pd(a.v, b.v);
  return _mm256_blendv_pd(m, a.v, _mm256_cmp_pd(a.v, a.v, _CMP_UNORD_Q));
}
// max_ps(0, x) returns x when x is NaN, so relu keeps NaN.
inline Vf vrelu(Vf a) { return _mm256_max_ps(_mm256_setzero_ps(), a.v); }
inline Vd vrelu(Vd a) { return _mm256_max_pd(_mm256_setzero_pd(), a.v); }

}  // namespace nd::cpu::NATIVEDL_ISA
