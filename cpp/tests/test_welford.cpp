// The Welford states the CUDA statistics kernels merge across threads (core/welford.h), run on
// the host: any split of the data into per-thread states, merged in a tree as the warp and block
// merges do, gives the two-pass mean and variance, also for a large mean over a small spread.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/welford.h"

namespace {

using nd::core::Welford;

// States of `parts` interleaved threads (thread t takes elements t, t + parts, ...), merged
// pairwise at distance 1, 2, 4 ... as a warp shuffle reduction does.
Welford tree_merged(const std::vector<double>& v, size_t parts) {
  std::vector<Welford> s(parts, Welford{0, 0, 0});
  for (size_t i = 0; i < v.size(); ++i) s[i % parts].add(v[i]);
  for (size_t d = 1; d < parts; d *= 2)
    for (size_t t = 0; t + d < parts; t += 2 * d) s[t] = nd::core::merge(s[t], s[t + d]);
  return s[0];
}

TEST(Welford, MergedStatesMatchTwoPassMoments) {
  std::vector<double> v;
  for (int i = 0; i < 1000; ++i) v.push_back(1e6 + std::sin(0.37 * i) * 0.5 + (i % 7) * 1e-3);
  long double mean = 0, m2 = 0;
  for (double x : v) mean += x;
  mean /= v.size();
  for (double x : v) m2 += (x - mean) * (x - mean);
  for (size_t parts : {1, 2, 3, 32, 256, 2000}) {  // 2000 > n: empty states merge too
    const Welford w = tree_merged(v, parts);
    EXPECT_EQ(w.n, double(v.size())) << parts;
    EXPECT_NEAR(w.mean, double(mean), 1e-9) << parts;
    EXPECT_NEAR(w.m2 / w.n, double(m2 / v.size()), 1e-9 * double(m2 / v.size())) << parts;
  }
}

TEST(Welford, EmptyStatesAreNeutral) {
  Welford a{0, 0, 0};
  a.add(3.0);
  a.add(5.0);
  const Welford e{0, 0, 0};
  for (const Welford& w : {nd::core::merge(a, e), nd::core::merge(e, a)}) {
    EXPECT_EQ(w.n, 2.0);
    EXPECT_EQ(w.mean, 4.0);
    EXPECT_EQ(w.m2, 2.0);
  }
  EXPECT_EQ(nd::core::merge(e, e).n, 0.0);
}

}  // namespace
