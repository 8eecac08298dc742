// Max and avg pooling over window tables (Note [Window tables]) on the GPU. The forwards run
// one thread per output element; the backwards run one thread per input element, which
// gathers from the windows covering it, so no two threads write one address (no atomics) and
// every sum runs in the CPU kernels' order: the results equal the CPU's bit for bit.
// The tables live in host memory; each call copies them to one device block first.
#include <cmath>
#include <optional>
#include <vector>

#include "cpu/max_window.h"
#include "cpu/pooling_kernels.h"
#include "cuda/check.cuh"
#include "cuda/runtime.h"

namespace nd::cuda {
namespace {

using cpu::PoolWindows;

// Device copies of the tables of `host` for one launch, in one Scratch block.
class DeviceWindows {
 public:
  explicit DeviceWindows(const PoolWindows& host) : w(host) {
    const bool avg = host.div_h != nullptr;
    std::vector<int64_t> ints;
    for (const int64_t* t : {host.start_h, host.end_h}) ints.insert(ints.end(), t, t + host.OH);
    for (const int64_t* t : {host.start_w, host.end_w}) ints.insert(ints.end(), t, t + host.OW);
    std::vector<double> divs;
    if (avg) {
      divs.assign(host.div_h, host.div_h + host.OH);
      divs.insert(divs.end(), host.div_w, host.div_w + host.OW);
    }
    const size_t int_bytes = ints.size() * sizeof(int64_t), bytes = int_bytes + divs.size() * sizeof(double);
    char* block = static_cast<char*>(block_.emplace(bytes).data());
    copy_bytes(block, block_->device(), ints.data(), Device{}, int_bytes);
    if (avg) copy_bytes(block + int_bytes, block_->device(), divs.data(), Device{}, bytes - int_bytes);
    const int64_t* t = reinterpret_cast<const int64_t*>(block);
    w.start_h = t;
    w.end_h = t + host.OH;
    w.start_w = t + 2 * host.OH;
    w.end_w = t + 2 * host.OH + host.OW;
    const double* d = reinterpret_cast<const double*>(block + int_bytes);
    w.div_h = avg ? d : nullptr;
    w.div_w = avg ? d + host.OH : nullptr;
  }

  PoolWindows w;  // the host descriptor with device table pointers

 private:
  std::optional<Scratch> block_;
};

#define ND_FOR_EACH(i, n) \
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); i += int64_t(blockDim.x) * gridDim.x)

// Calls f(o), in increasing o, for every window o of one axis with start[o] <= h < end[o]
// (exactly the windows covering h when dil == 1; dilated ones may skip h). end[] never decreases, so
// the first candidate is found by bisection; start[] also never decreases except where
// windows clipped at a padded edge start at their first tap inside the input (below `dil`),
// so once a start is past h and at least dil, no later window reaches back to h.
template <typename F>
__device__ __forceinline__ void for_covering(const int64_t* start, const int64_t* end, int64_t n, int64_t dil,
                                             int64_t h, F f) {
  int64_t lo = 0, hi = n;
  while (lo < hi) {
    const int64_t mid = (lo + hi) / 2;
    if (end[mid] > h) hi = mid; else lo = mid + 1;
  }
  for (int64_t o = lo; o < n; ++o) {
    const int64_t s = start[o];
    if (s > h && s >= dil) break;
    if (s <= h) f(o);
  }
}

// The CPU kernels' window scan (cpu/max_window.h): the first maximum, or the last NaN.
// Indices and tap codes (Note [Tap codes]) are each written where asked for.
template <typename T>
__global__ void max_pool_kernel(const PoolWindows w, const T* in, T* out, int64_t* indices, uint8_t* taps) {
  ND_FOR_EACH(i, w.planes * w.OH * w.OW) {
    const int64_t ow = i % w.OW, oh = (i / w.OW) % w.OH, p = i / (w.OW * w.OH);
    const T* x = in + p * w.H * w.W;
    const int64_t arg = max_window_arg(w, x, oh, ow);
    // A window wholly in the padding (dilation can step over the input) is -inf, as in PyTorch.
    out[i] = w.start_h[oh] < w.end_h[oh] && w.start_w[ow] < w.end_w[ow] ? x[arg] : -T(INFINITY);
    if (indices) indices[i] = arg;
    if (taps) taps[i] = uint8_t(tap_code(w, oh, ow, arg));
  }
}

// Input element (h, c) receives the gradients of the outputs that picked it (given by flat
// indices or tap codes), in output order.
template <typename T>
__global__ void max_pool_backward_kernel(const PoolWindows w, const T* gout, const int64_t* indices,
                                         const uint8_t* taps, T* gin) {
  ND_FOR_EACH(i, w.planes * w.H * w.W) {
    const int64_t hw = i % (w.H * w.W), h = hw / w.W, c = hw % w.W, p = i / (w.H * w.W);
    const T* go = gout + p * w.OH * w.OW;
    const int64_t o0 = p * w.OH * w.OW;
    T acc = 0;
    for_covering(w.start_h, w.end_h, w.OH, w.dil_h, h, [&](int64_t oh) {
      for_covering(w.start_w, w.end_w, w.OW, w.dil_w, c, [&](int64_t ow) {
        const int64_t k = oh * w.OW + ow;
        const int64_t at = taps ? tap_flat(w, oh, ow, taps[o0 + k]) : indices[o0 + k];
        if (at == hw) acc += go[k];
      });
    });
    gin[i] = acc;
  }
}

// Max unpooling writes src[k] at indices[k]; where indices repeat, the CPU keeps the last k of
// the plane. The winner of each output is found first (an atomic max over k + 1 per output,
// a race whose result does not depend on the order), then every output is written once.
__global__ void unpool_winners_kernel(const PoolWindows w, const int64_t* indices, unsigned long long* winner) {
  ND_FOR_EACH(i, w.planes * w.OH * w.OW) {
    const int64_t p = i / (w.OH * w.OW);
    atomicMax(winner + p * w.H * w.W + indices[i], static_cast<unsigned long long>(i % (w.OH * w.OW) + 1));
  }
}

template <typename T>
__global__ void unpool_write_kernel(const PoolWindows w, const T* src, const unsigned long long* winner, T* out) {
  ND_FOR_EACH(i, w.planes * w.H * w.W) {
    const unsigned long long k = winner[i];
    out[i] = k == 0 ? T(0) : src[(i / (w.H * w.W)) * w.OH * w.OW + int64_t(k) - 1];
  }
}

__device__ __forceinline__ double divisor(const PoolWindows& w, int64_t oh, int64_t ow) {
  return w.divisor_override != 0 ? w.divisor_override : w.div_h[oh] * w.div_w[ow];
}

// Column sums first, then across columns: the CPU kernel's order of additions.
template <typename T> __global__ void avg_pool_kernel(const PoolWindows w, const T* in, T* out) {
  ND_FOR_EACH(i, w.planes * w.OH * w.OW) {
    const int64_t ow = i % w.OW, oh = (i / w.OW) % w.OH, p = i / (w.OW * w.OH);
    const T* x = in + p * w.H * w.W;
    T s = 0;
    for (int64_t c = w.start_w[ow]; c < w.end_w[ow]; ++c) {
      T col = 0;
      for (int64_t h = w.start_h[oh]; h < w.end_h[oh]; ++h) col += x[h * w.W + c];
      s += col;
    }
    out[i] = T(s / divisor(w, oh, ow));
  }
}

// Per covering output row, the sum over covering output columns, then across rows: the CPU
// kernel's order.
template <typename T> __global__ void avg_pool_backward_kernel(const PoolWindows w, const T* gout, T* gin) {
  ND_FOR_EACH(i, w.planes * w.H * w.W) {
    const int64_t hw = i % (w.H * w.W), h = hw / w.W, c = hw % w.W, p = i / (w.H * w.W);
    const T* go = gout + p * w.OH * w.OW;
    T acc = 0;
    for_covering(w.start_h, w.end_h, w.OH, 1, h, [&](int64_t oh) {
      T row = 0;
      for_covering(w.start_w, w.end_w, w.OW, 1, c, [&](int64_t ow) {
        row += T(go[oh * w.OW + ow] / divisor(w, oh, ow));
      });
      acc += row;
    });
    gin[i] = acc;
  }
}

#undef ND_FOR_EACH

template <typename T>
void max_pool_typed(const PoolWindows& host, const void* in, void* out, int64_t* indices, uint8_t* taps) {
  DeviceWindows d(host);
  max_pool_kernel<T><<<grid_for(host.planes * host.OH * host.OW), kBlock>>>(
      d.w, static_cast<const T*>(in), static_cast<T*>(out), indices, taps);
  ND_CUDA_CHECK_LAUNCH(max_pool_kernel);
}

template <typename T> void max_pool_backward_typed(const PoolWindows& host, const void* gout, const int64_t* indices,
                                                   const uint8_t* taps, void* gin) {
  DeviceWindows d(host);
  max_pool_backward_kernel<T><<<grid_for(host.planes * host.H * host.W), kBlock>>>(
      d.w, static_cast<const T*>(gout), indices, taps, static_cast<T*>(gin));
  ND_CUDA_CHECK_LAUNCH(max_pool_backward_kernel);
}

template <typename T> void max_unpool_typed(const PoolWindows& w, const void* src, const int64_t* indices, void* out) {
  const int64_t n = w.planes * w.H * w.W;
  const Scratch winner(size_t(n) * sizeof(unsigned long long));
  ND_CUDA_CHECK(cudaMemsetAsync(winner.data(), 0, size_t(n) * sizeof(unsigned long long)));
  auto* wn = static_cast<unsigned long long*>(winner.data());
  if (w.OH * w.OW > 0) {
    unpool_winners_kernel<<<grid_for(w.planes * w.OH * w.OW), kBlock>>>(w, indices, wn);
    ND_CUDA_CHECK_LAUNCH(unpool_winners_kernel);
  }
  unpool_write_kernel<T><<<grid_for(n), kBlock>>>(w, static_cast<const T*>(src), wn, static_cast<T*>(out));
  ND_CUDA_CHECK_LAUNCH(unpool_write_kernel);
}

template <typename T> void avg_pool_typed(const PoolWindows& host, const void* in, void* out) {
  DeviceWindows d(host);
  avg_pool_kernel<T><<<grid_for(host.planes * host.OH * host.OW), kBlock>>>(d.w, static_cast<const T*>(in),
                                                                          static_cast<T*>(out));
  ND_CUDA_CHECK_LAUNCH(avg_pool_kernel);
}

template <typename T> void avg_pool_backward_typed(const PoolWindows& host, const void* gout, void* gin) {
  DeviceWindows d(host);
  avg_pool_backward_kernel<T><<<grid_for(host.planes * host.H * host.W), kBlock>>>(
      d.w, static_cast<const T*>(gout), static_cast<T*>(gin));
  ND_CUDA_CHECK_LAUNCH(avg_pool_backward_kernel);
}

// The op layer calls these with non-empty outputs only.
void max_pool(const PoolWindows& w, const void* in, void* out, int64_t* indices, uint8_t* taps) {
  if (w.dtype == DType::Float64) max_pool_typed<double>(w, in, out, indices, taps);
  else max_pool_typed<float>(w, in, out, indices, taps);
}

// Max pooling's backward (accumulate, with the forward's tables and its taps or indices)
// gathers; max unpooling (written, arbitrary indices already checked to be inside a plane by
// the op) picks each output's last writer.
void max_pool_backward(const PoolWindows& w, const void* gout, const int64_t* indices, const uint8_t* taps,
                       void* gin, bool accumulate) {
  if (!accumulate) {
    if (w.dtype == DType::Float64) max_unpool_typed<double>(w, gout, indices, gin);
    else max_unpool_typed<float>(w, gout, indices, gin);
    return;
  }
  ND_CHECK(w.start_h != nullptr, Error, "[max_pool2d_backward] needs the forward's windows on CUDA tensors");
  if (w.dtype == DType::Float64) max_pool_backward_typed<double>(w, gout, indices, taps, gin);
  else max_pool_backward_typed<float>(w, gout, indices, taps, gin);
}

void avg_pool(const PoolWindows& w, const void* in, void* out) {
  if (w.dtype == DType::Float64) avg_pool_typed<double>(w, in, out);
  else avg_pool_typed<float>(w, in, out);
}

void avg_pool_backward(const PoolWindows& w, const void* gout, void* gin) {
  if (w.dtype == DType::Float64) avg_pool_backward_typed<double>(w, gout, gin);
  else avg_pool_backward_typed<float>(w, gout, gin);
}

}  // namespace

void register_pooling_kernels() {
  cpu::max_pool_stub.cuda = max_pool;
  cpu::max_pool_backward_stub.cuda = max_pool_backward;
  cpu::avg_pool_stub.cuda = avg_pool;
  cpu::avg_pool_backward_stub.cuda = avg_pool_backward;
}

}  // namespace nd::cuda
