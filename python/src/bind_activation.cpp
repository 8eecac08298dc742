// Activations. softmax / log_softmax are public (torch.softmax, Tensor.softmax); the others are
// bound `_`-prefixed and reached through nativedl.nn.functional, which parses PyTorch's arguments.
#include "bindings.h"

namespace nd::py_bind {

void bind_activation(py::module_& m, TensorClass& cls) {
  for (const bool log : {false, true}) {
    auto fn = [log](const Tensor& x, int64_t dim, std::optional<DType> dtype) {
      py::gil_scoped_release release;
      const Tensor in = dtype ? to_dtype(x, *dtype) : x;
      return log ? log_softmax(in, dim) : softmax(in, dim);
    };
    const char* name = log ? "log_softmax" : "softmax";
    m.def(name, fn, py::arg("input"), py::arg("dim"), py::arg("dtype") = py::none());
    cls.def(name, fn, py::arg("dim"), py::arg("dtype") = py::none());
  }
  m.def("_cross_entropy_rows", [](const Tensor& x, const Tensor& target, int64_t ignore_index) {
    py::gil_scoped_release release;
    return cross_entropy_rows(x, target, ignore_index);
  }, py::arg("input"), py::arg("target"), py::arg("ignore_index"));
  auto unary = [&m](const char* name, Tensor (*f)(const Tensor&)) {
    m.def(name, [f](const Tensor& x) {
      py::gil_scoped_release release;
      return f(x);
    }, py::arg("input"));
  };
  unary("_relu6", &relu6);
  unary("_selu", &selu);
  unary("_silu", &silu);
  unary("_mish", &mish);
  unary("_hardsigmoid", &hardsigmoid);
  unary("_hardswish", &hardswish);
  unary("_softsign", &softsign);
  unary("_logsigmoid", &logsigmoid);
  auto one_param = [&m](const char* name, Tensor (*f)(const Tensor&, double)) {
    m.def(name, [f](const Tensor& x, double a) {
      py::gil_scoped_release release;
      return f(x, a);
    }, py::arg("input"), py::arg("param"));
  };
  one_param("_leaky_relu", [](const Tensor& x, double s) { return leaky_relu(x, s); });
  one_param("_celu", [](const Tensor& x, double a) { return celu(x, a); });
  m.def("_hardtanh", [](const Tensor& x, double lo, double hi) {
    py::gil_scoped_release release;
    return hardtanh(x, lo, hi);
  }, py::arg("input"), py::arg("min_val"), py::arg("max_val"));
  // In place; the Python layer returns its own input object.
  m.def("_hardtanh_", [](Tensor& x, double lo, double hi) {
    py::gil_scoped_release release;
    hardtanh_(x, lo, hi);
  }, py::arg("input"), py::arg("min_val"), py::arg("max_val"));
  m.def("_softplus", [](const Tensor& x, double beta, double threshold) {
    py::gil_scoped_release release;
    return softplus(x, beta, threshold);
  }, py::arg("input"), py::arg("beta"), py::arg("threshold"));
  m.def("_elu", [](const Tensor& x, double alpha) {
    py::gil_scoped_release release;
    return elu(x, alpha);
  }, py::arg("input"), py::arg("alpha"));
  m.def("_gelu", [](const Tensor& x, const std::string& approximate) {
    py::gil_scoped_release release;
    return gelu(x, approximate);
  }, py::arg("input"), py::arg("approximate"));
}

}  // namespace nd::py_bind
