// Python -> nativedl conversions used by every binding file.
#include "bindings.h"

namespace nd::py_bind {

Scalar to_scalar(py::handle obj, const char* op) {
  if (PyBool_Check(obj.ptr())) return Scalar(obj.cast<bool>());
  if (PyLong_Check(obj.ptr())) return Scalar(obj.cast<int64_t>());
  if (PyFloat_Check(obj.ptr())) return Scalar(obj.cast<double>());
  if (py::isinstance<Tensor>(obj)) return obj.cast<const Tensor&>().item();
  // NumPy scalars and other number-likes.
  if (py::hasattr(obj, "dtype") && py::hasattr(obj, "item")) return to_scalar(obj.attr("item")(), op);
  throw TypeError(std::string("[") + op + "] expected a number, got " + std::string(py::str(obj.get_type().attr("__name__"))));
}

Tensor to_tensor(py::handle obj, const char* op) {
  if (py::isinstance<Tensor>(obj)) return obj.cast<Tensor>();
  if (PyBool_Check(obj.ptr()) || PyLong_Check(obj.ptr()) || PyFloat_Check(obj.ptr())) {
    Scalar s = to_scalar(obj, op);
    // Held in float64 (no rounding before promotion); it still promotes as the default dtype.
    return scalar_tensor(s, s.is_floating() ? DType::Float64 : s.natural_dtype(), /*wrapped=*/true);
  }
  // Lists, NumPy arrays and NumPy scalars go through nativedl.tensor (which infers dtypes
  // the way torch.tensor does).
  py::object mod = py::module_::import("nativedl");
  try {
    return mod.attr("tensor")(obj).cast<Tensor>();
  } catch (py::error_already_set&) {
    throw TypeError(std::string("[") + op + "] expected a Tensor or a number, got " +
                    std::string(py::str(obj.get_type().attr("__name__"))));
  }
}

Shape to_shape(const py::args& args, const char* op) {
  py::handle src = args;
  if (args.size() == 1 && !PyLong_Check(args[0].ptr())) src = args[0];
  Shape s;
  try {
    for (py::handle h : src) s.push_back(py::cast<int64_t>(h));
  } catch (py::cast_error&) {
    throw TypeError(std::string("[") + op + "] sizes must be ints, got " + std::string(py::repr(src)));
  }
  return s;
}

std::vector<int64_t> to_dims(py::handle dim, const char* op) {
  if (dim.is_none()) return {};
  if (PyLong_Check(dim.ptr())) return {dim.cast<int64_t>()};
  std::vector<int64_t> dims;
  try {
    for (py::handle h : dim) dims.push_back(py::cast<int64_t>(h));
  } catch (std::exception&) {
    throw TypeError(std::string("[") + op + "] dim must be an int or a tuple of ints, got " + std::string(py::repr(dim)));
  }
  return dims;
}

py::object wrap(Tensor t) { return py::cast(std::move(t)); }

}  // namespace nd::py_bind
