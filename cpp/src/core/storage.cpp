#include <cstdlib>
#include <new>

#include "nativedl/tensor.h"

namespace nd {

std::shared_ptr<Storage> Storage::allocate(size_t nbytes, Device device) {
  ND_CHECK(device.type == DeviceType::CPU, Error, "[empty] device ", device.str(),
           " is not available in this build");
  auto s = std::make_shared<Storage>();
  // 64-byte alignment: whole cache lines, and aligned SIMD loads where kernels want them.
  const size_t rounded = (nbytes + 63) / 64 * 64;
  void* p = rounded ? std::aligned_alloc(64, rounded) : nullptr;
  if (rounded && p == nullptr) throw std::bad_alloc();
  s->data = p;
  s->nbytes = nbytes;
  s->device = device;
  return s;
}

Storage::~Storage() {
  if (!owner) std::free(data);
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
