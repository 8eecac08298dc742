// The one tiled matrix-product loop of the CUDA backend: GEMM (cuda/gemm.cu) and the three
// implicit-GEMM convolutions (cuda/conv.cu) are this kernel with different operand maps.
//
// Note [CUDA GEMM tiling]
// C (M x N) = A (M x K) B (K x N) for Z independent problems (batch entries, conv groups).
// A block of 256 threads owns a 64 x 64 tile of C; the k dim advances in slices of 16: the
// block stages the 64 x 16 slice of A (stored k-major, As[k][m]) and the 16 x 64 slice of B
// (Bs[k][n]) in shared memory, 4 elements of each per thread, zero-filled outside the
// matrices so edge tiles need no other case. Two __syncthreads per slice: after staging
// (tiles complete) and after the products (before the next staging overwrites them). Every
// loop bound a barrier sits in (problem, tile, slice) is uniform across the block, so no
// barrier is divergent. Tiles are walked with grid-stride loops, so any M, N, Z fits the grid.
//
// The products come from one of two Math policies:
//  - FmaMath (float32, float64): each thread keeps a 4 x 4 patch of C in registers; per k,
//    8 shared-memory loads feed 16 FMAs.
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

namespace nd::cuda::tiled {

constexpr int kTile = 64, kStep = 16, kThreads = 256;

// 4 x 4 register block per thread on a 16 x 16 thread grid.
template <typename T> struct FmaMath {
  static constexpr int kPad = 1;  // row stride 65: staging writes along k hit distinct banks
  T acc[4][4];
  __device__ void zero() {
#pragma unroll
    for (int r = 0; r < 4; ++r)
#pragma unroll
      for (int c = 0; c < 4; ++c) acc[r][c] = T(0);
  }
  __device__ void step(const T (*As)[kTile + kPad], const T (*Bs)[kTile + kPad]) {
    const int tm = (threadIdx.x / 16) * 4, tn = (threadIdx.x % 16) * 4;
#pragma unroll
    for (int kk = 0; kk < kStep; ++kk) {
      T a[4], b[4];
#pragma unroll
      for (int r = 0; r < 4; ++r) a[r] = As[kk][tm + r];
#pragma unroll
      for (int c = 0; c < 4; ++c) b[c] = Bs[kk][tn + c];
#pragma unroll
      for (int r = 0; r < 4; ++r)
#pragma unroll
        for (int c = 0; c < 4; ++c) acc[r][c] = fma(a[r], b[c], acc[r][c]);
    }
  }
  // out(row, col, value) for each accumulator, positions relative to the tile.
  template <typename Out> __device__ void each(const Out& out) const {
    const int tm = (threadIdx.x / 16) * 4, tn = (threadIdx.x % 16) * 4;
#pragma unroll
    for (int r = 0; r < 4; ++r)
#pragma unroll
      for (int c = 0; c < 4; ++c) out(tm + r, tn + c, acc[r][c]);
  }
};

struct Tf32Math {
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
  __shared__ T As[kStep][kTile + Math::kPad];
  __shared__ T Bs[kStep][kTile + Math::kPad];
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
/// Device scratch from the caching allocator for the split-K partials, returned on destruction
/// (reused only by work queued behind the kernels that use it).
class Workspace {
 public:
  explicit Workspace(size_t nbytes);
  ~Workspace();
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  void* data() const { return p_; }
 private:
  void* p_ = nullptr;
  size_t capacity_ = 0;
  int device_ = 0;
};

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

template <typename T, typename Map> void launch_tiles(const Map& map, int64_t Z, int64_t M, int64_t N, int64_t K, bool tf32) {
  const dim3 grid(tiles(M, kTile, 2147483647), tiles(N, kTile, 65535), tiles(Z, 1, 65535));
  if constexpr (std::is_same_v<T, float>) {
    if (tf32 && tf32_supported()) {
      tiled_gemm<float, Tf32Math, Map><<<grid, kThreads>>>(map, Z, M, N, K);
      ND_CUDA_CHECK_LAUNCH(tiled_gemm);
      return;
    }
  }
  tiled_gemm<T, FmaMath<T>, Map><<<grid, kThreads>>>(map, Z, M, N, K);
  ND_CUDA_CHECK_LAUNCH(tiled_gemm);
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
  const int64_t blocks = int64_t(tiles(M, kTile, 2147483647)) * tiles(N, kTile, 65535) * tiles(Z, 1, 65535);
  const int64_t S = K > 0 ? k_splits(blocks, K, sm_count()) : 1;
  if (S == 1) return launch_tiles<T>(map, Z, M, N, K, tf32);
  const int64_t Ks = ((K + S - 1) / S + kStep - 1) / kStep * kStep;
  Workspace ws(size_t(Z * S * M * N) * sizeof(T));
  const SplitMap<T, Map> split{map, S, Ks, K, M, N, static_cast<T*>(ws.data())};
  launch_tiles<T>(split, Z * S, M, N, Ks, tf32);
  sum_splits<T><<<grid_for(Z * M * N), kBlock>>>(map, static_cast<const T*>(ws.data()), Z, S, M, N);
  ND_CUDA_CHECK_LAUNCH(sum_splits);
}

}  // namespace nd::cuda::tiled
