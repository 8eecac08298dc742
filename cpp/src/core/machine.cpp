// Machine-limit measurements (nativedl/machine.h): threads and timing around the per-ISA probes
// of cpu/kernels/peak.cpp.
#include "nativedl/machine.h"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <utility>
#include <vector>

#include "core/parallel.h"
#include "cpu/peak_kernels.h"
#include "nativedl/errors.h"
#include "nativedl/runtime.h"

namespace nd {

namespace cpu {
DispatchStub<FmaProbeKernel> fma_probe_stub;
DispatchStub<StreamCopyKernel> stream_copy_stub;
DispatchStub<StreamTriadKernel> stream_triad_stub;
}  // namespace cpu

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// CPU time of the calling thread: it stops while the thread is descheduled.
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

// Runs fn(thread_index) on exactly `threads` threads at once, restoring the thread setting after.
template <typename F> void on_threads(int threads, const F& fn) {
  const int saved = get_num_threads();
  set_num_threads(threads);
  try {
    core::parallel_for(0, threads, 1, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) fn(t);
    });
  } catch (...) {
    set_num_threads(saved);
    throw;
  }
  set_num_threads(saved);
}

// Calls the probe in bursts of this many iterations (well under a millisecond each) until the deadline.
constexpr int64_t kFmaBurst = 1 << 16;
// Rounds of the peak measurement: the best one counts (the first includes waking the threads and
// the clock ramping up).
constexpr int kFmaRounds = 5;

struct AlignedFree {
  void operator()(float* p) const { std::free(p); }
};
using FloatBuffer = std::unique_ptr<float[], AlignedFree>;

FloatBuffer aligned_floats(int64_t n) {
  const size_t bytes = (size_t(n) * sizeof(float) + 63) / 64 * 64;
  auto* p = static_cast<float*>(std::aligned_alloc(64, bytes));
  ND_CHECK(p != nullptr, Error, "[measure_stream_bandwidth] cannot allocate ", bytes, " bytes");
  return FloatBuffer(p);
}

}  // namespace

double measure_fma_peak(double seconds, int threads) {
  ND_CHECK(seconds > 0 && seconds <= 60, ValueError, "[measure_fma_peak] seconds must be in (0, 60], got ", seconds);
  ND_CHECK(threads >= 1, ValueError, "[measure_fma_peak] threads must be positive, got ", threads);
  const auto probe = cpu::select(cpu::fma_probe_stub);
  std::vector<double> rate(size_t(threads), 0.0);  // per thread: flops per second of its CPU time
  std::vector<float> sink(size_t(threads) * 16, 0.0f);  // one cache line per thread
  double best = 0;
  for (int round = 0; round < kFmaRounds; ++round) {
    const auto t0 = Clock::now();
    const double round_s = seconds / kFmaRounds;
    on_threads(threads, [&](int64_t t) {
      const double cpu0 = thread_cpu_seconds();
      double flops = 0;
      do {
        flops += probe(kFmaBurst, &sink[size_t(t) * 16]);
      } while (seconds_since(t0) < round_s);
      rate[size_t(t)] = flops / (thread_cpu_seconds() - cpu0);
    });
    double total = 0;
    for (double r : rate) total += r;
    best = std::max(best, total / 1e9);
  }
  return best;
}

StreamBandwidth measure_stream_bandwidth(int64_t array_bytes, int threads, int repeats) {
  ND_CHECK(array_bytes >= 4096, ValueError, "[measure_stream_bandwidth] array_bytes must be at least 4096, got ",
           array_bytes);
  ND_CHECK(threads >= 1, ValueError, "[measure_stream_bandwidth] threads must be positive, got ", threads);
  ND_CHECK(repeats >= 1, ValueError, "[measure_stream_bandwidth] repeats must be positive, got ", repeats);
  const int64_t n = array_bytes / int64_t(sizeof(float));
  FloatBuffer a = aligned_floats(n), b = aligned_floats(n), c = aligned_floats(n);
  const auto copy = cpu::select(cpu::stream_copy_stub);
  const auto triad = cpu::select(cpu::stream_triad_stub);
  // Each thread works on the same contiguous slice in every pass, the first (which faults the
  // pages in) included.
  const auto slice = [n, threads](int64_t t) {
    const int64_t chunk = (n + threads - 1) / threads;
    return std::pair<int64_t, int64_t>(std::min(n, t * chunk), std::min(n, (t + 1) * chunk));
  };
  on_threads(threads, [&](int64_t t) {
    auto [lo, hi] = slice(t);
    std::fill(a.get() + lo, a.get() + hi, 0.0f);
    std::fill(b.get() + lo, b.get() + hi, 1.0f);
    std::fill(c.get() + lo, c.get() + hi, 2.0f);
  });
  // A pass's time is its slowest thread's CPU time (descheduled time excluded, like the FMA peak's).
  std::vector<double> cpu(size_t(threads), 0.0);
  const auto timed_pass = [&](const auto& kernel) {
    on_threads(threads, [&](int64_t t) {
      const double cpu0 = thread_cpu_seconds();
      auto [lo, hi] = slice(t);
      kernel(lo, hi);
      cpu[size_t(t)] = thread_cpu_seconds() - cpu0;
    });
    return *std::max_element(cpu.begin(), cpu.end());
  };
  double best_copy = 0, best_triad = 0;
  const double bytes = double(n) * sizeof(float);
  for (int r = 0; r < repeats; ++r) {
    const double copy_s = timed_pass([&](int64_t lo, int64_t hi) { copy(a.get() + lo, b.get() + lo, hi - lo); });
    best_copy = std::max(best_copy, 2 * bytes / copy_s / 1e9);
    const double triad_s = timed_pass(
        [&](int64_t lo, int64_t hi) { triad(a.get() + lo, b.get() + lo, c.get() + lo, 3.0f, hi - lo); });
    best_triad = std::max(best_triad, 3 * bytes / triad_s / 1e9);
  }
  return {best_copy, best_triad};
}

}  // namespace nd
