// The Tensor class: dtypes, properties, basic indexing, and creation functions.
#include "bindings.h"

namespace nd::py_bind {

void bind_dtype(py::module_& m) {
  py::enum_<DType>(m, "dtype")
      .value("bool", DType::Bool)
      .value("uint8", DType::UInt8)
      .value("int32", DType::Int32)
      .value("int64", DType::Int64)
      .value("float32", DType::Float32)
      .value("float64", DType::Float64)
      .def("__repr__", [](DType d) { return std::string("nativedl.") + dtype_name(d); })
      .def("__str__", [](DType d) { return std::string("nativedl.") + dtype_name(d); })
      .def_property_readonly("is_floating_point", [](DType d) { return is_floating(d); })
      .def_property_readonly("itemsize", [](DType d) { return element_size(d); });
  m.def("get_default_dtype", &default_float_dtype);
  m.def("set_default_dtype", &set_default_float_dtype, py::arg("d"));
  m.def("promote_types", &promote_types, py::arg("type1"), py::arg("type2"));
  m.def("result_type", [](py::handle a, py::handle b) {
    return result_type(to_tensor(a, "result_type"), to_tensor(b, "result_type"));
  }, py::arg("tensor1"), py::arg("tensor2"));
}

namespace {

// Applies the basic part of an index (ints, slices, None, Ellipsis) as views.
Tensor basic_index(const Tensor& self, py::handle index) {
  py::tuple items = py::isinstance<py::tuple>(index) ? py::reinterpret_borrow<py::tuple>(index)
                                                      : py::make_tuple(index);
  int64_t consumed = 0, ellipses = 0;
  for (py::handle it : items) {
    if (it.is_none()) continue;
    if (it.ptr() == Py_Ellipsis) { ++ellipses; continue; }
    if (PyBool_Check(it.ptr())) continue;
    ++consumed;
  }
  ND_CHECK(ellipses <= 1, IndexError, "[index] an index can only have a single ellipsis ('...')");
  ND_CHECK(consumed <= self.dim(), IndexError, "[index] too many indices for tensor of dimension ", self.dim(),
           " (shape ", shape_str(self.shape()), ")");
  Tensor t = self;
  int64_t dim = 0;
  for (py::handle it : items) {
    if (it.is_none()) {
      t = unsqueeze(t, dim++);
    } else if (it.ptr() == Py_Ellipsis) {
      dim += self.dim() - consumed;
    } else if (PyBool_Check(it.ptr())) {
      // x[True] adds a dim of 1; x[False] a dim of 0, as NumPy.
      t = unsqueeze(t, dim);
      if (!it.cast<bool>()) t = slice(t, dim, 0, 0, 1);
      ++dim;
    } else if (PyLong_Check(it.ptr()) || PyIndex_Check(it.ptr())) {
      t = select(t, dim, py::cast<int64_t>(py::reinterpret_borrow<py::object>(PyNumber_Index(it.ptr()))));
    } else if (PySlice_Check(it.ptr())) {
      auto sl = py::reinterpret_borrow<py::slice>(it);
      auto opt = [](py::object o) -> std::optional<int64_t> {
        if (o.is_none()) return std::nullopt;
        return o.cast<int64_t>();
      };
      std::optional<int64_t> step = opt(sl.attr("step"));
      ND_CHECK(!step || *step > 0, ValueError, "[index] step must be greater than zero, got ", step.value_or(0));
      t = slice(t, dim, opt(sl.attr("start")), opt(sl.attr("stop")), step.value_or(1));
      ++dim;
    } else {
      throw TypeError("[index] only integers, slices (`:`), ellipsis (`...`), None, bools and integer or "
                      "boolean tensors are valid indices, got " +
                      std::string(py::str(it.get_type().attr("__name__"))));
    }
  }
  return t;
}

// Integer/boolean tensors, lists and NumPy arrays among the index items.
bool has_advanced(py::handle index) {
  // NumPy scalars and 0-d arrays have __array_interface__ too but index like ints.
  auto advanced = [](py::handle h) {
    if (py::isinstance<Tensor>(h) || py::isinstance<py::list>(h)) return true;
    return py::hasattr(h, "__array_interface__") && py::getattr(h, "ndim").cast<int>() > 0;
  };
  if (py::isinstance<py::tuple>(index)) {
    for (py::handle h : index) if (advanced(h)) return true;
    return false;
  }
  return advanced(index);
}

}  // namespace

void bind_tensor(py::module_& m, TensorClass& cls) {
  cls.def(py::init([](const Tensor& other) { return other.detach(); }), py::arg("data"))
      .def_property_readonly("dtype", &Tensor::dtype)
      .def("_shape", [](const Tensor& t) { return py::tuple(py::cast(t.shape())); })
      .def_property_readonly("ndim", &Tensor::dim)
      .def("dim", &Tensor::dim)
      .def("ndimension", &Tensor::dim)
      .def("numel", &Tensor::numel)
      .def("nelement", &Tensor::numel)
      .def("element_size", &Tensor::element_size)
      .def("is_contiguous", &Tensor::is_contiguous)
      .def("storage_offset", &Tensor::offset)
      .def("data_ptr", [](const Tensor& t) { return reinterpret_cast<uintptr_t>(t.device_data_ptr()); })
      .def("_device", [](const Tensor& t) { return t.device().str(); })
      .def_property_readonly("is_cuda", &Tensor::is_cuda)
      .def("_to_device", [](const Tensor& t, const std::string& device) {
        const Device d = parse_device(device, "to");
        py::gil_scoped_release release;
        return to_device(t, d);
      }, py::arg("device"))
      .def_property_readonly("_version", &Tensor::version)
      .def_property_readonly("_base_storage_id", [](const Tensor& t) { return reinterpret_cast<uintptr_t>(t.impl()->storage.get()); })
      .def("stride", [](const Tensor& t, py::object dim) -> py::object {
        if (dim.is_none()) return py::tuple(py::cast(t.strides()));
        return py::cast(t.stride(dim.cast<int64_t>()));
      }, py::arg("dim") = py::none())
      .def("item", [](const Tensor& t) -> py::object {
        Scalar s = t.item();
        switch (s.kind()) {
          case Scalar::Kind::Bool: return py::bool_(s.to<bool>());
          case Scalar::Kind::Int: return py::int_(s.to_int());
          default: return py::float_(s.to_double());
        }
      })
      .def("_is_same", &Tensor::is_same)
      .def("__getitem__", [](const Tensor& t, py::handle index) {
        return has_advanced(index) ? getitem(t, index) : basic_index(t, index);
      })
      .def("__setitem__", [](Tensor& t, py::handle index, py::handle value) {
        if (has_advanced(index)) return setitem(t, index, value);
        Tensor view = basic_index(t, index);
        if (py::isinstance<Tensor>(value)) copy_(view, value.cast<const Tensor&>());
        else if (PyBool_Check(value.ptr()) || PyLong_Check(value.ptr()) || PyFloat_Check(value.ptr())) fill_(view, to_scalar(value, "index_put_"));
        else copy_(view, to_tensor(value, "index_put_"));
      });
  // Replaces the tensor's data (storage, layout, dtype) by other's, keeping its identity and
  // autograd state: what Module.to() and `param.data = ...` need.
  cls.def("_set_data", [](Tensor& self, const Tensor& other) {
    TensorImpl* dst = self.impl();
    const TensorImpl* src = other.impl();
    dst->storage = src->storage;
    dst->offset = src->offset;
    dst->shape = src->shape;
    dst->strides = src->strides;
    dst->dtype = src->dtype;
    dst->version = src->version;
  }, py::arg("data"));
  m.def("_basic_index", &basic_index);
  m.def("_has_advanced_index", &has_advanced);
}

void bind_creation(py::module_& m) {
  // device arrives as None or str(nd.device(...)).
  auto opts = [](std::optional<DType> dtype, bool requires_grad, DType fallback, const std::optional<std::string>& device) {
    TensorOptions o(dtype.value_or(fallback));
    if (device) o.with_device(parse_device(*device, "tensor"));
    return o.with_requires_grad(requires_grad);
  };
  using Dev = std::optional<std::string>;
  m.def("_empty", [=](const Shape& s, std::optional<DType> d, bool rg, const Dev& dev) { return empty(s, opts(d, rg, default_float_dtype(), dev)); });
  m.def("_zeros", [=](const Shape& s, std::optional<DType> d, bool rg, const Dev& dev) { return zeros(s, opts(d, rg, default_float_dtype(), dev)); });
  m.def("_ones", [=](const Shape& s, std::optional<DType> d, bool rg, const Dev& dev) { return ones(s, opts(d, rg, default_float_dtype(), dev)); });
  m.def("_full", [=](const Shape& s, py::handle v, std::optional<DType> d, bool rg, const Dev& dev) {
    Scalar sv = to_scalar(v, "full");
    return full(s, sv, opts(d, rg, sv.natural_dtype(), dev));
  });
  m.def("_arange", [=](py::handle start, py::handle end, py::handle step, std::optional<DType> d, bool rg, const Dev& dev) {
    Scalar a = to_scalar(start, "arange"), b = to_scalar(end, "arange"), c = to_scalar(step, "arange");
    const bool fl = a.is_floating() || b.is_floating() || c.is_floating();
    return arange(a, b, c, opts(d, rg, fl ? default_float_dtype() : DType::Int64, dev));
  });
  m.def("_linspace", [=](double a, double b, int64_t n, std::optional<DType> d, bool rg, const Dev& dev) { return linspace(a, b, n, opts(d, rg, default_float_dtype(), dev)); });
  m.def("_eye", [=](int64_t n, std::optional<int64_t> mm, std::optional<DType> d, bool rg, const Dev& dev) { return eye(n, mm.value_or(n), opts(d, rg, default_float_dtype(), dev)); });
  m.def("_rand", [=](const Shape& s, Generator* g, std::optional<DType> d, bool rg, const Dev& dev) { return rand(s, opts(d, rg, default_float_dtype(), dev), g); });
  m.def("_randn", [=](const Shape& s, Generator* g, std::optional<DType> d, bool rg, const Dev& dev) { return randn(s, opts(d, rg, default_float_dtype(), dev), g); });
  m.def("_randint", [=](int64_t lo, int64_t hi, const Shape& s, Generator* g, std::optional<DType> d, bool rg, const Dev& dev) { return randint(lo, hi, s, opts(d, rg, DType::Int64, dev), g); });
  m.def("_randperm", [=](int64_t n, Generator* g, std::optional<DType> d, bool rg, const Dev& dev) { return randperm(n, opts(d, rg, DType::Int64, dev), g); });
  py::class_<Generator>(m, "Generator")
      .def(py::init<>())
      .def("manual_seed", [](Generator& g, uint64_t s) -> Generator& { g.manual_seed(s); return g; }, py::arg("seed"), py::return_value_policy::reference)
      .def("initial_seed", &Generator::initial_seed)
      .def("get_state", [](const Generator& g) { return py::make_tuple(g.initial_seed(), g.offset()); })
      .def("set_state", [](Generator& g, py::tuple st) { g.manual_seed(st[0].cast<uint64_t>()); g.set_offset(st[1].cast<uint64_t>()); });
  m.def("manual_seed", &manual_seed, py::arg("seed"));
  m.def("default_generator", &default_generator, py::return_value_policy::reference);
  m.def("set_num_threads", &set_num_threads, py::arg("n"));
  m.def("get_num_threads", &get_num_threads);
  m.def("_cpu_isa", &cpu_isa);
  m.def("_cpu_memory_stats", [] {
    const CpuMemoryStats s = cpu_memory_stats();
    py::dict d;
    d["allocated_bytes"] = s.allocated_bytes;
    d["cached_bytes"] = s.cached_bytes;
    d["peak_allocated_bytes"] = s.peak_allocated_bytes;
    return d;
  });
  m.def("_cpu_empty_cache", &cpu_empty_cache);
  m.def("_cuda_compiled", &cuda_compiled);
  m.def("_cuda_available", &cuda_available);
  m.def("_cuda_device_count", &cuda_device_count);
  m.def("_cuda_synchronize", &cuda_synchronize, py::call_guard<py::gil_scoped_release>());
  m.def("_cuda_memory_stats", [](int device) {
    const CudaMemoryStats s = cuda_memory_stats(device);
    py::dict d;
    d["allocated_bytes"] = s.allocated_bytes;
    d["reserved_bytes"] = s.reserved_bytes;
    d["peak_allocated_bytes"] = s.peak_allocated_bytes;
    return d;
  }, py::arg("device"));
  m.def("_cuda_empty_cache", &cuda_empty_cache);
  m.def("_cuda_device_properties", [](int device) {
    const CudaDeviceProperties p = cuda_device_properties(device);
    py::dict d;
    d["name"] = p.name;
    d["major"] = p.major;
    d["minor"] = p.minor;
    d["multi_processor_count"] = p.multi_processor_count;
    d["total_memory"] = p.total_memory;
    return d;
  }, py::arg("device"));
  m.def("_set_cuda_matmul_allow_tf32", &set_cuda_matmul_allow_tf32, py::arg("allow"));
  m.def("_cuda_matmul_allow_tf32", &cuda_matmul_allow_tf32);
  m.def("_cuda_generator", &cuda_generator, py::return_value_policy::reference);
  m.attr("__version__") = version();
}

}  // namespace nd::py_bind
