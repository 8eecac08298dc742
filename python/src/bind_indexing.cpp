// Indexing ops as functions and methods, and Python's advanced indexing (x[idx], x[idx] = v).
#include "bindings.h"
#include "inplace.h"

namespace nd::py_bind {

namespace {

IndexList to_index_list(py::handle indices) {
  IndexList out;
  for (py::handle h : indices) {
    if (h.is_none()) out.push_back(std::nullopt);
    else out.push_back(to_tensor(h, "index"));
  }
  return out;
}

// A list or NumPy array as an index tensor; an empty list indexes nothing (int64, as PyTorch).
Tensor index_tensor(py::handle h) {
  Tensor t = to_tensor(h, "index");
  if (is_floating(t.dtype()) && t.numel() == 0) t = to_dtype(t, DType::Int64);
  return t;
}

// x with the basic items of `index` applied as views, and the index tensors left for
// index/index_put_, one per remaining dim (PyTorch's applySlicing). Boolean masks become
// their nonzero coordinates; a 0-d integer tensor acts as an int, a 0-d bool as a bool.
struct Translated {
  Tensor view;
  IndexList indices;
};

Translated translate(const Tensor& self, py::handle index, const char* op) {
  py::tuple raw = py::isinstance<py::tuple>(index) ? py::reinterpret_borrow<py::tuple>(index) : py::make_tuple(index);
  std::vector<py::object> items;
  int64_t consumed = 0, ellipses = 0;
  for (py::handle it : raw) {
    py::object o = py::reinterpret_borrow<py::object>(it);
    if (!py::isinstance<Tensor>(it) && (py::isinstance<py::list>(it) || py::hasattr(it, "__array_interface__")))
      o = py::cast(index_tensor(it));
    if (py::isinstance<Tensor>(o)) {
      const Tensor t = o.cast<Tensor>();
      const bool is_mask = t.dtype() == DType::Bool || t.dtype() == DType::UInt8;
      if (t.dim() == 0) o = is_mask ? py::object(py::bool_(t.item<bool>())) : py::object(py::int_(t.item<int64_t>()));
      else consumed += is_mask ? t.dim() : 1;
      ND_CHECK(t.dim() == 0 || is_mask || t.dtype() == DType::Int64 || t.dtype() == DType::Int32, IndexError, "[", op,
               "] tensors used as indices must be long, int, byte or bool tensors, got ", dtype_name(t.dtype()));
      if (t.dim() == 0 && !is_mask)
        ND_CHECK(!is_floating(t.dtype()), IndexError, "[", op, "] tensors used as indices must be long, int, byte or "
                 "bool tensors, got ", dtype_name(t.dtype()));
    } else if (it.ptr() == Py_Ellipsis) {
      ++ellipses;
    } else if (!it.is_none() && !PyBool_Check(it.ptr())) {
      ++consumed;
    }
    items.push_back(o);
  }
  ND_CHECK(ellipses <= 1, IndexError, "[", op, "] an index can only have a single ellipsis ('...')");
  ND_CHECK(consumed <= self.dim(), IndexError, "[", op, "] too many indices for tensor of dimension ", self.dim(),
           " (shape ", shape_str(self.shape()), ")");
  Translated r;
  Tensor t = self;
  int64_t dim = 0;
  auto record_index = [&](const Tensor& ix) {
    r.indices.resize(size_t(dim) + 1);
    r.indices[size_t(dim)] = ix;
    ++dim;
  };
  for (const py::object& it : items) {
    if (it.is_none()) {
      t = unsqueeze(t, dim++);
    } else if (it.ptr() == Py_Ellipsis) {
      dim += self.dim() - consumed;
    } else if (PyBool_Check(it.ptr())) {
      t = unsqueeze(t, dim);
      if (!it.cast<bool>()) t = slice(t, dim, 0, 0, 1);
      ++dim;
    } else if (py::isinstance<Tensor>(it)) {
      const Tensor& ix = it.cast<const Tensor&>();
      if (ix.dtype() == DType::Bool || ix.dtype() == DType::UInt8) {
        for (int64_t k = 0; k < ix.dim(); ++k)
          ND_CHECK(ix.shape()[size_t(k)] == t.shape()[size_t(dim + k)], IndexError, "[", op, "] the shape of the "
                   "mask ", shape_str(ix.shape()), " does not match the shape of the indexed tensor ",
                   shape_str(t.shape()), " starting at dim ", dim);
        for (const Tensor& c : nonzero_tuple(ix)) record_index(c);
      } else {
        record_index(ix);
      }
    } else if (PySlice_Check(it.ptr())) {
      auto sl = py::reinterpret_borrow<py::slice>(it);
      auto opt = [](py::object o) -> std::optional<int64_t> {
        if (o.is_none()) return std::nullopt;
        return py::cast<int64_t>(py::reinterpret_steal<py::object>(PyNumber_Index(o.ptr())));
      };
      std::optional<int64_t> step = opt(sl.attr("step"));
      ND_CHECK(!step || *step > 0, ValueError, "[", op, "] step must be greater than zero, got ", step.value_or(0));
      t = slice(t, dim, opt(sl.attr("start")), opt(sl.attr("stop")), step.value_or(1));
      ++dim;
    } else if (PyIndex_Check(it.ptr())) {
      t = select(t, dim, py::cast<int64_t>(py::reinterpret_steal<py::object>(PyNumber_Index(it.ptr()))));
    } else {
      throw TypeError(std::string("[") + op + "] only integers, slices (`:`), ellipsis (`...`), None, bools and "
                      "integer or boolean tensors are valid indices, got " +
                      std::string(py::str(it.get_type().attr("__name__"))));
    }
  }
  r.view = t;
  return r;
}

bool has_tensor(const IndexList& l) {
  for (const auto& i : l) if (i) return true;
  return false;
}

}  // namespace

Tensor getitem(const Tensor& self, py::handle index) {
  Translated tr = translate(self, index, "index");
  if (!has_tensor(tr.indices)) return tr.view;
  py::gil_scoped_release release;
  return nd::index(tr.view, tr.indices);
}

void setitem(Tensor& self, py::handle index, py::handle value) {
  Translated tr = translate(self, index, "index_put_");
  Tensor v = py::isinstance<Tensor>(value) ? value.cast<Tensor>()
           : (PyBool_Check(value.ptr()) || PyLong_Check(value.ptr()) || PyFloat_Check(value.ptr()))
               ? scalar_tensor(to_scalar(value, "index_put_"), tr.view.dtype())
               : to_tensor(value, "index_put_");
  py::gil_scoped_release release;
  if (has_tensor(tr.indices)) index_put_(tr.view, tr.indices, v, false);
  else copy_(tr.view, v);
}

void bind_indexing(py::module_& m, TensorClass& cls) {
  m.def("_index", [](const Tensor& x, py::handle indices) { return nd::index(x, to_index_list(indices)); },
        py::arg("input"), py::arg("indices"));
  auto index_put_fn = [](const Tensor& x, py::handle indices, const Tensor& values, bool acc) {
    return index_put(x, to_index_list(indices), values, acc);
  };
  m.def("index_put", index_put_fn, py::arg("input"), py::arg("indices"), py::arg("values"), py::arg("accumulate") = false);
  cls.def("index_put", index_put_fn, py::arg("indices"), py::arg("values"), py::arg("accumulate") = false);
  cls.def("index_put_", [](py::object self, py::handle indices, const Tensor& values, bool acc) {
    IndexList idx = to_index_list(indices);
    return return_self(self, [&](Tensor& x) { index_put_(x, idx, values, acc); });
  }, py::arg("indices"), py::arg("values"), py::arg("accumulate") = false);

  m.def("index_select", &index_select, py::arg("input"), py::arg("dim"), py::arg("index"));
  cls.def("index_select", &index_select, py::arg("dim"), py::arg("index"));
  auto index_add_fn = [](const Tensor& x, int64_t d, const Tensor& i, const Tensor& s, py::handle alpha) {
    return index_add(x, d, i, s, to_scalar(alpha, "index_add"));
  };
  m.def("index_add", index_add_fn, py::arg("input"), py::arg("dim"), py::arg("index"), py::arg("source"), py::kw_only(), py::arg("alpha") = 1);
  cls.def("index_add", index_add_fn, py::arg("dim"), py::arg("index"), py::arg("source"), py::kw_only(), py::arg("alpha") = 1);
  cls.def("index_add_", [](py::object self, int64_t d, const Tensor& i, const Tensor& s, py::handle alpha) {
    Scalar a = to_scalar(alpha, "index_add_");
    return return_self(self, [&](Tensor& x) { index_add_(x, d, i, s, a); });
  }, py::arg("dim"), py::arg("index"), py::arg("source"), py::kw_only(), py::arg("alpha") = 1);

  m.def("gather", &gather, py::arg("input"), py::arg("dim"), py::arg("index"));
  cls.def("gather", &gather, py::arg("dim"), py::arg("index"));
  // scatter(input, dim, index, src) or scatter(input, dim, index, value=number).
  auto scatter_fn = [](const Tensor& x, int64_t d, const Tensor& i, py::handle src, py::handle value) {
    ND_CHECK(src.is_none() != value.is_none(), TypeError, "[scatter] expected exactly one of src or value");
    if (!value.is_none()) return scatter(x, d, i, to_scalar(value, "scatter"));
    if (py::isinstance<Tensor>(src)) return scatter(x, d, i, src.cast<const Tensor&>());
    return scatter(x, d, i, to_scalar(src, "scatter"));
  };
  m.def("scatter", scatter_fn, py::arg("input"), py::arg("dim"), py::arg("index"), py::arg("src") = py::none(), py::kw_only(), py::arg("value") = py::none());
  cls.def("scatter", scatter_fn, py::arg("dim"), py::arg("index"), py::arg("src") = py::none(), py::kw_only(), py::arg("value") = py::none());
  cls.def("scatter_", [](py::object self, int64_t d, const Tensor& i, py::handle src, py::handle value) {
    ND_CHECK(src.is_none() != value.is_none(), TypeError, "[scatter_] expected exactly one of src or value");
    if (value.is_none() && py::isinstance<Tensor>(src)) {
      const Tensor& s = src.cast<const Tensor&>();
      return return_self(self, [&](Tensor& x) { scatter_(x, d, i, s); });
    }
    Scalar v = to_scalar(value.is_none() ? src : value, "scatter_");
    return return_self(self, [&](Tensor& x) { scatter_(x, d, i, v); });
  }, py::arg("dim"), py::arg("index"), py::arg("src") = py::none(), py::kw_only(), py::arg("value") = py::none());
  m.def("scatter_add", &scatter_add, py::arg("input"), py::arg("dim"), py::arg("index"), py::arg("src"));
  cls.def("scatter_add", &scatter_add, py::arg("dim"), py::arg("index"), py::arg("src"));
  cls.def("scatter_add_", [](py::object self, int64_t d, const Tensor& i, const Tensor& src) {
    return return_self(self, [&](Tensor& x) { scatter_add_(x, d, i, src); });
  }, py::arg("dim"), py::arg("index"), py::arg("src"));

  auto masked_fill_fn = [](const Tensor& x, const Tensor& mask, py::handle value) {
    if (py::isinstance<Tensor>(value)) return masked_fill(x, mask, value.cast<const Tensor&>());
    return masked_fill(x, mask, to_scalar(value, "masked_fill"));
  };
  m.def("masked_fill", masked_fill_fn, py::arg("input"), py::arg("mask"), py::arg("value"));
  cls.def("masked_fill", masked_fill_fn, py::arg("mask"), py::arg("value"));
  cls.def("masked_fill_", [](py::object self, const Tensor& mask, py::handle value) {
    if (py::isinstance<Tensor>(value)) {
      const Tensor& v = value.cast<const Tensor&>();
      return return_self(self, [&](Tensor& x) { masked_fill_(x, mask, v); });
    }
    Scalar v = to_scalar(value, "masked_fill_");
    return return_self(self, [&](Tensor& x) { masked_fill_(x, mask, v); });
  }, py::arg("mask"), py::arg("value"));
  m.def("masked_select", &masked_select, py::arg("input"), py::arg("mask"));
  cls.def("masked_select", &masked_select, py::arg("mask"));
  auto nonzero_fn = [](const Tensor& x, bool as_tuple) -> py::object {
    if (as_tuple) return py::tuple(py::cast(nonzero_tuple(x)));
    return py::cast(nonzero(x));
  };
  m.def("nonzero", nonzero_fn, py::arg("input"), py::kw_only(), py::arg("as_tuple") = false);
  cls.def("nonzero", nonzero_fn, py::kw_only(), py::arg("as_tuple") = false);
  m.def("take", &take, py::arg("input"), py::arg("index"));
  cls.def("take", &take, py::arg("index"));
}

}  // namespace nd::py_bind
