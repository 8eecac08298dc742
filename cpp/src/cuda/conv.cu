// Convolutions on the GPU as implicit GEMMs (Note [Convolution triple]): each of the three maps
// is, per group, a matrix product whose operands are read straight from the tensors, taps
// outside the input reading zero, so no im2col buffer is built. One tiled kernel (64x64 output
// tiles, 16-deep K slices staged in shared memory, a 4x4 register block per thread) runs all
// three through a Map that says where operand elements live:
//   forward:   M = (n, oh, ow), N = o in group, K = (ci, kh, kw)
//   transpose: M = (n, h, w),   N = ci,         K = (o in group, kh, kw): the output position
//              gathers the (p, q) that reach it, so no two threads write one element
//   weight:    M = o in group,  N = (ci, kh, kw), K = (n, oh, ow)
// Depthwise convs (one input channel per group) have direct kernels instead (cuda/depthwise.cu).
#include "cpu/conv_kernels.h"
#include "cuda/check.cuh"
#include "cuda/runtime.h"

namespace nd::cuda {
namespace {

using cpu::ConvGeom;

constexpr int kTileM = 64, kTileN = 64, kTileK = 16, kThreads = 256;

// The input row (or column) tap i of output position p reads, as in the CPU kernels.
__device__ __forceinline__ int64_t tap(int64_t p, int64_t i, int64_t s, int64_t pad, int64_t d) {
  return p * s - pad + i * d;
}

template <typename T> struct ForwardMap {
  ConvGeom g;
  const T* x;
  const T* w;
  const T* bias;
  T* y;
  __device__ T a(int64_t grp, int64_t m, int64_t k) const {  // x at (n, p, q) tap (ci, i, j)
    const int64_t cg = g.c / g.groups;
    const int64_t q = m % g.ow, p = (m / g.ow) % g.oh, n = m / (g.ow * g.oh);
    const int64_t j = k % g.kw, i = (k / g.kw) % g.kh, ci = k / (g.kw * g.kh);
    const int64_t hh = tap(p, i, g.sh, g.ph, g.dh), ww = tap(q, j, g.sw, g.pw, g.dw);
    if (hh < 0 || hh >= g.h || ww < 0 || ww >= g.w) return T(0);
    return x[((n * g.c + grp * cg + ci) * g.h + hh) * g.w + ww];
  }
  __device__ T b(int64_t grp, int64_t k, int64_t o) const {  // w[o, ci, i, j]
    const int64_t og = g.o / g.groups, K = (g.c / g.groups) * g.kh * g.kw;
    return w[(grp * og + o) * K + k];
  }
  __device__ void store(int64_t grp, int64_t m, int64_t o, T v) const {
    const int64_t og = g.o / g.groups, oc = grp * og + o;
    const int64_t pq = m % (g.oh * g.ow), n = m / (g.oh * g.ow);
    y[(n * g.o + oc) * g.oh * g.ow + pq] = bias ? v + bias[oc] : v;
  }
};

template <typename T> struct TransposeMap {
  ConvGeom g;
  const T* y;
  const T* w;
  const T* bias;
  T* x;
  // y at the (p, q) whose tap (i, j) lands on (hh, ww), or zero when none does.
  __device__ T a(int64_t grp, int64_t m, int64_t k) const {
    const int64_t og = g.o / g.groups;
    const int64_t ww = m % g.w, hh = (m / g.w) % g.h, n = m / (g.w * g.h);
    const int64_t j = k % g.kw, i = (k / g.kw) % g.kh, o = k / (g.kw * g.kh);
    const int64_t ph = hh + g.ph - i * g.dh, pw = ww + g.pw - j * g.dw;
    if (ph < 0 || pw < 0 || ph % g.sh != 0 || pw % g.sw != 0) return T(0);
    const int64_t p = ph / g.sh, q = pw / g.sw;
    if (p >= g.oh || q >= g.ow) return T(0);
    return y[((n * g.o + grp * og + o) * g.oh + p) * g.ow + q];
  }
  __device__ T b(int64_t grp, int64_t k, int64_t ci) const {  // w[o, ci, i, j]
    const int64_t og = g.o / g.groups, cg = g.c / g.groups, khw = g.kh * g.kw;
    const int64_t ij = k % khw, o = k / khw;
    return w[((grp * og + o) * cg + ci) * khw + ij];
  }
  __device__ void store(int64_t grp, int64_t m, int64_t ci, T v) const {
    const int64_t cg = g.c / g.groups, c = grp * cg + ci;
    const int64_t hw = m % (g.h * g.w), n = m / (g.h * g.w);
    x[(n * g.c + c) * g.h * g.w + hw] = bias ? v + bias[c] : v;
  }
};

template <typename T> struct WeightMap {
  ConvGeom g;
  const T* x;
  const T* y;
  T* w;
  __device__ T a(int64_t grp, int64_t o, int64_t k) const {  // y[n, o, p, q], k = (n, p, q)
    const int64_t og = g.o / g.groups, ohw = g.oh * g.ow;
    const int64_t pq = k % ohw, n = k / ohw;
    return y[(n * g.o + grp * og + o) * ohw + pq];
  }
  __device__ T b(int64_t grp, int64_t k, int64_t col) const {  // x at (n, p, q) tap col = (ci, i, j)
    const int64_t cg = g.c / g.groups;
    const int64_t q = k % g.ow, p = (k / g.ow) % g.oh, n = k / (g.ow * g.oh);
    const int64_t j = col % g.kw, i = (col / g.kw) % g.kh, ci = col / (g.kw * g.kh);
    const int64_t hh = tap(p, i, g.sh, g.ph, g.dh), ww = tap(q, j, g.sw, g.pw, g.dw);
    if (hh < 0 || hh >= g.h || ww < 0 || ww >= g.w) return T(0);
    return x[((n * g.c + grp * cg + ci) * g.h + hh) * g.w + ww];
  }
  __device__ void store(int64_t grp, int64_t o, int64_t col, T v) const {
    const int64_t og = g.o / g.groups, K = (g.c / g.groups) * g.kh * g.kw;
    w[(grp * og + o) * K + col] = v;
  }
};

// C (M x N) = A (M x K) * B (K x N) for group blockIdx.z; block (x, y) owns the output tile
// (x * 64.., y * 64..). Each K slice: the 256 threads stage 64x16 of A and 16x64 of B (4 each,
// zeros past the edges), synchronize, accumulate their 4x4 block, synchronize again.
template <typename T, typename Map> __global__ void __launch_bounds__(kThreads)
implicit_gemm(const Map map, int64_t M, int64_t N, int64_t K) {
  __shared__ T As[kTileK][kTileM];
  __shared__ T Bs[kTileK][kTileN];
  const int64_t grp = blockIdx.z, m0 = int64_t(blockIdx.x) * kTileM, n0 = int64_t(blockIdx.y) * kTileN;
  const int t = threadIdx.x, tm = (t / 16) * 4, tn = (t % 16) * 4;
  T acc[4][4] = {};
  for (int64_t k0 = 0; k0 < K; k0 += kTileK) {
#pragma unroll
    for (int r = 0; r < 4; ++r) {
      const int e = t + r * kThreads;
      const int am = e % kTileM, ak = e / kTileM;  // neighbouring threads: neighbouring rows of A
      const int64_t m = m0 + am, ka = k0 + ak;
      As[ak][am] = m < M && ka < K ? map.a(grp, m, ka) : T(0);
      const int bn = e % kTileN, bk = e / kTileN;
      const int64_t n = n0 + bn, kb = k0 + bk;
      Bs[bk][bn] = n < N && kb < K ? map.b(grp, kb, n) : T(0);
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kTileK; ++kk) {
      T a[4], b[4];
#pragma unroll
      for (int r = 0; r < 4; ++r) a[r] = As[kk][tm + r];
#pragma unroll
      for (int c = 0; c < 4; ++c) b[c] = Bs[kk][tn + c];
#pragma unroll
      for (int r = 0; r < 4; ++r)
#pragma unroll
        for (int c = 0; c < 4; ++c) acc[r][c] += a[r] * b[c];
    }
    __syncthreads();  // the tiles are overwritten by the next slice
  }
#pragma unroll
  for (int r = 0; r < 4; ++r)
#pragma unroll
    for (int c = 0; c < 4; ++c) {
      const int64_t m = m0 + tm + r, n = n0 + tn + c;
      if (m < M && n < N) map.store(grp, m, n, acc[r][c]);
    }
}

template <typename T, typename Map> void run(const Map& map, int64_t groups, int64_t M, int64_t N, int64_t K) {
  const int64_t tiles_m = (M + kTileM - 1) / kTileM, tiles_n = (N + kTileN - 1) / kTileN;
  ND_CHECK(tiles_n <= 65535 && groups <= 65535, Error, "[conv2d] a convolution with ", groups, " groups of ", N,
           " channels is too large for the CUDA kernel's grid");
  implicit_gemm<T, Map><<<dim3(unsigned(tiles_m), unsigned(tiles_n), unsigned(groups)), kThreads>>>(map, M, N, K);
  ND_CUDA_CHECK_LAUNCH(implicit_gemm);
}

template <typename T> void forward_typed(const ConvGeom& g, const void* x, const void* w, const void* bias, void* y) {
  const ForwardMap<T> map{g, static_cast<const T*>(x), static_cast<const T*>(w), static_cast<const T*>(bias),
                          static_cast<T*>(y)};
  run<T>(map, g.groups, g.n * g.oh * g.ow, g.o / g.groups, (g.c / g.groups) * g.kh * g.kw);
}

template <typename T> void transpose_typed(const ConvGeom& g, const void* y, const void* w, const void* bias, void* x) {
  const TransposeMap<T> map{g, static_cast<const T*>(y), static_cast<const T*>(w), static_cast<const T*>(bias),
                            static_cast<T*>(x)};
  run<T>(map, g.groups, g.n * g.h * g.w, g.c / g.groups, (g.o / g.groups) * g.kh * g.kw);
}

template <typename T> void weight_typed(const ConvGeom& g, const void* x, const void* y, void* w) {
  const WeightMap<T> map{g, static_cast<const T*>(x), static_cast<const T*>(y), static_cast<T*>(w)};
  run<T>(map, g.groups, g.o / g.groups, (g.c / g.groups) * g.kh * g.kw, g.n * g.oh * g.ow);
}

// The op layer calls these with non-empty outputs only. An empty K (no batch in the weight
// gradient, say) leaves every accumulator zero, which is the right result.
void forward(const ConvGeom& g, const void* x, const void* w, const void* bias, void* y) {
  if (g.dtype == DType::Float64) forward_typed<double>(g, x, w, bias, y);
  else forward_typed<float>(g, x, w, bias, y);
}
void transpose(const ConvGeom& g, const void* y, const void* w, const void* bias, void* x) {
  if (g.dtype == DType::Float64) transpose_typed<double>(g, y, w, bias, x);
  else transpose_typed<float>(g, y, w, bias, x);
}
void weight(const ConvGeom& g, const void* x, const void* y, void* w) {
  if (g.dtype == DType::Float64) weight_typed<double>(g, x, y, w);
  else weight_typed<float>(g, x, y, w);
}

}  // namespace

void register_conv_kernels() {
  cpu::conv_forward_stub.cuda = forward;
  cpu::conv_transpose_stub.cuda = transpose;
  cpu::conv_weight_stub.cuda = weight;
}

}  // namespace nd::cuda
