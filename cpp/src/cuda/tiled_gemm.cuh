// The one tiled matrix-product loop of the CUDA backend: GEMM (cuda/gemm.cu) and the three
// implicit-GEMM convolutions (cuda/conv.cu) are this kernel with different operand maps.
//
// Note [CUDA GEMM tiling]
// C (M x N) = A (M x K) B (K x N) for Z independent problems (batch entries, conv groups).
// A block of 256 threads owns a tile of C (128 x 128 for large float32 products on the FMA
// units, 64 x 64 otherwise); the k dim advances in slices of 16: the block stages the tile x 16 slice of A
// (stored k-major, As[k][m]) and the 16 x tile slice of B (Bs[k][n]) in shared memory, 8 or 4
// elements of each per thread, zero-filled outside the matrices so edge tiles need no other
// case. Two __syncthreads per slice: after staging (tiles complete) and after the products
// (before the next staging overwrites them). Every
// loop bound a barrier sits in (problem, tile, slice) is uniform across the block, so no
// barrier is divergent. Tiles are walked with grid-stride loops, so any M, N, Z fits the grid.
//
// The products come from one of two Math policies:
//  - FmaMath<T, R> (R = 8: float32 products whose 128 x 128 tiles fill the GPU; else R = 4):
//    each thread keeps R x R elements of C in registers, rows (and columns) in runs of 4 that
//    are 64 apart: the thread at (ty, tx) of the 16 x 16 grid has rows 4 ty + {0..3} (+ 64).
//    Per k, R/2 loads of 4 consecutive values
//    (one 16-byte load each for float32, whose shared rows are padded by 4 to keep them
//    aligned) feed R^2 FMAs; a warp's loads of B cover 64 consecutive values (no conflicts),
//    its loads of A two addresses (broadcasts). The 8 x 8 patch halves the shared-memory
//    traffic and the operand staging per FMA of a 4 x 4 patch (H100: sgemm 4096 28 -> 38 % of
//    peak), but its 240 registers allow one block per SM, and a product with fewer tiles than
//    SMs or a side under 128 (a conv's 64 channels, an LSTM's batch of 32) ran up to 2x slower.
//  - Tf32Math (float32, sm_80+, `allow_tf32`): the 8 warps tile C as 2 x 4 warp tiles of
//    32 x 16, each 2 x 2 tensor-core mma.sync.m16n8k8 tiles per 8-deep k step, operands
//    rounded to TF32 (10-bit mantissa) and accumulated in float32, as PyTorch's allow_tf32.
//    The shared rows are 72 wide: fragment loads read (k = t or t + 4, m = g) with lane
//    l = 4 g + t, and a stride of 8 mod 32 banks puts the 32 lanes in 32 banks.
//
// Split K (Note [Split-K]): a product with few output tiles over a long K (a conv's weight
// gradient: 64 x 576 over N*H*W = 100k positions makes 9 tiles for 132 SMs) runs as S products
// over slices of K, each storing its partial tile into a workspace [Z][S][M][N]; one more
// kernel sums the S partials of each element in a fixed order (deterministic) and stores them.
//
// A Map gives the operands and takes the results:
//   T a(z, m, k), T b(z, k, n): elements (any layout; called only inside the matrices),
//   void store(z, m, n, T v): the result (called only inside C),
//   bool a_k_fast(), b_k_fast(): whether neighbouring k (rather than m, n) are neighbouring
//   in memory, which decides how consecutive threads walk the slice while staging so that
//   their global loads coalesce.
#pragma once
#include <cstdint>
#include <type_traits>

#include "cuda/check.cuh"
#include "cuda/runtime.h"

namespace nd::cuda::tiled {

constexpr int kStep = 16, kThreads = 256;

// Four consecutive shared values starting at p (16-byte aligned for float).
__device__ __forceinline__ void load4(const float* p, float (&v)[4]) {
  const float4 q = *reinterpret_cast<const float4*>(p);
  v[0] = q.x, v[1] = q.y, v[2] = q.z, v[3] = q.w;
}
__device__ __forceinline__ void load4(const double* p, double (&v)[4]) {
#pragma unroll
  for (int i = 0; i < 4; ++i) v[i] = p[i];
}

// R x R register block per thread on a 16 x 16 thread grid, in runs of 4 that are 64 apart.
template <typename T, int R> struct FmaMath {
  static_assert(R == 4 || R == 8, "runs of 4, at most two of them");
  static constexpr int kTile = 16 * R;
  // float: row stride 132, rows stay 16-byte aligned; double: 65, staging writes along k hit
  // distinct banks.
  static constexpr int kPad = sizeof(T) == 4 ? 4 : 1;
  T acc[R][R];
  __device__ static int row(int i) { return (threadIdx.x / 16) * 4 + i % 4 + i / 4 * 64; }
  __device__ static int col(int i) { return (threadIdx.x % 16) * 4 + i % 4 + i / 4 * 64; }
  __device__ void zero() {
#pragma unroll
    for (int r = 0; r < R; ++r)
#pragma unroll
      for (int c = 0; c < R; ++c) acc[r][c] = T(0);
  }
  __device__ void step(const T (*As)[kTile + kPad], const T (*Bs)[kTile + kPad]) {
#pragma unroll
    for (int kk = 0; kk < kStep; ++kk) {
      T a[R], b[R];
#pragma unroll
      for (int h = 0; h < R / 4; ++h) {
        T va[4], vb[4];
        load4(&As[kk][row(4 * h)], va);
        load4(&Bs[kk][col(4 * h)], vb);
#pragma unroll
        for (int i = 0; i < 4; ++i) a[4 * h + i] = va[i], b[4 * h + i] = vb[i];
      }
#pragma unroll
      for (int r = 0; r < R; ++r)
#pragma unroll
        for (int c = 0; c < R; ++c) acc[r][c] = fma(a[r], b[c], acc[r][c]);
    }
  }
  // out(row, col, value) for each accumulator, positions relative to the tile.
  template <typename Out> __device__ void each(const Out& out) const {
#pragma unroll
    for (int r = 0; r < R; ++r)
#pragma unroll
      for (int c = 0; c < R; ++c) out(row(r), col(c), acc[r][c]);
  }
};

struct Tf32Math {
  static constexpr int kTile = 64;
  static constexpr int kPad = 8;  // row stride 72 (Note [CUDA GEMM tiling])
  float acc[2][2][4];             // [m16 tile][n8 tile][fragment register]
  __device__ void zero() {
#pragma unroll
    for (int i = 0; i < 2; ++i)
#pragma unroll
      for (int j = 0; j < 2; ++j)
#pragma unroll
        for (int r = 0; r < 4; ++r) acc[i][j][r] = 0.0f;
  }
  __device__ static uint32_t tf32(float x) {
    uint32_t r;
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(x));
#else
    r = __float_as_uint(x);
#endif
    return r;
  }
  // The warp's tile origin in C and the lane's (group g, thread-in-group t) coordinates.
  __device__ static int wm() { return (threadIdx.x / 32) % 2 * 32; }
  __device__ static int wn() { return (threadIdx.x / 32) / 2 * 16; }
  __device__ void step(const float (*As)[kTile + kPad], const float (*Bs)[kTile + kPad]) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    const int lane = threadIdx.x % 32, g = lane / 4, t = lane % 4, m = wm(), n = wn();
#pragma unroll
    for (int kk = 0; kk < kStep; kk += 8) {
      uint32_t a[2][4], b[2][2];
#pragma unroll
      for (int i = 0; i < 2; ++i) {  // A fragment: (g, t) (g + 8, t) (g, t + 4) (g + 8, t + 4)
        const int r = m + i * 16 + g;
        a[i][0] = tf32(As[kk + t][r]);
        a[i][1] = tf32(As[kk + t][r + 8]);
        a[i][2] = tf32(As[kk + t + 4][r]);
        a[i][3] = tf32(As[kk + t + 4][r + 8]);
      }
#pragma unroll
      for (int j = 0; j < 2; ++j) {  // B fragment: (k = t, n = g) (k = t + 4, n = g)
        b[j][0] = tf32(Bs[kk + t][n + j * 8 + g]);
        b[j][1] = tf32(Bs[kk + t + 4][n + j * 8 + g]);
      }
#pragma unroll
      for (int i = 0; i < 2; ++i)
#pragma unroll
        for (int j = 0; j < 2; ++j)
          asm volatile(
              "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
              "{%0,%1,%2,%3};"
              : "+f"(acc[i][j][0]), "+f"(acc[i][j][1]), "+f"(acc[i][j][2]), "+f"(acc[i][j][3])
              : "r"(a[i][0]), "r"(a[i][1]), "r"(a[i][2]), "r"(a[i][3]), "r"(b[j][0]), "r"(b[j][1]));
    }
#else
    __trap();  // the host launches this policy on sm_80+ only (tf32_supported)
#endif
  }
  // Accumulator register r of tile (i, j) holds C(g + 8 (r / 2), 2 t + r % 2) of that tile.
  template <typename Out> __device__ void each(const Out& out) const {
    const int lane = threadIdx.x % 32, g = lane / 4, t = lane % 4, m = wm(), n = wn();
#pragma unroll
    for (int i = 0; i < 2; ++i)
#pragma unroll
      for (int j = 0; j < 2; ++j)
#pragma unroll
        for (int r = 0; r < 4; ++r) out(m + i * 16 + g + 8 * (r / 2), n + j * 8 + 2 * t + r % 2, acc[i][j][r]);
  }
};

template <typename T, typename Math, typename Map>
__global__ void __launch_bounds__(kThreads) tiled_gemm(const Map map, int64_t Z, int64_t M, int64_t N, int64_t K) {
  constexpr int kTile = Math::kTile;
  __shared__ __align__(16) T As[kStep][kTile + Math::kPad];
  __shared__ __align__(16) T Bs[kStep][kTile + Math::kPad];
  const int tid = threadIdx.x;
  const bool a_k = map.a_k_fast(), b_k = map.b_k_fast();
  for (int64_t z = blockIdx.z; z < Z; z += gridDim.z)
    for (int64_t m0 = int64_t(blockIdx.x) * kTile; m0 < M; m0 += int64_t(gridDim.x) * kTile)
      for (int64_t n0 = int64_t(blockIdx.y) * kTile; n0 < N; n0 += int64_t(gridDim.y) * kTile) {
        Math math;
        math.zero();
        for (int64_t k0 = 0; k0 < K; k0 += kStep) {
#pragma unroll
          for (int l = 0; l < kTile * kStep / kThreads; ++l) {
            const int e = tid + l * kThreads;
            const int am = a_k ? e / kStep : e % kTile, ak = a_k ? e % kStep : e / kTile;
            const int64_t m = m0 + am, ka = k0 + ak;
            As[ak][am] = m < M && ka < K ? map.a(z, m, ka) : T(0);
            const int bn = b_k ? e / kStep : e % kTile, bk = b_k ? e % kStep : e / kTile;
            const int64_t n = n0 + bn, kb = k0 + bk;
            Bs[bk][bn] = n < N && kb < K ? map.b(z, kb, n) : T(0);
          }
          __syncthreads();
          math.step(As, Bs);
          __syncthreads();  // the next slice's staging overwrites the tiles
        }
        math.each([&](int r, int c, T v) {
          const int64_t m = m0 + r, n = n0 + c;
          if (m < M && n < N) map.store(z, m, n, v);
        });
      }
}

/// Whether the current device has TF32 tensor cores (compute capability 8.0 or later).
bool tf32_supported();
/// The current device's multiprocessor count.
int sm_count();

inline unsigned tiles(int64_t n, int64_t per, int64_t cap) {
  const int64_t b = (n + per - 1) / per;
  return unsigned(b < 1 ? 1 : b > cap ? cap : b);
}

// Problem z * S + s of the split product: slice s (Ks deep) of problem z's K; results go to the
// workspace.
template <typename T, typename Map> struct SplitMap {
  Map map;
  int64_t S, Ks, K, M, N;
  T* ws;
  __device__ bool a_k_fast() const { return map.a_k_fast(); }
  __device__ bool b_k_fast() const { return map.b_k_fast(); }
  __device__ T a(int64_t zs, int64_t m, int64_t k) const {
    const int64_t kk = zs % S * Ks + k;
    return kk < K ? map.a(zs / S, m, kk) : T(0);
  }
  __device__ T b(int64_t zs, int64_t k, int64_t n) const {
    const int64_t kk = zs % S * Ks + k;
    return kk < K ? map.b(zs / S, kk, n) : T(0);
  }
  __device__ void store(int64_t zs, int64_t m, int64_t n, T v) const { ws[(zs * M + m) * N + n] = v; }
};

template <typename T, typename Map>
__global__ void sum_splits(const Map map, const T* ws, int64_t Z, int64_t S, int64_t M, int64_t N) {
  const int64_t total = Z * M * N;
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += int64_t(blockDim.x) * gridDim.x) {
    const int64_t n = e % N, m = e / N % M, z = e / (M * N);
    T acc = T(0);
    for (int64_t s = 0; s < S; ++s) acc += ws[((z * S + s) * M + m) * N + n];
    map.store(z, m, n, acc);
  }
}

// 8 x 8 per thread only for float products that fill the GPU with 128 x 128 tiles (64
// accumulators of double would spill).
template <typename T> bool wide_tiles(int64_t Z, int64_t M, int64_t N, int sms) {
  return sizeof(T) == 4 && M >= 128 && N >= 128 && int64_t(tiles(M, 128, 2147483647)) * tiles(N, 128, 65535) * Z >= sms;
}

template <typename T, typename Math, typename Map>
void launch_math(const Map& map, int64_t Z, int64_t M, int64_t N, int64_t K) {
  const dim3 grid(tiles(M, Math::kTile, 2147483647), tiles(N, Math::kTile, 65535), tiles(Z, 1, 65535));
  tiled_gemm<T, Math, Map><<<grid, kThreads>>>(map, Z, M, N, K);
  ND_CUDA_CHECK_LAUNCH(tiled_gemm);
}

template <typename T, typename Map>
void launch_tiles(const Map& map, int64_t Z, int64_t M, int64_t N, int64_t K, bool tf32, bool wide) {
  if constexpr (std::is_same_v<T, float>) {
    if (tf32) return launch_math<float, Tf32Math>(map, Z, M, N, K);
    if (wide) return launch_math<float, FmaMath<float, 8>>(map, Z, M, N, K);
  }
  launch_math<T, FmaMath<T, 4>>(map, Z, M, N, K);
}

/// Note [Split-K]: the number of K slices for a product of `blocks` output tiles: enough to
/// give every multiprocessor two blocks, each slice at least kMinSlice deep; 1 (no split)
/// when the tiles already fill the GPU.
inline int64_t k_splits(int64_t blocks, int64_t K, int sms) {
  constexpr int64_t kMinSlice = 512;
  if (blocks >= sms) return 1;
  const int64_t want = (2 * int64_t(sms) + blocks - 1) / blocks, most = K / kMinSlice;
  return want < most ? want : most < 1 ? 1 : most;
}

/// Launches the tiled product of `map` on the current device: the TF32 tensor-core policy when
/// `tf32` is asked for, T is float and the device has it; the FMA policy otherwise. Split over
/// K when the output tiles alone would leave the GPU mostly idle.
template <typename T, typename Map> void launch(const Map& map, int64_t Z, int64_t M, int64_t N, int64_t K, bool tf32) {
  if (Z == 0 || M == 0 || N == 0) return;
  tf32 = tf32 && std::is_same_v<T, float> && tf32_supported();
  const int sms = sm_count();
  const bool wide = !tf32 && wide_tiles<T>(Z, M, N, sms);
  const int tile = wide ? FmaMath<T, 8>::kTile : 64;
  const int64_t blocks = int64_t(tiles(M, tile, 2147483647)) * tiles(N, tile, 65535) * tiles(Z, 1, 65535);
  const int64_t S = K > 0 ? k_splits(blocks, K, sms) : 1;
  if (S == 1) return launch_tiles<T>(map, Z, M, N, K, tf32, wide);
  const int64_t Ks = ((K + S - 1) / S + kStep - 1) / kStep * kStep;
  Scratch ws(size_t(Z * S * M * N) * sizeof(T));
  const SplitMap<T, Map> split{map, S, Ks, K, M, N, static_cast<T*>(ws.data())};
  launch_tiles<T>(split, Z * S, M, N, Ks, tf32, wide);
  sum_splits<T><<<grid_for(Z * M * N), kBlock>>>(map, static_cast<const T*>(ws.data()), Z, S, M, N);
  ND_CUDA_CHECK_LAUNCH(sum_splits);
}

}  // namespace nd::cuda::tiled
