// Moving tensors between devices.
#pragma once
#include "nativedl/tensor.h"

namespace nd {

/// A copy of x on `device` (x itself when it is already there), differentiable: the gradient
/// goes back to x's device. The copy is contiguous.
Tensor to_device(const Tensor& x, Device device);

}  // namespace nd
