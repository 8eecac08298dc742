// Convolutions on the GPU as implicit GEMMs (Note [Convolution triple]): each of the three maps
// is, per group, a matrix product whose operands are read straight from the tensors, taps
// outside the input reading zero, so no im2col buffer is built. The shared tiled product (Note
// [CUDA GEMM tiling] in cuda/tiled_gemm.cuh, the GEMM's kernel) runs all three through a Map
// that says where operand elements live:
//   forward:   M = (n, oh, ow), N = o in group, K = (ci, kh, kw)
//   transpose: M = (n, h, w),   N = ci,         K = (o in group, kh, kw): the output position
//              gathers the (p, q) that reach it, so no two threads write one element
//   weight:    M = o in group,  N = (ci, kh, kw), K = (n, oh, ow)
// Depthwise convs (one input channel per group) have direct kernels instead (cuda/depthwise.cu).
#include "cpu/conv_kernels.h"
#include "cuda/runtime.h"
#include "cuda/tiled_gemm.cuh"

namespace nd::cuda {
namespace {

using cpu::ConvGeom;

// The input row (or column) tap i of output position p reads, as in the CPU kernels.
__device__ __forceinline__ int64_t tap(int64_t p, int64_t i, int64_t s, int64_t pad, int64_t d) {
  return p * s - pad + i * d;
}

// The mixed-radix digits (v / (b a), v / a % b, v % a) of a row or column index. Every staged
// operand element needs two such splits; in 32 bits (any index below 2^31, so every realistic
// conv) they are two hardware-assisted divisions instead of four long 64-bit sequences.
struct Digits {
  int64_t hi, mid, lo;
};
__device__ __forceinline__ Digits digits(int64_t v, int64_t b, int64_t a) {
  if (v <= INT32_MAX) {
    const uint32_t u = uint32_t(v), q = u / uint32_t(a);
    return {int64_t(q / uint32_t(b)), int64_t(q % uint32_t(b)), int64_t(u - q * uint32_t(a))};
  }
  const int64_t q = v / a;
  return {q / b, q % b, v - q * a};
}
// (v / a, v % a), the same way.
__device__ __forceinline__ Digits split(int64_t v, int64_t a) {
  if (v <= INT32_MAX) {
    const uint32_t u = uint32_t(v), q = u / uint32_t(a);
    return {0, int64_t(q), int64_t(u - q * uint32_t(a))};
  }
  return {0, v / a, v % a};
}

// Per-group sizes, computed once on the host.
struct GroupDims {
  int64_t cg, og, khw;
  explicit GroupDims(const ConvGeom& g) : cg(g.c / g.groups), og(g.o / g.groups), khw(g.kh * g.kw) {}
};

template <typename T> struct ForwardMap {
  ConvGeom g;
  GroupDims d;
  const T* x;
  const T* w;
  const T* bias;
  T* y;
  // Neighbouring m are neighbouring output columns (x reads along a row); w rows run along k.
  __device__ bool a_k_fast() const { return false; }
  __device__ bool b_k_fast() const { return true; }
  __device__ T a(int64_t grp, int64_t m, int64_t k) const {  // x at (n, p, q) tap (ci, i, j)
    const Digits npq = digits(m, g.oh, g.ow), cij = digits(k, g.kh, g.kw);
    const int64_t hh = tap(npq.mid, cij.mid, g.sh, g.ph, g.dh), ww = tap(npq.lo, cij.lo, g.sw, g.pw, g.dw);
    if (hh < 0 || hh >= g.h || ww < 0 || ww >= g.w) return T(0);
    return x[((npq.hi * g.c + grp * d.cg + cij.hi) * g.h + hh) * g.w + ww];
  }
  __device__ T b(int64_t grp, int64_t k, int64_t o) const {  // w[o, ci, i, j]
    return w[(grp * d.og + o) * (d.cg * d.khw) + k];
  }
  __device__ void store(int64_t grp, int64_t m, int64_t o, T v) const {
    const int64_t oc = grp * d.og + o;
    const Digits npq = split(m, g.oh * g.ow);
    y[(npq.mid * g.o + oc) * g.oh * g.ow + npq.lo] = bias ? v + bias[oc] : v;
  }
};

template <typename T> struct TransposeMap {
  ConvGeom g;
  GroupDims d;
  const T* y;
  const T* w;
  const T* bias;
  T* x;
  // Neighbouring m are neighbouring input columns; w runs along k's (kh, kw) unless 1x1.
  __device__ bool a_k_fast() const { return false; }
  __device__ bool b_k_fast() const { return d.khw > 1; }
  // y at the (p, q) whose tap (i, j) lands on (hh, ww), or zero when none does.
  __device__ T a(int64_t grp, int64_t m, int64_t k) const {
    const Digits nhw = digits(m, g.h, g.w), oij = digits(k, g.kh, g.kw);
    const int64_t ph = nhw.mid + g.ph - oij.mid * g.dh, pw = nhw.lo + g.pw - oij.lo * g.dw;
    if (ph < 0 || pw < 0) return T(0);
    const Digits p = split(ph, g.sh), q = split(pw, g.sw);
    if (p.lo != 0 || q.lo != 0 || p.mid >= g.oh || q.mid >= g.ow) return T(0);
    return y[((nhw.hi * g.o + grp * d.og + oij.hi) * g.oh + p.mid) * g.ow + q.mid];
  }
  __device__ T b(int64_t grp, int64_t k, int64_t ci) const {  // w[o, ci, i, j]
    const Digits oij = split(k, d.khw);
    return w[((grp * d.og + oij.mid) * d.cg + ci) * d.khw + oij.lo];
  }
  __device__ void store(int64_t grp, int64_t m, int64_t ci, T v) const {
    const int64_t c = grp * d.cg + ci;
    const Digits nhw = split(m, g.h * g.w);
    x[(nhw.mid * g.c + c) * g.h * g.w + nhw.lo] = bias ? v + bias[c] : v;
  }
};

template <typename T> struct WeightMap {
  ConvGeom g;
  GroupDims d;
  const T* x;
  const T* y;
  T* w;
  // k = (n, p, q) walks along rows of both y and x.
  __device__ bool a_k_fast() const { return true; }
  __device__ bool b_k_fast() const { return true; }
  __device__ T a(int64_t grp, int64_t o, int64_t k) const {  // y[n, o, p, q], k = (n, p, q)
    const int64_t ohw = g.oh * g.ow;
    const Digits npq = split(k, ohw);
    return y[(npq.mid * g.o + grp * d.og + o) * ohw + npq.lo];
  }
  __device__ T b(int64_t grp, int64_t k, int64_t col) const {  // x at (n, p, q) tap col = (ci, i, j)
    const Digits npq = digits(k, g.oh, g.ow), cij = digits(col, g.kh, g.kw);
    const int64_t hh = tap(npq.mid, cij.mid, g.sh, g.ph, g.dh), ww = tap(npq.lo, cij.lo, g.sw, g.pw, g.dw);
    if (hh < 0 || hh >= g.h || ww < 0 || ww >= g.w) return T(0);
    return x[((npq.hi * g.c + grp * d.cg + cij.hi) * g.h + hh) * g.w + ww];
  }
  __device__ void store(int64_t grp, int64_t o, int64_t col, T v) const {
    w[(grp * d.og + o) * (d.cg * d.khw) + col] = v;
  }
};

// One group per problem of the shared tiled product (its grid-stride loops cover any size).
// Convolutions stay float32 even with matmul TF32 allowed (PyTorch ties them to a separate
// cuDNN flag this backend has no counterpart of).
template <typename T, typename Map> void run(const Map& map, int64_t groups, int64_t M, int64_t N, int64_t K) {
  tiled::launch<T>(map, groups, M, N, K, false);
}

template <typename T> void forward_typed(const ConvGeom& g, const void* x, const void* w, const void* bias, void* y) {
  const ForwardMap<T> map{g, GroupDims(g), static_cast<const T*>(x), static_cast<const T*>(w), static_cast<const T*>(bias),
                          static_cast<T*>(y)};
  run<T>(map, g.groups, g.n * g.oh * g.ow, g.o / g.groups, (g.c / g.groups) * g.kh * g.kw);
}

template <typename T> void transpose_typed(const ConvGeom& g, const void* y, const void* w, const void* bias, void* x) {
  const TransposeMap<T> map{g, GroupDims(g), static_cast<const T*>(y), static_cast<const T*>(w), static_cast<const T*>(bias),
                            static_cast<T*>(x)};
  run<T>(map, g.groups, g.n * g.h * g.w, g.c / g.groups, (g.o / g.groups) * g.kh * g.kw);
}

template <typename T> void weight_typed(const ConvGeom& g, const void* x, const void* y, void* w) {
  const WeightMap<T> map{g, GroupDims(g), static_cast<const T*>(x), static_cast<const T*>(y), static_cast<T*>(w)};
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
