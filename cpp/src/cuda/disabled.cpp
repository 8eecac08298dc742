// The CUDA runtime entry points of a build without the CUDA backend: nothing is available,
// and asking for a CUDA tensor says why.
#include <cstring>

#include "cuda/runtime.h"
#include "nativedl/machine.h"
#include "nativedl/runtime.h"
#include "nativedl/tensor.h"

namespace nd {

bool cuda_compiled() { return false; }
bool cuda_available() { return false; }
int cuda_device_count() { return 0; }
void cuda_synchronize() {
  throw Error("[cuda.synchronize] nativedl was built without CUDA (no CUDA compiler was found at build time)");
}
CudaMemoryStats cuda_memory_stats(int) { return {}; }
CudaDeviceProperties cuda_device_properties(int device) {
  cuda::check_device({DeviceType::CUDA, device}, "cuda.get_device_properties");
  return {};
}
void cuda_empty_cache() {}
CudaPeak measure_cuda_peak(int64_t, int) {
  throw Error("[measure_cuda_peak] nativedl was built without CUDA (no CUDA compiler was found at build time)");
}

namespace cuda {

void check_device(Device device, const char* op) {
  ND_CHECK(device.type != DeviceType::CUDA, Error, "[", op, "] device ", device.str(),
           " is not available: nativedl was built without CUDA (no CUDA compiler was found at build time)");
}
Device resolve(Device device) { return device; }
void* alloc(size_t, int device, size_t*) {
  check_device({DeviceType::CUDA, device}, "empty");
  return nullptr;
}
void free(void*, size_t, int) {}
void fill_uniform(void*, int64_t, bool, uint64_t, uint64_t) { check_device({DeviceType::CUDA, 0}, "rand"); }
void register_kernels() {}
void flush_optimizer_steps() {}
void discard_optimizer_steps() noexcept {}
DeviceScope::DeviceScope(Device device) { check_device(device, "cuda"); }
DeviceScope::~DeviceScope() = default;
void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t nbytes) {
  check_device(dst_device, "to");
  check_device(src_device, "to");
  std::memcpy(dst, src, nbytes);  // both on the CPU
}

}  // namespace cuda
}  // namespace nd
