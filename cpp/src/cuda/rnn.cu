// The recurrent gate kernels on the GPU (Note [Recurrent step layout] in cpu/rnn_kernels.h):
// one thread per (row, unit), grid-stride, running cuda/rnn_gates.h's math (tested on the CPU
// against the CPU kernels). A thread reads and writes only its own unit of every gate block,
// so the in-place buffers of the contract (LSTM gates over gi, dc) need no synchronization.
// `lengths` is a device array here; the op layer moves it to the GPU.
#include "cuda/check.cuh"
#include "cuda/rnn_gates.h"
#include "cuda/runtime.h"

namespace nd::cuda {
namespace {

using cpu::RnnStepArgs;
using namespace rnn;

template <typename T> __global__ void forward_kernel(const RnnStepArgs a, const FwdBufs<T> p) {
  const int64_t n = a.B * a.H;
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < n; e += int64_t(blockDim.x) * gridDim.x)
    forward_unit(a, p, e / a.H, e % a.H);
}

// A frozen row passes on P state gradients, a live one has H units: max(H, P) per row.
template <typename T> __global__ void backward_kernel(const RnnStepArgs a, const BwdBufs<T> p, int64_t width) {
  const int64_t n = a.B * width;
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < n; e += int64_t(blockDim.x) * gridDim.x)
    backward_unit(a, p, e / width, e % width);
}

template <typename T> const T* in(const void* p) { return static_cast<const T*>(p); }
template <typename T> T* out(void* p) { return static_cast<T*>(p); }

void forward(const RnnStepArgs& a, const void* gi, const void* gh, const void* hp, const void* cp, void* gates, void* h,
             void* c, void* y) {
  if (a.B == 0 || a.H == 0) return;
  auto run = [&](auto zero) {
    using T = decltype(zero);
    const FwdBufs<T> p{in<T>(gi), in<T>(gh), in<T>(hp), in<T>(cp), out<T>(gates), out<T>(h), out<T>(c), out<T>(y)};
    forward_kernel<T><<<grid_for(a.B * a.H), kBlock>>>(a, p);
    ND_CUDA_CHECK_LAUNCH(forward_kernel);
  };
  if (a.dtype == DType::Float64) run(double(0)); else run(float(0));
}

void backward(const RnnStepArgs& a, const void* gates, const void* hp, const void* cp, const void* hn, const void* cn,
              const void* dh, const void* dstate, void* dc, void* dgi, void* dgh, void* dhp) {
  if (a.B == 0 || a.H == 0) return;
  const int64_t width = a.H > a.P ? a.H : a.P;
  auto run = [&](auto zero) {
    using T = decltype(zero);
    const BwdBufs<T> p{in<T>(gates), in<T>(hp), in<T>(cp),  in<T>(hn),  in<T>(cn),  in<T>(dh),
                       in<T>(dstate), out<T>(dc), out<T>(dgi), out<T>(dgh), out<T>(dhp)};
    backward_kernel<T><<<grid_for(a.B * width), kBlock>>>(a, p, width);
    ND_CUDA_CHECK_LAUNCH(backward_kernel);
  };
  if (a.dtype == DType::Float64) run(double(0)); else run(float(0));
}

}  // namespace

void register_rnn_kernels() {
  cpu::rnn_forward_stub.cuda = forward;
  cpu::rnn_backward_stub.cuda = backward;
}

}  // namespace nd::cuda
