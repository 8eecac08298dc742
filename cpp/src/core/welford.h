// Welford's running moments (count, mean, sum of squared deviations) in double, and Chan et al.'s
// pairwise merge of two such states: one pass over the data, stable for a large mean. Host and
// device code (the CUDA statistics kernels merge per-thread states with it, cuda/welford.cuh);
// cpp/tests/test_welford.cpp checks it on the host.
#pragma once
#include "core/host_device.h"

namespace nd::core {

struct Welford {
  double n, mean, m2;

  ND_HD void add(double v) {
    n += 1;
    const double d = v - mean;
    mean += d / n;
    m2 += d * (v - mean);
  }
};

ND_HD Welford merge(const Welford& a, const Welford& b) {
  const double n = a.n + b.n;
  if (n == 0) return a;
  const double d = b.mean - a.mean, f = b.n / n;
  return {n, a.mean + d * f, a.m2 + b.m2 + d * d * a.n * f};
}

}  // namespace nd::core
