// Machine-limit probes: the FMA throughput of this ISA's widest float vectors, and STREAM's
// copy and triad loops. They measure what the kernels of the same ISA can reach at best.
#include "cpu/peak_kernels.h"
#include "cpu/vec/vec.h"

namespace nd::cpu::NATIVEDL_ISA {
namespace {

using V = Vec<float>;

// Independent accumulator chains: an FMA has ~4 cycles of latency and current cores issue two
// per cycle, so at least 8 must be in flight; 12 leave margin and fit the 16 vector registers
// of SSE/AVX2 with the two constants, AVX-512's 32 registers take 16.
constexpr int kChains = kVecBytes == 64 ? 16 : 12;

double fma_probe(int64_t iters, float* sink) {
  V acc[kChains];
  for (int j = 0; j < kChains; ++j) acc[j] = V(1.0f + 0.001f * float(j));
  // acc -> acc * m + a has the fixed point 1: values stay normal however long it runs.
  const V m(0.999999f), a(0.000001f);
  for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 16
    for (int j = 0; j < kChains; ++j) acc[j] = vfmadd(acc[j], m, a);
  }
  V total = acc[0];
  for (int j = 1; j < kChains; ++j) total = total + acc[j];
  float lanes[V::size];
  total.storeu(lanes);
  sink[0] = lanes[0];
  return 2.0 * kChains * V::size * double(iters);
}

void stream_copy(float* a, const float* b, int64_t n) {
  int64_t i = 0;
  for (; i + V::size <= n; i += V::size) V::loadu(b + i).storeu(a + i);
  for (; i < n; ++i) a[i] = b[i];
}

void stream_triad(float* a, const float* b, const float* c, float s, int64_t n) {
  const V vs(s);
  int64_t i = 0;
  for (; i + V::size <= n; i += V::size) vfmadd(vs, V::loadu(c + i), V::loadu(b + i)).storeu(a + i);
  for (; i < n; ++i) a[i] = b[i] + s * c[i];
}

}  // namespace

void register_peak_kernels() {
  fma_probe_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = fma_probe;
  stream_copy_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = stream_copy;
  stream_triad_stub.fns[int(Isa::NATIVEDL_ISA_ENUM)] = stream_triad;
}

}  // namespace nd::cpu::NATIVEDL_ISA
