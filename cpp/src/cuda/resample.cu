// Interpolation (nearest, linear, bilinear, bicubic; align_corners either way) over the op
// layer's tap tables (Note [Resampling taps]) on the GPU. The forward runs one thread per output
// element, blending its taps_h x taps_w inputs. The backward runs one thread per input element,
// which gathers from the outputs that tap it through inverted tables built on the host (per
// input row: the (output row, weight) pairs naming it, in increasing order; likewise columns),
// so no two threads write one address (no atomics) and every sum runs in the CPU kernel's order:
// the results equal the CPU's. The tables are copied to one device block per call.
#include <cstring>
#include <optional>
#include <vector>

#include "cpu/pooling_kernels.h"
#include "cuda/check.cuh"
#include "cuda/runtime.h"

namespace nd::cuda {
namespace {

using cpu::ResampleTaps;

// One axis of the transpose: input i is tapped by out[e] with weight wt[e] for e in [off[i], off[i + 1]).
struct Inverse {
  const int64_t* off;
  const int64_t* out;
  const double* wt;
};

// Packs int64 and double tables into one device Scratch block; pointers into it are handed out
// in order of adding.
class DeviceTables {
 public:
  template <typename T> size_t add(const T* p, size_t n) {
    static_assert(sizeof(T) == 8, "tables hold 8-byte entries");
    const size_t at = host_.size();
    host_.resize(at + n);
    if (n > 0) std::memcpy(host_.data() + at, p, n * 8);
    return at;
  }
  void upload() {
    block_.emplace(host_.size() * 8 + 8);
    copy_bytes(block_->data(), block_->device(), host_.data(), Device{}, host_.size() * 8);
  }
  template <typename T> const T* at(size_t slot) const {
    return reinterpret_cast<const T*>(static_cast<uint64_t*>(block_->data()) + slot);
  }

 private:
  std::vector<uint64_t> host_;
  std::optional<Scratch> block_;
};

// The inverse of one axis's taps (out_n outputs x taps, into in_n inputs), appended to `d`;
// returns the slots of (off, out, wt).
struct InverseSlots { size_t off, out, wt; };
InverseSlots add_inverse(DeviceTables& d, const int64_t* idx, const double* wt, int taps, int64_t out_n, int64_t in_n) {
  std::vector<int64_t> off(size_t(in_n) + 1, 0);
  for (int64_t e = 0; e < out_n * taps; ++e) ++off[size_t(idx[e]) + 1];
  for (int64_t i = 0; i < in_n; ++i) off[size_t(i) + 1] += off[size_t(i)];
  std::vector<int64_t> fill(off.begin(), off.end() - 1), out(size_t(out_n * taps));
  std::vector<double> w(size_t(out_n * taps));
  for (int64_t o = 0; o < out_n; ++o)  // increasing (o, k): the CPU kernel's order of additions
    for (int k = 0; k < taps; ++k) {
      const int64_t e = o * taps + k, slot = fill[size_t(idx[e])]++;
      out[size_t(slot)] = o;
      w[size_t(slot)] = wt[e];
    }
  return {d.add(off.data(), off.size()), d.add(out.data(), out.size()), d.add(w.data(), w.size())};
}

#define ND_FOR_EACH(i, n) \
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); i += int64_t(blockDim.x) * gridDim.x)

// Rows blended first, then columns, in double: the CPU kernel's order.
template <typename T> __global__ void resample_kernel(const ResampleTaps t, const T* in, T* out) {
  ND_FOR_EACH(i, t.planes * t.OH * t.OW) {
    const int64_t ow = i % t.OW, oh = (i / t.OW) % t.OH, p = i / (t.OW * t.OH);
    const T* x = in + p * t.H * t.W;
    double s = 0;
    for (int kw = 0; kw < t.taps_w; ++kw) {
      const int64_t c = t.idx_w[ow * t.taps_w + kw];
      double row = 0;
      for (int kh = 0; kh < t.taps_h; ++kh)
        row += t.wt_h[oh * t.taps_h + kh] * double(x[t.idx_h[oh * t.taps_h + kh] * t.W + c]);
      s += t.wt_w[ow * t.taps_w + kw] * row;
    }
    out[i] = T(s);
  }
}

// Per tapping output row (increasing), the column blend of that row, added to the T result:
// the CPU kernel's order and rounding.
template <typename T>
__global__ void resample_backward_kernel(const ResampleTaps t, const Inverse ih, const Inverse iw, const T* gout,
                                         T* gin) {
  ND_FOR_EACH(i, t.planes * t.H * t.W) {
    const int64_t c = i % t.W, h = (i / t.W) % t.H, p = i / (t.W * t.H);
    const T* go = gout + p * t.OH * t.OW;
    T acc = 0;
    for (int64_t e = ih.off[h]; e < ih.off[h + 1]; ++e) {
      const T* gr = go + ih.out[e] * t.OW;
      double row = 0;
      for (int64_t f = iw.off[c]; f < iw.off[c + 1]; ++f) row += iw.wt[f] * double(gr[iw.out[f]]);
      acc = T(double(acc) + ih.wt[e] * row);
    }
    gin[i] = acc;
  }
}

#undef ND_FOR_EACH

// The op layer calls these with non-empty outputs only.
void resample(const ResampleTaps& host, const void* in, void* out) {
  DeviceTables d;
  const size_t idx_h = d.add(host.idx_h, size_t(host.OH * host.taps_h));
  const size_t wt_h = d.add(host.wt_h, size_t(host.OH * host.taps_h));
  const size_t idx_w = d.add(host.idx_w, size_t(host.OW * host.taps_w));
  const size_t wt_w = d.add(host.wt_w, size_t(host.OW * host.taps_w));
  d.upload();
  ResampleTaps t = host;  // with device tables
  t.idx_h = d.at<int64_t>(idx_h);
  t.wt_h = d.at<double>(wt_h);
  t.idx_w = d.at<int64_t>(idx_w);
  t.wt_w = d.at<double>(wt_w);
  auto run = [&](auto zero) {
    using T = decltype(zero);
    resample_kernel<T><<<grid_for(t.planes * t.OH * t.OW), kBlock>>>(t, static_cast<const T*>(in), static_cast<T*>(out));
    ND_CUDA_CHECK_LAUNCH(resample_kernel);
  };
  if (t.dtype == DType::Float64) run(double(0)); else run(float(0));
}

void resample_backward(const ResampleTaps& t, const void* gout, void* gin) {
  DeviceTables d;
  const InverseSlots h = add_inverse(d, t.idx_h, t.wt_h, t.taps_h, t.OH, t.H);
  const InverseSlots w = add_inverse(d, t.idx_w, t.wt_w, t.taps_w, t.OW, t.W);
  d.upload();
  const Inverse ih{d.at<int64_t>(h.off), d.at<int64_t>(h.out), d.at<double>(h.wt)};
  const Inverse iw{d.at<int64_t>(w.off), d.at<int64_t>(w.out), d.at<double>(w.wt)};
  auto run = [&](auto zero) {
    using T = decltype(zero);
    resample_backward_kernel<T><<<grid_for(t.planes * t.H * t.W), kBlock>>>(t, ih, iw, static_cast<const T*>(gout),
                                                                            static_cast<T*>(gin));
    ND_CUDA_CHECK_LAUNCH(resample_backward_kernel);
  };
  if (t.dtype == DType::Float64) run(double(0)); else run(float(0));
}

}  // namespace

void register_resample_kernels() {
  cpu::resample_stub.cuda = resample;
  cpu::resample_backward_stub.cuda = resample_backward;
}

}  // namespace nd::cuda
