// The CUDA device's limits for the benchmarks' "% of peak" and "% of bandwidth" (nativedl/machine.h):
// an FMA probe and a STREAM triad, timed with CUDA events on the default stream.
#include <algorithm>

#include "cuda/check.cuh"
#include "cuda/runtime.h"
#include "nativedl/machine.h"

namespace nd {
namespace {

constexpr int kChains = 8;  // independent FMA chains per thread: enough to hide the FMA latency

// a and b come in at run time so the chains cannot be folded; the result is stored only when
// it equals `never` (it does not), which keeps every FMA live without a store per thread.
__global__ void fma_probe(float* sink, int iters, float a, float b, float never) {
  float x[kChains];
#pragma unroll
  for (int c = 0; c < kChains; ++c) x[c] = float(threadIdx.x) * 1e-3f + float(c);
  for (int i = 0; i < iters; ++i)
#pragma unroll
    for (int c = 0; c < kChains; ++c) x[c] = fmaf(x[c], a, b);
  float s = 0.0f;
#pragma unroll
  for (int c = 0; c < kChains; ++c) s += x[c];
  if (s == never) *sink = s;
}

// out[i] = b[i] + s * c[i] over n float4s.
__global__ void triad_probe(float4* out, const float4* b, const float4* c, float s, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(blockDim.x) * gridDim.x) {
    const float4 x = b[i], y = c[i];
    out[i] = make_float4(x.x + s * y.x, x.y + s * y.y, x.z + s * y.z, x.w + s * y.w);
  }
}

// Owns a pair of CUDA events and the device buffers of one measurement: the FMA probe's sink,
// then the triad's out, b and c.
struct Probe {
  cudaEvent_t start = nullptr, stop = nullptr;
  void* buffers[4] = {};
  Probe() {
    ND_CUDA_CHECK(cudaEventCreate(&start));
    ND_CUDA_CHECK(cudaEventCreate(&stop));
  }
  ~Probe() {
    for (void* p : buffers)
      if (p) cudaFree(p);
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
  }
  Probe(const Probe&) = delete;
  Probe& operator=(const Probe&) = delete;
  // Seconds of the fastest of `repeats` runs of launch() (after one warm-up run).
  template <typename Launch> double best_seconds(int repeats, const Launch& launch) {
    launch();
    ND_CUDA_CHECK(cudaDeviceSynchronize());
    float best = 0;
    for (int r = 0; r < std::max(1, repeats); ++r) {
      ND_CUDA_CHECK(cudaEventRecord(start));
      launch();
      ND_CUDA_CHECK(cudaEventRecord(stop));
      ND_CUDA_CHECK(cudaEventSynchronize(stop));
      float ms = 0;
      ND_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
      if (r == 0 || ms < best) best = ms;
    }
    return double(best) * 1e-3;
  }
};

}  // namespace

CudaPeak measure_cuda_peak(int64_t array_bytes, int repeats) {
  cuda::check_device({DeviceType::CUDA, -1}, "measure_cuda_peak");
  int device = 0, sms = 0;
  ND_CUDA_CHECK(cudaGetDevice(&device));
  ND_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  Probe probe;
  CudaPeak peak;

  // 8 blocks of 256 threads per SM keep every scheduler issuing; ~1e11 FMAs per launch.
  const int blocks = 8 * sms, iters = 1 << 16;
  ND_CUDA_CHECK(cudaMalloc(&probe.buffers[0], sizeof(float)));  // never written (see fma_probe)
  const double fma_s = probe.best_seconds(repeats, [&] {
    fma_probe<<<blocks, cuda::kBlock>>>(static_cast<float*>(probe.buffers[0]), iters, 0.999999f, 1e-7f, -1.0f);
    ND_CUDA_CHECK_LAUNCH(fma_probe);
  });
  peak.fma_gflops = 2.0 * kChains * double(iters) * double(blocks) * cuda::kBlock / fma_s / 1e9;

  // Triad over three arrays of array_bytes (rounded down to whole float4s), as STREAM counts it.
  const int64_t n = std::max<int64_t>(1, array_bytes / int64_t(sizeof(float4)));
  for (int k = 1; k < 4; ++k) {
    ND_CUDA_CHECK(cudaMalloc(&probe.buffers[k], size_t(n) * sizeof(float4)));
    ND_CUDA_CHECK(cudaMemset(probe.buffers[k], 0, size_t(n) * sizeof(float4)));
  }
  const double triad_s = probe.best_seconds(repeats, [&] {
    triad_probe<<<cuda::grid_for(n), cuda::kBlock>>>(static_cast<float4*>(probe.buffers[1]),
                                                     static_cast<const float4*>(probe.buffers[2]),
                                                     static_cast<const float4*>(probe.buffers[3]), 3.0f, n);
    ND_CUDA_CHECK_LAUNCH(triad_probe);
  });
  peak.triad_gbs = 3.0 * double(n) * sizeof(float4) / triad_s / 1e9;
  return peak;
}

}  // namespace nd
