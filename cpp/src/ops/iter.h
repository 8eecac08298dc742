// Building the descriptor an elementwise kernel walks.
#pragma once
#include <vector>

#include "cpu/kernel_api.h"
#include "cuda/runtime.h"
#include "nativedl/tensor.h"

namespace nd::ops {

/// An iteration writing `out` and reading `inputs` broadcast to out's shape, with dims
/// coalesced where every operand allows it.
cpu::ElementwiseIter make_iter(const Tensor& out, std::initializer_list<Tensor> inputs, const char* op);

/// Refuses an in-place write through a broadcast (stride-0) dim: the result would depend on the
/// order of the writes (PyTorch refuses it too).
void check_no_internal_overlap(const Tensor& self, const char* op);

/// The device an elementwise kernel runs on: its operands' common device. Throws
/// "[op] not implemented for CUDA tensors" for a CUDA operand when the op has no CUDA kernel,
/// and names both devices when the operands live on different ones. Every elementwise op
/// passes here (through launch), so this is the one place devices are checked for them.
Device iter_device(const cpu::ElementwiseIter& it, bool has_cuda_kernel);

/// Runs the kernel of `stub` for the iteration on its operands' device: the CUDA kernel, or the
/// CPU kernel of the active ISA.
template <typename Fn, typename... Args>
void launch(const cpu::DispatchStub<Fn>& stub, const cpu::ElementwiseIter& it, Args... args) {
  cpu::register_all_kernels();  // the CUDA slot is read before select() would register
  if (iter_device(it, stub.cuda != nullptr).type == DeviceType::CUDA) stub.cuda(it, args...);
  else cpu::select(stub)(it, args...);
}

/// The device every tensor in `tensors` (undefined ones are skipped) lives on; raises naming
/// two devices when they differ. The check of ops whose kernels take raw pointers.
Device common_device(const char* op, std::initializer_list<const Tensor*> tensors);

/// Runs the kernel of `stub` on `device`: the CUDA kernel (a clear error when the op has none),
/// or the CPU kernel of the active ISA. For kernels that take raw pointers: the op checks its
/// tensors with common_device() and passes their device here.
template <typename Fn, typename... Args>
void launch_on(Device device, const char* op, const cpu::DispatchStub<Fn>& stub, const Args&... args) {
  cpu::register_all_kernels();
  if (device.type == DeviceType::CUDA) {
    ND_CHECK(stub.cuda != nullptr, Error, "[", op, "] not implemented for CUDA tensors (device ", device.str(), ")");
    cuda::DeviceScope scope(device);
    stub.cuda(args...);
  } else {
    cpu::select(stub)(args...);
  }
}

/// `t` on `device` when it is a 0-d CPU tensor (a Python number or a scalar) and `device` is
/// not the CPU: such tensors combine with tensors on any device, as in PyTorch. Otherwise `t`.
Tensor scalar_to_device(const Tensor& t, Device device);

}  // namespace nd::ops
