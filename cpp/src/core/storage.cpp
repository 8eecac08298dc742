#include <cstdlib>
#include <new>

#include "core/allocator.h"
#include "cuda/runtime.h"
#include "nativedl/tensor.h"

namespace nd {

std::shared_ptr<Storage> Storage::allocate(size_t nbytes, Device device) {
  auto s = std::make_shared<Storage>();
  if (device.type == DeviceType::CUDA) {
    cuda::check_device(device, "empty");
    s->device = cuda::resolve(device);
    s->data = cuda::alloc(nbytes, s->device.index, &s->capacity);
  } else {
    s->device = Device{};
    s->data = core::cpu_alloc(nbytes, &s->capacity);
  }
  s->nbytes = nbytes;
  return s;
}

Storage::~Storage() {
  if (owner) return;
  if (device.type == DeviceType::CUDA) cuda::free(data, capacity, device.index);
  else core::cpu_free(data, capacity);
}

std::shared_ptr<Storage> Storage::wrap(void* data, size_t nbytes, std::shared_ptr<void> owner, Device device) {
  auto s = std::make_shared<Storage>();
  s->data = data;
  s->nbytes = nbytes;
  s->device = device;
  s->owner = std::move(owner);
  return s;
}

}  // namespace nd
