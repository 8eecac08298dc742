// Tensor handle methods that are not ops.
#include "autograd/meta.h"
#include "core/shape.h"
#include "cpu/kernel_api.h"
#include "cuda/runtime.h"
#include "nativedl/nativedl.h"

namespace nd {

TensorImpl::TensorImpl() = default;
TensorImpl::~TensorImpl() = default;

int64_t Tensor::size(int64_t d) const { return shape()[core::wrap_dim(d, dim(), "size")]; }
int64_t Tensor::stride(int64_t d) const { return strides()[core::wrap_dim(d, dim(), "stride")]; }

bool Tensor::is_contiguous() const {
  if (numel() == 0) return true;  // as PyTorch: no element is out of place (NumPy gives empty arrays stride 0)
  int64_t expected = 1;
  for (int64_t i = dim() - 1; i >= 0; --i) {
    if (shape()[i] == 1) continue;
    if (strides()[i] != expected) return false;
    expected *= shape()[i];
  }
  return true;
}

void Tensor::throw_not_on_host() const {
  throw Error(detail::cat("[cuda] not implemented for CUDA tensors: this op has no CUDA kernel "
                          "and reached the CPU code with a tensor on ", device().str(), " (shape ",
                          shape_str(shape()), ", ", dtype_name(dtype()), "); move its inputs with .cpu()"));
}

Scalar Tensor::item() const {
  ND_CHECK(numel() == 1, ValueError, "[item] a tensor with ", numel(), " elements (shape ",
           shape_str(shape()), ") cannot be converted to a Python number");
  alignas(8) unsigned char host[8];  // the element, copied from device memory when it lives there
  const void* p = is_cuda() ? host : data_ptr();
  if (is_cuda()) cuda::copy_bytes(host, Device{}, device_data_ptr(), device(), element_size());
  switch (dtype()) {
    case DType::Bool: return Scalar(*static_cast<const bool*>(p));
    case DType::UInt8: return Scalar(int64_t(*static_cast<const uint8_t*>(p)));
    case DType::Int32: return Scalar(int64_t(*static_cast<const int32_t*>(p)));
    case DType::Int64: return Scalar(*static_cast<const int64_t*>(p));
    case DType::Float32: return Scalar(double(*static_cast<const float*>(p)));
    case DType::Float64: return Scalar(*static_cast<const double*>(p));
  }
  return Scalar(0.0);
}

Tensor Tensor::detach() const {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = impl_->storage;
  impl->offset = impl_->offset;
  impl->shape = impl_->shape;
  impl->strides = impl_->strides;
  impl->dtype = impl_->dtype;
  impl->version = impl_->version;
  // Detaching breaks history: the result is not a view in autograd's sense, so in-place
  // ops on it never reach back into the base's graph.
  return Tensor(std::move(impl));
}

bool Tensor::requires_grad() const {
  const AutogradMeta* m = impl_->autograd.get();
  return m != nullptr && (m->requires_grad || m->grad_fn != nullptr);
}

Tensor& Tensor::set_requires_grad(bool r) {
  if (!is_leaf()) {
    ND_CHECK(r, Error, "[requires_grad_] you can only change requires_grad flags of leaf variables; "
             "use detach() to get a tensor that does not require grad");
    return *this;
  }
  ND_CHECK(!r || is_floating(dtype()), TypeError, "[requires_grad_] only floating point tensors can require "
           "gradients, got dtype ", dtype_name(dtype()));
  if (r || impl_->autograd) autograd::meta(*this).requires_grad = r;
  return *this;
}

Tensor Tensor::grad() const {
  const AutogradMeta* m = impl_->autograd.get();
  return m ? m->grad : Tensor();
}

void Tensor::set_grad(const Tensor& g) const {
  if (g.defined()) {
    ND_CHECK(g.shape() == shape(), ValueError, "[grad] assigned grad has shape ", shape_str(g.shape()),
             " but the tensor has shape ", shape_str(shape()));
    ND_CHECK(g.dtype() == dtype(), TypeError, "[grad] assigned grad has dtype ", dtype_name(g.dtype()),
             " but the tensor has dtype ", dtype_name(dtype()));
  }
  if (g.defined() || impl_->autograd) autograd::meta(*this).grad = g;
}

const std::shared_ptr<Node>& Tensor::grad_fn() const {
  static const std::shared_ptr<Node> none;
  const AutogradMeta* m = impl_->autograd.get();
  return m ? m->grad_fn : none;
}

int Tensor::output_nr() const { return impl_->autograd ? impl_->autograd->output_nr : 0; }
bool Tensor::is_leaf() const { return grad_fn() == nullptr; }
bool Tensor::retains_grad() const { return impl_->autograd && impl_->autograd->retains_grad; }

const char* version() { return NATIVEDL_VERSION; }
const char* cpu_isa() { return cpu::isa_name(cpu::active_isa()); }

}  // namespace nd
