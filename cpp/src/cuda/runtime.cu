// The CUDA runtime: device discovery that never crashes without a driver, the caching
// device allocator, copies between devices, and synchronization.
//
// Note [CUDA caching allocator]
// cudaMalloc/cudaFree synchronize the device and cost tens of microseconds, so freed blocks
// are kept in per-device free lists keyed by size class (512-byte steps below 1 MiB, 2 MiB
// steps above) and handed out again. All kernels and copies run on the legacy default stream,
// so a block freed on the host and reused by a later kernel is ordered after every earlier
// use of it: no event tracking is needed while there is one stream.
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "cuda/check.cuh"
#include "cuda/runtime.h"
#include "nativedl/runtime.h"

namespace nd::cuda {

void throw_cuda_error(cudaError_t err, const char* call) {
  cudaGetLastError();  // clears a non-sticky error so later calls are not blamed for it
  throw Error(detail::cat("[cuda] ", call, " failed: ", cudaGetErrorString(err), " (",
                          cudaGetErrorName(err), ")"));
}

DeviceGuard::DeviceGuard(int device) {
  ND_CUDA_CHECK(cudaGetDevice(&previous_));
  if (previous_ != device) ND_CUDA_CHECK(cudaSetDevice(device));
}
DeviceGuard::~DeviceGuard() {
  int current = previous_;
  if (cudaGetDevice(&current) == cudaSuccess && current != previous_) cudaSetDevice(previous_);
}

DeviceScope::DeviceScope(Device device) {
  if (device.type != DeviceType::CUDA) return;
  ND_CUDA_CHECK(cudaGetDevice(&previous_));
  if (previous_ != device.index) ND_CUDA_CHECK(cudaSetDevice(device.index));
  else previous_ = -1;  // nothing to restore
}
DeviceScope::~DeviceScope() {
  if (previous_ >= 0) cudaSetDevice(previous_);
}

namespace {

struct DeviceInfo {
  int count = 0;
  std::string reason;  // why count is 0
};

// Asked once: without a driver cudaGetDeviceCount returns an error code (it does not crash).
const DeviceInfo& device_info() {
  static const DeviceInfo info = [] {
    DeviceInfo d;
    const cudaError_t err = cudaGetDeviceCount(&d.count);
    if (err != cudaSuccess) {
      cudaGetLastError();
      d.count = 0;
      d.reason = detail::cat("cudaGetDeviceCount failed: ", cudaGetErrorString(err));
    } else if (d.count == 0) {
      d.reason = "the CUDA driver reports no device";
    }
    return d;
  }();
  return info;
}

constexpr size_t kSmallStep = 512;
constexpr size_t kLargeStep = size_t(2) << 20;
constexpr size_t kLargeFrom = size_t(1) << 20;

size_t size_class(size_t nbytes) {
  const size_t step = nbytes < kLargeFrom ? kSmallStep : kLargeStep;
  return (nbytes + step - 1) / step * step;
}

struct DeviceCache {
  std::unordered_map<size_t, std::vector<void*>> free_blocks;
  CudaMemoryStats stats;
};

struct Allocator {
  std::mutex mutex;
  std::vector<DeviceCache> devices;
  DeviceCache& on(int device) {
    if (devices.empty()) devices.resize(size_t(device_info().count));
    return devices[size_t(device)];
  }
};

Allocator& allocator() {
  static Allocator* a = new Allocator;  // never destroyed: tensors may outlive static destructors
  return *a;
}

// Frees one device's cached blocks; the caller holds the lock.
void release_cached(int device, DeviceCache& c) {
  DeviceGuard guard(device);
  for (auto& [size, blocks] : c.free_blocks) {
    for (void* p : blocks) {
      ND_CUDA_CHECK(cudaFree(p));
      c.stats.reserved_bytes -= size;
    }
  }
  c.free_blocks.clear();
}

std::string mib(size_t bytes) { return detail::cat(double(bytes) / double(1 << 20), " MiB"); }

}  // namespace

void register_unary_kernels();
void register_binary_kernels();
void register_copy_kernels();
void register_reduce_kernels();
void register_softmax_kernels();
void register_gemm_kernels();
void register_optim_kernels();
void register_activation_kernels();
void register_indexing_kernels();
void register_norm_kernels();
void register_pooling_kernels();
void register_conv_kernels();
void register_resample_kernels();
void register_embedding_kernels();
void register_depthwise_kernels();
void register_rnn_kernels();
void register_scan_kernels();
void register_sort_kernels();

void register_kernels() {
  register_optim_kernels();
  register_activation_kernels();
  register_indexing_kernels();
  register_gemm_kernels();
  register_unary_kernels();
  register_binary_kernels();
  register_copy_kernels();
  register_reduce_kernels();
  register_softmax_kernels();
  register_norm_kernels();
  register_pooling_kernels();
  register_conv_kernels();
  register_resample_kernels();
  register_embedding_kernels();
  register_depthwise_kernels();
  register_rnn_kernels();
  register_scan_kernels();
  register_sort_kernels();
}

void check_device(Device device, const char* op) {
  if (device.type != DeviceType::CUDA) return;
  const DeviceInfo& info = device_info();
  ND_CHECK(info.count > 0, Error, "[", op, "] device ", device.str(), " is not available: no CUDA device (",
           info.reason, ")");
  ND_CHECK(device.index < info.count, Error, "[", op, "] device ", device.str(), " is out of range: ",
           info.count, " CUDA device(s) are available");
}

Device resolve(Device device) {
  if (device.type != DeviceType::CUDA || device.index >= 0) return device;
  int current = 0;
  ND_CUDA_CHECK(cudaGetDevice(&current));
  return {DeviceType::CUDA, current};
}

void* alloc(size_t nbytes, int device, size_t* capacity) {
  *capacity = size_class(nbytes);
  if (*capacity == 0) return nullptr;
  Allocator& a = allocator();
  std::lock_guard<std::mutex> lock(a.mutex);
  DeviceCache& c = a.on(device);
  void* p = nullptr;
  auto it = c.free_blocks.find(*capacity);
  if (it != c.free_blocks.end() && !it->second.empty()) {
    p = it->second.back();
    it->second.pop_back();
  } else {
    DeviceGuard guard(device);
    cudaError_t err = cudaMalloc(&p, *capacity);
    if (err == cudaErrorMemoryAllocation) {  // give the cache back and try once more
      cudaGetLastError();
      release_cached(device, c);
      err = cudaMalloc(&p, *capacity);
    }
    if (err == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      throw Error(detail::cat("[cuda] out of memory: tried to allocate ", mib(*capacity), " on cuda:", device,
                              " (", mib(c.stats.allocated_bytes), " allocated by tensors, ",
                              mib(c.stats.reserved_bytes), " reserved)"));
    }
    if (err != cudaSuccess) throw_cuda_error(err, "cudaMalloc");
    c.stats.reserved_bytes += *capacity;
  }
  c.stats.allocated_bytes += *capacity;
  if (c.stats.allocated_bytes > c.stats.peak_allocated_bytes) c.stats.peak_allocated_bytes = c.stats.allocated_bytes;
  return p;
}

void free(void* p, size_t capacity, int device) {
  if (p == nullptr) return;
  Allocator& a = allocator();
  std::lock_guard<std::mutex> lock(a.mutex);
  DeviceCache& c = a.on(device);
  c.stats.allocated_bytes -= capacity;
  c.free_blocks[capacity].push_back(p);
}

Scratch::Scratch(size_t nbytes) {
  ND_CUDA_CHECK(cudaGetDevice(&device_));
  if (nbytes > 0) p_ = alloc(nbytes, device_, &capacity_);
}

Scratch::~Scratch() {
  if (p_ != nullptr) free(p_, capacity_, device_);
}

void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t nbytes) {
  if (nbytes == 0) return;
  const bool from_host = src_device.type == DeviceType::CPU, to_host = dst_device.type == DeviceType::CPU;
  if (from_host && to_host) {
    std::memcpy(dst, src, nbytes);
  } else if (from_host || to_host) {
    // cudaMemcpy on the legacy default stream waits for earlier kernels (device -> host: the data
    // is final when it returns) and has consumed a pageable source when it returns (host -> device).
    DeviceGuard guard(from_host ? dst_device.index : src_device.index);
    ND_CUDA_CHECK(cudaMemcpy(dst, src, nbytes, from_host ? cudaMemcpyHostToDevice : cudaMemcpyDeviceToHost));
  } else if (dst_device.index == src_device.index) {
    DeviceGuard guard(dst_device.index);
    ND_CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyDeviceToDevice, 0));
  } else {
    ND_CUDA_CHECK(cudaMemcpyPeer(dst, dst_device.index, src, src_device.index, nbytes));
  }
}

}  // namespace nd::cuda

namespace nd {

bool cuda_compiled() { return true; }
bool cuda_available() { return cuda::device_info().count > 0; }
int cuda_device_count() { return cuda::device_info().count; }

void cuda_synchronize() {
  cuda::check_device({DeviceType::CUDA, 0}, "cuda.synchronize");
  ND_CUDA_CHECK(cudaDeviceSynchronize());
}

CudaDeviceProperties cuda_device_properties(int device) {
  cuda::check_device({DeviceType::CUDA, device}, "cuda.get_device_properties");
  cudaDeviceProp p{};
  ND_CUDA_CHECK(cudaGetDeviceProperties(&p, device));
  return {p.name, p.major, p.minor, p.multiProcessorCount, p.totalGlobalMem};
}

CudaMemoryStats cuda_memory_stats(int device) {
  if (device < 0 || device >= cuda::device_info().count) return {};
  cuda::Allocator& a = cuda::allocator();
  std::lock_guard<std::mutex> lock(a.mutex);
  return a.on(device).stats;
}

void cuda_empty_cache() {
  const int n = cuda::device_info().count;
  if (n == 0) return;
  cuda::Allocator& a = cuda::allocator();
  std::lock_guard<std::mutex> lock(a.mutex);
  for (int d = 0; d < n; ++d) cuda::release_cached(d, a.on(d));
}

}  // namespace nd
