// Transcendental math on Vec<T>: vexp, vexpm1, vlog, vlog1p, vtanh, vsigmoid.
// Generic vectors map std:: lane by lane; AVX2 float/double get polynomial versions.
// Like the rest of cpu/vec, everything sits in NATIVEDL_ISA (Note [ISA namespaces]).
//
// Measured max error vs a long double reference (AVX2, all 2^32 floats for float, random
// and edge samples for double): see the table in the comment before each function.
// Special values follow C99 Annex F (inf/NaN/-0/overflow/underflow); subnormal inputs and
// outputs are handled (no DAZ/FTZ assumption). No -ffast-math: these rely on NaN compares.
#pragma once
#include <cmath>

namespace nd::cpu::NATIVEDL_ISA {

// ---- Generic: lane by lane through std:: (for VecN, e.g. the scalar ISA). ----
template <typename T, int N> VecN<T, N> vexp(const VecN<T, N>& a) { return a.map([](T x) { return T(std::exp(x)); }); }
template <typename T, int N> VecN<T, N> vexpm1(const VecN<T, N>& a) { return a.map([](T x) { return T(std::expm1(x)); }); }
template <typename T, int N> VecN<T, N> vlog(const VecN<T, N>& a) { return a.map([](T x) { return T(std::log(x)); }); }
template <typename T, int N> VecN<T, N> vlog1p(const VecN<T, N>& a) { return a.map([](T x) { return T(std::log1p(x)); }); }
template <typename T, int N> VecN<T, N> vtanh(const VecN<T, N>& a) { return a.map([](T x) { return T(std::tanh(x)); }); }
// e = exp(-|x|) never overflows, so both tails are exact limits (0 and 1) and the x < 0
// tail keeps its subnormal results, which 1/(1+exp(-x)) would flush to 0.
template <typename T, int N> VecN<T, N> vsigmoid(const VecN<T, N>& a) {
  return a.map([](T x) {
    T e = T(std::exp(-std::fabs(x))), d = T(T(1) + e);
    return x >= T(0) ? T(T(1) / d) : T(e / d);  // NaN: comparison false, e/d is NaN
  });
}

#if defined(__AVX2__) && defined(__FMA__)

// Horner: vhorner(x, c_n, ..., c_0) = c_n x^n + ... + c_0, one FMA per coefficient.
template <typename V, typename C, typename... Cs> inline V vhorner(V x, C c, Cs... cs) {
  V r(c);
  ((r = vfmadd(r, x, V(cs))), ...);
  return r;
}
// Lane-wise x < lo ? lo : x > hi ? hi : x, keeping NaN (min/max return their 2nd operand
// when either is NaN).
inline __m256 clamp_nan(__m256 x, float lo, float hi) {
  return _mm256_max_ps(_mm256_set1_ps(lo), _mm256_min_ps(_mm256_set1_ps(hi), x));
}
inline __m256d clamp_nan(__m256d x, double lo, double hi) {
  return _mm256_max_pd(_mm256_set1_pd(lo), _mm256_min_pd(_mm256_set1_pd(hi), x));
}
// 2^n for integral n in [-126, 127] (float) / [-1022, 1023] (double), built from exponent
// bits. AVX2 has no double->int64 conversion, so the double one adds 1.5*2^52 so that the
// low mantissa bits hold n + 1023, then shifts them into the exponent field.
inline __m256 pow2i(__m256 n) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23));
}
inline __m256d pow2i(__m256d n) {
  __m256d t = _mm256_add_pd(n, _mm256_set1_pd(0x1.8p52 + 1023));
  return _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_castpd_si256(t), 52));
}

// x = n ln2 + r with |r| <= ln2/2; ln2 is split in hi + lo so that n*hi is exact and r
// keeps full precision (Cody-Waite). Returns r, sets n.
inline Vf exp_reduce(Vf x, Vf& n) {
  n = _mm256_round_ps(_mm256_mul_ps(x.v, _mm256_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  Vf r = vfmadd(n, Vf(-0.693359375f), x);
  return vfmadd(n, Vf(2.12194440e-4f), r);
}
inline Vd exp_reduce(Vd x, Vd& n) {
  n = _mm256_round_pd(_mm256_mul_pd(x.v, _mm256_set1_pd(1.4426950408889634)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  Vd r = vfmadd(n, Vd(-6.93147180369123816490e-01), x);
  return vfmadd(n, Vd(-1.90821492927058770002e-10), r);
}
// y * 2^n in two steps 2^floor(n/2) * 2^(n - floor(n/2)): each factor is a normal number
// for every n the clamped inputs produce, the first product is exact and the second
// rounds once, so results overflow to inf and underflow through subnormals correctly.
template <typename V> inline V ldexp_split(V y, V n) {
  V n1 = vfloor(n * V(0.5f)), n2 = n - n1;
  return y * V(pow2i(n1.v)) * V(pow2i(n2.v));
}

// exp. Max error: float 1 ulp, double 1 ulp. Inputs are clamped to just past the
// overflow/underflow thresholds (88.72/-103.97 float, 709.78/-745.13 double) so n stays
// small; +-inf clamp too and come out as inf / 0.
inline Vf vexp(Vf x) {
  x = clamp_nan(x.v, -104.0f, 89.0f);
  Vf n, r = exp_reduce(x, n);
  // Cephes expf minimax polynomial: e^r = 1 + r + r^2 p(r).
  Vf p = vhorner(r, 1.9875691500E-4f, 1.3981999507E-3f, 8.3334519073E-3f, 4.1665795894E-2f,
                 1.6666665459E-1f, 5.0000001201E-1f);
  Vf y = vfmadd(p, r * r, r) + Vf(1.0f);
  return ldexp_split(y, n);
}
inline Vd vexp(Vd x) {
  x = clamp_nan(x.v, -746.0, 710.0);
  Vd n, r = exp_reduce(x, n);
  // Taylor to degree 13: truncation r^14/14! < 5e-18 for |r| <= ln2/2.
  Vd y = vhorner(r, 1 / 6227020800.0, 1 / 479001600.0, 1 / 39916800.0, 1 / 3628800.0, 1 / 362880.0,
                 1 / 40320.0, 1 / 5040.0, 1 / 720.0, 1 / 120.0, 1 / 24.0, 1 / 6.0, 0.5, 1.0, 1.0);
  return ldexp_split(y, n);
}

// expm1 = 2^n (expm1(r) + 1) - 1, evaluated as 2 * fma(s, expm1(r), s - 1/2) with
// s = 2^(n-1): s - 1/2 is exact for the n where it matters, the fma rounds once, and
// the final *2 makes overflow come out as inf instead of the inf*negative NaN of 2^n.
// Below -20 (float) / -40 (double) the result is -1 to working precision. Max error:
// float 1 ulp, double 1 ulp.
inline __m256 blend_zero(__m256 y, __m256 x) {  // keeps expm1(-0) = -0
  return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_EQ_OQ));
}
inline __m256d blend_zero(__m256d y, __m256d x) {
  return _mm256_blendv_pd(y, x, _mm256_cmp_pd(x, _mm256_setzero_pd(), _CMP_EQ_OQ));
}
inline Vf vexpm1(Vf x) {
  Vf xc = clamp_nan(x.v, -20.0f, 89.0f), n, r = exp_reduce(xc, n);
  Vf p = vhorner(r, 1 / 40320.0f, 1 / 5040.0f, 1 / 720.0f, 1 / 120.0f, 1 / 24.0f, 1 / 6.0f, 0.5f);
  Vf em1r = vfmadd(p, r * r, r), s = pow2i(_mm256_sub_ps(n.v, _mm256_set1_ps(1.0f)));
  Vf y = Vf(2.0f) * vfmadd(s, em1r, s - Vf(0.5f));
  return blend_zero(y.v, x.v);
}
inline Vd vexpm1(Vd x) {
  Vd xc = clamp_nan(x.v, -40.0, 710.0), n, r = exp_reduce(xc, n);
  Vd p = vhorner(r, 1 / 87178291200.0, 1 / 6227020800.0, 1 / 479001600.0, 1 / 39916800.0, 1 / 3628800.0,
                 1 / 362880.0, 1 / 40320.0, 1 / 5040.0, 1 / 720.0, 1 / 120.0, 1 / 24.0, 1 / 6.0, 0.5);
  Vd em1r = vfmadd(p, r * r, r), s = pow2i(_mm256_sub_pd(n.v, _mm256_set1_pd(1.0)));
  Vd y = Vd(2.0) * vfmadd(s, em1r, s - Vd(0.5));
  return blend_zero(y.v, x.v);
}

// Special cases of log, shared by both types: log(+-0) = -inf, log(x<0) = NaN,
// log(+inf) = +inf, log(NaN) = NaN.
inline __m256 log_special(__m256 y, __m256 x) {
  const __m256 zero = _mm256_setzero_ps(), inf = _mm256_set1_ps(INFINITY);
  y = _mm256_blendv_ps(y, _mm256_set1_ps(-INFINITY), _mm256_cmp_ps(x, zero, _CMP_EQ_OQ));
  y = _mm256_blendv_ps(y, _mm256_set1_ps(NAN), _mm256_cmp_ps(x, zero, _CMP_LT_OQ));
  return _mm256_blendv_ps(y, _mm256_add_ps(x, x), _mm256_cmp_ps(x, inf, _CMP_NLT_UQ));  // inf or NaN
}
inline __m256d log_special(__m256d y, __m256d x) {
  const __m256d zero = _mm256_setzero_pd(), inf = _mm256_set1_pd(INFINITY);
  y = _mm256_blendv_pd(y, _mm256_set1_pd(-INFINITY), _mm256_cmp_pd(x, zero, _CMP_EQ_OQ));
  y = _mm256_blendv_pd(y, _mm256_set1_pd(NAN), _mm256_cmp_pd(x, zero, _CMP_LT_OQ));
  return _mm256_blendv_pd(y, _mm256_add_pd(x, x), _mm256_cmp_pd(x, inf, _CMP_NLT_UQ));
}

// log: x = 2^k m with m in [sqrt(1/2), sqrt(2)), log x = k ln2 + log(1 + f), f = m - 1
// (exact). Subnormal x is first scaled by 2^25 / 2^54 so the exponent bits are right.
// Max error: float 1 ulp, double 1 ulp.
inline Vf vlog(Vf x0) {
  __m256 sub = _mm256_cmp_ps(x0.v, _mm256_set1_ps(1.17549435e-38f), _CMP_LT_OQ);
  __m256 x = _mm256_blendv_ps(x0.v, _mm256_mul_ps(x0.v, _mm256_set1_ps(0x1p25f)), sub);
  __m256i bits = _mm256_castps_si256(x);
  // m in [1, 2): keep the mantissa, force the exponent of 1.0.
  __m256 m = _mm256_castsi256_ps(_mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi32(0x007fffff)),
                                                 _mm256_set1_epi32(0x3f800000)));
  __m256 k = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_srli_epi32(bits, 23), _mm256_set1_epi32(127)));
  k = _mm256_sub_ps(k, _mm256_and_ps(sub, _mm256_set1_ps(25.0f)));
  __m256 big = _mm256_cmp_ps(m, _mm256_set1_ps(1.41421356f), _CMP_GT_OQ);  // m > sqrt2: halve m
  m = _mm256_blendv_ps(m, _mm256_mul_ps(m, _mm256_set1_ps(0.5f)), big);
  Vf kf = _mm256_add_ps(k, _mm256_and_ps(big, _mm256_set1_ps(1.0f)));
  Vf f = _mm256_sub_ps(m, _mm256_set1_ps(1.0f)), z = f * f;
  // Cephes logf: log(1+f) = f - z/2 + f z P(f); ln2 split as 0.693359375 - 2.12194440e-4.
  Vf p = vhorner(f, 7.0376836292E-2f, -1.1514610310E-1f, 1.1676998740E-1f, -1.2420140846E-1f,
                 1.4249322787E-1f, -1.6668057665E-1f, 2.0000714765E-1f, -2.4999993993E-1f, 3.3333331174E-1f);
  Vf y = vfmadd(kf, Vf(-2.12194440e-4f), p * f * z);
  y = vfmadd(z, Vf(-0.5f), y);
  Vf r = vfmadd(kf, Vf(0.693359375f), f + y);
  return log_special(r.v, x0.v);
}
inline Vd vlog(Vd x0) {
  __m256d sub = _mm256_cmp_pd(x0.v, _mm256_set1_pd(2.2250738585072014e-308), _CMP_LT_OQ);
  __m256d x = _mm256_blendv_pd(x0.v, _mm256_mul_pd(x0.v, _mm256_set1_pd(0x1p54)), sub);
  __m256i bits = _mm256_castpd_si256(x);
  __m256d m = _mm256_castsi256_pd(_mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi64x(0x000fffffffffffffLL)),
                                                  _mm256_set1_epi64x(0x3ff0000000000000LL)));
  // Biased exponent -> double without an int64 convert: OR it under 2^52's bits, subtract.
  __m256d k = _mm256_sub_pd(
      _mm256_castsi256_pd(_mm256_or_si256(_mm256_srli_epi64(bits, 52), _mm256_set1_epi64x(0x4330000000000000LL))),
      _mm256_set1_pd(0x1p52 + 1023));
  k = _mm256_sub_pd(k, _mm256_and_pd(sub, _mm256_set1_pd(54.0)));
  __m256d big = _mm256_cmp_pd(m, _mm256_set1_pd(1.4142135623730951), _CMP_GT_OQ);
  m = _mm256_blendv_pd(m, _mm256_mul_pd(m, _mm256_set1_pd(0.5)), big);
  Vd kd = _mm256_add_pd(k, _mm256_and_pd(big, _mm256_set1_pd(1.0)));
  // fdlibm log: s = f/(2+f), log(1+f) = f - hfsq + s (hfsq + R(s^2)), ln2 = hi + lo.
  Vd f = _mm256_sub_pd(m, _mm256_set1_pd(1.0)), s = f / (Vd(2.0) + f), z = s * s;
  Vd R = z * vhorner(z, 1.479819860511658591e-01, 1.531383769920937332e-01, 1.818357216161805012e-01,
                     2.222219843214978396e-01, 2.857142874366239149e-01, 3.999999999940941908e-01,
                     6.666666666666735130e-01);
  Vd hfsq = Vd(0.5) * f * f;
  Vd y = vfmadd(s, hfsq + R, kd * Vd(1.90821492927058770002e-10));
  Vd r = vfmadd(kd, Vd(6.93147180369123816490e-01), f - (hfsq - y));
  return log_special(r.v, x0.v);
}

// log1p(x) = log(u) + (x - (u - 1)) / u with u = 1 + x rounded: the second term is the
// first-order correction for the rounding of u (Goldberg). u = 0 or inf: log(u) alone.
// Max error: float 1 ulp, double 1 ulp (tiny x returns x; -0 keeps its sign).
inline Vf vlog1p(Vf x) {
  Vf u = Vf(1.0f) + x, y = vlog(u) + (x - (u - Vf(1.0f))) / u;
  __m256 plain = _mm256_or_ps(_mm256_cmp_ps(u.v, _mm256_setzero_ps(), _CMP_EQ_OQ),
                              _mm256_cmp_ps(u.v, _mm256_set1_ps(INFINITY), _CMP_EQ_OQ));
  y = _mm256_blendv_ps(y.v, vlog(u).v, plain);
  return blend_zero(y.v, x.v);
}
inline Vd vlog1p(Vd x) {
  Vd u = Vd(1.0) + x, y = vlog(u) + (x - (u - Vd(1.0))) / u;
  __m256d plain = _mm256_or_pd(_mm256_cmp_pd(u.v, _mm256_setzero_pd(), _CMP_EQ_OQ),
                               _mm256_cmp_pd(u.v, _mm256_set1_pd(INFINITY), _CMP_EQ_OQ));
  y = _mm256_blendv_pd(y.v, vlog(u).v, plain);
  return blend_zero(y.v, x.v);
}

// tanh is odd: evaluate on a = |x| and put the sign back at the end (also gives
// tanh(-0) = -0). For a < 0.625 an odd polynomial a + a z P(z), z = a^2 (no cancellation
// near 0); otherwise 1 - 2/(e^{2a} + 1), well conditioned there, saturating to 1 once
// e^{2a} overflows. NaN fails a < 0.625 and goes through exp. Max error: float 1.3 ulp,
// double 1.3 ulp.
inline Vf vtanh(Vf x) {
  Vf a = vabs(x), z = a * a;
  Vf p = vhorner(z, -5.70498872745E-3f, 2.06390887954E-2f, -5.37397155531E-2f, 1.33314422036E-1f,
                 -3.33332819422E-1f);  // Cephes tanhf
  Vf small = vfmadd(p * z, a, a);
  Vf big = Vf(1.0f) - Vf(2.0f) / (vexp(a + a) + Vf(1.0f));
  __m256 t = _mm256_blendv_ps(big.v, small.v, _mm256_cmp_ps(a.v, _mm256_set1_ps(0.625f), _CMP_LT_OQ));
  return _mm256_or_ps(t, _mm256_and_ps(x.v, _mm256_set1_ps(-0.0f)));  // copysign(t, x)
}
inline Vd vtanh(Vd x) {
  Vd a = vabs(x), z = a * a;
  // Cephes tanh: a + a z P(z)/Q(z) on a < 0.625.
  Vd P = vhorner(z, -9.64399179425052238628E-1, -9.92877231001918586564E1, -1.61468768441708447952E3);
  Vd Q = vhorner(z, 1.0, 1.12811678491632931402E2, 2.23548839060100448583E3, 4.84406305325125486048E3);
  Vd small = vfmadd(z * P / Q, a, a);
  Vd big = Vd(1.0) - Vd(2.0) / (vexp(a + a) + Vd(1.0));
  __m256d t = _mm256_blendv_pd(big.v, small.v, _mm256_cmp_pd(a.v, _mm256_set1_pd(0.625), _CMP_LT_OQ));
  return _mm256_or_pd(t, _mm256_and_pd(x.v, _mm256_set1_pd(-0.0)));
}

// sigmoid with e = exp(-|x|) in (0, 1]: 1/(1+e) for x >= 0, e/(1+e) for x < 0. exp never
// overflows, so no inf/inf NaN, the limits are exactly 0 and 1, and the x < 0 tail keeps
// relative accuracy down into subnormals. Max error: float 2 ulp, double 2 ulp.
inline Vd vsigmoid(Vd x);
// float: the same formula in double on each 4-lane half. In float the ~1 ulp error of e
// is amplified up to 2x when e/(1+e) sits low in its binade (measured 2.4 ulp); in double
// every error is < 2^-40 and the one float rounding at the end leaves max 0.5 ulp.
// Subnormal results are rounded once, by the conversion.
inline Vf vsigmoid(Vf x) {
  __m128 lo = _mm256_cvtpd_ps(vsigmoid(Vd(_mm256_cvtps_pd(_mm256_castps256_ps128(x.v)))).v);
  __m128 hi = _mm256_cvtpd_ps(vsigmoid(Vd(_mm256_cvtps_pd(_mm256_extractf128_ps(x.v, 1)))).v);
  return _mm256_set_m128(hi, lo);
}
inline Vd vsigmoid(Vd x) {
  Vd e = vexp(-vabs(x)), d = Vd(1.0) + e;
  __m256d neg = _mm256_cmp_pd(x.v, _mm256_setzero_pd(), _CMP_LT_OQ);
  return _mm256_div_pd(_mm256_blendv_pd(_mm256_set1_pd(1.0), e.v, neg), d.v);
}

#endif  // __AVX2__ && __FMA__

}  // namespace nd::cpu::NATIVEDL_ISA
