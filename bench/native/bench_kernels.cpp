// nativedl's kernels timed from C++, without Python: the rows of `python -m bench` that set the
// performance targets, against this machine's FMA peak and STREAM bandwidth (nativedl/machine.h).
//
//   bench_kernels [--threads N] [--repeat N] [--filter SUBSTR] [--quick]
//
// Each case runs once as a warm-up, then in samples of enough calls to last ~20 ms; the median
// sample gives the time per call. --quick runs small shapes briefly, only to check that it works.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <numeric>
#include <string>
#include <vector>

#include "nativedl/machine.h"
#include "nativedl/nativedl.h"

namespace {

using Clock = std::chrono::steady_clock;
using Call = std::function<void()>;

struct Options {
  int threads = 0;  // 0: nativedl's default (all cores)
  int repeat = 5;
  bool quick = false;
  std::string filter;
};

/// One benchmark: setup(quick) builds the inputs and returns the call to time; work(quick) is
/// the flops (compute-bound cases) or bytes (bandwidth-bound ones) of one call.
struct Case {
  std::string name;
  bool bandwidth_bound;
  std::function<Call(bool quick)> setup;
  std::function<double(bool quick)> work;
};

nd::Shape pick(bool quick, nd::Shape full, nd::Shape small) { return quick ? small : full; }

double numel(const nd::Shape& s) {
  return std::accumulate(s.begin(), s.end(), 1.0, [](double a, int64_t d) { return a * double(d); });
}

nd::Tensor leaf(const nd::Shape& s) { return nd::randn(s, nd::TensorOptions().with_requires_grad(true)); }

/// Forward and backward: the gradients of (f() * g).sum() w.r.t. `inputs`, g fixed random.
Call fwd_bwd(std::function<nd::Tensor()> f, nd::TensorList inputs) {
  nd::Tensor g = nd::randn(f().shape());
  return [f, inputs, g] { nd::autograd::grad({f()}, inputs, {g}, false, false, false); };
}

// Shapes: the target rows (quick: small stand-ins).
const nd::Shape kConv{16, 64, 56, 56}, kConvQ{2, 8, 14, 14};
const nd::Shape kDw{8, 512, 32, 32}, kDwQ{2, 16, 16, 16};
const nd::Shape kPool{16, 64, 112, 112}, kPoolQ{2, 16, 28, 28};
const nd::Shape kBn{32, 64, 56, 56}, kBnQ{4, 16, 14, 14};
const nd::Shape kSoftmax{1024, 1000}, kSoftmaxQ{64, 100};
const nd::Shape kAdd{int64_t(1) << 24}, kAddQ{int64_t(1) << 16};
const nd::Shape kLstm{50, 32, 128, 256}, kLstmQ{5, 4, 16, 32};  // (T, B, input, hidden)

Case sgemm(int64_t n) {
  auto size = [n](bool q) { return q ? std::min<int64_t>(n, 128) : n; };
  return {"sgemm " + std::to_string(n), false,
          [size](bool q) {
            nd::Tensor a = nd::randn({size(q), size(q)}), b = nd::randn({size(q), size(q)});
            return Call([a, b] { nd::matmul(a, b); });
          },
          [size](bool q) { return 2.0 * std::pow(double(size(q)), 3); }};
}

double conv_flops(const nd::Shape& s, int64_t c_out, int64_t c_per_group) {
  return 2.0 * double(s[0]) * double(c_out) * double(s[2]) * double(s[3]) * double(c_per_group) * 9;
}

Case conv3x3(bool backward) {
  return {backward ? "conv2d 3x3 64->64 fwd+bwd" : "conv2d 3x3 64->64 fwd", false,
          [backward](bool q) {
            const nd::Shape s = pick(q, kConv, kConvQ);
            nd::Tensor x = leaf(s), w = leaf({s[1], s[1], 3, 3});
            auto f = [x, w] { return nd::conv2d(x, w, {}, {1, 1}, {1, 1}); };
            return backward ? fwd_bwd(f, {x, w}) : Call([f] { f(); });
          },
          [backward](bool q) {
            const nd::Shape s = pick(q, kConv, kConvQ);
            return conv_flops(s, s[1], s[1]) * (backward ? 3 : 1);
          }};
}

std::vector<Case> cases() {
  std::vector<Case> all = {sgemm(1024), sgemm(2048), conv3x3(false), conv3x3(true)};
  all.push_back({"depthwise 3x3 C=512 fwd", true,
                 [](bool q) {
                   const nd::Shape s = pick(q, kDw, kDwQ);
                   nd::Tensor x = nd::randn(s), w = nd::randn({s[1], 1, 3, 3});
                   return Call([x, w, c = s[1]] { nd::conv2d(x, w, {}, {1, 1}, {1, 1}, {1, 1}, c); });
                 },
                 [](bool q) { return 4 * (2 * numel(pick(q, kDw, kDwQ)) + 9 * double(pick(q, kDw, kDwQ)[1])); }});
  all.push_back({"max_pool2d 3x3 s2 fwd", true,
                 [](bool q) {
                   nd::Tensor x = nd::randn(pick(q, kPool, kPoolQ));
                   return Call([x] { nd::max_pool2d_with_indices(x, {3, 3}, {2, 2}, {1, 1}); });
                 },
                 [](bool q) { return 4 * 1.25 * numel(pick(q, kPool, kPoolQ)); }});
  all.push_back({"batch_norm train fwd+bwd", true,
                 [](bool q) {
                   const nd::Shape s = pick(q, kBn, kBnQ);
                   nd::Tensor x = leaf(s), w = leaf({s[1]}), b = leaf({s[1]});
                   auto f = [x, w, b] { return nd::batch_norm(x, w, b, {}, {}, true, 0.1, 1e-5); };
                   return fwd_bwd(f, {x, w, b});
                 },
                 [](bool q) { return 4 * 5 * numel(pick(q, kBn, kBnQ)); }});
  all.push_back({"softmax dim=1", true,
                 [](bool q) {
                   nd::Tensor x = nd::randn(pick(q, kSoftmax, kSoftmaxQ));
                   return Call([x] { nd::softmax(x, 1); });
                 },
                 [](bool q) { return 4 * 2 * numel(pick(q, kSoftmax, kSoftmaxQ)); }});
  all.push_back({"lstm seq fwd+bwd", false,
                 [](bool q) {
                   const nd::Shape s = pick(q, kLstm, kLstmQ);
                   const int64_t T = s[0], B = s[1], I = s[2], H = s[3];
                   nd::Tensor x = leaf({T, B, I});
                   nd::TensorList params = {leaf({4 * H, I}), leaf({4 * H, H}), leaf({4 * H}), leaf({4 * H})};
                   auto f = [x, params] {
                     return nd::rnn("LSTM", x, {}, params, true, 1, 0.0, true, false, false, 0, {})[0];
                   };
                   nd::TensorList inputs = params;
                   inputs.insert(inputs.begin(), x);
                   return fwd_bwd(f, inputs);
                 },
                 [](bool q) {
                   const nd::Shape s = pick(q, kLstm, kLstmQ);
                   return 3 * 2.0 * double(s[0]) * double(s[1]) * double(s[2] + s[3]) * 4 * double(s[3]);
                 }});
  all.push_back({"add 16M (fresh output)", true,
                 [](bool q) {
                   nd::Tensor a = nd::randn(pick(q, kAdd, kAddQ)), b = nd::randn(pick(q, kAdd, kAddQ));
                   return Call([a, b] { (void)(a + b); });
                 },
                 [](bool q) { return 4 * 3 * numel(pick(q, kAdd, kAddQ)); }});
  return all;
}

double seconds(const Call& fn, int64_t inner) {
  const auto t0 = Clock::now();
  for (int64_t i = 0; i < inner; ++i) fn();
  return std::chrono::duration<double>(Clock::now() - t0).count() / double(inner);
}

/// Median seconds per call over `repeat` samples of at least `min_sample_s` each.
double time_call(const Call& fn, int repeat, double min_sample_s) {
  fn();
  int64_t inner = 1;
  while (seconds(fn, inner) * double(inner) < min_sample_s) inner *= 2;
  std::vector<double> samples;
  for (int r = 0; r < repeat; ++r) samples.push_back(seconds(fn, inner));
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

int usage(const char* argv0) {
  std::fprintf(stderr, "usage: %s [--threads N] [--repeat N] [--filter SUBSTR] [--quick]\n", argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--quick") {
      opt.quick = true;
    } else if (arg == "--threads" && has_value) {
      opt.threads = std::atoi(argv[++i]);
    } else if (arg == "--repeat" && has_value) {
      opt.repeat = std::atoi(argv[++i]);
    } else if (arg == "--filter" && has_value) {
      opt.filter = argv[++i];
    } else {
      return usage(argv[0]);
    }
  }
  if (opt.threads < 0 || opt.repeat < 1) return usage(argv[0]);
  if (opt.threads > 0) nd::set_num_threads(opt.threads);
  const int threads = nd::get_num_threads();
  nd::manual_seed(0);

  // The machine's limits at this thread count; --quick only checks that the probes run.
  const double peak = nd::measure_fma_peak(opt.quick ? 0.02 : 0.3, threads);
  const nd::StreamBandwidth bw = nd::measure_stream_bandwidth(opt.quick ? int64_t(1) << 20 : int64_t(128) << 20,
                                                              threads, opt.quick ? 1 : 5);
  std::printf("nativedl %s, %s kernels, %d thread(s): FMA peak %.1f GFLOP/s, STREAM triad %.1f GB/s, copy %.1f GB/s\n",
              nd::version(), nd::cpu_isa(), threads, peak, bw.triad_gbs, bw.copy_gbs);
  std::printf("%-28s %10s %14s %8s\n", "case", "ms", "rate", "% limit");
  int ran = 0;
  for (const Case& c : cases()) {
    if (c.name.find(opt.filter) == std::string::npos) continue;
    const double s = time_call(c.setup(opt.quick), opt.quick ? 1 : opt.repeat, opt.quick ? 0.0 : 0.02);
    const double rate = c.work(opt.quick) / s / 1e9;
    const double limit = c.bandwidth_bound ? bw.triad_gbs : peak;
    std::printf("%-28s %10.3f %6.1f %-7s %7.1f%%\n", c.name.c_str(), s * 1e3, rate,
                c.bandwidth_bound ? "GB/s" : "GFLOP/s", 100 * rate / limit);
    std::fflush(stdout);
    ++ran;
  }
  if (ran == 0) {
    std::fprintf(stderr, "no case matches --filter '%s'\n", opt.filter.c_str());
    return 1;
  }
  return 0;
}
