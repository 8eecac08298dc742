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
// The lane helpers of vec_math.h's AVX2 algorithms, so that those written over them (erf) also
// run at 16 lanes: vlt is a mask here, and vif selects by it.
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

// expm1 and log as vec_math.h's AVX2 versions (same reductions, polynomials and special
// cases, so the same accuracy), with the exponent work done by vscalef (2^n), vgetexp and
// vgetmant (which also take subnormal inputs apart, so log needs no rescaling of them).
// expm1 = 2 fma(s, expm1(r), s - 1/2), s = 2^(n-1); x == 0 returns x (keeps -0).
template <typename T, typename P>
VecAvx512<T> expm1_512(VecAvx512<T> x, T lo, T hi, T ln2_hi, T ln2_lo, T log2e, const P& poly) {
  using V = VecAvx512<T>;
  const V xc = clamp_nan(x, lo, hi);
  V n;
  if constexpr (sizeof(T) == 4) n = _mm512_roundscale_ps((xc * V(log2e)).v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  else n = _mm512_roundscale_pd((xc * V(log2e)).v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const V r = vfmadd(n, V(ln2_lo), vfmadd(n, V(ln2_hi), xc));
  const V em1r = vfmadd(poly(r.v), r * r, r);
  V s;
  if constexpr (sizeof(T) == 4) s = _mm512_scalef_ps(_mm512_set1_ps(1.0f), (n - V(T(1))).v);
  else s = _mm512_scalef_pd(_mm512_set1_pd(1.0), (n - V(T(1))).v);
  return vif(veq(x, V(T(0))), x, V(T(2)) * vfmadd(s, em1r, s - V(T(0.5))));
}
inline VecAvx512<float> vexpm1(VecAvx512<float> x) {
  return expm1_512<float>(x, -20.0f, 89.0f, -0.693359375f, 2.12194440e-4f, 1.44269504088896341f, [](__m512 r) {
    return VecAvx512<float>(horner512(r, 1 / 40320.0f, 1 / 5040.0f, 1 / 720.0f, 1 / 120.0f, 1 / 24.0f, 1 / 6.0f, 0.5f));
  });
}
inline VecAvx512<double> vexpm1(VecAvx512<double> x) {
  return expm1_512<double>(x, -40.0, 710.0, -6.93147180369123816490e-01, -1.90821492927058770002e-10,
                           1.4426950408889634, [](__m512d r) {
    return VecAvx512<double>(horner512(r, 1 / 87178291200.0, 1 / 6227020800.0, 1 / 479001600.0, 1 / 39916800.0,
                                       1 / 3628800.0, 1 / 362880.0, 1 / 40320.0, 1 / 5040.0, 1 / 720.0, 1 / 120.0,
                                       1 / 24.0, 1 / 6.0, 0.5));
  });
}

// log(+-0) = -inf, log(x < 0) = NaN, log(+inf) = +inf, log(NaN) = NaN.
template <typename T> VecAvx512<T> log_special_512(VecAvx512<T> y, VecAvx512<T> x) {
  using V = VecAvx512<T>;
  y = vif(veq(x, V(T(0))), V(T(-INFINITY)), y);
  y = vif(vlt(x, V(T(0))), V(T(NAN)), y);
  return vif(vnlt(x, V(T(INFINITY))), x + x, y);
}
// x = 2^k m, m in [sqrt(1/2), sqrt(2)); f = m - 1.
template <typename T> void log_split_512(VecAvx512<T> x, VecAvx512<T>& k, VecAvx512<T>& f) {
  using V = VecAvx512<T>;
  V m;
  if constexpr (sizeof(T) == 4) {
    m = _mm512_getmant_ps(x.v, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_zero);
    k = _mm512_getexp_ps(x.v);
  } else {
    m = _mm512_getmant_pd(x.v, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_zero);
    k = _mm512_getexp_pd(x.v);
  }
  const auto big = vlt(V(T(1.41421356237309504880)), m);
  m = vif(big, m * V(T(0.5)), m);
  k = vif(big, k + V(T(1)), k);
  f = m - V(T(1));
}
inline VecAvx512<float> vlog(VecAvx512<float> x) {
  using V = VecAvx512<float>;
  V k, f;
  log_split_512(x, k, f);
  // Cephes logf: log(1+f) = f - z/2 + f z P(f), z = f^2; ln2 = 0.693359375 - 2.12194440e-4.
  const V z = f * f;
  const V p = horner512(f.v, 7.0376836292E-2f, -1.1514610310E-1f, 1.1676998740E-1f, -1.2420140846E-1f,
                        1.4249322787E-1f, -1.6668057665E-1f, 2.0000714765E-1f, -2.4999993993E-1f, 3.3333331174E-1f);
  const V y = vfmadd(z, V(-0.5f), vfmadd(k, V(-2.12194440e-4f), p * f * z));
  return log_special_512(vfmadd(k, V(0.693359375f), f + y), x);
}
inline VecAvx512<double> vlog(VecAvx512<double> x) {
  using V = VecAvx512<double>;
  V k, f;
  log_split_512(x, k, f);
  // fdlibm log: s = f/(2+f), log(1+f) = f - h + s (h + R(s^2)), h = f^2/2; ln2 = hi + lo.
  const V s = f / (V(2.0) + f), z = s * s, h = V(0.5) * f * f;
  const V R = z * V(horner512(z.v, 1.479819860511658591e-01, 1.531383769920937332e-01, 1.818357216161805012e-01,
                              2.222219843214978396e-01, 2.857142874366239149e-01, 3.999999999940941908e-01,
                              6.666666666666735130e-01));
  const V y = vfmadd(s, h + R, k * V(1.90821492927058770002e-10));
  return log_special_512(vfmadd(k, V(6.93147180369123816490e-01), f - (h - y)), x);
}
// log1p(x) = log(u) + (x - (u - 1)) / u, u = 1 + x (Goldberg); log(u) alone where u is 0 or
// inf; x == 0 returns x.
template <typename T> VecAvx512<T> vlog1p(VecAvx512<T> x) {
  using V = VecAvx512<T>;
  const V one(T(1)), u = one + x, lu = vlog(u);
  const V y = vif(veq(u, V(T(0))) | veq(u, V(T(INFINITY))), lu, lu + (x - (u - one)) / u);
  return vif(veq(x, V(T(0))), x, y);
}

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
