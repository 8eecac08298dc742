// Reductions and scans as nativedl.<op> and Tensor.<op>, with PyTorch's signatures; max/min
// along a dim return a (values, indices) structseq like torch.return_types.max.
#include "bindings.h"

#include <cmath>

namespace nd::py_bind {

namespace {

// Binds fn as nativedl.<name>(input, ...) and as the method Tensor.<name>(...).
template <typename Fn, typename... Extra>
void def_both(py::module_& m, TensorClass& cls, const char* name, Fn fn, const Extra&... extra) {
  m.def(name, fn, py::arg("input"), extra...);
  cls.def(name, fn, extra...);
}

// A named (values, indices) tuple type, nativedl.return_types.<name>.
PyTypeObject* values_indices_type(const char* qualified_name) {
  static PyStructSequence_Field fields[] = {{"values", nullptr}, {"indices", nullptr}, {nullptr, nullptr}};
  static std::vector<std::unique_ptr<PyStructSequence_Desc>> descs;  // must outlive the types
  descs.push_back(std::make_unique<PyStructSequence_Desc>(PyStructSequence_Desc{qualified_name, nullptr, fields, 2}));
  PyTypeObject* type = PyStructSequence_NewType(descs.back().get());
  if (type == nullptr) throw py::error_already_set();
  return type;
}

py::object values_indices(PyTypeObject* type, const std::tuple<Tensor, Tensor>& vi) {
  PyObject* o = PyStructSequence_New(type);
  if (o == nullptr) throw py::error_already_set();
  PyStructSequence_SetItem(o, 0, wrap(std::get<0>(vi)).release().ptr());
  PyStructSequence_SetItem(o, 1, wrap(std::get<1>(vi)).release().ptr());
  return py::reinterpret_steal<py::object>(o);
}

// torch.var/std's overloads: (dim, unbiased, keepdim) positionally, `correction` by keyword,
// or var(input, unbiased) with a bool in the dim position.
double parse_correction(py::handle& dim, py::handle unbiased, std::optional<double> correction, const char* op) {
  if (PyBool_Check(dim.ptr())) {
    ND_CHECK(unbiased.is_none(), TypeError, "[", op, "] 'unbiased' was given twice");
    unbiased = dim;
    dim = py::none();
  }
  ND_CHECK(unbiased.is_none() || !correction, TypeError, "[", op, "] pass either 'unbiased' or 'correction', not both");
  if (correction) return *correction;
  if (!unbiased.is_none()) {
    ND_CHECK(PyBool_Check(unbiased.ptr()), TypeError, "[", op, "] 'unbiased' must be a bool, got ",
             std::string(py::repr(unbiased)));
    return unbiased.cast<bool>() ? 1.0 : 0.0;
  }
  return 1.0;
}

// torch.norm's p: a number, inf, or 'fro' (the 2-norm over the given dims).
double parse_p(py::handle p) {
  if (py::isinstance<py::str>(p)) {
    const std::string s = p.cast<std::string>();
    ND_CHECK(s == "fro", ValueError, "[norm] p must be a number or 'fro', got '", s, "'");
    return 2.0;
  }
  ND_CHECK(PyFloat_Check(p.ptr()) || PyLong_Check(p.ptr()), TypeError, "[norm] p must be a number or 'fro', got ",
           std::string(py::repr(p)));
  return p.cast<double>();
}

}  // namespace

void bind_reduction(py::module_& m, TensorClass& cls) {
  const auto none = py::none();

  def_both(m, cls, "sum", [](const Tensor& x, py::handle dim, bool keepdim, std::optional<DType> dtype) {
    auto dims = to_dims(dim, "sum");
    py::gil_scoped_release release;
    return sum(x, dims, keepdim, dtype);
  }, py::arg("dim") = none, py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = none);
  def_both(m, cls, "mean", [](const Tensor& x, py::handle dim, bool keepdim, std::optional<DType> dtype) {
    auto dims = to_dims(dim, "mean");
    py::gil_scoped_release release;
    return mean(dtype ? to_dtype(x, *dtype) : x, dims, keepdim);
  }, py::arg("dim") = none, py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = none);
  def_both(m, cls, "prod", [](const Tensor& x, std::optional<int64_t> dim, bool keepdim, std::optional<DType> dtype) {
    py::gil_scoped_release release;
    return prod(x, dim, keepdim, dtype);
  }, py::arg("dim") = none, py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = none);

  // max/min: the value; (values, indices) along a dim; or maximum/minimum with a tensor.
  py::module_ rt = m.def_submodule("_return_types", "Named tuples returned by ops (torch.return_types)");
  for (const bool is_max : {true, false}) {
    const char* name = is_max ? "max" : "min";
    PyTypeObject* type = values_indices_type(is_max ? "nativedl.return_types.max" : "nativedl.return_types.min");
    rt.attr(name) = py::reinterpret_borrow<py::object>(reinterpret_cast<PyObject*>(type));
    def_both(m, cls, name, [is_max](const Tensor& x) {
      py::gil_scoped_release release;
      return is_max ? max(x) : min(x);
    });
    def_both(m, cls, name, [is_max](const Tensor& x, const Tensor& other) {
      py::gil_scoped_release release;
      return is_max ? maximum(x, other) : minimum(x, other);
    }, py::arg("other"));
    def_both(m, cls, name, [is_max, type](const Tensor& x, int64_t dim, bool keepdim) {
      std::tuple<Tensor, Tensor> r;
      {
        py::gil_scoped_release release;
        r = is_max ? max(x, dim, keepdim) : min(x, dim, keepdim);
      }
      return values_indices(type, r);
    }, py::arg("dim"), py::arg("keepdim") = false);
  }
  for (const bool is_max : {true, false}) {
    def_both(m, cls, is_max ? "amax" : "amin", [is_max](const Tensor& x, py::handle dim, bool keepdim) {
      auto dims = to_dims(dim, is_max ? "amax" : "amin");
      py::gil_scoped_release release;
      return is_max ? amax(x, dims, keepdim) : amin(x, dims, keepdim);
    }, py::arg("dim") = py::tuple(), py::arg("keepdim") = false);
    def_both(m, cls, is_max ? "argmax" : "argmin", [is_max](const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
      py::gil_scoped_release release;
      return is_max ? argmax(x, dim, keepdim) : argmin(x, dim, keepdim);
    }, py::arg("dim") = none, py::arg("keepdim") = false);
  }

  for (const bool is_std : {false, true}) {
    const char* name = is_std ? "std" : "var";
    def_both(m, cls, name, [is_std, name](const Tensor& x, py::handle dim, py::handle unbiased, bool keepdim,
                                          std::optional<double> correction) {
      const double c = parse_correction(dim, unbiased, correction, name);
      auto dims = to_dims(dim, name);
      py::gil_scoped_release release;
      return is_std ? std_dev(x, dims, c, keepdim) : var(x, dims, c, keepdim);
    }, py::arg("dim") = none, py::arg("unbiased") = none, py::arg("keepdim") = false, py::kw_only(),
       py::arg("correction") = none);
  }

  def_both(m, cls, "logsumexp", [](const Tensor& x, py::handle dim, bool keepdim) {
    auto dims = to_dims(dim, "logsumexp");
    py::gil_scoped_release release;
    return logsumexp(x, dims, keepdim);
  }, py::arg("dim"), py::arg("keepdim") = false);
  def_both(m, cls, "norm", [](const Tensor& x, py::handle p, py::handle dim, bool keepdim, std::optional<DType> dtype) {
    const double pv = parse_p(p);
    auto dims = to_dims(dim, "norm");
    py::gil_scoped_release release;
    return norm(dtype ? to_dtype(x, *dtype) : x, pv, dims, keepdim);
  }, py::arg("p") = "fro", py::arg("dim") = none, py::arg("keepdim") = false, py::arg("dtype") = none);

  for (const bool is_all : {true, false}) {
    def_both(m, cls, is_all ? "all" : "any", [is_all](const Tensor& x, py::handle dim, bool keepdim) {
      auto dims = to_dims(dim, is_all ? "all" : "any");
      py::gil_scoped_release release;
      return is_all ? all(x, dims, keepdim) : any(x, dims, keepdim);
    }, py::arg("dim") = none, py::arg("keepdim") = false);
  }

  for (const bool is_sum : {true, false}) {
    def_both(m, cls, is_sum ? "cumsum" : "cumprod", [is_sum](const Tensor& x, int64_t dim, std::optional<DType> dtype) {
      py::gil_scoped_release release;
      return is_sum ? cumsum(x, dim, dtype) : cumprod(x, dim, dtype);
    }, py::arg("dim"), py::kw_only(), py::arg("dtype") = none);
  }

  m.def("_sum_to", &sum_to);
}

}  // namespace nd::py_bind
