// In-place Tensor methods return `self`, the very Python object they were called on, as PyTorch
// does: `x.add_(1) is x`, and `param -= lr * grad` leaves a Parameter a Parameter (a new wrapper
// would be a plain Tensor, which Module.__setattr__ refuses for a parameter's name).
#pragma once
#include "bindings.h"

namespace nd::py_bind {

/// fn(self's Tensor), then self. fn releases the GIL itself where the op is worth it, only
/// around the C++ call (arguments are converted before, with the GIL held).
template <typename Fn> py::object return_self(const py::object& self, Fn&& fn) {
  fn(self.cast<Tensor&>());
  return self;
}

/// An op's result under its out= argument: fn() when out is None; otherwise out_fn(out's
/// Tensor) and then out, the very Python object passed (PyTorch returns it).
template <typename Fn, typename OutFn>
py::object with_out(const py::object& out, const char* op, Fn&& fn, OutFn&& out_fn) {
  if (out.is_none()) return wrap(fn());
  if (!py::isinstance<Tensor>(out))
    throw TypeError(std::string("[") + op + "] out must be a Tensor, got " +
                    py::str(py::type::of(out).attr("__name__")).cast<std::string>());
  out_fn(out.cast<Tensor&>());
  return out;
}

}  // namespace nd::py_bind
