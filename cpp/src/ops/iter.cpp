#include "ops/iter.h"


namespace nd::ops {

cpu::ElementwiseIter make_iter(const Tensor& out, std::initializer_list<Tensor> inputs, const char* op) {
  cpu::ElementwiseIter it;
  const Shape& shape = out.shape();
  const int nd = int(shape.size());
  ND_CHECK(nd <= cpu::kMaxDims, ValueError, "[", op, "] tensors of more than ", cpu::kMaxDims,
           " dims are not supported, got ", nd);
  it.noperands = int(inputs.size()) + 1;
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
    it.data[k] = static_cast<char*>(t.data_ptr());
    it.dtypes[k] = t.dtype();
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

}  // namespace nd::ops
