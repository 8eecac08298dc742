// Matrix products as functions, Tensor methods and the @ operator.
#include "bindings.h"

namespace nd::py_bind {

namespace {

using NoGil = py::call_guard<py::gil_scoped_release>;

// tensordot's dims: an int, or a pair of dim lists (or of single dims).
std::pair<std::vector<int64_t>, std::vector<int64_t>> tensordot_dims(py::handle dims) {
  auto as_list = [](py::handle h) {
    return py::isinstance<py::int_>(h) ? std::vector<int64_t>{h.cast<int64_t>()} : to_dims(h, "tensordot");
  };
  ND_CHECK(py::isinstance<py::sequence>(dims) && py::len(dims) == 2, TypeError,
           "[tensordot] dims must be an int or a pair of dim lists, got ", std::string(py::repr(dims)));
  return {as_list(dims[py::int_(0)]), as_list(dims[py::int_(1)])};
}

}  // namespace

void bind_linalg(py::module_& m, TensorClass& cls) {
  using Bin = Tensor (*)(const Tensor&, const Tensor&);
  struct Def { const char* name; Bin fn; const char* other; };
  const Def defs[] = {{"matmul", &matmul, "other"}, {"mm", &mm, "mat2"}, {"bmm", &bmm, "mat2"},
                      {"mv", &mv, "vec"},           {"dot", &dot, "tensor"}, {"outer", &outer, "vec2"}};
  for (const Def& d : defs) {
    m.def(d.name, d.fn, py::arg("input"), py::arg(d.other), NoGil());
    cls.def(d.name, d.fn, py::arg(d.other), NoGil());
  }
  cls.def("__matmul__", [](const Tensor& a, py::handle b) {
    Tensor tb = to_tensor(b, "matmul");
    py::gil_scoped_release release;
    return matmul(a, tb);
  }, py::is_operator());
  cls.def("__rmatmul__", [](const Tensor& a, py::handle b) {
    Tensor tb = to_tensor(b, "matmul");
    py::gil_scoped_release release;
    return matmul(tb, a);
  }, py::is_operator());

  auto scalar_of = [](py::handle h, const char* op) { return to_scalar(h, op); };
  m.def("addmm", [scalar_of](const Tensor& in, const Tensor& a, const Tensor& b, py::handle beta, py::handle alpha) {
    const Scalar sb = scalar_of(beta, "addmm"), sa = scalar_of(alpha, "addmm");
    py::gil_scoped_release release;
    return addmm(in, a, b, sb, sa);
  }, py::arg("input"), py::arg("mat1"), py::arg("mat2"), py::kw_only(), py::arg("beta") = 1, py::arg("alpha") = 1);
  cls.def("addmm", [scalar_of](const Tensor& in, const Tensor& a, const Tensor& b, py::handle beta, py::handle alpha) {
    const Scalar sb = scalar_of(beta, "addmm"), sa = scalar_of(alpha, "addmm");
    py::gil_scoped_release release;
    return addmm(in, a, b, sb, sa);
  }, py::arg("mat1"), py::arg("mat2"), py::kw_only(), py::arg("beta") = 1, py::arg("alpha") = 1);
  m.def("baddbmm", [scalar_of](const Tensor& in, const Tensor& a, const Tensor& b, py::handle beta, py::handle alpha) {
    const Scalar sb = scalar_of(beta, "baddbmm"), sa = scalar_of(alpha, "baddbmm");
    py::gil_scoped_release release;
    return baddbmm(in, a, b, sb, sa);
  }, py::arg("input"), py::arg("batch1"), py::arg("batch2"), py::kw_only(), py::arg("beta") = 1, py::arg("alpha") = 1);
  cls.def("baddbmm", [scalar_of](const Tensor& in, const Tensor& a, const Tensor& b, py::handle beta, py::handle alpha) {
    const Scalar sb = scalar_of(beta, "baddbmm"), sa = scalar_of(alpha, "baddbmm");
    py::gil_scoped_release release;
    return baddbmm(in, a, b, sb, sa);
  }, py::arg("batch1"), py::arg("batch2"), py::kw_only(), py::arg("beta") = 1, py::arg("alpha") = 1);

  // einsum(equation, *operands) or einsum(equation, [operands]), as in PyTorch.
  m.def("einsum", [](const std::string& equation, py::args args) {
    std::vector<Tensor> operands;
    py::handle list = args.size() == 1 && !py::isinstance<Tensor>(args[0]) ? args[0] : py::handle(args);
    for (py::handle h : list) operands.push_back(to_tensor(h, "einsum"));
    py::gil_scoped_release release;
    return einsum(equation, operands);
  }, py::arg("equation"));
  m.def("tensordot", [](const Tensor& a, const Tensor& b, py::handle dims) {
    if (py::isinstance<py::int_>(dims)) {
      const int64_t d = dims.cast<int64_t>();
      py::gil_scoped_release release;
      return tensordot(a, b, d);
    }
    const auto [da, db] = tensordot_dims(dims);
    py::gil_scoped_release release;
    return tensordot(a, b, da, db);
  }, py::arg("a"), py::arg("b"), py::arg("dims") = 2);
}

}  // namespace nd::py_bind
