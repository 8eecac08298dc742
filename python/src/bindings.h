// Shared by the binding files: conversions between Python objects and nativedl values,
// and the per-area bind functions module.cpp calls.
#pragma once
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>

#include "nativedl/nativedl.h"

namespace py = pybind11;

namespace nd::py_bind {

using TensorClass = py::class_<Tensor>;

/// A Tensor from a Tensor, a Python number (a wrapped 0-d tensor, lowest promotion
/// priority) or anything NumPy turns into an array (copied).
Tensor to_tensor(py::handle obj, const char* op);
/// A Python number as a Scalar.
Scalar to_scalar(py::handle obj, const char* op);
/// Sizes given as f(2, 3), f((2, 3)) or f([2, 3]).
Shape to_shape(const py::args& args, const char* op);
/// dim=None -> {} (all dims), an int -> {d}, a tuple/list -> its ints.
std::vector<int64_t> to_dims(py::handle dim, const char* op);
/// The Python object for a Tensor (new wrapper around the same impl).
py::object wrap(Tensor t);

void bind_dtype(py::module_& m);
void bind_tensor(py::module_& m, TensorClass& cls);
void bind_creation(py::module_& m);
void bind_elementwise(py::module_& m, TensorClass& cls);
void bind_view(py::module_& m, TensorClass& cls);
void bind_reduction(py::module_& m, TensorClass& cls);
void bind_linalg(py::module_& m, TensorClass& cls);
void bind_autograd(py::module_& m, TensorClass& cls);
void bind_interop(py::module_& m, TensorClass& cls);
void bind_indexing(py::module_& m, TensorClass& cls);  // also getitem/setitem below
void bind_join(py::module_& m, TensorClass& cls);
void bind_conv(py::module_& m, TensorClass& cls);
void bind_nn(py::module_& m, TensorClass& cls);  // pooling, normalization, resampling, dropout
void bind_activation(py::module_& m, TensorClass& cls);
void bind_optim(py::module_& m);
void bind_rnn(py::module_& m, TensorClass& cls);  // recurrent layers, embeddings, attention
void bind_machine(py::module_& m);  // private: FMA peak and STREAM bandwidth probes
/// x[index] and x[index] = value with integer/boolean tensor, list or array items.
Tensor getitem(const Tensor& self, py::handle index);
void setitem(Tensor& self, py::handle index, py::handle value);

}  // namespace nd::py_bind
