#include <cstdlib>
#include <new>

#include "core/allocator.h"
#include "nativedl/tensor.h"

namespace nd {

std::shared_ptr<Storage> Storage::allocate(size_t nbytes, Device device) {
  ND_CHECK(device.type == DeviceType::CPU, Error, "[empty] device ", device.str(),
           " is not available in this build");
  auto s = std::make_shared<Storage>();
  s->data = core::cpu_alloc(nbytes, &s->capacity);
  s->nbytes = nbytes;
  s->device = device;
  return s;
}

Storage::~Storage() {
  if (!owner) core::cpu_free(data, capacity);
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
