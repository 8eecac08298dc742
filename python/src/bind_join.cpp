// Joining, rearranging and sorting ops as functions and methods.
#include "bindings.h"

namespace nd::py_bind {

namespace {

std::vector<Tensor> to_tensor_list(py::handle seq, const char* op) {
  ND_CHECK(!py::isinstance<Tensor>(seq) && py::hasattr(seq, "__iter__"), TypeError, "[", op,
           "] expected a sequence of tensors, got ", std::string(py::str(seq.get_type().attr("__name__"))));
  std::vector<Tensor> out;
  for (py::handle h : seq) out.push_back(to_tensor(h, op));
  return out;
}

// torch.return_types-style named tuples (values, indices).
py::object named_result(const char* name, const SortResult& r) {
  static py::object sort_t = py::module_::import("collections").attr("namedtuple")("sort", "values indices");
  static py::object topk_t = py::module_::import("collections").attr("namedtuple")("topk", "values indices");
  return (std::string(name) == "topk" ? topk_t : sort_t)(r.values, r.indices);
}

// split(tensor, split_size_or_sections, dim): an int size or a list of sizes.
std::vector<Tensor> split_any(const Tensor& x, py::handle sizes, int64_t dim) {
  if (PyLong_Check(sizes.ptr())) return split(x, sizes.cast<int64_t>(), dim);
  return split_with_sizes(x, to_dims(sizes, "split"), dim);
}

}  // namespace

void bind_join(py::module_& m, TensorClass& cls) {
  auto cat_fn = [](py::handle tensors, int64_t dim) { return cat(to_tensor_list(tensors, "cat"), dim); };
  for (const char* name : {"cat", "concat", "concatenate"})
    m.def(name, cat_fn, py::arg("tensors"), py::arg("dim") = 0);
  m.def("stack", [](py::handle tensors, int64_t dim) { return stack(to_tensor_list(tensors, "stack"), dim); },
        py::arg("tensors"), py::arg("dim") = 0);
  m.def("split", split_any, py::arg("tensor"), py::arg("split_size_or_sections"), py::arg("dim") = 0);
  cls.def("split", split_any, py::arg("split_size"), py::arg("dim") = 0);
  m.def("chunk", &chunk, py::arg("input"), py::arg("chunks"), py::arg("dim") = 0);
  cls.def("chunk", &chunk, py::arg("chunks"), py::arg("dim") = 0);
  auto flip_fn = [](const Tensor& x, py::handle dims) { return flip(x, to_dims(dims, "flip")); };
  m.def("flip", flip_fn, py::arg("input"), py::arg("dims"));
  cls.def("flip", [](const Tensor& x, py::args dims) { return flip(x, to_shape(dims, "flip")); });
  auto roll_fn = [](const Tensor& x, py::handle shifts, py::handle dims) {
    return roll(x, to_dims(shifts, "roll"), to_dims(dims, "roll"));
  };
  m.def("roll", roll_fn, py::arg("input"), py::arg("shifts"), py::arg("dims") = py::none());
  cls.def("roll", roll_fn, py::arg("shifts"), py::arg("dims") = py::none());
  cls.def("repeat", [](const Tensor& x, py::args reps) { return repeat(x, to_shape(reps, "repeat")); });
  m.def("tile", [](const Tensor& x, py::handle dims) { return tile(x, to_dims(dims, "tile")); }, py::arg("input"), py::arg("dims"));
  cls.def("tile", [](const Tensor& x, py::args dims) { return tile(x, to_shape(dims, "tile")); });
  m.def("pad", [](const Tensor& x, py::handle p, const std::string& mode, std::optional<double> value) {
    return pad(x, to_dims(p, "pad"), mode, value.value_or(0.0));
  }, py::arg("input"), py::arg("pad"), py::arg("mode") = "constant", py::arg("value") = py::none());
  m.def("tril", &tril, py::arg("input"), py::arg("diagonal") = 0);
  cls.def("tril", &tril, py::arg("diagonal") = 0);
  m.def("triu", &triu, py::arg("input"), py::arg("diagonal") = 0);
  cls.def("triu", &triu, py::arg("diagonal") = 0);

  auto sort_fn = [](const Tensor& x, int64_t dim, bool descending, bool stable) {
    return named_result("sort", sort(x, dim, descending, stable));
  };
  m.def("sort", sort_fn, py::arg("input"), py::arg("dim") = -1, py::arg("descending") = false, py::kw_only(), py::arg("stable") = false);
  cls.def("sort", sort_fn, py::arg("dim") = -1, py::arg("descending") = false, py::kw_only(), py::arg("stable") = false);
  m.def("argsort", &argsort, py::arg("input"), py::arg("dim") = -1, py::arg("descending") = false, py::kw_only(), py::arg("stable") = false);
  cls.def("argsort", &argsort, py::arg("dim") = -1, py::arg("descending") = false, py::kw_only(), py::arg("stable") = false);
  auto topk_fn = [](const Tensor& x, int64_t k, int64_t dim, bool largest, bool sorted) {
    return named_result("topk", topk(x, k, dim, largest, sorted));
  };
  m.def("topk", topk_fn, py::arg("input"), py::arg("k"), py::arg("dim") = -1, py::arg("largest") = true, py::arg("sorted") = true);
  cls.def("topk", topk_fn, py::arg("k"), py::arg("dim") = -1, py::arg("largest") = true, py::arg("sorted") = true);
}

}  // namespace nd::py_bind
