// Convolutions. Python's F.conv* parse int-or-tuple arguments and padding="same"; these take
// the pairs (1-D ones a single int) as the C++ ops do.
#include "bindings.h"

namespace nd::py_bind {

void bind_conv(py::module_& m, TensorClass&) {
  using NoGil = py::call_guard<py::gil_scoped_release>;
  auto opt = [](const std::optional<Tensor>& t) { return t ? *t : Tensor(); };
  m.def("conv2d", [opt](const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias, Int2 stride,
                        Int2 padding, Int2 dilation, int64_t groups) {
    return conv2d(input, weight, opt(bias), stride, padding, dilation, groups);
  }, py::arg("input"), py::arg("weight"), py::arg("bias") = py::none(), py::arg("stride") = Int2{1, 1},
     py::arg("padding") = Int2{0, 0}, py::arg("dilation") = Int2{1, 1}, py::arg("groups") = 1, NoGil());
  m.def("conv1d", [opt](const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias, int64_t stride,
                        int64_t padding, int64_t dilation, int64_t groups) {
    return conv1d(input, weight, opt(bias), stride, padding, dilation, groups);
  }, py::arg("input"), py::arg("weight"), py::arg("bias") = py::none(), py::arg("stride") = 1,
     py::arg("padding") = 0, py::arg("dilation") = 1, py::arg("groups") = 1, NoGil());
  m.def("conv_transpose2d", [opt](const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias,
                                  Int2 stride, Int2 padding, Int2 output_padding, int64_t groups, Int2 dilation) {
    return conv_transpose2d(input, weight, opt(bias), stride, padding, output_padding, groups, dilation);
  }, py::arg("input"), py::arg("weight"), py::arg("bias") = py::none(), py::arg("stride") = Int2{1, 1},
     py::arg("padding") = Int2{0, 0}, py::arg("output_padding") = Int2{0, 0}, py::arg("groups") = 1,
     py::arg("dilation") = Int2{1, 1}, NoGil());
  m.def("conv_transpose1d", [opt](const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias,
                                  int64_t stride, int64_t padding, int64_t output_padding, int64_t groups,
                                  int64_t dilation) {
    return conv_transpose1d(input, weight, opt(bias), stride, padding, output_padding, groups, dilation);
  }, py::arg("input"), py::arg("weight"), py::arg("bias") = py::none(), py::arg("stride") = 1,
     py::arg("padding") = 0, py::arg("output_padding") = 0, py::arg("groups") = 1, py::arg("dilation") = 1, NoGil());
}

}  // namespace nd::py_bind
