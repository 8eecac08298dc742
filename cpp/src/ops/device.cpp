// to_device: copies between host and device memory, recorded for autograd.
#include "autograd/meta.h"
#include "cuda/runtime.h"
#include "nativedl/nativedl.h"

namespace nd {

Tensor to_device(const Tensor& x, Device device) {
  cuda::check_device(device, "to");
  device = cuda::resolve(device);
  if (x.device() == device) return x;
  Tensor out;
  {
    NoGradGuard no_grad;
    const Tensor src = contiguous(x);  // on x's device, so the copy below is one block
    out = empty(x.shape(), TensorOptions(x.dtype()).with_device(device));
    cuda::copy_bytes(out.device_data_ptr(), device, src.device_data_ptr(), src.device(),
                     size_t(src.numel()) * src.element_size());
  }
  if (is_floating(x.dtype())) {
    const Device from = x.device();
    autograd::record("ToCopyBackward0", {x}, {out},
                     [from](const TensorList& g) { return TensorList{to_device(g[0], from)}; });
  }
  return out;
}

}  // namespace nd
