// AVX-512 vectors for float (16 lanes) and double (8 lanes): the operations the GEMM,
// softmax and recurrent gate kernels use. The avx512 kernel set holds only kernels written
// against these (see Note [AVX-512 kernel set] in cpu/kernels/avx512/register.cpp).
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
  void stream(float* p) const { _mm512_stream_ps(p, v); }  // p 64-byte aligned
  friend VecAvx512 operator+(VecAvx512 a, VecAvx512 b) { return _mm512_add_ps(a.v, b.v); }
  friend VecAvx512 operator-(VecAvx512 a, VecAvx512 b) { return _mm512_sub_ps(a.v, b.v); }
  friend VecAvx512 operator*(VecAvx512 a, VecAvx512 b) { return _mm512_mul_ps(a.v, b.v); }
  friend VecAvx512 operator/(VecAvx512 a, VecAvx512 b) { return _mm512_div_ps(a.v, b.v); }
  VecAvx512 operator-() const { return _mm512_xor_ps(v, _mm512_set1_ps(-0.0f)); }
};

template <> struct VecAvx512<double> {
  static constexpr int size = 8;
  __m512d v;
  VecAvx512() = default;
  VecAvx512(__m512d x) : v(x) {}
  explicit VecAvx512(double x) : v(_mm512_set1_pd(x)) {}
  static VecAvx512 loadu(const double* p) { return _mm512_loadu_pd(p); }
  void storeu(double* p) const { _mm512_storeu_pd(p, v); }
  void stream(double* p) const { _mm512_stream_pd(p, v); }  // p 64-byte aligned
  friend VecAvx512 operator+(VecAvx512 a, VecAvx512 b) { return _mm512_add_pd(a.v, b.v); }
  friend VecAvx512 operator-(VecAvx512 a, VecAvx512 b) { return _mm512_sub_pd(a.v, b.v); }
  friend VecAvx512 operator*(VecAvx512 a, VecAvx512 b) { return _mm512_mul_pd(a.v, b.v); }
  friend VecAvx512 operator/(VecAvx512 a, VecAvx512 b) { return _mm512_div_pd(a.v, b.v); }
  VecAvx512 operator-() const { return _mm512_xor_pd(v, _mm512_set1_pd(-0.0)); }
};

template <> struct VecOf<float> { using type = VecAvx512<float>; };
template <> struct VecOf<double> { using type = VecAvx512<double>; };

inline VecAvx512<float> vfmadd(VecAvx512<float> a, VecAvx512<float> b, VecAvx512<float> c) {
  return _mm512_fmadd_ps(a.v, b.v, c.v);
}
inline VecAvx512<double> vfmadd(VecAvx512<double> a, VecAvx512<double> b, VecAvx512<double> c) {
  return _mm512_fmadd_pd(a.v, b.v, c.v);
}

// max that is NaN whenever either input is (_mm512_max returns b when either is NaN).
inline VecAvx512<float> vmax(VecAvx512<float> a, VecAvx512<float> b) {
  return _mm512_mask_mov_ps(_mm512_max_ps(a.v, b.v), _mm512_cmp_ps_mask(a.v, a.v, _CMP_UNORD_Q), a.v);
}
inline VecAvx512<double> vmax(VecAvx512<double> a, VecAvx512<double> b) {
  return _mm512_mask_mov_pd(_mm512_max_pd(a.v, b.v), _mm512_cmp_pd_mask(a.v, a.v, _CMP_UNORD_Q), a.v);
}

// Horner: c_n x^n + ... + c_0, one FMA per coefficient.
template <typename... Cs> inline __m512 horner512(__m512 x, float c, Cs... cs) {
  __m512 r = _mm512_set1_ps(c);
  ((r = _mm512_fmadd_ps(r, x, _mm512_set1_ps(cs))), ...);
  return r;
}
template <typename... Cs> inline __m512d horner512(__m512d x, double c, Cs... cs) {
  __m512d r = _mm512_set1_pd(c);
  ((r = _mm512_fmadd_pd(r, x, _mm512_set1_pd(cs))), ...);
  return r;
}

// exp as in vec_math.h's AVX2 version (Cody-Waite reduction x = n ln2 + r, the same
// polynomials), with the final y * 2^n done by vscalef, which rounds once and handles
// overflow to inf and gradual underflow itself. Inputs are clamped just past the thresholds
// (NaN stays NaN, +-inf give inf / 0).
inline VecAvx512<float> vexp(VecAvx512<float> x) {
  const __m512 xc = _mm512_max_ps(_mm512_set1_ps(-104.0f), _mm512_min_ps(_mm512_set1_ps(89.0f), x.v));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(xc, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fmadd_ps(n, _mm512_set1_ps(-0.693359375f), xc);
  r = _mm512_fmadd_ps(n, _mm512_set1_ps(2.12194440e-4f), r);
  const __m512 p = horner512(r, 1.9875691500E-4f, 1.3981999507E-3f, 8.3334519073E-3f, 4.1665795894E-2f,
                             1.6666665459E-1f, 5.0000001201E-1f);
  const __m512 y = _mm512_add_ps(_mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r), _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(y, n);
}
inline VecAvx512<double> vexp(VecAvx512<double> x) {
  const __m512d xc = _mm512_max_pd(_mm512_set1_pd(-746.0), _mm512_min_pd(_mm512_set1_pd(710.0), x.v));
  const __m512d n = _mm512_roundscale_pd(_mm512_mul_pd(xc, _mm512_set1_pd(1.4426950408889634)),
                                         _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512d r = _mm512_fmadd_pd(n, _mm512_set1_pd(-6.93147180369123816490e-01), xc);
  r = _mm512_fmadd_pd(n, _mm512_set1_pd(-1.90821492927058770002e-10), r);
  const __m512d y = horner512(r, 1 / 6227020800.0, 1 / 479001600.0, 1 / 39916800.0, 1 / 3628800.0, 1 / 362880.0,
                              1 / 40320.0, 1 / 5040.0, 1 / 720.0, 1 / 120.0, 1 / 24.0, 1 / 6.0, 0.5, 1.0, 1.0);
  return _mm512_scalef_pd(y, n);
}

// Lane masks and selects, so that the functions below are written once for both types:
// vlt_mask(a, b) has a lane set where a < b (false for NaN); vselect(m, a, b) = m ? a : b.
inline __mmask16 vlt_mask(VecAvx512<float> a, VecAvx512<float> b) { return _mm512_cmp_ps_mask(a.v, b.v, _CMP_LT_OQ); }
inline __mmask8 vlt_mask(VecAvx512<double> a, VecAvx512<double> b) { return _mm512_cmp_pd_mask(a.v, b.v, _CMP_LT_OQ); }
inline VecAvx512<float> vselect(__mmask16 m, VecAvx512<float> a, VecAvx512<float> b) {
  return _mm512_mask_blend_ps(m, b.v, a.v);
}
inline VecAvx512<double> vselect(__mmask8 m, VecAvx512<double> a, VecAvx512<double> b) {
  return _mm512_mask_blend_pd(m, b.v, a.v);
}
// c - a * b.
inline VecAvx512<float> vfnmadd(VecAvx512<float> a, VecAvx512<float> b, VecAvx512<float> c) {
  return _mm512_fnmadd_ps(a.v, b.v, c.v);
}
inline VecAvx512<double> vfnmadd(VecAvx512<double> a, VecAvx512<double> b, VecAvx512<double> c) {
  return _mm512_fnmadd_pd(a.v, b.v, c.v);
}
inline VecAvx512<float> vabs(VecAvx512<float> a) { return _mm512_abs_ps(a.v); }
inline VecAvx512<double> vabs(VecAvx512<double> a) { return _mm512_abs_pd(a.v); }
// a with the sign bit of s.
inline VecAvx512<float> vcopysign(VecAvx512<float> a, VecAvx512<float> s) {
  return _mm512_or_ps(_mm512_abs_ps(a.v), _mm512_and_ps(s.v, _mm512_set1_ps(-0.0f)));
}
inline VecAvx512<double> vcopysign(VecAvx512<double> a, VecAvx512<double> s) {
  return _mm512_or_pd(_mm512_abs_pd(a.v), _mm512_and_pd(s.v, _mm512_set1_pd(-0.0)));
}
// The lane helpers of vec_math.h's shared algorithms (erf, expm1's finish, log's special cases,
// log1p), so that they also run at 16 lanes: comparisons give masks here, and vif selects by them.
inline __mmask16 vlt(VecAvx512<float> a, VecAvx512<float> b) { return vlt_mask(a, b); }
inline __mmask8 vlt(VecAvx512<double> a, VecAvx512<double> b) { return vlt_mask(a, b); }
inline VecAvx512<float> vif(__mmask16 m, VecAvx512<float> a, VecAvx512<float> b) { return vselect(m, a, b); }
inline VecAvx512<double> vif(__mmask8 m, VecAvx512<double> a, VecAvx512<double> b) { return vselect(m, a, b); }
inline VecAvx512<float> vor(VecAvx512<float> a, VecAvx512<float> b) { return _mm512_or_ps(a.v, b.v); }
inline VecAvx512<double> vor(VecAvx512<double> a, VecAvx512<double> b) { return _mm512_or_pd(a.v, b.v); }
inline VecAvx512<float> vand(VecAvx512<float> a, VecAvx512<float> b) { return _mm512_and_ps(a.v, b.v); }
inline VecAvx512<double> vand(VecAvx512<double> a, VecAvx512<double> b) { return _mm512_and_pd(a.v, b.v); }
// Clamp to [lo, hi] keeping NaN (min/max return their 2nd operand when either is NaN).
inline VecAvx512<float> clamp_nan(VecAvx512<float> x, float lo, float hi) {
  return _mm512_max_ps(_mm512_set1_ps(lo), _mm512_min_ps(_mm512_set1_ps(hi), x.v));
}
inline VecAvx512<double> clamp_nan(VecAvx512<double> x, double lo, double hi) {
  return _mm512_max_pd(_mm512_set1_pd(lo), _mm512_min_pd(_mm512_set1_pd(hi), x.v));
}

inline __mmask16 veq(VecAvx512<float> a, VecAvx512<float> b) { return _mm512_cmp_ps_mask(a.v, b.v, _CMP_EQ_OQ); }
inline __mmask8 veq(VecAvx512<double> a, VecAvx512<double> b) { return _mm512_cmp_pd_mask(a.v, b.v, _CMP_EQ_OQ); }
inline __mmask16 vnlt(VecAvx512<float> a, VecAvx512<float> b) {  // !(a < b): true for NaN
  return _mm512_cmp_ps_mask(a.v, b.v, _CMP_NLT_UQ);
}
inline __mmask8 vnlt(VecAvx512<double> a, VecAvx512<double> b) { return _mm512_cmp_pd_mask(a.v, b.v, _CMP_NLT_UQ); }

inline __mmask16 vor(__mmask16 a, __mmask16 b) { return a | b; }
inline __mmask8 vor(__mmask8 a, __mmask8 b) { return a | b; }
inline VecAvx512<float> vround(VecAvx512<float> a) {
  return _mm512_roundscale_ps(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
inline VecAvx512<double> vround(VecAvx512<double> a) {
  return _mm512_roundscale_pd(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
// 2^n for integral n (vscalef: any n, no exponent-bit assembly).
inline VecAvx512<float> pow2i(VecAvx512<float> n) { return _mm512_scalef_ps(_mm512_set1_ps(1.0f), n.v); }
inline VecAvx512<double> pow2i(VecAvx512<double> n) { return _mm512_scalef_pd(_mm512_set1_pd(1.0), n.v); }

/// relu keeping NaN: x < 0 ? 0 : x.
template <typename T> VecAvx512<T> vrelu(VecAvx512<T> a) {
  return vselect(vlt_mask(a, VecAvx512<T>(T(0))), VecAvx512<T>(T(0)), a);
}

// sigmoid and tanh by the algorithms (and with the accuracy) of vec_math.h's AVX2 versions,
// on the vscalef exp above.
template <typename T> VecAvx512<T> vsigmoid(VecAvx512<T> x) {
  using V = VecAvx512<T>;
  const V one(T(1)), e = vexp(V(T(0)) - vabs(x)), d = one + e, dl = e - (d - one);
  const auto neg = vlt_mask(x, V(T(0)));
  const V num = vselect(neg, e, one), q = num / d;
  const V corr = vfnmadd(q, dl, vfnmadd(q, d, num));
  return vfmadd(corr, vselect(neg, one - q, q), q);
}
// tanh(a) for a = |x| >= 0.625 as 1 - 2 / (e^2a + 1) (exactly 1 once e^2a overflows);
// below, `small`; the sign of x copied back.
template <typename T> VecAvx512<T> tanh_finish(VecAvx512<T> x, VecAvx512<T> a, VecAvx512<T> small) {
  using V = VecAvx512<T>;
  const V big = V(T(1)) - V(T(2)) / (vexp(a + a) + V(T(1)));
  return vcopysign(vselect(vlt_mask(a, V(T(0.625))), small, big), x);
}
inline VecAvx512<float> vtanh(VecAvx512<float> x) {
  const VecAvx512<float> a = vabs(x), z = a * a;
  const VecAvx512<float> p = horner512(z.v, -5.70498872745E-3f, 2.06390887954E-2f, -5.37397155531E-2f,
                                       1.33314422036E-1f, -3.33332819422E-1f);  // Cephes tanhf
  return tanh_finish(x, a, vfmadd(p * z, a, a));
}
inline VecAvx512<double> vtanh(VecAvx512<double> x) {
  const VecAvx512<double> a = vabs(x), z = a * a;  // Cephes tanh: P(z)/Q(z) rational
  const VecAvx512<double> P = horner512(z.v, -9.64399179425052238628E-1, -9.92877231001918586564E1,
                                        -1.61468768441708447952E3);
  const VecAvx512<double> Q = horner512(z.v, 1.0, 1.12811678491632931402E2, 2.23548839060100448583E3,
                                        4.84406305325125486048E3);
  return tanh_finish(x, a, vfmadd(z * P / Q, a, a));
}

}  // namespace nd::cpu::NATIVEDL_ISA
