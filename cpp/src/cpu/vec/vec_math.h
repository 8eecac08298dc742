// Transcendental math on Vec<T>: vexp, vexpm1, vlog, vlog1p, vtanh, vsigmoid, verf.
// Generic vectors map std:: lane by lane; AVX2 float/double get polynomial versions.
// Like the rest of cpu/vec, everything sits in NATIVEDL_ISA (Note [ISA namespaces]).
//
// The "max error" notes below were measured against a higher-precision reference over all
// 2^32 floats, and over 2e7 random + edge doubles per function. Special values follow
// C99 Annex F (inf, NaN, -0, overflow to inf, gradual underflow); subnormal inputs and
// outputs are handled, with no DAZ/FTZ assumption. Needs IEEE semantics (no -ffast-math:
// the NaN handling relies on unordered compares and min/max operand order).
#pragma once
#include <cmath>

namespace nd::cpu::NATIVEDL_ISA {

// ---- Generic: lane by lane through std:: (for VecN, e.g. the scalar ISA). ----
template <typename T, int N> VecN<T, N> vexp(const VecN<T, N>& a) { return a.map([](T x) { return T(std::exp(x)); }); }
template <typename T, int N> VecN<T, N> vexpm1(const VecN<T, N>& a) { return a.map([](T x) { return T(std::expm1(x)); }); }
template <typename T, int N> VecN<T, N> vlog(const VecN<T, N>& a) { return a.map([](T x) { return T(std::log(x)); }); }
template <typename T, int N> VecN<T, N> vlog1p(const VecN<T, N>& a) { return a.map([](T x) { return T(std::log1p(x)); }); }
template <typename T, int N> VecN<T, N> vtanh(const VecN<T, N>& a) { return a.map([](T x) { return T(std::tanh(x)); }); }
template <typename T, int N> VecN<T, N> verf(const VecN<T, N>& a) { return a.map([](T x) { return T(std::erf(x)); }); }
// e = exp(-|x|) never overflows, so both tails are exact limits (0 and 1) and the x < 0
// tail keeps its subnormal results, which 1/(1+exp(-x)) would flush to 0.
template <typename T, int N> VecN<T, N> vsigmoid(const VecN<T, N>& a) {
  return a.map([](T x) {
    T e = T(std::exp(-std::fabs(x))), d = T(T(1) + e);
    return x >= T(0) ? T(T(1) / d) : T(e / d);  // NaN: comparison false, e/d is NaN
  });
}

#if defined(__AVX2__) && defined(__FMA__)
// ---- Shared by the AVX2 (Vf, Vd) and AVX-512 (VecAvx512) forms below: written over the lane
// helpers (vif, vlt, veq, vor, vand, clamp_nan, pow2i), so each algorithm is written once. ----
// Horner: vhorner(x, c_n, ..., c_0) = c_n x^n + ... + c_0, one FMA per coefficient.
template <typename V, typename C, typename... Cs> inline V vhorner(V x, C c, Cs... cs) {
  V r(c);
  ((r = vfmadd(r, x, V(cs))), ...);
  return r;
}
// expm1's finish (see ---- expm1 ---- below).
template <typename V> inline V expm1_finish(V x, V n, V r, V p) {
  V em1r = vfmadd(p, r * r, r), s = pow2i(n - V(1.0f));
  return vif(veq(x, V(0.0f)), x, V(2.0f) * vfmadd(s, em1r, s - V(0.5f)));
}
// log's special cases (see ---- log ---- below).
template <typename V> inline V log_special(V y, V x) {
  y = vif(veq(x, V(0.0f)), V(-INFINITY), y);
  y = vif(vlt(x, V(0.0f)), V(NAN), y);
  return vif(vnlt(x, V(INFINITY)), x + x, y);  // +inf or NaN
}
// log1p from log (see ---- log1p ---- below).
template <typename V> inline V log1p_avx(V x) {
  V one(1.0f), u = one + x, lu = vlog(u);
  V y = vif(vor(veq(u, V(0.0f)), veq(u, V(INFINITY))), lu, lu + (x - (u - one)) / u);
  return vif(veq(x, V(0.0f)), x, y);
}
#endif

#if defined(__AVX2__) && defined(__FMA__) && !defined(__AVX512F__)  // written for vec_avx2.h

// ---- Lane helpers for Vf and Vd, so that the algorithms below are written once. ----
// Comparisons return all-ones/all-zeros lanes; vif(m, a, b) = m ? a : b per lane.
inline Vf vif(Vf m, Vf a, Vf b) { return _mm256_blendv_ps(b.v, a.v, m.v); }
inline Vd vif(Vd m, Vd a, Vd b) { return _mm256_blendv_pd(b.v, a.v, m.v); }
inline Vf vlt(Vf a, Vf b) { return _mm256_cmp_ps(a.v, b.v, _CMP_LT_OQ); }
inline Vd vlt(Vd a, Vd b) { return _mm256_cmp_pd(a.v, b.v, _CMP_LT_OQ); }
inline Vf veq(Vf a, Vf b) { return _mm256_cmp_ps(a.v, b.v, _CMP_EQ_OQ); }
inline Vd veq(Vd a, Vd b) { return _mm256_cmp_pd(a.v, b.v, _CMP_EQ_OQ); }
inline Vf vnlt(Vf a, Vf b) { return _mm256_cmp_ps(a.v, b.v, _CMP_NLT_UQ); }  // !(a < b): true for NaN
inline Vd vnlt(Vd a, Vd b) { return _mm256_cmp_pd(a.v, b.v, _CMP_NLT_UQ); }
inline Vf vor(Vf a, Vf b) { return _mm256_or_ps(a.v, b.v); }
inline Vd vor(Vd a, Vd b) { return _mm256_or_pd(a.v, b.v); }
inline Vf vand(Vf a, Vf b) { return _mm256_and_ps(a.v, b.v); }
inline Vd vand(Vd a, Vd b) { return _mm256_and_pd(a.v, b.v); }
// Lane-wise clamp to [lo, hi] that keeps NaN (min/max return their 2nd operand when
// either is NaN).
inline Vf clamp_nan(Vf x, float lo, float hi) { return _mm256_max_ps(_mm256_set1_ps(lo), _mm256_min_ps(_mm256_set1_ps(hi), x.v)); }
inline Vd clamp_nan(Vd x, double lo, double hi) { return _mm256_max_pd(_mm256_set1_pd(lo), _mm256_min_pd(_mm256_set1_pd(hi), x.v)); }
// 2^n for integral n in [-126, 127] (float) / [-1022, 1023] (double), built from exponent
// bits. AVX2 has no double->int64 conversion, so the double one adds 1.5*2^52, which puts
// n + 1023 in the low mantissa bits, and shifts those into the exponent field.
inline Vf pow2i(Vf n) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n.v), _mm256_set1_epi32(127)), 23));
}
inline Vd pow2i(Vd n) {
  __m256d t = _mm256_add_pd(n.v, _mm256_set1_pd(0x1.8p52 + 1023));
  return _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_castpd_si256(t), 52));
}

// ---- exp ----
// x = n ln2 + r, |r| <= ln2/2, with ln2 split in hi + lo so that r keeps full precision
// (Cody-Waite). Returns r, sets n.
inline Vf exp_reduce(Vf x, Vf& n) {
  n = vround(x * Vf(1.44269504088896341f));
  return vfmadd(n, Vf(2.12194440e-4f), vfmadd(n, Vf(-0.693359375f), x));
}
inline Vd exp_reduce(Vd x, Vd& n) {
  n = vround(x * Vd(1.4426950408889634));
  return vfmadd(n, Vd(-1.90821492927058770002e-10), vfmadd(n, Vd(-6.93147180369123816490e-01), x));
}
// y 2^n as (y 2^floor(n/2)) 2^(n - floor(n/2)): both factors are normal numbers for every
// n the clamped inputs give, the first product is exact and the second rounds once, so
// results overflow to inf and underflow through the subnormals correctly.
template <typename V> inline V ldexp_split(V y, V n) {
  V n1 = vfloor(n * V(0.5f));
  return y * pow2i(n1) * pow2i(n - n1);
}
// Inputs are clamped just past the overflow/underflow thresholds (88.72 / -103.97 float,
// 709.78 / -745.13 double) to keep n small; +-inf clamp too and give inf / 0, NaN stays
// NaN. Max error (measured): float 1.01 ulp, double 0.90 ulp.
inline Vf vexp(Vf x) {
  Vf n, r = exp_reduce(clamp_nan(x, -104.0f, 89.0f), n);
  // Cephes expf minimax polynomial: e^r = 1 + r + r^2 p(r).
  Vf p = vhorner(r, 1.9875691500E-4f, 1.3981999507E-3f, 8.3334519073E-3f, 4.1665795894E-2f,
                 1.6666665459E-1f, 5.0000001201E-1f);
  return ldexp_split(vfmadd(p, r * r, r) + Vf(1.0f), n);
}
inline Vd vexp(Vd x) {
  Vd n, r = exp_reduce(clamp_nan(x, -746.0, 710.0), n);
  // Taylor to degree 13: the truncation r^14/14! < 5e-18 for |r| <= ln2/2.
  Vd y = vhorner(r, 1 / 6227020800.0, 1 / 479001600.0, 1 / 39916800.0, 1 / 3628800.0, 1 / 362880.0,
                 1 / 40320.0, 1 / 5040.0, 1 / 720.0, 1 / 120.0, 1 / 24.0, 1 / 6.0, 0.5, 1.0, 1.0);
  return ldexp_split(y, n);
}

// ---- expm1 ----
// expm1 = 2^n (expm1(r) + 1) - 1 = 2 fma(s, expm1(r), s - 1/2) with s = 2^(n-1):
// s - 1/2 is exact for every n where it matters, the fma rounds once, and the final *2
// overflows to inf where fma(2^n, negative, 2^n - 1) would give inf - inf = NaN. Below
// -20 (float) / -40 (double) the result is -1 to working precision. x == 0 returns x,
// keeping expm1(-0) = -0. Max error (measured): float 1.44 ulp, double 1.76 ulp.
inline Vf vexpm1(Vf x) {
  Vf n, r = exp_reduce(clamp_nan(x, -20.0f, 89.0f), n);
  return expm1_finish(x, n, r, vhorner(r, 1 / 40320.0f, 1 / 5040.0f, 1 / 720.0f, 1 / 120.0f, 1 / 24.0f, 1 / 6.0f, 0.5f));
}
inline Vd vexpm1(Vd x) {
  Vd n, r = exp_reduce(clamp_nan(x, -40.0, 710.0), n);
  // Taylor, expm1(r) = r + r^2 (1/2 + ... + r^12/14!).
  return expm1_finish(x, n, r, vhorner(r, 1 / 87178291200.0, 1 / 6227020800.0, 1 / 479001600.0, 1 / 39916800.0,
                                       1 / 3628800.0, 1 / 362880.0, 1 / 40320.0, 1 / 5040.0, 1 / 720.0,
                                       1 / 120.0, 1 / 24.0, 1 / 6.0, 0.5));
}

// ---- log ----
// log x = k ln2 + log(1 + f), x = 2^k m, m in [sqrt(1/2), sqrt(2)), f = m - 1 (exact).
// Subnormal x is first scaled by 2^25 / 2^54 so its exponent bits are right.
// log(+-0) = -inf, log(x < 0) = NaN, log(+inf) = +inf, log(NaN) = NaN.
// Max error (measured): float 0.83 ulp, double 0.80 ulp.
inline Vf vlog(Vf x0) {
  Vf sub = vlt(x0, Vf(1.17549435e-38f));
  Vf x = vif(sub, x0 * Vf(0x1p25f), x0);
  __m256i bits = _mm256_castps_si256(x.v);
  Vf m = _mm256_castsi256_ps(_mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi32(0x007fffff)),
                                             _mm256_set1_epi32(0x3f800000)));  // [1, 2)
  Vf k = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_srli_epi32(bits, 23), _mm256_set1_epi32(127)));
  Vf big = vlt(Vf(1.41421356f), m);
  m = vif(big, m * Vf(0.5f), m);
  k = k - vand(sub, Vf(25.0f)) + vand(big, Vf(1.0f));
  // Cephes logf: log(1+f) = f - z/2 + f z P(f), z = f^2; ln2 = 0.693359375 - 2.12194440e-4.
  Vf f = m - Vf(1.0f), z = f * f;
  Vf p = vhorner(f, 7.0376836292E-2f, -1.1514610310E-1f, 1.1676998740E-1f, -1.2420140846E-1f,
                 1.4249322787E-1f, -1.6668057665E-1f, 2.0000714765E-1f, -2.4999993993E-1f, 3.3333331174E-1f);
  Vf y = vfmadd(z, Vf(-0.5f), vfmadd(k, Vf(-2.12194440e-4f), p * f * z));
  return log_special(vfmadd(k, Vf(0.693359375f), f + y), x0);
}
inline Vd vlog(Vd x0) {
  Vd sub = vlt(x0, Vd(2.2250738585072014e-308));
  Vd x = vif(sub, x0 * Vd(0x1p54), x0);
  __m256i bits = _mm256_castpd_si256(x.v);
  Vd m = _mm256_castsi256_pd(_mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi64x(0x000fffffffffffffLL)),
                                             _mm256_set1_epi64x(0x3ff0000000000000LL)));
  // Biased exponent to double without an int64 convert: put it under 2^52's bits, subtract.
  Vd k = Vd(_mm256_castsi256_pd(_mm256_or_si256(_mm256_srli_epi64(bits, 52), _mm256_set1_epi64x(0x4330000000000000LL)))) -
         Vd(0x1p52 + 1023);
  Vd big = vlt(Vd(1.4142135623730951), m);
  m = vif(big, m * Vd(0.5), m);
  k = k - vand(sub, Vd(54.0)) + vand(big, Vd(1.0));
  // fdlibm log: s = f/(2+f), log(1+f) = f - h + s (h + R(s^2)), h = f^2/2; ln2 = hi + lo.
  Vd f = m - Vd(1.0), s = f / (Vd(2.0) + f), z = s * s, h = Vd(0.5) * f * f;
  Vd R = z * vhorner(z, 1.479819860511658591e-01, 1.531383769920937332e-01, 1.818357216161805012e-01,
                     2.222219843214978396e-01, 2.857142874366239149e-01, 3.999999999940941908e-01,
                     6.666666666666735130e-01);
  Vd y = vfmadd(s, h + R, k * Vd(1.90821492927058770002e-10));
  return log_special(vfmadd(k, Vd(6.93147180369123816490e-01), f - (h - y)), x0);
}

// ---- log1p ----
// log1p(x) = log(u) + (x - (u - 1)) / u with u = 1 + x rounded: the second term corrects
// for the rounding of u to first order (Goldberg). Where u is 0 or inf, log(u) alone
// (the correction would be 0/0 or inf - inf); x == 0 returns x (keeps -0).
// Max error (measured): float 1.44 ulp, double 1.44 ulp.
inline Vf vlog1p(Vf x) { return log1p_avx(x); }
inline Vd vlog1p(Vd x) { return log1p_avx(x); }

// ---- tanh ----
// tanh is odd: work on a = |x| and copy the sign of x at the end (also tanh(-0) = -0).
// For a < 0.625, small = a + a z P(z), z = a^2 (no cancellation near 0, exact for tiny a);
// else 1 - 2/(e^{2a} + 1), well conditioned there and exactly 1 once e^{2a} overflows.
// NaN fails a < 0.625 and goes through exp. Max error (measured): float 1.33, double 1.34 ulp.
template <typename V> inline V tanh_finish(V x, V a, V small) {
  V big = V(1.0f) - V(2.0f) / (vexp(a + a) + V(1.0f));
  return vor(vif(vlt(a, V(0.625f)), small, big), vand(x, V(-0.0f)));
}
inline Vf vtanh(Vf x) {
  Vf a = vabs(x), z = a * a;
  Vf p = vhorner(z, -5.70498872745E-3f, 2.06390887954E-2f, -5.37397155531E-2f, 1.33314422036E-1f,
                 -3.33332819422E-1f);  // Cephes tanhf
  return tanh_finish(x, a, vfmadd(p * z, a, a));
}
inline Vd vtanh(Vd x) {
  Vd a = vabs(x), z = a * a;  // Cephes tanh: P(z)/Q(z) rational
  Vd P = vhorner(z, -9.64399179425052238628E-1, -9.92877231001918586564E1, -1.61468768441708447952E3);
  Vd Q = vhorner(z, 1.0, 1.12811678491632931402E2, 2.23548839060100448583E3, 4.84406305325125486048E3);
  return tanh_finish(x, a, vfmadd(z * P / Q, a, a));
}

// ---- sigmoid ----
// With e = exp(-|x|) in [0, 1]: 1/(1+e) for x >= 0, e/(1+e) for x < 0. exp never
// overflows, so no inf/inf NaN, the limits are exactly 1 and 0, and the x < 0 tail stays
// accurate down into the subnormals (1/(1+exp(-x)) would flush it to 0 early).
// The plain quotient q = num/d measured 2.4 ulp (float): d = 1 + e and the division each
// round. So 1 + e is kept exactly as d + dl (Fast2Sum, e <= 1) and q is corrected by
// (num - q (d + dl)) / d; num - q d is exact by FMA and 1/d is 1 - q or q (no 2nd divide).
// What remains is exp's error. Max error (measured): float 1.48 ulp, double ~1.5 ulp.
template <typename V> inline V sigmoid_avx(V x) {
  V one(1.0f), e = vexp(-vabs(x)), d = one + e, dl = e - (d - one);
  V neg = vlt(x, V(0.0f)), num = vif(neg, e, one), q = num / d;
  V corr = vfmadd(-q, dl, vfmadd(-q, d, num));
  return vfmadd(corr, vif(neg, one - q, q), q);
}
inline Vf vsigmoid(Vf x) { return sigmoid_avx(x); }
inline Vd vsigmoid(Vd x) { return sigmoid_avx(x); }

#endif  // __AVX2__ && __FMA__

#if defined(__AVX2__) && defined(__FMA__)  // the AVX2 lane helpers, or vec_avx512.h's
// ---- erf ----
// erf is odd: a = |x|, the sign of x copied at the end (erf(-0) = -0).
// a < 0.75: the Maclaurin series erf(a) = a sum_n c_n a^2n, c_n = 2/sqrt(pi) (-1)^n / (n! (2n+1)),
//   cut where the next term is below half an ulp (16 terms double, 9 float); the terms alternate
//   but sum |terms| / erf < 1.3 there, so Horner loses under an ulp.
// a >= 0.75: 1 - exp(-a^2) R(a) with R(a) = erfc(a) exp(a^2), smooth and in (0.09, 0.48], as a
//   Chebyshev series in t = 2/(2+a) over a in [0.75, 6] (Clenshaw), the coefficients computed
//   from 40-digit erfc values (mpmath) at the Chebyshev nodes, truncated at degree 16 (double) /
//   8 (float). a is clamped to 6, where exp(-36) R < 2^-54 and the result is 1 (inf too);
//   NaN passes the clamp and stays NaN. exp(-a^2)'s error (a^2 rounds, vexp) is scaled by
//   erfc(a) / erf(a) < 0.42 there.
// Max error (measured on a grid against 40-digit values): R double 4 ulp, float 4 ulp, which
// erfc / erf < 0.42 scales to about 2 ulp of erf.
constexpr double kErfTaylor[] = {1.1283791670955125739, -0.37612638903183752463, 0.11283791670955125739,
                                 -0.026866170645131251759, 0.0052239776254421878421, -0.00085483270234508528325,
                                 0.00012055332981789664251, -0.000014925650358406250977, 1.6462114365889247402e-6,
                                 -1.6365844691234924317e-7, 1.480719281587921724e-8, -1.2290555301717927353e-9,
                                 9.4227590646504109706e-11, -6.7113668551641103779e-12, 4.4632242632864773449e-13,
                                 -2.7835162072109213549e-14};
constexpr double kErfcCheb[] = {0.27280680343820834228, -0.20500559428503802427, 0.027023508293113848577,
                                -0.0020849373080169971459, 0.000027151412434946455102, 0.000010067470836546631862,
                                -3.5597630554514725437e-7, -7.7923575111815266669e-8, 1.865495965239022649e-9,
                                8.0774804440416036898e-10, 1.4585020352898814314e-11, -8.31160608475553464e-12,
                                -7.0456097994570302773e-13, 5.3452451061032674254e-14, 1.3712853154480814393e-14,
                                4.9272077530947168078e-16, -1.4934174759456473321e-16};
// The series in t runs over u = t s + o in [-1, 1] (t = 2/2.75 -> -1, t = 2/8 -> 1).
constexpr double kErfcU[] = {-4.190476190476191, 2.0476190476190474};
template <typename V, int NT, int NC> inline V erf_avx(V x) {
  V a = vabs(x), z = a * a, small(kErfTaylor[NT - 1]);
  for (int i = NT - 2; i >= 0; --i) small = vfmadd(small, z, V(kErfTaylor[i]));
  V ab = clamp_nan(a, 0.75f, 6.0f), u = vfmadd(V(2.0f) / (V(2.0f) + ab), V(kErfcU[0]), V(kErfcU[1]));
  V u2 = u + u, b1(kErfcCheb[NC - 1]), b2(0.0f);
  for (int i = NC - 2; i >= 1; --i) {
    V b = vfmadd(u2, b1, V(kErfcCheb[i]) - b2);
    b2 = b1;
    b1 = b;
  }
  V R = vfmadd(u, b1, V(kErfcCheb[0]) - b2);
  V big = V(1.0f) - vexp(-(ab * ab)) * R;
  return vor(vif(vlt(a, V(0.75f)), a * small, big), vand(x, V(-0.0f)));
}
#if defined(__AVX512F__)
inline VecAvx512<float> verf(VecAvx512<float> x) { return erf_avx<VecAvx512<float>, 9, 9>(x); }
inline VecAvx512<double> verf(VecAvx512<double> x) { return erf_avx<VecAvx512<double>, 16, 17>(x); }

// The AVX-512 forms of the AVX2 expm1, log and log1p: the same reductions, polynomials and
// special cases (so the same accuracy); vgetexp/vgetmant take x apart, subnormals included.
inline VecAvx512<float> vexpm1(VecAvx512<float> x) {
  using V = VecAvx512<float>;
  const V xc = clamp_nan(x, -20.0f, 89.0f), n = vround(xc * V(1.44269504088896341f));
  const V r = vfmadd(n, V(2.12194440e-4f), vfmadd(n, V(-0.693359375f), xc));
  return expm1_finish(x, n, r, vhorner(r, 1 / 40320.0f, 1 / 5040.0f, 1 / 720.0f, 1 / 120.0f, 1 / 24.0f, 1 / 6.0f, 0.5f));
}
inline VecAvx512<double> vexpm1(VecAvx512<double> x) {
  using V = VecAvx512<double>;
  const V xc = clamp_nan(x, -40.0, 710.0), n = vround(xc * V(1.4426950408889634));
  const V r = vfmadd(n, V(-1.90821492927058770002e-10), vfmadd(n, V(-6.93147180369123816490e-01), xc));
  return expm1_finish(x, n, r, vhorner(r, 1 / 87178291200.0, 1 / 6227020800.0, 1 / 479001600.0, 1 / 39916800.0,
                                       1 / 3628800.0, 1 / 362880.0, 1 / 40320.0, 1 / 5040.0, 1 / 720.0,
                                       1 / 120.0, 1 / 24.0, 1 / 6.0, 0.5));
}
// x = 2^k m, m in [sqrt(1/2), sqrt(2)); returns f = m - 1, sets k.
template <typename T> VecAvx512<T> log_split(VecAvx512<T> x, VecAvx512<T>& k) {
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
  k = vif(big, k + V(T(1)), k);
  return vif(big, m * V(T(0.5)), m) - V(T(1));
}
inline VecAvx512<float> vlog(VecAvx512<float> x) {
  using V = VecAvx512<float>;
  V k;
  const V f = log_split(x, k), z = f * f;  // Cephes logf, as the AVX2 form
  const V p = vhorner(f, 7.0376836292E-2f, -1.1514610310E-1f, 1.1676998740E-1f, -1.2420140846E-1f,
                      1.4249322787E-1f, -1.6668057665E-1f, 2.0000714765E-1f, -2.4999993993E-1f, 3.3333331174E-1f);
  const V y = vfmadd(z, V(-0.5f), vfmadd(k, V(-2.12194440e-4f), p * f * z));
  return log_special(vfmadd(k, V(0.693359375f), f + y), x);
}
inline VecAvx512<double> vlog(VecAvx512<double> x) {
  using V = VecAvx512<double>;
  V k;
  const V f = log_split(x, k);  // fdlibm log, as the AVX2 form
  const V s = f / (V(2.0) + f), z = s * s, h = V(0.5) * f * f;
  const V R = z * vhorner(z, 1.479819860511658591e-01, 1.531383769920937332e-01, 1.818357216161805012e-01,
                          2.222219843214978396e-01, 2.857142874366239149e-01, 3.999999999940941908e-01,
                          6.666666666666735130e-01);
  const V y = vfmadd(s, h + R, k * V(1.90821492927058770002e-10));
  return log_special(vfmadd(k, V(6.93147180369123816490e-01), f - (h - y)), x);
}
inline VecAvx512<float> vlog1p(VecAvx512<float> x) { return log1p_avx(x); }
inline VecAvx512<double> vlog1p(VecAvx512<double> x) { return log1p_avx(x); }
#else
inline Vf verf(Vf x) { return erf_avx<Vf, 9, 9>(x); }
inline Vd verf(Vd x) { return erf_avx<Vd, 16, 17>(x); }
#endif
#endif

}  // namespace nd::cpu::NATIVEDL_ISA
