// GEMM kernels: C = alpha * A * B + beta * C for strided, batched operands.
//
// Note [GEMM blocking]
// The float kernels follow the BLIS/GotoBLAS scheme. B is cut into KC x NC blocks packed
// into NR-wide column panels, A into MC x KC blocks packed into MR-tall row panels; a
// register-blocked micro-kernel multiplies one A panel by one B panel, keeping the MR x NR
// tile of C in registers (AVX2 float: 6 x 16 in 12 ymm registers plus two B vectors and one
// broadcast A value; AVX-512: 8 x 32 in 16 zmm registers). A B panel (KC x NR) stays in L1
// while the A panels of a block (MC x KC) stream from L2; the B block (KC x NC) sits in L3,
// or in L2 when the thread has a single A block to multiply it with. Packing reads operands
// through their strides, so a transposed operand costs nothing extra. Threads split C into
// a grid of rectangles (see gemm_packed), one parallel region per GEMM. Tiny products, and
// matrix-vector shapes where packing would cost as much as the arithmetic, take an
// unpacked path instead.

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>

#include "cpu/gemm.h"
#include "cpu/loops.h"
#include "nativedl/runtime.h"

namespace nd::cpu::NATIVEDL_ISA {
namespace {

/// Multiply-adds below which a GEMM (or a batch of them) stays on one thread.
constexpr int64_t kParallelMacs = int64_t(1) << 20;
/// Multiply-adds up to which a product skips packing altogether.
constexpr int64_t kSmallMacs = 32 * 32 * 32;

template <typename T> struct Blocking {
  using V = Vec<T>;
  // The C tile is MR x NR = MR x (2 vectors), all in registers: 6 x 2 of the 16 256-bit
  // registers (plus 2 B vectors and a broadcast A value), or 8 x 2 of the 32 512-bit ones.
  static constexpr int NV = 2;
  static constexpr int NR = NV * V::size;
  static constexpr int MR = sizeof(V) >= 64 ? 8 : 6;
  // A B panel (KC x NR) stays in L1 (48 KiB here): 16 KiB (AVX2 float) to 32 KiB (AVX-512).
  static constexpr int64_t KC = 256;
  // An A block (MC x KC) takes a quarter of the 1 MiB L2.
  static constexpr int64_t MC = (256 * 1024 / (KC * sizeof(T))) / MR * MR;
  // The B block (KC x NC): several MiB in L3 when many A blocks reuse it; in L2 when the
  // thread's share of C has one A block only, so packed B is written to and read from L2.
  static constexpr int64_t NC_L3 = 16 * 1024 * 1024 / (KC * sizeof(T)) / 4;
  static constexpr int64_t NC_L2 = 512 * 1024 / (KC * sizeof(T));
};

/// A strided matrix view: element (i, j) is p[i * rs + j * cs].
template <typename T> struct Mat {
  T* p;
  int64_t rs, cs;
  T& at(int64_t i, int64_t j) const { return p[i * rs + j * cs]; }
  Mat t() const { return {p, cs, rs}; }
};

/// 64-byte aligned scratch for packed panels, one per thread and use, kept between calls:
/// fresh multi-MiB buffers would page-fault on every GEMM.
template <typename T, int Use> T* scratch(int64_t n) {
  struct Buffer {
    T* p = nullptr;
    int64_t cap = 0;
    ~Buffer() { std::free(p); }
  };
  thread_local Buffer buf;
  if (buf.cap < n) {
    std::free(buf.p);
    buf.p = static_cast<T*>(std::aligned_alloc(64, (size_t(n) * sizeof(T) + 63) / 64 * 64));
    buf.cap = buf.p == nullptr ? 0 : n;
    if (buf.p == nullptr) throw std::bad_alloc();
  }
  return buf.p;
}

// c = alpha * v + beta * c, with beta == 0 not reading c.
template <typename T> inline void update(T& c, T v, T alpha, T beta) {
  c = beta == T(0) ? alpha * v : alpha * v + beta * c;
}

// ------------------------------------------------------------------ packed path

// Note [Transposing packs]
// Packing reads the operand across its contiguous dimension whenever that dimension is k:
// A row-major (the common case) or B transposed (B^T, as in a conv weight gradient). Element
// by element that costs several cycles per value, as much as the arithmetic on it for
// conv-shaped products; 8 x 8 float blocks transposed in AVX registers make it a few loads,
// shuffles and stores per 64 values.
#if defined(__AVX2__)
// dst[t * dst_stride + r] = src[r * src_stride + t] for r, t < 8.
inline void transpose8x8(const float* src, int64_t src_stride, float* dst, int64_t dst_stride) {
  __m256 r[8], u[8];
  for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(src + i * src_stride);
  for (int i = 0; i < 8; i += 2) {
    u[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    u[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    r[i] = _mm256_shuffle_ps(u[i], u[i + 2], 0x44);
    r[i + 1] = _mm256_shuffle_ps(u[i], u[i + 2], 0xEE);
    r[i + 2] = _mm256_shuffle_ps(u[i + 1], u[i + 3], 0x44);
    r[i + 3] = _mm256_shuffle_ps(u[i + 1], u[i + 3], 0xEE);
  }
  for (int i = 0; i < 4; ++i) {
    _mm256_storeu_ps(dst + i * dst_stride, _mm256_permute2f128_ps(r[i], r[i + 4], 0x20));
    _mm256_storeu_ps(dst + (i + 4) * dst_stride, _mm256_permute2f128_ps(r[i], r[i + 4], 0x31));
  }
}
#endif

// Packs `rows` (a multiple of 8, <= width) operand rows that are contiguous along k, row r
// starting at src + r * stride, for k steps [0, kc): out[p * width + r] = src[r * stride + p].
// Returns the k steps done (a multiple of 8); the caller packs the rest.
template <typename T> int64_t pack_transposed(const T* src, int64_t stride, int64_t rows, int64_t kc, int64_t width, T* out) {
#if defined(__AVX2__)
  if constexpr (std::is_same_v<T, float>) {
    const int64_t kc8 = kc / 8 * 8;
    for (int64_t r = 0; r < rows; r += 8)
      for (int64_t p = 0; p < kc8; p += 8) transpose8x8(src + r * stride + p, stride, out + p * width + r, width);
    return kc8;
  }
#endif
  (void)src, (void)stride, (void)rows, (void)kc, (void)width, (void)out;
  return 0;
}

// k steps ahead at which the transposed A pack prefetches its source rows.
constexpr int64_t kPackAhead = 8;

// Rows [i0, i0 + mc) x cols [p0, p0 + kc) of A into MR-row panels, each stored column by
// column (MR values per k step), short panels padded with zeros.
template <typename T> void pack_a(Mat<const T> a, int64_t i0, int64_t mc, int64_t p0, int64_t kc, T* out) {
  constexpr int MR = Blocking<T>::MR;
  if (a.rs == 1) {
    // A transposed (a weight gradient's dY^T): each source row is contiguous along i, so walk
    // it once and deal its MR-value pieces to the panels; panel by panel, every row would be
    // revisited mc / MR times, each visit using a fraction of its cache lines.
    for (int64_t p = 0; p < kc; ++p) {
      const T* src = &a.at(i0, p0 + p);
      // Source rows a few k steps ahead, fetched now: each k step reads a short piece of a
      // row lying a whole row (4 KiB for a recurrent layer's 1024 gate gradients) past the
      // last, a new stream every time that the hardware prefetchers pick up too late. With
      // A out of cache (a weight gradient over a long sequence) this took such a product
      // from ~170 to ~200 GFLOP/s on Zen 5.
      if (p + kPackAhead < kc)
        for (int64_t i = 0; i < mc; i += 64 / int64_t(sizeof(T))) __builtin_prefetch(src + kPackAhead * a.cs + i);
      for (int64_t ir = 0; ir < mc; ir += MR) {
        T* dst = out + ir * kc + p * MR;
        if (mc - ir >= MR) {
          std::memcpy(dst, src + ir, sizeof(T) * MR);
        } else {
          std::copy(src + ir, src + mc, dst);
          std::fill(dst + (mc - ir), dst + MR, T(0));
        }
      }
    }
    return;
  }
  for (int64_t ir = 0; ir < mc; ir += MR) {
    const int64_t mr = std::min<int64_t>(MR, mc - ir);
    int64_t p = 0;
    // The next panel's MR source rows (MR streams) fetched while this one is transposed:
    // ~3% on large row-major products.
    if (a.cs == 1 && ir + MR < mc)
      for (int64_t i = 0; i < MR; ++i)
        for (int64_t q = 0; q < kc; q += 64 / int64_t(sizeof(T))) __builtin_prefetch(&a.at(i0 + ir + MR + i, p0 + q));
    if (a.cs == 1 && mr == MR && MR % 8 == 0) p = pack_transposed(&a.at(i0 + ir, p0), a.rs, MR, kc, MR, out);
    for (; p < kc; ++p) {
      for (int64_t i = 0; i < mr; ++i) out[p * MR + i] = a.at(i0 + ir + i, p0 + p);
      for (int64_t i = mr; i < MR; ++i) out[p * MR + i] = T(0);
    }
    out += MR * kc;
  }
}

// NR-column panels [jr, jr + NR) of B's rows [p0, p0 + kc), cols [j0, j0 + nc), each row
// by row (NR values per k step), padded with zeros; panels [pb, pe) only.
template <typename T>
void pack_b(Mat<const T> b, int64_t p0, int64_t kc, int64_t j0, int64_t nc, int64_t pb, int64_t pe, T* out) {
  constexpr int NR = Blocking<T>::NR;
  for (int64_t panel = pb; panel < pe; ++panel) {
    const int64_t jr = panel * NR, nr = std::min<int64_t>(NR, nc - jr);
    T* dst = out + panel * NR * kc;
    int64_t p = 0;
    if (b.rs == 1 && nr == NR) p = pack_transposed(&b.at(p0, j0 + jr), b.cs, NR, kc, NR, dst);
    for (; p < kc; ++p) {
      const T* src = &b.at(p0 + p, j0 + jr);
      if (nr == NR && b.cs == 1) {
        std::memcpy(dst + p * NR, src, sizeof(T) * NR);
      } else {
        for (int64_t j = 0; j < nr; ++j) dst[p * NR + j] = src[j * b.cs];
        for (int64_t j = nr; j < NR; ++j) dst[p * NR + j] = T(0);
      }
    }
  }
}

// C tile (mr x nr <= MR x NR) = alpha * A panel * B panel + beta * C tile.
template <typename T>
void micro_kernel(int64_t kc, const T* ap, const T* bp, int64_t ldb, Mat<T> c, int64_t mr, int64_t nr, T alpha, T beta) {
  using V = Vec<T>;
  constexpr int MR = Blocking<T>::MR, NV = Blocking<T>::NV, NR = Blocking<T>::NR;
  const bool full = mr == MR && nr == NR && c.cs == 1;
  // The C tile is needed only after the k loop: start fetching its rows now.
  if (full) {
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      __builtin_prefetch(&c.at(i, 0), 1);
      __builtin_prefetch(&c.at(i, NR - 1), 1);
    }
  }
  V acc[MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int h = 0; h < NV; ++h) acc[i][h] = V(T(0));
  for (int64_t p = 0; p < kc; ++p) {
    V b[NV];
#pragma GCC unroll 4
    for (int h = 0; h < NV; ++h) b[h] = V::loadu(bp + h * V::size);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const V ai(ap[i]);
#pragma GCC unroll 4
      for (int h = 0; h < NV; ++h) acc[i][h] = vfmadd(ai, b[h], acc[i][h]);
    }
    ap += MR;
    bp += ldb;
  }
  const V va(alpha), vb(beta);
  if (full) {
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
      for (int h = 0; h < NV; ++h) {
        T* cp = &c.at(i, h * V::size);
        const V r = acc[i][h] * va;
        (beta == T(0) ? r : vfmadd(vb, V::loadu(cp), r)).storeu(cp);
      }
    }
    return;
  }
  T tile[MR * NR];
  for (int i = 0; i < MR; ++i)
    for (int h = 0; h < NV; ++h) acc[i][h].storeu(tile + i * NR + h * V::size);
  for (int64_t i = 0; i < mr; ++i)
    for (int64_t j = 0; j < nr; ++j) update(c.at(i, j), tile[i * NR + j], alpha, beta);
}

// Rows per k block: equal blocks, as a short last one would pay the C tile's loads and
// stores for little work.
template <typename T> int64_t k_block(int64_t k) {
  constexpr int64_t KC = Blocking<T>::KC;
  return (k + (k + KC - 1) / KC - 1) / ((k + KC - 1) / KC);
}

// Note [Prepacked B]
// A B operand multiplied by many A's (a recurrent layer's W_hh, once per time step) is packed
// once, in the layout gemm_blocked would pack it block by block: for each k block (k_block
// rows), all of B's NR-column panels, each kc x NR. Block (pc, jc) of it, jc a multiple of
// NR, then starts at pc * n_pad + jc * kc, and gemm_blocked reads it in place.
template <typename T> struct PackedB {
  const T* p = nullptr;  // null: pack B per block
  int64_t n_pad = 0;     // B's columns rounded up to whole panels
  int64_t j0 = 0;        // the first column of this thread's share of C
  const T* block(int64_t pc, int64_t jc, int64_t kc) const { return p + pc * n_pad + (j0 + jc) * kc; }
};

template <typename T> int64_t padded_cols(int64_t n) {
  return (n + Blocking<T>::NR - 1) / Blocking<T>::NR * Blocking<T>::NR;
}

// Note [Unpacked B]
// Packing B copies it once per k block, worth it when many A panels reuse each B panel. With
// at most 8 A panels (64 rows on AVX-512: the GEMMs of convs with up to 64 output channels,
// LeNet's 6 and 16 among them) the copy costs more than reading a row-major B where it lies,
// a panel row (NR values) at a time ldb apart: 16 x 150 x 6400 1.5x faster, 64 x 576 x 3136
// (a 3x3 conv's) 1.13x; from 80 rows on, packing wins again.
template <typename T> bool unpacked_b(int64_t m, Mat<const T> b) {
  return b.cs == 1 && m <= 8 * Blocking<T>::MR;
}

// The sequential blocked product on one thread: loops jc (NC) > pc (KC) > ic (MC) > jr (NR)
// > ir (MR) around the micro-kernel, with this thread's packing buffers.
template <typename T>
void gemm_blocked(int64_t m, int64_t n, int64_t k, T alpha, Mat<const T> a, Mat<const T> b, T beta, Mat<T> c,
                  PackedB<T> pb) {
  using B = Blocking<T>;
  const int64_t nc_max = std::min(m <= B::MC ? B::NC_L2 : B::NC_L3, padded_cols<T>(n));
  const int64_t mc_max = std::min(B::MC, (m + B::MR - 1) / B::MR * B::MR);
  T* bbuf = pb.p ? nullptr : scratch<T, 0>(B::KC * nc_max);
  T* abuf = scratch<T, 1>(mc_max * B::KC);

  const int64_t kc_max = k_block<T>(k);
  for (int64_t jc = 0; jc < n; jc += nc_max) {
    const int64_t nc = std::min(nc_max, n - jc);
    for (int64_t pc = 0; pc < k; pc += kc_max) {
      const int64_t kc = std::min(kc_max, k - pc);
      const T beta_k = pc == 0 ? beta : T(1);  // later k blocks accumulate onto the first
      const int64_t panels = (nc + B::NR - 1) / B::NR, full_panels = nc / B::NR;
      // Whole panels of a row-major B read in place (Note [Unpacked B]); a partial last one packed.
      const bool in_place = !pb.p && unpacked_b(m, b);
      if (!pb.p) pack_b(b, pc, kc, jc, nc, in_place ? full_panels : 0, panels, bbuf);
      const T* bblock = pb.p ? pb.block(pc, jc, kc) : bbuf;
      for (int64_t ic = 0; ic < m; ic += mc_max) {
        const int64_t mc = std::min(mc_max, m - ic);
        pack_a(a, ic, mc, pc, kc, abuf);
        for (int64_t jr = 0; jr < nc; jr += B::NR) {
          const bool direct = in_place && jr / B::NR < full_panels;
          const T* bp = direct ? &b.at(pc, jc + jr) : bblock + jr * kc;
          for (int64_t ir = 0; ir < mc; ir += B::MR) {
            Mat<T> tile{&c.at(ic + ir, jc + jr), c.rs, c.cs};
            micro_kernel(kc, abuf + ir * kc, bp, direct ? b.rs : int64_t(B::NR), tile,
                         std::min<int64_t>(B::MR, mc - ir), std::min<int64_t>(B::NR, nc - jr), alpha, beta_k);
          }
        }
      }
    }
  }
}

// Threads split C into a tm x tn grid of rectangles, each computed by gemm_blocked alone:
// one parallel region per GEMM, no barriers. A thread packs its rows of A and its columns
// of B, so the grid minimizes m / tm + n / tn (the packing each thread does); a skinny C
// (conv shapes: 64 rows, thousands of columns) is thereby split along n.
template <typename T>
void gemm_packed(int64_t m, int64_t n, int64_t k, T alpha, Mat<const T> a, Mat<const T> b, T beta, Mat<T> c,
                 PackedB<T> pb = {}) {
  using B = Blocking<T>;
  const int64_t threads = m * n * k >= 2 * kParallelMacs && !core::in_parallel_region() ? get_num_threads() : 1;
  const int64_t m_tiles = (m + B::MR - 1) / B::MR, n_tiles = (n + B::NR - 1) / B::NR;
  int64_t tm = 1, tn = 1;
  double best = -1;
  for (int64_t gm = 1; gm <= threads; ++gm) {
    const int64_t gn = threads / gm;
    if (gm * gn != threads || gm > m_tiles || gn > n_tiles) continue;
    const double cost = double(m) / gm + double(n) / gn;
    if (best < 0 || cost < best) best = cost, tm = gm, tn = gn;
  }
  const int64_t rows = (m_tiles + tm - 1) / tm * B::MR, cols = (n_tiles + tn - 1) / tn * B::NR;
  core::parallel_for(0, tm * tn, 1, [&](int64_t rb, int64_t re) {
    for (int64_t r = rb; r < re; ++r) {
      const int64_t i0 = (r / tn) * rows, j0 = (r % tn) * cols;
      if (i0 >= m || j0 >= n) continue;
      Mat<const T> ar{&a.at(i0, 0), a.rs, a.cs}, br{pb.p ? nullptr : &b.at(0, j0), b.rs, b.cs};
      Mat<T> cr{&c.at(i0, j0), c.rs, c.cs};
      PackedB<T> pr = pb;
      pr.j0 += j0;
      gemm_blocked(std::min(rows, m - i0), std::min(cols, n - j0), k, alpha, ar, br, beta, cr, pr);
    }
  });
}


// ------------------------------------------------------------------ unpacked path

// Vectors per strip of the unpacked path: 4 of 256 bits or fewer, 2 of 512 bits, so that
// small products (32 columns) still fill a whole strip.
template <typename T> constexpr int kStripVecs = sizeof(Vec<T>) >= 64 ? 2 : 4;

// Row i of C, columns [j0, j0 + w): vectorized along j (B rows contiguous), w <= kStripVecs vectors.
template <typename T>
void axpy_strip(int64_t k, T alpha, Mat<const T> a, Mat<const T> b, T beta, Mat<T> c, int64_t i, int64_t j0, int64_t w) {
  using V = Vec<T>;
  constexpr int kVecs = kStripVecs<T>;
  if (w == kVecs * V::size) {
    V acc[kVecs];
    for (int v = 0; v < kVecs; ++v) acc[v] = V(T(0));
    for (int64_t p = 0; p < k; ++p) {
      const V ap(a.at(i, p));
      const T* bp = &b.at(p, j0);
      for (int v = 0; v < kVecs; ++v) acc[v] = vfmadd(ap, V::loadu(bp + v * V::size), acc[v]);
    }
    T out[kVecs * V::size];
    for (int v = 0; v < kVecs; ++v) acc[v].storeu(out + v * V::size);
    for (int64_t j = 0; j < w; ++j) update(c.at(i, j0 + j), out[j], alpha, beta);
    return;
  }
  for (int64_t j = j0; j < j0 + w; ++j) {
    T s = T(0);
    for (int64_t p = 0; p < k; ++p) s += a.at(i, p) * b.at(p, j);
    update(c.at(i, j), s, alpha, beta);
  }
}

// Dot product of k contiguous values of x and y.
template <typename T> T dot_contiguous(const T* x, const T* y, int64_t k) {
  using V = Vec<T>;
  V acc0(T(0)), acc1(T(0));
  int64_t p = 0;
  for (; p + 2 * V::size <= k; p += 2 * V::size) {
    acc0 = vfmadd(V::loadu(x + p), V::loadu(y + p), acc0);
    acc1 = vfmadd(V::loadu(x + p + V::size), V::loadu(y + p + V::size), acc1);
  }
  T lanes[V::size];
  (acc0 + acc1).storeu(lanes);
  T s = T(0);
  for (int i = 0; i < V::size; ++i) s += lanes[i];
  for (; p < k; ++p) s += x[p] * y[p];
  return s;
}

// No packing: rows of C as vector strips along j when B's rows are contiguous (unless C is
// narrower than a strip and dot products along contiguous k serve better), else dot
// products (vectorized when A's rows and B's columns are contiguous).
template <typename T>
void gemm_unpacked(int64_t m, int64_t n, int64_t k, T alpha, Mat<const T> a, Mat<const T> b, T beta, Mat<T> c) {
  constexpr int64_t W = kStripVecs<T> * Vec<T>::size;
  // Size-1 dims get stride 0, so the layout tests below only see dims that matter.
  if (m == 1) a.rs = c.rs = 0;
  if (n == 1) b.cs = c.cs = 0;
  // C^T = B^T A^T: a product whose A is column-major reads like one whose B is row-major.
  if (b.cs != 1 && a.rs == 1) return gemm_unpacked(n, m, k, alpha, b.t(), a.t(), beta, c.t());
  if (b.cs == 1 && !(n < W && a.cs == 1 && b.rs == 1)) {
    const int64_t strips = (n + W - 1) / W;
    core::parallel_for(0, m * strips, std::max<int64_t>(1, kParallelMacs / (W * std::max<int64_t>(k, 1))),
                       [&](int64_t tb, int64_t te) {
      for (int64_t t = tb; t < te; ++t) {
        const int64_t i = t / strips, j0 = (t % strips) * W;
        axpy_strip(k, alpha, a, b, beta, c, i, j0, std::min(W, n - j0));
      }
    });
    return;
  }
  core::parallel_for(0, m, std::max<int64_t>(1, kParallelMacs / std::max<int64_t>(n * k, 1)), [&](int64_t ib, int64_t ie) {
    for (int64_t i = ib; i < ie; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        T s = T(0);
        if (a.cs == 1 && b.rs == 1) s = dot_contiguous(&a.at(i, 0), &b.at(0, j), k);
        else for (int64_t p = 0; p < k; ++p) s += a.at(i, p) * b.at(p, j);
        update(c.at(i, j), s, alpha, beta);
      }
    }
  });
}

// ------------------------------------------------------------------ dispatch

// Integers: exact (wrapping) sums in T, one plain loop; nothing else needs speed there.
template <typename T>
void gemm_integer(int64_t m, int64_t n, int64_t k, T alpha, Mat<const T> a, Mat<const T> b, T beta, Mat<T> c) {
  core::parallel_for(0, m, std::max<int64_t>(1, kParallelMacs / std::max<int64_t>(n * k, 1)), [&](int64_t ib, int64_t ie) {
    for (int64_t i = ib; i < ie; ++i)
      for (int64_t j = 0; j < n; ++j) {
        T s = T(0);
        for (int64_t p = 0; p < k; ++p) s = T(s + a.at(i, p) * b.at(p, j));
        c.at(i, j) = beta == T(0) ? T(alpha * s) : T(alpha * s + beta * c.at(i, j));
      }
  });
}

// An empty sum: C = beta * C.
template <typename T> void scale_c(int64_t m, int64_t n, T beta, Mat<T> c) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) c.at(i, j) = beta == T(0) ? T(0) : T(beta * c.at(i, j));
}

template <typename T> void gemm_one(const GemmArgs& g, int64_t batch_index) {
  const T alpha = T(g.alpha), beta = T(g.beta);
  Mat<const T> a{static_cast<const T*>(g.a) + batch_index * g.a_bs, g.a_rs, g.a_cs};
  Mat<const T> b{static_cast<const T*>(g.b) + batch_index * g.b_bs, g.b_rs, g.b_cs};
  Mat<T> c{static_cast<T*>(g.c) + batch_index * g.c_bs, g.c_rs, g.c_cs};
  if (g.k == 0) {
    scale_c(g.m, g.n, beta, c);
  } else if constexpr (!std::is_floating_point_v<T>) {
    gemm_integer(g.m, g.n, g.k, alpha, a, b, beta, c);
  } else if (g.m == 1 || g.n == 1 || g.m * g.n * g.k <= kSmallMacs) {
    gemm_unpacked(g.m, g.n, g.k, alpha, a, b, beta, c);
  } else {
    gemm_packed(g.m, g.n, g.k, alpha, a, b, beta, c);
  }
}

template <typename T> void gemm_typed(const GemmArgs& g) {
  if (g.batch == 0 || g.m == 0 || g.n == 0) return;
  const int64_t macs = std::max<int64_t>(g.m * g.n * g.k, 1);
  // Many small products: one thread per group of whole products. Few large ones: threads
  // inside each product.
  if (g.batch > 1 && (g.batch >= get_num_threads() || macs < kParallelMacs)) {
    core::parallel_for(0, g.batch, std::max<int64_t>(1, kParallelMacs / macs), [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) gemm_one<T>(g, i);
    });
    return;
  }
  for (int64_t i = 0; i < g.batch; ++i) gemm_one<T>(g, i);
}

void gemm_kernel(const GemmArgs& g) {
  ND_DISPATCH_ALL_TYPES(g.dtype, T, if constexpr (!std::is_same_v<T, bool>) gemm_typed<T>(g))
}

// ------------------------------------------------------------------ prepacked B (Note [Prepacked B])

int64_t packed_b_size_kernel(DType dtype, int64_t k, int64_t n) {
  ND_DISPATCH_FLOAT_TYPES(dtype, T, return k * padded_cols<T>(n))
  return 0;
}

template <typename T> void pack_b_typed(const PackBArgs& g) {
  const Mat<const T> b{static_cast<const T*>(g.b), g.b_rs, g.b_cs};
  T* out = static_cast<T*>(g.out);
  const int64_t n_pad = padded_cols<T>(g.n), kc_max = k_block<T>(g.k);
  for (int64_t pc = 0; pc < g.k; pc += kc_max)
    pack_b(b, pc, std::min(kc_max, g.k - pc), 0, g.n, 0, n_pad / Blocking<T>::NR, out + pc * n_pad);
}

void pack_b_kernel(const PackBArgs& g) { ND_DISPATCH_FLOAT_TYPES(g.dtype, T, pack_b_typed<T>(g)) }

template <typename T> void gemm_prepacked_typed(const GemmArgs& g) {
  if (g.m == 0 || g.n == 0) return;
  Mat<const T> a{static_cast<const T*>(g.a), g.a_rs, g.a_cs};
  Mat<T> c{static_cast<T*>(g.c), g.c_rs, g.c_cs};
  if (g.k == 0) return scale_c(g.m, g.n, T(g.beta), c);
  gemm_packed(g.m, g.n, g.k, T(g.alpha), a, Mat<const T>{nullptr, 0, 0}, T(g.beta), c,
              PackedB<T>{static_cast<const T*>(g.b), padded_cols<T>(g.n), 0});
}

void gemm_prepacked_kernel(const GemmArgs& g) { ND_DISPATCH_FLOAT_TYPES(g.dtype, T, gemm_prepacked_typed<T>(g)) }

}  // namespace

void register_gemm_kernels() {
  gemm_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = gemm_kernel;
  gemm_packed_b_size_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = packed_b_size_kernel;
  gemm_pack_b_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = pack_b_kernel;
  gemm_prepacked_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = gemm_prepacked_kernel;
}

}  // namespace nd::cpu::NATIVEDL_ISA
