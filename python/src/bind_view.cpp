// View ops as functions and methods.
#include "bindings.h"

namespace nd::py_bind {

void bind_view(py::module_& m, TensorClass& cls) {
  cls.def("view", [](const Tensor& x, py::args shape) {
    if (shape.size() == 1 && py::isinstance<DType>(shape[0])) {
      ND_CHECK(shape[0].cast<DType>() == x.dtype(), TypeError, "[view] reinterpreting a tensor as another dtype is not supported");
      return view(x, x.shape());
    }
    return view(x, to_shape(shape, "view"));
  });
  cls.def("reshape", [](const Tensor& x, py::args shape) { return reshape(x, to_shape(shape, "reshape")); });
  m.def("reshape", [](const Tensor& x, py::handle shape) { return reshape(x, to_dims(shape, "reshape")); }, py::arg("input"), py::arg("shape"));
  cls.def("view_as", [](const Tensor& x, const Tensor& o) { return view(x, o.shape()); }, py::arg("other"));
  cls.def("reshape_as", [](const Tensor& x, const Tensor& o) { return reshape(x, o.shape()); }, py::arg("other"));
  cls.def("permute", [](const Tensor& x, py::args dims) { return permute(x, to_shape(dims, "permute")); });
  m.def("permute", [](const Tensor& x, py::handle dims) { return permute(x, to_dims(dims, "permute")); }, py::arg("input"), py::arg("dims"));
  for (const char* name : {"transpose", "swapaxes", "swapdims"}) {
    m.def(name, &transpose, py::arg("input"), py::arg("dim0"), py::arg("dim1"));
    cls.def(name, &transpose, py::arg("dim0"), py::arg("dim1"));
  }
  // t() is for <= 2 dims, as PyTorch; the .T property reverses any number of dims.
  auto t_fn = [](const Tensor& x) {
    ND_CHECK(x.dim() <= 2, ValueError, "[t] expects a tensor with <= 2 dimensions, got shape ", shape_str(x.shape()));
    return t(x);
  };
  m.def("t", t_fn, py::arg("input"));
  cls.def("t", t_fn);
  cls.def_property_readonly("T", &t);
  cls.def_property_readonly("mT", &mT);
  cls.def("expand", [](const Tensor& x, py::args shape) { return expand(x, to_shape(shape, "expand")); });
  cls.def("expand_as", [](const Tensor& x, const Tensor& o) { return expand(x, o.shape()); }, py::arg("other"));
  auto squeeze_fn = [](const Tensor& x, py::handle dim) {
    return dim.is_none() ? squeeze(x) : squeeze(x, to_dims(dim, "squeeze"));
  };
  m.def("squeeze", squeeze_fn, py::arg("input"), py::arg("dim") = py::none());
  cls.def("squeeze", squeeze_fn, py::arg("dim") = py::none());
  m.def("unsqueeze", &unsqueeze, py::arg("input"), py::arg("dim"));
  cls.def("unsqueeze", &unsqueeze, py::arg("dim"));
  m.def("flatten", &flatten, py::arg("input"), py::arg("start_dim") = 0, py::arg("end_dim") = -1);
  cls.def("flatten", &flatten, py::arg("start_dim") = 0, py::arg("end_dim") = -1);
  m.def("unflatten", [](const Tensor& x, int64_t d, py::handle s) { return unflatten(x, d, to_dims(s, "unflatten")); }, py::arg("input"), py::arg("dim"), py::arg("sizes"));
  cls.def("unflatten", [](const Tensor& x, int64_t d, py::handle s) { return unflatten(x, d, to_dims(s, "unflatten")); }, py::arg("dim"), py::arg("sizes"));
  m.def("narrow", &narrow, py::arg("input"), py::arg("dim"), py::arg("start"), py::arg("length"));
  cls.def("narrow", &narrow, py::arg("dim"), py::arg("start"), py::arg("length"));
  m.def("select", &select, py::arg("input"), py::arg("dim"), py::arg("index"));
  cls.def("select", &select, py::arg("dim"), py::arg("index"));
  m.def("unbind", &unbind, py::arg("input"), py::arg("dim") = 0);
  cls.def("unbind", &unbind, py::arg("dim") = 0);
  m.def("diagonal", &diagonal, py::arg("input"), py::arg("offset") = 0, py::arg("dim1") = 0, py::arg("dim2") = 1);
  cls.def("diagonal", &diagonal, py::arg("offset") = 0, py::arg("dim1") = 0, py::arg("dim2") = 1);
  cls.def("contiguous", &contiguous);
  m.def("as_strided", [](const Tensor& x, py::handle size, py::handle stride, std::optional<int64_t> off) {
    // It records no backward: refuse rather than silently cut the graph.
    ND_CHECK(!autograd::any_requires_grad({&x}), Error, "[as_strided] is not differentiable; call it on "
             "input.detach() or inside no_grad()");
    return as_strided(x, to_dims(size, "as_strided"), to_dims(stride, "as_strided"), off.value_or(x.offset()));
  }, py::arg("input"), py::arg("size"), py::arg("stride"), py::arg("storage_offset") = py::none());
  cls.def("detach", &Tensor::detach);
}

}  // namespace nd::py_bind
