// This machine's limits, measured with the active kernel set: what benchmarks express their
// results against ("% of peak", "% of bandwidth").
#pragma once
#include <cstdint>

namespace nd {

/// Float32 FMA throughput in GFLOP/s with `threads` threads each running independent FMA
/// chains in registers on the widest vectors of the active kernel set (cpu_isa()); the best
/// of several rounds lasting `seconds` in all. Each thread's rate is taken over its own CPU
/// time, so other jobs sharing the cores do not lower it: it is what `threads` cores can do
/// (the sum of the threads' rates; threads beyond the core count are not meaningful).
double measure_fma_peak(double seconds, int threads);

/// STREAM memory bandwidth in GB/s (1e9 bytes/s) with `threads` threads over float32 arrays of
/// `array_bytes` each (far larger than the last-level cache for a meaningful figure); the best
/// of `repeats` passes, each timed by its slowest thread's CPU time. Bytes count STREAM's way:
/// copy a[i] = b[i] moves 2 arrays, triad a[i] = b[i] + s * c[i] moves 3 (the write-allocate
/// read of a is not counted).
struct StreamBandwidth {
  double copy_gbs = 0;
  double triad_gbs = 0;
};
StreamBandwidth measure_stream_bandwidth(int64_t array_bytes, int threads, int repeats);

/// The current CUDA device's limits, for the CUDA benchmark rows: float32 FMA throughput (every
/// SM running independent FMA chains in registers) and the STREAM triad bandwidth of device
/// memory over float32 arrays of `array_bytes` each, both timed with CUDA events, the best of
/// `repeats` launches. Throws without a CUDA device (or in a build without CUDA).
struct CudaPeak {
  double fma_gflops = 0;
  double triad_gbs = 0;
};
CudaPeak measure_cuda_peak(int64_t array_bytes, int repeats);

}  // namespace nd
