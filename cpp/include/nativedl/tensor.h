// The Tensor handle, its storage, and the functions that create tensors.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nativedl/dtype.h"
#include "nativedl/errors.h"

namespace nd {

/// Sizes (or strides) of a tensor, outermost dimension first.
using Shape = std::vector<int64_t>;
/// "(8, 3, 32, 32)": how error messages print shapes.
std::string shape_str(const Shape& s);
/// Product of the sizes (1 for a 0-d shape).
int64_t shape_numel(const Shape& s);
/// Row-major (C-contiguous) strides, in elements, of a shape.
Shape contiguous_strides(const Shape& s);

/// A block of memory shared by a tensor and its views. Memory owned by another
/// library (NumPy, DLPack) is kept alive through `owner` and freed by it.
struct Storage {
  void* data = nullptr;
  size_t nbytes = 0;
  Device device;
  std::shared_ptr<void> owner;  // external memory's keeper; null when the storage owns `data`
  size_t capacity = 0;          // size of the owned block (the allocator needs it back)
  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  ~Storage();
  /// Fresh, uninitialized, 64-byte aligned CPU memory.
  static std::shared_ptr<Storage> allocate(size_t nbytes, Device device = {});
  /// Wraps external memory; `owner` keeps it alive and releases it.
  static std::shared_ptr<Storage> wrap(void* data, size_t nbytes, std::shared_ptr<void> owner,
                                       Device device = {});
};

/// A Python-style number: a bool, an integer or a double, remembering which.
class Scalar {
 public:
  enum class Kind : int8_t { Bool, Int, Float };
  Scalar(bool v) : kind_(Kind::Bool), i_(v), d_(v) {}
  Scalar(int v) : kind_(Kind::Int), i_(v), d_(v) {}
  Scalar(int64_t v) : kind_(Kind::Int), i_(v), d_(double(v)) {}
  Scalar(double v) : kind_(Kind::Float), i_(int64_t(v)), d_(v) {}
  Scalar(float v) : Scalar(double(v)) {}
  Kind kind() const { return kind_; }
  double to_double() const { return d_; }
  int64_t to_int() const { return i_; }
  bool is_floating() const { return kind_ == Kind::Float; }
  /// The dtype PyTorch gives a Python number of this kind: bool, int64 or the default float.
  DType natural_dtype() const;
  /// Converts to element type T (same rules as a static_cast from the value).
  template <typename T> T to() const {
    if constexpr (std::is_same_v<T, bool>) return kind_ == Kind::Float ? d_ != 0 : i_ != 0;
    else if constexpr (std::is_floating_point_v<T>) return static_cast<T>(d_);
    else return kind_ == Kind::Float ? static_cast<T>(d_) : static_cast<T>(i_);
  }
 private:
  Kind kind_;
  int64_t i_;
  double d_;
};

class Node;
class Tensor;
struct AutogradMeta;

/// Counts in-place writes to a storage region; shared by a tensor and its views so
/// autograd can tell when a tensor saved for backward was modified.
struct VersionCounter {
  uint32_t value = 0;
};

/// The state behind a Tensor handle. Several handles may share one impl; views
/// have their own impl over the same storage.
struct TensorImpl {
  std::shared_ptr<Storage> storage;
  int64_t offset = 0;  // in elements
  Shape shape;
  Shape strides;  // in elements
  DType dtype = DType::Float32;
  std::shared_ptr<VersionCounter> version = std::make_shared<VersionCounter>();
  std::unique_ptr<AutogradMeta> autograd;  // null until autograd touches the tensor
  bool is_view = false;
  /// For views: the tensor whose storage they view (never itself a view), and the shared
  /// version when this view's autograd history was last made from the base's.
  /// See Note [In-place on views].
  std::shared_ptr<TensorImpl> view_base;
  uint32_t view_version = 0;
  /// A Python number turned into a 0-d tensor: it takes part in type promotion
  /// with the lowest priority, as in PyTorch.
  bool is_wrapped_number = false;
  TensorImpl();
  ~TensorImpl();
};

/// A gradient hook: receives the gradient and returns a replacement, or an
/// undefined tensor to keep it.
using TensorHook = std::function<Tensor(const Tensor&)>;

/// A reference-counted handle to a strided, typed view of a storage. Copying a
/// Tensor copies the handle, not the data.
class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return impl_ != nullptr; }
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

  DType dtype() const { return impl_->dtype; }
  Device device() const { return impl_->storage->device; }
  const Shape& shape() const { return impl_->shape; }
  const Shape& strides() const { return impl_->strides; }
  int64_t dim() const { return int64_t(impl_->shape.size()); }
  /// Size of dimension d; negative d counts from the end.
  int64_t size(int64_t d) const;
  int64_t stride(int64_t d) const;
  int64_t numel() const { return shape_numel(impl_->shape); }
  int64_t offset() const { return impl_->offset; }
  size_t element_size() const { return nd::element_size(impl_->dtype); }
  bool is_contiguous() const;
  /// Address of the first element in host memory. A CUDA tensor throws here: CPU code never
  /// reads a device pointer (an op without a CUDA kernel reports that instead of crashing).
  void* data_ptr() const {
    if (impl_->storage->device.type != DeviceType::CPU) throw_not_on_host();
    return device_data_ptr();
  }
  /// Address of the first element in the memory of the tensor's device (for CUDA kernels and copies).
  void* device_data_ptr() const {
    return static_cast<char*>(impl_->storage->data) + impl_->offset * int64_t(element_size());
  }
  bool is_cuda() const { return device().type == DeviceType::CUDA; }
  template <typename T> T* data() const {
    ND_CHECK(dtype_of<T>::value == dtype(), TypeError, "[data] tensor has dtype ",
             dtype_name(dtype()), ", not the requested ", dtype_name(dtype_of<T>::value));
    return static_cast<T*>(data_ptr());
  }
  /// The single element of a one-element tensor.
  Scalar item() const;
  template <typename T> T item() const { return item().to<T>(); }

  /// Same storage, same layout, no autograd history.
  Tensor detach() const;
  /// A new handle to the same impl (for APIs that want a distinct object).
  bool is_same(const Tensor& o) const { return impl_ == o.impl_; }
  uint32_t version() const { return impl_->version->value; }
  /// Records an in-place write (autograd checks saved tensors against it).
  void bump_version() const { ++impl_->version->value; }

  // Autograd (see autograd.h for the engine).
  bool requires_grad() const;
  /// Sets requires_grad on a leaf; raises on a non-leaf asked to stop requiring grad.
  Tensor& set_requires_grad(bool r);
  /// The accumulated gradient, or an undefined tensor.
  Tensor grad() const;
  void set_grad(const Tensor& g) const;
  const std::shared_ptr<Node>& grad_fn() const;
  int output_nr() const;
  bool is_leaf() const;
  /// Keeps .grad for a non-leaf tensor during backward.
  void retain_grad() const;
  bool retains_grad() const;
  /// Runs `hook` on this tensor's gradient whenever it is computed; returns a function
  /// that removes the hook.
  std::function<void()> register_hook(TensorHook hook) const;
  /// Back-propagates from this tensor; `gradient` is required unless it has one element.
  void backward(const Tensor& gradient = {}, bool retain_graph = false,
                bool create_graph = false) const;

 private:
  std::shared_ptr<TensorImpl> impl_;
  [[noreturn]] void throw_not_on_host() const;
};

/// Options for creation functions, PyTorch's keyword arguments.
struct TensorOptions {
  DType dtype = DType::Float32;
  Device device{};
  bool requires_grad = false;
  TensorOptions() : dtype(default_float_dtype()) {}
  TensorOptions(DType d) : dtype(d) {}
  TensorOptions& with_dtype(DType d) { dtype = d; return *this; }
  TensorOptions& with_requires_grad(bool r) { requires_grad = r; return *this; }
  TensorOptions& with_device(Device d) { device = d; return *this; }
};

/// A counter-based (Philox4x32-10) random generator: element i of a draw depends only on
/// the seed and the generator's offset, so results do not depend on the thread count.
class Generator {
 public:
  explicit Generator(uint64_t seed = 67280421310721ULL) : seed_(seed) {}
  void manual_seed(uint64_t seed) { seed_ = seed; offset_ = 0; }
  uint64_t initial_seed() const { return seed_; }
  /// Reserves n counters and returns the first one.
  uint64_t advance(uint64_t n) { uint64_t o = offset_; offset_ += (n + 3) / 4 * 4; return o; }
  uint64_t offset() const { return offset_; }
  void set_offset(uint64_t o) { offset_ = o; }
 private:
  uint64_t seed_;
  uint64_t offset_ = 0;
};
/// The process-wide generator used when none is given.
Generator& default_generator();
/// Seeds the default generator.
void manual_seed(uint64_t seed);
/// The generator for random tensors created on CUDA devices (PyTorch keeps one per device;
/// nativedl draws them on the host with this one and copies them over).
Generator& cuda_generator();
/// Parses "cpu", "cuda", "cuda:1"; `op` prefixes the error for anything else.
Device parse_device(const std::string& s, const char* op);

// Creation. Shapes are outermost first; dtype defaults as in PyTorch.
Tensor empty(const Shape& shape, TensorOptions opt = {});
Tensor zeros(const Shape& shape, TensorOptions opt = {});
Tensor ones(const Shape& shape, TensorOptions opt = {});
Tensor full(const Shape& shape, Scalar value, TensorOptions opt = {});
/// A 0-d tensor holding a number; `wrapped` marks a Python number for type promotion.
Tensor scalar_tensor(Scalar value, DType dtype, bool wrapped = false);
Tensor arange(Scalar start, Scalar end, Scalar step, TensorOptions opt);
Tensor linspace(double start, double end, int64_t steps, TensorOptions opt = {});
Tensor eye(int64_t n, int64_t m, TensorOptions opt = {});
Tensor rand(const Shape& shape, TensorOptions opt = {}, Generator* gen = nullptr);
Tensor randn(const Shape& shape, TensorOptions opt = {}, Generator* gen = nullptr);
/// Integers uniform in [low, high); int64 unless opt says otherwise.
Tensor randint(int64_t low, int64_t high, const Shape& shape, TensorOptions opt = {DType::Int64},
               Generator* gen = nullptr);
Tensor randperm(int64_t n, TensorOptions opt = {DType::Int64}, Generator* gen = nullptr);
/// Same shape, dtype and device as t.
Tensor empty_like(const Tensor& t);
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
Tensor full_like(const Tensor& t, Scalar value);
/// A tensor that copies `data` (row-major, numel(shape) elements).
template <typename T> Tensor from_vector(const std::vector<T>& data, const Shape& shape,
                                         bool requires_grad = false);

}  // namespace nd
