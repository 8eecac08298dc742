// Shape arithmetic shared by ops: dims, broadcasting.
#pragma once
#include <string>

#include "nativedl/tensor.h"

namespace nd::core {

/// Wraps a possibly negative dim into [0, ndim); raises IndexError naming `op`.
int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op);
/// The broadcast of two shapes; raises ValueError naming `op` when they don't broadcast.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);
/// Strides (elements) of `t` viewed as `shape` by broadcasting (0 on expanded dims).
Shape broadcast_strides(const Tensor& t, const Shape& shape);
/// "(1, 2)" for a list of ints.
std::string ints_str(const std::vector<int64_t>& v);

}  // namespace nd::core
