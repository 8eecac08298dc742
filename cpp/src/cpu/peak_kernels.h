// Dispatch stubs of the machine-limit probes behind nd::measure_fma_peak and
// nd::measure_stream_bandwidth (plain data only, see Note [ISA namespaces] in cpu/kernel_api.h).
#pragma once
#include <cstdint>

#include "cpu/kernel_api.h"

namespace nd::cpu {

/// Runs `iters` rounds of independent float32 FMA chains held in registers and stores a value
/// derived from every chain in sink[0] (so none can be optimized away); returns the flops done
/// (2 per lane per FMA).
using FmaProbeKernel = double (*)(int64_t iters, float* sink);
/// STREAM's kernels over n floats: copy a[i] = b[i]; triad a[i] = b[i] + s * c[i].
using StreamCopyKernel = void (*)(float* a, const float* b, int64_t n);
using StreamTriadKernel = void (*)(float* a, const float* b, const float* c, float s, int64_t n);

extern DispatchStub<FmaProbeKernel> fma_probe_stub;
extern DispatchStub<StreamCopyKernel> stream_copy_stub;
extern DispatchStub<StreamTriadKernel> stream_triad_stub;

}  // namespace nd::cpu
