// Zero-copy exchange with NumPy (from_numpy, .numpy(), the buffer protocol) and with any
// library speaking DLPack.
#include <pybind11/numpy.h>

#include "bindings.h"
#include "cuda/runtime.h"

namespace nd::py_bind {

namespace {

// ---- DLPack ABI (dlpack.h v0.8: the legacy, unversioned capsule every producer accepts)
struct DLDevice { int32_t device_type; int32_t device_id; };
struct DLDataType { uint8_t code; uint8_t bits; uint16_t lanes; };
struct DLTensor {
  void* data; DLDevice device; int32_t ndim; DLDataType dtype; int64_t* shape; int64_t* strides; uint64_t byte_offset;
};
struct DLManagedTensor { DLTensor dl_tensor; void* manager_ctx; void (*deleter)(DLManagedTensor*); };
constexpr int32_t kDLCPU = 1;
constexpr int32_t kDLCUDA = 2;
// DLPack's stream argument: -1 asks for no synchronization, 1 is CUDA's legacy default stream
// (the one nativedl queues all work on, so nothing needs to wait).
constexpr int64_t kDLStreamNone = -1, kDLStreamLegacy = 1;

py::tuple dl_device_of(const Tensor& t) {
  return t.is_cuda() ? py::make_tuple(kDLCUDA, t.device().index) : py::make_tuple(kDLCPU, 0);
}
enum : uint8_t { kDLInt = 0, kDLUInt = 1, kDLFloat = 2, kDLBool = 6 };

DLDataType to_dl(DType d) {
  switch (d) {
    case DType::Bool: return {kDLBool, 8, 1};
    case DType::UInt8: return {kDLUInt, 8, 1};
    case DType::Int32: return {kDLInt, 32, 1};
    case DType::Int64: return {kDLInt, 64, 1};
    case DType::Float32: return {kDLFloat, 32, 1};
    case DType::Float64: return {kDLFloat, 64, 1};
  }
  return {};
}

DType from_dl(DLDataType t) {
  ND_CHECK(t.lanes == 1, TypeError, "[from_dlpack] vector dtypes (lanes=", int(t.lanes), ") are not supported");
  if (t.code == kDLBool && t.bits == 8) return DType::Bool;
  if (t.code == kDLUInt && t.bits == 8) return DType::UInt8;
  if (t.code == kDLUInt && t.bits == 1) return DType::Bool;
  if (t.code == kDLInt && t.bits == 32) return DType::Int32;
  if (t.code == kDLInt && t.bits == 64) return DType::Int64;
  if (t.code == kDLFloat && t.bits == 32) return DType::Float32;
  if (t.code == kDLFloat && t.bits == 64) return DType::Float64;
  throw TypeError("[from_dlpack] unsupported DLPack dtype (code " + std::to_string(t.code) + ", bits " +
                  std::to_string(t.bits) + ")");
}

struct DLContext {  // what a capsule we export owns
  Tensor tensor;
  Shape shape, strides;
  DLManagedTensor managed;
};

py::capsule to_dlpack(const Tensor& t) {
  auto* ctx = new DLContext{t.detach(), t.shape(), t.strides(), {}};
  DLTensor& dl = ctx->managed.dl_tensor;
  dl.data = t.impl()->storage->data;
  dl.byte_offset = uint64_t(t.offset()) * t.element_size();
  dl.device = t.is_cuda() ? DLDevice{kDLCUDA, t.device().index} : DLDevice{kDLCPU, 0};
  dl.ndim = int32_t(t.dim());
  dl.dtype = to_dl(t.dtype());
  dl.shape = ctx->shape.data();
  dl.strides = ctx->strides.data();
  ctx->managed.manager_ctx = ctx;
  ctx->managed.deleter = [](DLManagedTensor* m) { delete static_cast<DLContext*>(m->manager_ctx); };
  // A capsule never consumed deletes its tensor; a consumer renames it to "used_dltensor".
  return py::capsule(&ctx->managed, "dltensor", [](PyObject* cap) {
    if (PyCapsule_IsValid(cap, "dltensor")) {
      auto* m = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(cap, "dltensor"));
      m->deleter(m);
    }
  });
}

Tensor from_dlpack_capsule(py::capsule cap) {
  ND_CHECK(PyCapsule_IsValid(cap.ptr(), "dltensor"), ValueError, "[from_dlpack] expected an unconsumed "
           "'dltensor' capsule");
  auto* m = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(cap.ptr(), "dltensor"));
  const DLTensor& dl = m->dl_tensor;
  ND_CHECK(dl.device.device_type == kDLCPU || dl.device.device_type == kDLCUDA, ValueError, "[from_dlpack] only "
           "CPU and CUDA tensors are supported, got DLPack device type ", dl.device.device_type);
  const Device device = dl.device.device_type == kDLCUDA ? Device{DeviceType::CUDA, dl.device.device_id} : Device{};
  cuda::check_device(device, "from_dlpack");
  const DType dtype = from_dl(dl.dtype);
  Shape shape(dl.shape, dl.shape + dl.ndim);
  Shape strides = dl.strides ? Shape(dl.strides, dl.strides + dl.ndim) : contiguous_strides(shape);
  PyCapsule_SetName(cap.ptr(), "used_dltensor");
  auto owner = std::shared_ptr<void>(m, [](void* p) { auto* mm = static_cast<DLManagedTensor*>(p); if (mm->deleter) mm->deleter(mm); });
  const int64_t esize = int64_t(element_size(dtype));
  ND_CHECK(dl.byte_offset % uint64_t(esize) == 0, ValueError, "[from_dlpack] byte_offset is not a multiple of the element size");
  int64_t lo = 0, hi = 0;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0) { lo = hi = 0; break; }
    (strides[i] < 0 ? lo : hi) += strides[i] * (shape[i] - 1);
  }
  char* base = static_cast<char*>(dl.data) + dl.byte_offset + lo * esize;
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = Storage::wrap(base, size_t((hi - lo + 1) * esize), owner, device);
  impl->offset = -lo;
  impl->shape = shape;
  impl->strides = strides;
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

py::dtype numpy_dtype(DType d) {
  switch (d) {
    case DType::Bool: return py::dtype::of<bool>();
    case DType::UInt8: return py::dtype::of<uint8_t>();
    case DType::Int32: return py::dtype::of<int32_t>();
    case DType::Int64: return py::dtype::of<int64_t>();
    case DType::Float32: return py::dtype::of<float>();
    case DType::Float64: return py::dtype::of<double>();
  }
  return py::dtype::of<float>();
}

DType dtype_from_numpy(const py::dtype& dt) {
  const char kind = dt.kind();
  const auto size = dt.itemsize();
  if (kind == 'b') return DType::Bool;
  if (kind == 'u' && size == 1) return DType::UInt8;
  if (kind == 'i' && size == 4) return DType::Int32;
  if (kind == 'i' && size == 8) return DType::Int64;
  if (kind == 'f' && size == 4) return DType::Float32;
  if (kind == 'f' && size == 8) return DType::Float64;
  throw TypeError("[from_numpy] can't convert np.ndarray of type " + std::string(py::str(dt)) +
                  "; the only supported types are: float64, float32, int64, int32, uint8, and bool");
}

Tensor from_numpy(py::array arr) {
  const DType dtype = dtype_from_numpy(arr.dtype());
  ND_CHECK(arr.dtype().byteorder() != '>', TypeError, "[from_numpy] big-endian arrays are not supported");
  // As PyTorch: shared anyway, with a warning (a copy would break from_numpy's promise).
  if (!arr.writeable() &&
      PyErr_WarnEx(PyExc_UserWarning, "[from_numpy] The given NumPy array is not writable, and nativedl does not "
                   "support non-writable tensors: writing to this tensor writes the array's read-only memory. "
                   "Copy the array (np.array(a)) or make it writable before converting it.", 1) != 0)
    throw py::error_already_set();
  const int64_t esize = int64_t(element_size(dtype));
  Shape shape(arr.shape(), arr.shape() + arr.ndim()), strides(size_t(arr.ndim()));
  int64_t lo = 0, hi = 0;
  bool empty_array = false;
  for (py::ssize_t i = 0; i < arr.ndim(); ++i) {
    ND_CHECK(arr.strides(i) % esize == 0, ValueError, "[from_numpy] strides not a multiple of the element size are not supported");
    strides[size_t(i)] = arr.strides(i) / esize;
    if (shape[size_t(i)] == 0) empty_array = true;
    else (strides[size_t(i)] < 0 ? lo : hi) += strides[size_t(i)] * (shape[size_t(i)] - 1);
  }
  if (empty_array) lo = hi = 0;
  py::object keep = arr;
  auto owner = std::shared_ptr<void>(new py::object(keep), [](void* p) {
    py::gil_scoped_acquire g;
    delete static_cast<py::object*>(p);
  });
  char* base = static_cast<char*>(const_cast<void*>(arr.data())) + lo * esize;
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = Storage::wrap(base, size_t((hi - lo + 1) * esize), owner);
  impl->offset = -lo;
  impl->shape = shape;
  impl->strides = strides;
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

// PyTorch's wording, so code that catches it reads the same.
void check_host(const Tensor& t) {
  ND_CHECK(!t.is_cuda(), TypeError, "[numpy] can't convert ", t.device().str(), " device type tensor to numpy. "
           "Use Tensor.cpu() to copy the tensor to host memory first.");
}

py::array to_numpy(const Tensor& t) {
  check_host(t);
  ND_CHECK(!(t.requires_grad() && grad_mode_enabled()), Error, "[numpy] can't call numpy() on a tensor that "
           "requires grad; use tensor.detach().numpy() instead");
  std::vector<py::ssize_t> shape(t.shape().begin(), t.shape().end()), strides;
  for (int64_t s : t.strides()) strides.push_back(py::ssize_t(s * int64_t(t.element_size())));
  // The capsule keeps the storage alive for as long as NumPy uses the memory.
  auto* keep = new Tensor(t.detach());
  py::capsule base(keep, [](void* p) { delete static_cast<Tensor*>(p); });
  return py::array(numpy_dtype(t.dtype()), shape, strides, t.data_ptr(), base);
}

}  // namespace

void bind_interop(py::module_& m, TensorClass& cls) {
  m.def("from_numpy", &from_numpy, py::arg("ndarray"));
  cls.def("numpy", [](const Tensor& t, bool force) { return to_numpy(force ? t.detach() : t); }, py::kw_only(), py::arg("force") = false);
  cls.def_buffer([](const Tensor& t) {
    check_host(t);
    ND_CHECK(!t.requires_grad(), Error, "[numpy] can't export a tensor that requires grad through the buffer "
             "protocol; use tensor.detach()");
    std::vector<py::ssize_t> shape(t.shape().begin(), t.shape().end()), strides;
    for (int64_t s : t.strides()) strides.push_back(py::ssize_t(s * int64_t(t.element_size())));
    std::string fmt = t.dtype() == DType::Bool ? "?" : std::string(py::str(numpy_dtype(t.dtype()).attr("char")));
    return py::buffer_info(t.data_ptr(), py::ssize_t(t.element_size()), fmt, py::ssize_t(t.dim()), shape, strides);
  });
  cls.def("__dlpack__", [](const Tensor& t, py::handle stream, py::handle max_version, py::handle dl_device, py::handle copy) {
    ND_CHECK(!t.requires_grad(), Error, "[__dlpack__] can't export a tensor that requires grad; use tensor.detach()");
    ND_CHECK(copy.is_none() || !copy.cast<bool>(), ValueError, "[__dlpack__] copy=True is not supported; export without copying");
    (void)max_version; (void)dl_device;
    if (t.is_cuda() && !stream.is_none()) {
      const int64_t s = stream.cast<int64_t>();
      if (s != kDLStreamNone && s != kDLStreamLegacy) {
        py::gil_scoped_release release;
        cuda_synchronize();  // the consumer's stream must see every queued write
      }
    }
    return to_dlpack(t);
  }, py::kw_only(), py::arg("stream") = py::none(), py::arg("max_version") = py::none(),
     py::arg("dl_device") = py::none(), py::arg("copy") = py::none());
  cls.def("__dlpack_device__", &dl_device_of);
  m.def("_from_dlpack_capsule", &from_dlpack_capsule);
  m.def("_to_dlpack", &to_dlpack);
}

}  // namespace nd::py_bind
