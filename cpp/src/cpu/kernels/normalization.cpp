// Normalization kernels (Note [Normalization layout]). Sums run in vector lanes of T over
// blocks of kBlock elements and add block results in double, as the reductions do, so
// statistics over millions of float32 values keep float precision; the variance is a second
// pass over the (cached) data around the mean, stable for a large mean.
#include <algorithm>
#include <cmath>

#include "cpu/conv_util.h"
#include "cpu/loops.h"
#include "cpu/norm_kernels.h"

namespace nd::cpu::NATIVEDL_ISA {
namespace {

constexpr int64_t kBlock = 1024;

// sum_{i<n} term(i) where term has vec(i) (V::size lanes from i) and one(i) (a scalar).
template <typename T, typename Term> double blocked_sum(int64_t n, const Term& term) {
  using V = Vec<T>;
  double total = 0;
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t e = std::min(n, b + kBlock);
    V acc[2] = {V(T(0)), V(T(0))};
    int64_t i = b;
    for (; i + 2 * V::size <= e; i += 2 * V::size) {
      acc[0] = acc[0] + term.vec(i);
      acc[1] = acc[1] + term.vec(i + V::size);
    }
    for (; i + V::size <= e; i += V::size) acc[0] = acc[0] + term.vec(i);
    T lanes[V::size];
    (acc[0] + acc[1]).storeu(lanes);
    double s = 0;
    for (int k = 0; k < V::size; ++k) s += double(lanes[k]);
    for (; i < e; ++i) s += double(term.one(i));
    total += s;
  }
  return total;
}

template <typename T> T lane_sum(const Vec<T>& v) {
  T lanes[Vec<T>::size];
  v.storeu(lanes);
  T s = 0;
  for (int k = 0; k < Vec<T>::size; ++k) s += lanes[k];
  return s;
}

template <typename T> struct Plain {
  const T* x;
  Vec<T> vec(int64_t i) const { return Vec<T>::loadu(x + i); }
  T one(int64_t i) const { return x[i]; }
};
template <typename T> struct SquaredDev {
  const T* x;
  T c;
  Vec<T> vec(int64_t i) const { const Vec<T> d = Vec<T>::loadu(x + i) - Vec<T>(c); return d * d; }
  T one(int64_t i) const { return (x[i] - c) * (x[i] - c); }
};
template <typename T> struct DevProduct {
  const T* g;
  const T* x;
  T c;
  Vec<T> vec(int64_t i) const { return Vec<T>::loadu(g + i) * (Vec<T>::loadu(x + i) - Vec<T>(c)); }
  T one(int64_t i) const { return g[i] * (x[i] - c); }
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

// Mean and biased variance of b's A runs of S (in double).
template <typename T> void channel_moments(const NormLayout& l, const T* x, int64_t b, double& m, double& v) {
  double s = 0;
  for (int64_t a = 0; a < l.A; ++a) {
    if (a + 1 < l.A) prefetch_run(x + ((a + 1) * l.B + b) * l.S, l.S);
    s += blocked_sum<T>(l.S, Plain<T>{x + (a * l.B + b) * l.S});
  }
  m = s / double(l.A * l.S);
  double q = 0;
  for (int64_t a = 0; a < l.A; ++a) q += blocked_sum<T>(l.S, SquaredDev<T>{x + (a * l.B + b) * l.S, T(m)});
  v = q / double(l.A * l.S);
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

// sum g and sum g * (x - c) over b's A runs of S.
template <typename T> void channel_grad_sums(const NormLayout& l, const T* g, const T* x, int64_t b, T c, T& sum_g,
                                             T& sum_gx) {
  double sg = 0, sgx = 0;
  for (int64_t a = 0; a < l.A; ++a) {
    const int64_t off = (a * l.B + b) * l.S;
    if (a + 1 < l.A) {
      prefetch_run(g + off + l.B * l.S, l.S);
      prefetch_run(x + off + l.B * l.S, l.S);
    }
    sg += blocked_sum<T>(l.S, Plain<T>{g + off});
    sgx += blocked_sum<T>(l.S, DevProduct<T>{g + off, x + off, c});
  }
  sum_g = T(sg);
  sum_gx = T(sgx);
}

template <typename T> void grad_sums_typed(const NormLayout& l, const T* g, const T* x, const T* center, T* sum_g,
                                           T* sum_gx) {
  core::parallel_for(0, l.B, channel_grain(l), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) channel_grad_sums(l, g, x, b, center[b], sum_g[b], sum_gx[b]);
  });
}

template <typename T> void affine_run(const T* x, const T* g, T* y, int64_t n, T scale, T shift, T gscale) {
  using V = Vec<T>;
  const V vs(scale), vb(shift), vg(gscale);
  int64_t i = 0;
  if (g == nullptr) {
    for (; i + V::size <= n; i += V::size) vfmadd(V::loadu(x + i), vs, vb).storeu(y + i);
    for (; i < n; ++i) y[i] = x[i] * scale + shift;
  } else {
    for (; i + V::size <= n; i += V::size)
      vfmadd(V::loadu(g + i), vg, vfmadd(V::loadu(x + i), vs, vb)).storeu(y + i);
    for (; i < n; ++i) y[i] = g[i] * gscale + (x[i] * scale + shift);
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

// out = x * scale + shift (+ g * gscale) over b's A runs of S.
template <typename T> void channel_affine(const NormLayout& l, const T* x, const T* g, T* out, int64_t b, T scale,
                                          T shift, T gscale) {
  for (int64_t a = 0; a < l.A; ++a) {
    const int64_t off = (a * l.B + b) * l.S;
    affine_run(x + off, g ? g + off : nullptr, out + off, l.S, scale, shift, gscale);
  }
}

// Note [Fused per-channel normalization]; the coefficients are those of the op layer's
// unfused path (normalize / fused_backward), in T.
template <typename T> void norm_forward_typed(const NormLayout& l, const T* x, const T* w, const T* bias, double eps,
                                              T* out, T* mean, T* var, T* rstd) {
  core::parallel_for(0, l.B, channel_grain(l), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      double m, v;
      channel_moments(l, x, b, m, v);
      mean[b] = T(m);
      var[b] = T(v);
      rstd[b] = T(1) / std::sqrt(T(v) + T(eps));
      const T scale = (w ? w[b] : T(1)) * rstd[b];
      channel_affine<T>(l, x, nullptr, out, b, scale, (bias ? bias[b] : T(0)) - mean[b] * scale, T(0));
    }
  });
}

template <typename T> void norm_backward_typed(const NormLayout& l, const T* g, const T* x, const T* mean,
                                               const T* rstd, const T* w, T* dx, T* sum_g, T* sum_gx) {
  const T inv_m = T(1.0 / double(l.A * l.S));
  core::parallel_for(0, l.B, channel_grain(l), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      channel_grad_sums(l, g, x, b, mean[b], sum_g[b], sum_gx[b]);
      const T rs = rstd[b], wb = w ? w[b] : T(1);
      const T c1 = wb * sum_g[b] * inv_m, c2 = wb * (sum_gx[b] * rs) * inv_m;
      channel_affine<T>(l, x, g, dx, b, -(rs * rs * c2), rs * (rs * mean[b] * c2 - c1), rs * wb);
    }
  });
}

// Rows per thread chunk for layer norm.
int64_t row_grain(int64_t cols) { return std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(cols, 1)); }

template <typename T> void layer_norm_typed(const LayerNormArgs& a, const T* x, T* out, T* mean, T* rstd) {
  using V = Vec<T>;
  const T* w = static_cast<const T*>(a.weight);
  const T* bias = static_cast<const T*>(a.bias);
  const int64_t D = a.cols;
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
      int64_t i = 0;
      for (; i + V::size <= D; i += V::size) {
        const V xh = (V::loadu(xr + i) - vm) * vr;
        vfmadd(xh, w ? V::loadu(w + i) : one, bias ? V::loadu(bias + i) : zero).storeu(yr + i);
      }
      for (; i < D; ++i) yr[i] = (xr[i] - mu) * rs * (w ? w[i] : T(1)) + (bias ? bias[i] : T(0));
    }
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
        V s1(T(0)), s2(T(0));
        T t1 = 0, t2 = 0;
        int64_t i = 0;
        for (; i + V::size <= D; i += V::size) {
          const V gw = V::loadu(gr + i) * (w ? V::loadu(w + i) : one);
          s1 = s1 + gw;
          s2 = vfmadd(gw, (V::loadu(xr + i) - vm) * vr, s2);
        }
        for (; i < D; ++i) {
          const T gw = gr[i] * (w ? w[i] : T(1));
          t1 += gw;
          t2 += gw * ((xr[i] - mu) * rs);
        }
        const T k1 = (lane_sum<T>(s1) + t1) / T(D), k2 = (lane_sum<T>(s2) + t2) / T(D);
        const V vk1(k1), vk2(k2);
        T* dr = gx ? gx + r * D : nullptr;
        for (i = 0; i + V::size <= D; i += V::size) {
          const V gv = V::loadu(gr + i), xh = (V::loadu(xr + i) - vm) * vr;
          if (dr) (vr * (gv * (w ? V::loadu(w + i) : one) - vk1 - xh * vk2)).storeu(dr + i);
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
