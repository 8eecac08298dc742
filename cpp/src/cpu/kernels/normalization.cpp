// Normalization kernels (Note [Normalization layout]). Sums run in vector lanes of T over
// blocks of kBlock elements and add block results in double, as the reductions do, so
// statistics over millions of float32 values keep float precision. The variance combines
// per-block squared deviations about each block's own mean (Chan et al.): a block is summed
// twice while it is in L1, so x leaves L2 once, and a large mean costs no precision.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "cpu/conv_util.h"
#include "cpu/loops.h"
#include "cpu/norm_kernels.h"

namespace nd::cpu::NATIVEDL_ISA {
namespace {

constexpr int64_t kBlock = 1024;

// sums[k] += sum_{i<n} (term k at i) for the Term::K terms of `term`: term.add(i, acc) adds the
// V::size lanes from i into acc[0..K), term.add_one(i, s) element i into the doubles s[0..K).
// kChains independent accumulators hide the add latency: with fewer, a sum over L1 or L2 data
// runs at a few floats per cycle, slower than memory.
constexpr int kChains = 4;
template <typename T, typename Term> void blocked_sums(int64_t n, const Term& term, double* sums) {
  using V = Vec<T>;
  constexpr int K = Term::K;
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t e = std::min(n, b + kBlock);
    V acc[kChains][K];
    for (int c = 0; c < kChains; ++c)
      for (int k = 0; k < K; ++k) acc[c][k] = V(T(0));
    int64_t i = b;
    for (; i + kChains * V::size <= e; i += kChains * V::size)
      for (int c = 0; c < kChains; ++c) term.add(i + c * V::size, acc[c]);
    for (; i + V::size <= e; i += V::size) term.add(i, acc[0]);
    double s[K];
    for (int k = 0; k < K; ++k) {
      T lanes[V::size];
      for (int c = 1; c < kChains; ++c) acc[0][k] = acc[0][k] + acc[c][k];
      acc[0][k].storeu(lanes);
      s[k] = 0;
      for (int j = 0; j < V::size; ++j) s[k] += double(lanes[j]);
    }
    for (; i < e; ++i) term.add_one(i, s);
    for (int k = 0; k < K; ++k) sums[k] += s[k];
  }
}

template <typename T, typename Term> double blocked_sum(int64_t n, const Term& term) {
  double s = 0;
  blocked_sums<T>(n, term, &s);
  return s;
}

template <typename T> struct Plain {
  static constexpr int K = 1;
  const T* x;
  void add(int64_t i, Vec<T>* acc) const { acc[0] = acc[0] + Vec<T>::loadu(x + i); }
  void add_one(int64_t i, double* s) const { s[0] += double(x[i]); }
};
template <typename T> struct SquaredDev {
  static constexpr int K = 1;
  const T* x;
  T c;
  void add(int64_t i, Vec<T>* acc) const {
    const Vec<T> d = Vec<T>::loadu(x + i) - Vec<T>(c);
    acc[0] = acc[0] + d * d;
  }
  void add_one(int64_t i, double* s) const { s[0] += double((x[i] - c) * (x[i] - c)); }
};
// sum g and sum g * (x - c) in one pass.
template <typename T> struct GradTerms {
  static constexpr int K = 2;
  const T* g;
  const T* x;
  T c;
  void add(int64_t i, Vec<T>* acc) const {
    const Vec<T> gv = Vec<T>::loadu(g + i);
    acc[0] = acc[0] + gv;
    acc[1] = acc[1] + gv * (Vec<T>::loadu(x + i) - Vec<T>(c));
  }
  void add_one(int64_t i, double* s) const {
    s[0] += double(g[i]);
    s[1] += double(g[i] * (x[i] - c));
  }
};

// Channels per thread chunk: enough elements that small tensors stay on one thread.
int64_t channel_grain(const NormLayout& l) {
  return std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(l.A * l.S, 1));
}

// A b's runs are short (an H*W plane) and far apart, too short for the hardware prefetcher
// to ramp up on each: the first pass over them asks for the next run while summing this one.
template <typename T> void prefetch_run(const T* p, int64_t n) {
  for (int64_t i = 0; i < n; i += 64 / int64_t(sizeof(T))) __builtin_prefetch(p + i);
}

// Count, mean and sum of squared deviations of the elements seen so far, combined block by
// block (the file's comment).
struct Moments {
  double n = 0, mean = 0, m2 = 0;
};
template <typename T> void add_run_moments(const T* x, int64_t len, Moments& mo) {
  for (int64_t i = 0; i < len; i += kBlock) {
    const int64_t n = std::min(kBlock, len - i);
    const double bm = blocked_sum<T>(n, Plain<T>{x + i}) / double(n), c = double(T(bm));
    // Deviations about c = bm rounded to T; sum (x - bm)^2 = sum (x - c)^2 - n (bm - c)^2.
    const double q = blocked_sum<T>(n, SquaredDev<T>{x + i, T(c)}) - double(n) * (bm - c) * (bm - c);
    const double tot = mo.n + double(n), d = bm - mo.mean;
    mo.mean += d * (double(n) / tot);
    mo.m2 += std::max(q, 0.0) + d * d * (mo.n * double(n) / tot);
    mo.n = tot;
  }
}

// Mean and biased variance of b's A runs of S (in double; NaN for no elements).
template <typename T> void channel_moments(const NormLayout& l, const T* x, int64_t b, double& m, double& v) {
  Moments mo;
  for (int64_t a = 0; a < l.A; ++a) {
    if (a + 1 < l.A) prefetch_run(x + ((a + 1) * l.B + b) * l.S, l.S);
    add_run_moments(x + (a * l.B + b) * l.S, l.S, mo);
  }
  m = mo.n > 0 ? mo.mean : std::numeric_limits<double>::quiet_NaN();
  v = mo.m2 / mo.n;
}

template <typename T> void moments_typed(const NormLayout& l, const T* x, T* mean, T* var) {
  core::parallel_for(0, l.B, channel_grain(l), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      double m, v;
      channel_moments(l, x, b, m, v);
      mean[b] = T(m);
      var[b] = T(v);
    }
  });
}

// sums[0] += sum g and sums[1] += sum g * (x - c) over the runs of len at off(a) of b's A runs
// (fetching the next while summing this one).
template <typename T> void add_grad_sums(const NormLayout& l, const T* g, const T* x, int64_t off, int64_t len, T c,
                                         double* sums) {
  for (int64_t a = 0; a < l.A; ++a, off += l.B * l.S) {
    if (a + 1 < l.A) {
      prefetch_run(g + off + l.B * l.S, len);
      prefetch_run(x + off + l.B * l.S, len);
    }
    blocked_sums<T>(len, GradTerms<T>{g + off, x + off, c}, sums);
  }
}

template <typename T> void grad_sums_typed(const NormLayout& l, const T* g, const T* x, const T* center, T* sum_g,
                                           T* sum_gx) {
  core::parallel_for(0, l.B, channel_grain(l), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      double sums[2] = {0, 0};
      add_grad_sums(l, g, x, b * l.S, l.S, center[b], sums);
      sum_g[b] = T(sums[0]);
      sum_gx[b] = T(sums[1]);
    }
  });
}

// Outputs of at least this many bytes are written with non-temporal stores: with the input
// they exceed the L3 (32 MiB on Zen 5), so the output would not be read from cache anyway, and
// ordinary stores first read each line they write (a third tensor of memory traffic) and
// evict the input the fused kernels are about to reread.
constexpr int64_t kStreamBytes = int64_t(16) << 20;
template <typename T> bool stream_output(int64_t numel) { return numel * int64_t(sizeof(T)) >= kStreamBytes; }

// y[i] = at(i) for i < n, vectors from vec_at(i); streamed (stream_output) from the first
// vector-aligned element of y on.
template <typename T, typename VecAt, typename At>
void write_run(T* y, int64_t n, bool stream, const VecAt& vec_at, const At& at) {
  using V = Vec<T>;
  int64_t i = 0;
  if (stream) {
    for (; i < n && reinterpret_cast<uintptr_t>(y + i) % sizeof(V) != 0; ++i) y[i] = at(i);
    for (; i + V::size <= n; i += V::size) vec_at(i).stream(y + i);
  }
  for (; i + V::size <= n; i += V::size) vec_at(i).storeu(y + i);
  for (; i < n; ++i) y[i] = at(i);
}

template <typename T>
void affine_run(const T* x, const T* g, T* y, int64_t n, T scale, T shift, T gscale, bool stream = false) {
  using V = Vec<T>;
  const V vs(scale), vb(shift), vg(gscale);
  if (g == nullptr)
    write_run(y, n, stream, [&](int64_t i) { return vfmadd(V::loadu(x + i), vs, vb); },
              [&](int64_t i) { return x[i] * scale + shift; });
  else
    write_run(y, n, stream, [&](int64_t i) { return vfmadd(V::loadu(g + i), vg, vfmadd(V::loadu(x + i), vs, vb)); },
              [&](int64_t i) { return g[i] * gscale + (x[i] * scale + shift); });
}

// affine_run in kBlock pieces, each after prefetching the same piece `ahead` elements on in x
// and g (the next b's run; 0: none): the fused kernels' memory reads for b + 1 overlap the
// writes of b instead of waiting for its statistics pass, and, spread over the run, the
// prefetches do not stall the core as one burst does. The runs of b already done make room
// for them in L2.
template <typename T> void affine_run_ahead(const T* x, const T* g, T* y, int64_t n, T scale, T shift, T gscale,
                                            bool stream, int64_t ahead) {
  for (int64_t i = 0; i < n; i += kBlock) {
    const int64_t len = std::min(kBlock, n - i);
    if (ahead != 0) {
      prefetch_run(x + i + ahead, len);
      if (g) prefetch_run(g + i + ahead, len);
    }
    affine_run(x + i, g ? g + i : nullptr, y + i, len, scale, shift, gscale, stream);
  }
}

template <typename T> void affine_typed(const NormLayout& l, const T* x, const T* scale, const T* shift, const T* g,
                                        const T* gscale, T* out) {
  // Split over (a, b) runs of S: enough parallelism even when B is small.
  const int64_t runs = l.A * l.B;
  core::parallel_for(0, runs, std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(l.S, 1)),
                     [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t b = r % l.B, off = r * l.S;
      affine_run(x + off, g ? g + off : nullptr, out + off, l.S, scale[b], shift[b], g ? gscale[b] : T(0));
    }
  });
}

// Note [Fused per-channel normalization]; the coefficients are those of the op layer's
// unfused path (normalize / fused_backward), in T. Part p of b (l.P parts of S / P in each of
// its runs) has weight, bias and gradient sums at b * P + p.
template <typename T> void norm_forward_typed(const NormLayout& l, const T* x, const T* w, const T* bias, double eps,
                                              T* out, T* mean, T* var, T* rstd) {
  const int64_t Sp = l.P > 0 ? l.S / l.P : 0;  // P = 0: no channels
  const bool stream = stream_output<T>(l.A * l.B * l.S);
  core::parallel_for(0, l.B, channel_grain(l), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      double m, v;
      channel_moments(l, x, b, m, v);
      mean[b] = T(m);
      var[b] = T(v);
      rstd[b] = T(1) / std::sqrt(T(v) + T(eps));
      for (int64_t p = 0; p < l.P; ++p) {
        const T scale = (w ? w[b * l.P + p] : T(1)) * rstd[b];
        const T shift = (bias ? bias[b * l.P + p] : T(0)) - mean[b] * scale;
        for (int64_t a = 0; a < l.A; ++a) {
          const int64_t off = (a * l.B + b) * l.S + p * Sp;
          affine_run_ahead<T>(x + off, nullptr, out + off, Sp, scale, shift, T(0), stream, b + 1 < b1 ? l.S : 0);
        }
      }
    }
    if (stream) stream_fence();
  });
}

template <typename T> void norm_backward_typed(const NormLayout& l, const T* g, const T* x, const T* mean,
                                               const T* rstd, const T* w, T* dx, T* sum_g, T* sum_gx) {
  const T inv_m = T(1.0 / double(l.A * l.S));
  const int64_t Sp = l.P > 0 ? l.S / l.P : 0;  // P = 0: no channels
  const bool stream = stream_output<T>(l.A * l.B * l.S);
  core::parallel_for(0, l.B, channel_grain(l), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const T rs = rstd[b];
      double c1 = 0, c2 = 0;
      for (int64_t p = 0; p < l.P; ++p) {
        double sums[2] = {0, 0};
        add_grad_sums(l, g, x, b * l.S + p * Sp, Sp, mean[b], sums);
        const int64_t k = b * l.P + p;
        const T wk = w ? w[k] : T(1);
        sum_g[k] = T(sums[0]);
        sum_gx[k] = T(sums[1]);
        c1 += double(wk * sum_g[k]);
        c2 += double(wk * (sum_gx[k] * rs));
      }
      const T k1 = T(c1) * inv_m, k2 = T(c2) * inv_m;
      const T scale = -(rs * rs * k2), shift = rs * (rs * mean[b] * k2 - k1);
      for (int64_t p = 0; p < l.P; ++p) {
        const T gscale = rs * (w ? w[b * l.P + p] : T(1));
        // Last runs first: b's g and x (e.g. 2 x 400 KiB) about fill L2, whose LRU would evict
        // each early run just before its reread in sums order; backwards, only the runs that
        // did not fit come from L3.
        for (int64_t a = l.A - 1; a >= 0; --a) {
          const int64_t off = (a * l.B + b) * l.S + p * Sp;
          affine_run_ahead(x + off, g + off, dx + off, Sp, scale, shift, gscale, stream, b + 1 < b1 ? l.S : 0);
        }
      }
    }
    if (stream) stream_fence();
  });
}

// How far ahead layer norm fetches rows (layer_norm_typed).
constexpr int64_t kAheadBytes = int64_t(16) << 10;

// Rows per thread chunk for layer norm.
int64_t row_grain(int64_t cols) { return std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(cols, 1)); }

template <typename T> void layer_norm_typed(const LayerNormArgs& a, const T* x, T* out, T* mean, T* rstd) {
  using V = Vec<T>;
  const T* w = static_cast<const T*>(a.weight);
  const T* bias = static_cast<const T*>(a.bias);
  const int64_t D = a.cols;
  const bool stream = stream_output<T>(a.rows * D);
  // Rows are fetched kAheadBytes ahead while this one is written: far enough to cover the
  // memory latency at full bandwidth, which the hardware prefetcher's distance did not.
  const int64_t ahead = std::max<int64_t>(1, (kAheadBytes / int64_t(sizeof(T)) + D - 1) / std::max<int64_t>(D, 1));
  core::parallel_for(0, a.rows, row_grain(D), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const T* xr = x + r * D;
      T* yr = out + r * D;
      const double m = D > 0 ? blocked_sum<T>(D, Plain<T>{xr}) / double(D) : 0.0;
      const double v = D > 0 ? blocked_sum<T>(D, SquaredDev<T>{xr, T(m)}) / double(D) : 0.0;
      const T mu = T(m), rs = T(1.0 / std::sqrt(v + a.eps));
      mean[r] = mu;
      rstd[r] = rs;
      const V vm(mu), vr(rs), one(T(1)), zero(T(0));
      if (r + ahead < r1) prefetch_run(xr + ahead * D, D);
      write_run(yr, D, stream, [&](int64_t i) {
        return vfmadd((V::loadu(xr + i) - vm) * vr, w ? V::loadu(w + i) : one, bias ? V::loadu(bias + i) : zero);
      }, [&](int64_t i) { return (xr[i] - mu) * rs * (w ? w[i] : T(1)) + (bias ? bias[i] : T(0)); });
    }
    if (stream) stream_fence();
  });
}

// dx = rstd * (gw - mean(gw) - xhat * mean(gw * xhat)), gw = g * weight: two vector passes
// per row. The parameter sums of a chunk accumulate in T lanes (at most rows / kLayerNormChunks
// terms per column, as PyTorch's per-thread buffers do) and are widened to double once.
template <typename T> void layer_norm_backward_typed(const LayerNormArgs& a, const T* g, const T* x, const T* mean,
                                                     const T* rstd, T* gx, double* gw_part, double* gb_part) {
  using V = Vec<T>;
  const T* w = static_cast<const T*>(a.weight);
  const int64_t D = a.cols, R = a.rows;
  const V one(T(1));
  // grad_x streams (stream_output) where every row starts vector-aligned.
  const bool stream = gx && stream_output<T>(R * D) && reinterpret_cast<uintptr_t>(gx) % sizeof(V) == 0 &&
                      (D * int64_t(sizeof(T))) % int64_t(sizeof(V)) == 0;
  // Fixed row chunks (not per thread): each owns one row of the parameter partial sums.
  core::parallel_for(0, kLayerNormChunks, 1, [&](int64_t c0, int64_t c1) {
    ConvScratch<T> acc(2 * D);
    T* pw = acc.p;
    T* pb = acc.p + D;
    for (int64_t c = c0; c < c1; ++c) {
      std::fill(acc.p, acc.p + 2 * D, T(0));
      for (int64_t r = R * c / kLayerNormChunks; r < R * (c + 1) / kLayerNormChunks; ++r) {
        const T* gr = g + r * D;
        const T* xr = x + r * D;
        const T mu = mean[r], rs = rstd[r];
        const V vm(mu), vr(rs);
        V s1[2] = {V(T(0)), V(T(0))}, s2[2] = {V(T(0)), V(T(0))};  // two chains each (blocked_sums)
        const auto add = [&](int64_t i, int k) {
          const V gw = V::loadu(gr + i) * (w ? V::loadu(w + i) : one);
          s1[k] = s1[k] + gw;
          s2[k] = vfmadd(gw, (V::loadu(xr + i) - vm) * vr, s2[k]);
        };
        T t1 = 0, t2 = 0;
        int64_t i = 0;
        for (; i + 2 * V::size <= D; i += 2 * V::size) {
          add(i, 0);
          add(i + V::size, 1);
        }
        for (; i + V::size <= D; i += V::size) add(i, 0);
        for (; i < D; ++i) {
          const T gw = gr[i] * (w ? w[i] : T(1));
          t1 += gw;
          t2 += gw * ((xr[i] - mu) * rs);
        }
        const T k1 = (lane_sum<T>(s1[0] + s1[1]) + t1) / T(D), k2 = (lane_sum<T>(s2[0] + s2[1]) + t2) / T(D);
        const V vk1(k1), vk2(k2);
        T* dr = gx ? gx + r * D : nullptr;
        for (i = 0; i + V::size <= D; i += V::size) {
          const V gv = V::loadu(gr + i), xh = (V::loadu(xr + i) - vm) * vr;
          if (dr) {
            const V d = vr * (gv * (w ? V::loadu(w + i) : one) - vk1 - xh * vk2);
            if (stream) d.stream(dr + i); else d.storeu(dr + i);
          }
          if (gw_part) vfmadd(gv, xh, V::loadu(pw + i)).storeu(pw + i);
          if (gb_part) (V::loadu(pb + i) + gv).storeu(pb + i);
        }
        for (; i < D; ++i) {
          const T xh = (xr[i] - mu) * rs;
          if (dr) dr[i] = rs * (gr[i] * (w ? w[i] : T(1)) - k1 - xh * k2);
          pw[i] += gr[i] * xh;
          pb[i] += gr[i];
        }
      }
      for (int64_t i = 0; i < D; ++i) {
        if (gw_part) gw_part[c * D + i] = double(pw[i]);
        if (gb_part) gb_part[c * D + i] = double(pb[i]);
      }
    }
    if (stream) stream_fence();
  });
}

void moments_kernel(const NormLayout& l, const void* x, void* mean, void* var) {
  ND_DISPATCH_FLOAT_TYPES(l.dtype, T, moments_typed<T>(l, static_cast<const T*>(x), static_cast<T*>(mean),
                                                       static_cast<T*>(var)))
}
void grad_sums_kernel(const NormLayout& l, const void* g, const void* x, const void* center, void* sum_g,
                      void* sum_gx) {
  ND_DISPATCH_FLOAT_TYPES(l.dtype, T, grad_sums_typed<T>(l, static_cast<const T*>(g), static_cast<const T*>(x),
                                                         static_cast<const T*>(center), static_cast<T*>(sum_g),
                                                         static_cast<T*>(sum_gx)))
}
void affine_kernel(const NormLayout& l, const void* x, const void* scale, const void* shift, const void* g,
                   const void* gscale, void* out) {
  ND_DISPATCH_FLOAT_TYPES(l.dtype, T, affine_typed<T>(l, static_cast<const T*>(x), static_cast<const T*>(scale),
                                                      static_cast<const T*>(shift), static_cast<const T*>(g),
                                                      static_cast<const T*>(gscale), static_cast<T*>(out)))
}
void norm_forward_kernel(const NormLayout& l, const void* x, const void* w, const void* bias, double eps, void* out,
                         void* mean, void* var, void* rstd) {
  ND_DISPATCH_FLOAT_TYPES(l.dtype, T, norm_forward_typed<T>(l, static_cast<const T*>(x), static_cast<const T*>(w),
                                                            static_cast<const T*>(bias), eps, static_cast<T*>(out),
                                                            static_cast<T*>(mean), static_cast<T*>(var),
                                                            static_cast<T*>(rstd)))
}
void norm_backward_kernel(const NormLayout& l, const void* g, const void* x, const void* mean, const void* rstd,
                          const void* w, void* dx, void* sum_g, void* sum_gx) {
  ND_DISPATCH_FLOAT_TYPES(l.dtype, T, norm_backward_typed<T>(
      l, static_cast<const T*>(g), static_cast<const T*>(x), static_cast<const T*>(mean),
      static_cast<const T*>(rstd), static_cast<const T*>(w), static_cast<T*>(dx), static_cast<T*>(sum_g),
      static_cast<T*>(sum_gx)))
}
void layer_norm_kernel(const LayerNormArgs& a, const void* x, void* out, void* mean, void* rstd) {
  ND_DISPATCH_FLOAT_TYPES(a.dtype, T, layer_norm_typed<T>(a, static_cast<const T*>(x), static_cast<T*>(out),
                                                          static_cast<T*>(mean), static_cast<T*>(rstd)))
}
void layer_norm_backward_kernel(const LayerNormArgs& a, const void* g, const void* x, const void* mean,
                                const void* rstd, void* gx, double* gw_part, double* gb_part) {
  ND_DISPATCH_FLOAT_TYPES(a.dtype, T, layer_norm_backward_typed<T>(
      a, static_cast<const T*>(g), static_cast<const T*>(x), static_cast<const T*>(mean),
      static_cast<const T*>(rstd), static_cast<T*>(gx), gw_part, gb_part))
}

}  // namespace

void register_normalization_kernels() {
  moments_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = moments_kernel;
  grad_sums_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = grad_sums_kernel;
  affine_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = affine_kernel;
  norm_forward_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = norm_forward_kernel;
  norm_backward_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = norm_backward_kernel;
  layer_norm_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = layer_norm_kernel;
  layer_norm_backward_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = layer_norm_backward_kernel;
}

}  // namespace nd::cpu::NATIVEDL_ISA
