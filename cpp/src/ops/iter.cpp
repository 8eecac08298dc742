#include "ops/iter.h"

#include "core/shape.h"

namespace nd::ops {

cpu::ElementwiseIter make_iter(const Tensor& out, std::initializer_list<Tensor> inputs, const char* op) {
  cpu::ElementwiseIter it;
  const Shape& shape = out.shape();
  ND_CHECK(int(shape.size()) <= cpu::kMaxDims, ValueError, "[", op, "] tensors of more than ",
           cpu::kMaxDims, " dims are not supported, got ", shape.size());
  it.noperands = int(inputs.size()) + 1;
  it.numel = out.numel();
  std::vector<Shape> strides;
  strides.push_back(out.strides());
  it.data[0] = static_cast<char*>(out.data_ptr());
  it.dtypes[0] = out.dtype();
  int k = 1;
  for (const Tensor& in : inputs) {
    strides.push_back(core::broadcast_strides(in, shape));
    it.data[k] = static_cast<char*>(in.data_ptr());
    it.dtypes[k] = in.dtype();
    ++k;
  }
  // Innermost first; drop size-1 dims; merge a dim into the one inside it when every
  // operand steps over both as one.
  it.ndim = 0;
  for (int d = int(shape.size()) - 1; d >= 0; --d) {
    if (shape[size_t(d)] == 1) continue;
    if (it.ndim > 0) {
      const int p = it.ndim - 1;
      bool mergeable = true;
      for (int op_i = 0; op_i < it.noperands && mergeable; ++op_i) {
        const int64_t elem = int64_t(element_size(it.dtypes[op_i]));
        mergeable = strides[size_t(op_i)][size_t(d)] * elem == it.strides[op_i][p] * it.sizes[p];
      }
      if (mergeable) { it.sizes[p] *= shape[size_t(d)]; continue; }
    }
    it.sizes[it.ndim] = shape[size_t(d)];
    for (int op_i = 0; op_i < it.noperands; ++op_i)
      it.strides[op_i][it.ndim] = strides[size_t(op_i)][size_t(d)] * int64_t(element_size(it.dtypes[op_i]));
    ++it.ndim;
  }
  return it;
}

}  // namespace nd::ops
