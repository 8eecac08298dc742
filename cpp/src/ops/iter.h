// Building the descriptor an elementwise kernel walks.
#pragma once
#include <vector>

#include "cpu/kernel_api.h"
#include "nativedl/tensor.h"

namespace nd::ops {

/// An iteration writing `out` and reading `inputs` broadcast to out's shape, with dims
/// coalesced where every operand allows it.
cpu::ElementwiseIter make_iter(const Tensor& out, std::initializer_list<Tensor> inputs, const char* op);

}  // namespace nd::ops
