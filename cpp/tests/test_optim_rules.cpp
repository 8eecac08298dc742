// The fused optimizer rules (cpu/optim_rules.h) over one element at a time, as the CUDA kernels
// run them (ScalarLanes), against the CPU's vector kernels on the same buffers and coefficients:
// the GPU's optimizer math is checked on every machine, with or without a GPU.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "cpu/optim_kernels.h"
#include "cpu/optim_rules.h"

namespace {

namespace optim = nd::cuda::optim;

// A parameter, its gradient and three state buffers of n elements, with varied signs and sizes
// (state 1, a second moment in most rules, kept positive), and a NaN in the gradient.
template <typename T> struct Buffers {
  std::vector<T> p, g, s0, s1, s2;
  explicit Buffers(int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      p.push_back(T(std::sin(0.7 * double(i)) * 2));
      g.push_back(T(std::cos(1.3 * double(i)) * (i % 5 == 0 ? 10 : 0.3)));
      s0.push_back(T(std::sin(0.4 * double(i)) * 0.1));
      s1.push_back(T(0.01 + 0.02 * double(i % 7)));
      s2.push_back(T(0.015 + 0.01 * double(i % 3)));
    }
    g[3] = std::numeric_limits<T>::quiet_NaN();
  }
  nd::cpu::OptimBuffers view() {
    nd::cpu::OptimBuffers ob;
    ob.param = p.data();
    ob.grad = g.data();
    ob.state[0] = s0.data();
    ob.state[1] = s1.data();
    ob.state[2] = s2.data();
    ob.numel = int64_t(p.size());
    ob.dtype = nd::dtype_of<T>::value;
    return ob;
  }
};

// Same value, both NaN, or within a couple of ulps (the vector kernels may contract a*b+c).
template <typename T> bool close(T a, T b) {
  if (std::isnan(a) && std::isnan(b)) return true;
  const T tol = (sizeof(T) == 4 ? T(2e-6) : T(1e-14)) * std::max(T(1), std::fabs(a));
  return a == b || std::fabs(a - b) <= tol;
}

template <typename T> void expect_same(const std::vector<T>& a, const std::vector<T>& b, const char* what) {
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_TRUE(close(a[i], b[i])) << what << "[" << i << "]: CPU kernel " << double(a[i]) << ", scalar rule "
                                   << double(b[i]);
}

// Two steps through the CPU stub and through the rule over ScalarLanes.
template <template <typename> class Rule, typename T, typename Coef>
void check(const nd::cpu::DispatchStub<nd::cpu::OptimKernel<Coef>>& stub, const Coef& c, const char* name) {
  nd::cpu::register_all_kernels();
  const int64_t n = 37;  // full vectors and a tail
  Buffers<T> cpu(n), gpu(n);
  for (int step = 0; step < 2; ++step) {
    nd::cpu::select(stub)(cpu.view(), c);
    const Rule<T> rule(c);
    const optim::Bufs<T> b = optim::typed<T>(gpu.view());
    for (int64_t i = 0; i < n; ++i) rule.apply(optim::ScalarLanes<T>{b, i});
  }
  SCOPED_TRACE(name);
  expect_same(cpu.p, gpu.p, "param");
  expect_same(cpu.s0, gpu.s0, "state0");
  expect_same(cpu.s1, gpu.s1, "state1");
  expect_same(cpu.s2, gpu.s2, "state2");
}

template <typename T> void check_all() {
  using namespace nd::cpu;
  check<optim::SgdRule, T>(sgd_stub, SgdCoef{0.1, 0.9, 0.1, 0.01, true, false, false}, "sgd nesterov");
  check<optim::SgdRule, T>(sgd_stub, SgdCoef{0.1, 0.0, 0.0, 0.0, false, true, false}, "sgd maximize");
  check<optim::AdagradRule, T>(adagrad_stub, AdagradCoef{0.05, 0.01, 1e-10, false}, "adagrad");
  check<optim::AdadeltaRule, T>(adadelta_stub, AdadeltaCoef{1.0, 0.9, 1e-6, 0.01, false}, "adadelta");
  check<optim::AdadeltaRule, T>(adadelta_stub, AdadeltaCoef{0.5, 0.3, 1e-6, 0.0, true}, "adadelta maximize");
  check<optim::RmspropRule, T>(rmsprop_stub, RmspropCoef{0.01, 0.99, 1e-8, 0.01, 0.9, true, false}, "rmsprop");
  check<optim::AdamRule, T>(adam_stub, AdamCoef{0.9, 0.999, 1e-8, 0.0, 0.999, 0.01, 0.05, true, false}, "adamw amsgrad");
  check<optim::AdamaxRule, T>(adamax_stub, AdamaxCoef{0.9, 0.999, 1e-8, 0.01, 0.02, false}, "adamax");
  check<optim::AdamaxRule, T>(adamax_stub, AdamaxCoef{0.6, 0.9, 1e-8, 0.0, 0.02, true}, "adamax maximize");
  check<optim::NadamRule, T>(nadam_stub, NadamCoef{0.9, 0.999, 1e-8, 0.01, 1.0, 0.002, -0.001, -0.009, false}, "nadam");
  check<optim::NadamRule, T>(nadam_stub, NadamCoef{0.9, 0.999, 1e-8, 0.0, 0.99, 0.002, -0.001, -0.009, true},
                             "nadam decoupled maximize");
  check<optim::RadamRule, T>(radam_stub, RadamCoef{0.01, 0.9, 0.999, 1e-8, 0.0, 1.0, 0.1, 0.05, 0.7, true, false},
                             "radam rectified");
  check<optim::RadamRule, T>(radam_stub, RadamCoef{0.01, 0.9, 0.999, 1e-8, 0.01, 1.0, 0.1, 0.05, 0.0, false, false},
                             "radam unrectified");
}

}  // namespace

TEST(OptimRules, ScalarLanesMatchTheCpuKernelsFloat) { check_all<float>(); }
TEST(OptimRules, ScalarLanesMatchTheCpuKernelsDouble) { check_all<double>(); }
