// The max-pooling window scan of the CUDA kernel (cuda/pool.cu), and the tap-code conversions
// it shares with the CPU kernels (cpu/kernels/pooling.cpp, once per ISA), whose separable
// scan picks the same element (the first maximum, or the last NaN).
// Per-ISA copies live in the ISA's namespace (Note [ISA namespaces]); nvcc's in nd::cuda.
#pragma once
#include <cmath>
#include <cstdint>

#include "core/host_device.h"
#include "cpu/pooling_kernels.h"

#ifdef __CUDACC__
namespace nd::cuda {
#else
namespace nd::cpu::NATIVEDL_ISA {
#endif

// Data-dependent branches mispredict on a max scan with argmax bookkeeping per window, so the
// scan is two branch-free passes: the maximum (a max instruction, NaN noted aside), then the
// index of its first occurrence (integer selects). A window with a NaN takes the NaN path: its
// last NaN wins, as in PyTorch. Returns the winner's offset in the plane x.
template <typename T>
ND_HD int64_t max_window_arg(const cpu::PoolWindows& w, const T* x, int64_t oh, int64_t ow) {
  const int64_t h0 = w.start_h[oh], h1 = w.end_h[oh], c0 = w.start_w[ow], c1 = w.end_w[ow];
  T best = -T(INFINITY);
  bool nan = false;
  for (int64_t h = h0; h < h1; h += w.dil_h)
    for (int64_t c = c0; c < c1; c += w.dil_w) {
      const T v = x[h * w.W + c];
      best = v > best ? v : best;
      nan |= v != v;
    }
  int64_t arg = h0 * w.W + c0;
  bool found = false;
  for (int64_t h = h0; h < h1; h += w.dil_h)
    for (int64_t c = c0; c < c1; c += w.dil_w) {
      const T v = x[h * w.W + c];
      const bool hit = nan ? v != v : !found && v == best;
      arg = hit ? h * w.W + c : arg;
      found |= hit;
    }
  return arg;
}

// Note [Tap codes]: the code of flat position `arg` in window (oh, ow), and back.
ND_HD int64_t tap_code(const cpu::PoolWindows& w, int64_t oh, int64_t ow, int64_t arg) {
  return (arg / w.W - w.start_h[oh]) / w.dil_h * w.tap_cols + (arg % w.W - w.start_w[ow]) / w.dil_w;
}
ND_HD int64_t tap_flat(const cpu::PoolWindows& w, int64_t oh, int64_t ow, int64_t code) {
  return (w.start_h[oh] + code / w.tap_cols * w.dil_h) * w.W + w.start_w[ow] + code % w.tap_cols * w.dil_w;
}

}  // namespace
