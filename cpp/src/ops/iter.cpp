#include "ops/iter.h"

#include "nativedl/nativedl.h"


namespace nd::ops {

cpu::ElementwiseIter make_iter(const Tensor& out, std::initializer_list<Tensor> inputs, const char* op) {
  cpu::ElementwiseIter it;
  const Shape& shape = out.shape();
  const int nd = int(shape.size());
  ND_CHECK(nd <= cpu::kMaxDims, ValueError, "[", op, "] tensors of more than ", cpu::kMaxDims,
           " dims are not supported, got ", nd);
  it.noperands = int(inputs.size()) + 1;
  it.op = op;
  it.numel = out.numel();
  // Element strides of every operand broadcast to out's shape (0 along broadcast dims).
  int64_t strides[cpu::kMaxOperands][cpu::kMaxDims];
  const Tensor* tensors[cpu::kMaxOperands] = {&out};
  int k = 1;
  for (const Tensor& in : inputs) tensors[k++] = &in;
  for (k = 0; k < it.noperands; ++k) {
    const Tensor& t = *tensors[k];
    const int off = nd - int(t.dim());
    for (int d = 0; d < nd; ++d) {
      const int td = d - off;
      strides[k][d] = td < 0 || (t.shape()[size_t(td)] == 1 && shape[size_t(d)] != 1) ? 0 : t.strides()[size_t(td)];
    }
    it.data[k] = static_cast<char*>(t.device_data_ptr());
    it.dtypes[k] = t.dtype();
    it.devices[k] = t.device();
  }
  // Innermost first; drop size-1 dims; merge a dim into the one inside it when every
  // operand steps over both as one.
  it.ndim = 0;
  for (int d = nd - 1; d >= 0; --d) {
    if (shape[size_t(d)] == 1) continue;
    if (it.ndim > 0) {
      const int p = it.ndim - 1;
      bool mergeable = true;
      for (int o = 0; o < it.noperands && mergeable; ++o)
        mergeable = strides[o][d] * int64_t(element_size(it.dtypes[o])) == it.strides[o][p] * it.sizes[p];
      if (mergeable) { it.sizes[p] *= shape[size_t(d)]; continue; }
    }
    it.sizes[it.ndim] = shape[size_t(d)];
    for (int o = 0; o < it.noperands; ++o) it.strides[o][it.ndim] = strides[o][d] * int64_t(element_size(it.dtypes[o]));
    ++it.ndim;
  }
  return it;
}

Device iter_device(const cpu::ElementwiseIter& it, bool has_cuda_kernel) {
  const Device d = it.devices[0];
  for (int k = 0; k < it.noperands; ++k)
    ND_CHECK(it.devices[k].type != DeviceType::CUDA || has_cuda_kernel, Error, "[", it.op,
             "] not implemented for CUDA tensors (device ", it.devices[k].str(), ")");
  for (int k = 1; k < it.noperands; ++k)
    ND_CHECK(it.devices[k] == d, Error, "[", it.op, "] expected all tensors to be on the same device, but found "
             "at least two devices, ", d.str(), " and ", it.devices[k].str());
  return d;
}

Device common_device(const char* op, std::initializer_list<const Tensor*> tensors) {
  const Tensor* first = nullptr;
  for (const Tensor* t : tensors) {
    if (t == nullptr || !t->defined()) continue;
    if (first == nullptr) first = t;
    ND_CHECK(t->device() == first->device(), Error, "[", op, "] expected all tensors to be on the same device, but "
             "found at least two devices, ", first->device().str(), " and ", t->device().str());
  }
  return first ? first->device() : Device{};
}

Tensor scalar_to_device(const Tensor& t, Device device) {
  if (t.dim() != 0 || t.device() == device || t.device().type != DeviceType::CPU) return t;
  Tensor moved = to_device(t, device);
  // A Python number keeps its lowest promotion priority on the device: 1.5 + int_tensor stays float32.
  moved.impl()->is_wrapped_number = t.impl()->is_wrapped_number;
  return moved;
}

}  // namespace nd::ops
