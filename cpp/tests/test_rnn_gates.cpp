// The CUDA recurrent gate math (cuda/rnn_gates.h) run on the host, one (row, unit) at a time as
// the GPU threads run it, against the CPU gate kernels on the same step: every mode, both float
// dtypes, biases, frozen rows (lengths), the in-place LSTM gates and dc, and an LSTM projection
// (P < H) whose frozen rows pass on P-wide state gradients.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "cpu/rnn_kernels.h"
#include "cuda/rnn_gates.h"

namespace {

using nd::cpu::RnnMode;
using nd::cpu::RnnStepArgs;

struct Case {
  RnnMode mode;
  bool lengths, bias, proj;
};

template <typename T> std::vector<T> random(size_t n, std::mt19937& rng) {
  std::normal_distribution<double> d(0.0, 1.5);
  std::vector<T> v(n);
  for (T& x : v) x = T(d(rng));
  return v;
}

template <typename T> void expect_close(const std::vector<T>& want, const std::vector<T>& got, const char* what,
                                        const Case& c) {
  ASSERT_EQ(want.size(), got.size());
  // The CPU kernels' SIMD tanh/exp are polynomial approximations; the functors call libm.
  const T tol = std::is_same_v<T, float> ? T(2e-5) : T(1e-12);
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(double(got[i]), double(want[i]), double(tol * std::max(T(1), std::fabs(want[i]))))
        << what << "[" << i << "] mode " << int(c.mode) << " lengths " << c.lengths << " bias " << c.bias << " proj "
        << c.proj;
}

template <typename T> void check(const Case& c) {
  nd::cpu::register_all_kernels();
  std::mt19937 rng(7);
  const int64_t B = 5, H = 7, P = c.proj ? 3 : H, G = nd::cpu::rnn_gate_count(c.mode), GH = G * H;
  const int64_t GS = c.mode == RnnMode::Gru ? 4 * H : GH, t = 2;
  const bool lstm = c.mode == RnnMode::Lstm, gru = c.mode == RnnMode::Gru;
  const std::vector<int64_t> lengths{4, 2, 3, 0, 2};  // rows 1, 3, 4 are frozen at t = 2
  const std::vector<T> bi = random<T>(GH, rng), bh = random<T>(GH, rng);
  RnnStepArgs a{c.mode, nd::dtype_of<T>::value, B, H, P, c.proj, c.lengths ? lengths.data() : nullptr, t,
                c.bias ? bi.data() : nullptr, c.bias ? bh.data() : nullptr};

  // Forward: the LSTM writes its gates over gi (the sequence layer's layout).
  const std::vector<T> gi = random<T>(B * GH, rng), gh = random<T>(B * GH, rng);
  const std::vector<T> hp = random<T>(B * H, rng), cp = random<T>(B * H, rng);
  struct Out {
    std::vector<T> gi, gates, h, c, y;
  };
  auto fresh = [&]() { return Out{gi, std::vector<T>(B * GS, T(9)), std::vector<T>(B * H, T(9)),
                                  std::vector<T>(B * H, T(9)), std::vector<T>(B * H, T(9))}; };
  Out want = fresh(), got = fresh();
  auto gates_of = [&](Out& o) { return lstm ? o.gi.data() : (gru ? o.gates.data() : nullptr); };
  nd::cpu::select(nd::cpu::rnn_forward_stub)(a, want.gi.data(), gru || !c.bias ? gh.data() : nullptr, hp.data(),
                                             lstm ? cp.data() : nullptr, gates_of(want), want.h.data(),
                                             lstm ? want.c.data() : nullptr, c.proj ? nullptr : want.y.data());
  const nd::cuda::rnn::FwdBufs<T> fb{got.gi.data(),   gru || !c.bias ? gh.data() : nullptr,
                                     hp.data(),       lstm ? cp.data() : nullptr,
                                     gates_of(got),   got.h.data(),
                                     lstm ? got.c.data() : nullptr, c.proj ? nullptr : got.y.data()};
  for (int64_t b = 0; b < B; ++b)
    for (int64_t j = 0; j < H; ++j) nd::cuda::rnn::forward_unit(a, fb, b, j);
  expect_close(want.gi, got.gi, "gi/gates", c);
  expect_close(want.gates, got.gates, "gates", c);
  expect_close(want.h, got.h, "h", c);
  expect_close(want.c, got.c, "c", c);
  expect_close(want.y, got.y, "y", c);

  // Backward from the forward's saved state.
  const std::vector<T> gates = lstm ? want.gi : want.gates;
  const std::vector<T> dh = random<T>(B * H, rng), dstate = random<T>(B * P, rng), dc0 = random<T>(B * H, rng);
  const std::vector<T> dhp0 = random<T>(B * P, rng);
  struct Grads {
    std::vector<T> dc, dgi, dgh, dhp;
  };
  auto zeros = [&]() { return Grads{dc0, std::vector<T>(B * GH, T(9)), std::vector<T>(B * GH, T(9)), dhp0}; };
  Grads gw = zeros(), gg = zeros();
  nd::cpu::select(nd::cpu::rnn_backward_stub)(a, lstm || gru ? gates.data() : nullptr, hp.data(),
                                              lstm ? cp.data() : nullptr, want.h.data(),
                                              lstm ? want.c.data() : nullptr, dh.data(), dstate.data(),
                                              lstm ? gw.dc.data() : nullptr, gw.dgi.data(),
                                              gru ? gw.dgh.data() : nullptr, gw.dhp.data());
  const nd::cuda::rnn::BwdBufs<T> bb{lstm || gru ? gates.data() : nullptr, hp.data(), lstm ? cp.data() : nullptr,
                                     want.h.data(), lstm ? want.c.data() : nullptr, dh.data(), dstate.data(),
                                     lstm ? gg.dc.data() : nullptr, gg.dgi.data(), gru ? gg.dgh.data() : nullptr,
                                     gg.dhp.data()};
  for (int64_t b = 0; b < B; ++b)
    for (int64_t j = 0; j < std::max(H, P); ++j) nd::cuda::rnn::backward_unit(a, bb, b, j);
  expect_close(gw.dc, gg.dc, "dc", c);
  expect_close(gw.dgi, gg.dgi, "dgi", c);
  expect_close(gw.dgh, gg.dgh, "dgh", c);
  expect_close(gw.dhp, gg.dhp, "dh_prev", c);
}

const Case kCases[] = {
    {RnnMode::Tanh, false, true, false}, {RnnMode::Tanh, true, false, false}, {RnnMode::Relu, true, true, false},
    {RnnMode::Lstm, false, true, false}, {RnnMode::Lstm, true, true, false},  {RnnMode::Lstm, true, false, true},
    {RnnMode::Gru, false, true, false},  {RnnMode::Gru, true, true, false},   {RnnMode::Gru, true, false, false},
};

TEST(RnnGates, FloatMatchesTheCpuKernels) {
  for (const Case& c : kCases) check<float>(c);
}

TEST(RnnGates, DoubleMatchesTheCpuKernels) {
  for (const Case& c : kCases) check<double>(c);
}

}  // namespace
