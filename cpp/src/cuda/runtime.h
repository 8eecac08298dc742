// The CUDA runtime as the rest of the core sees it: plain C++ (no CUDA headers), so ops and
// storage compile the same with or without the backend. runtime.cu implements it with the
// CUDA runtime; disabled.cpp, compiled instead when the backend is off, reports its absence.
#pragma once
#include <cstddef>
#include <cstdint>

#include "nativedl/dtype.h"

namespace nd::cuda {

/// Throws a clear nd::Error when `device` cannot hold tensors: a build without CUDA, no
/// driver or device, or an index past the device count. `op` prefixes the message.
void check_device(Device device, const char* op);
/// `device` with a concrete index (cuda -> cuda:<current device>).
Device resolve(Device device);
/// At least `nbytes` of device memory from the caching allocator; *capacity receives the
/// block's size class, which free() needs back.
void* alloc(size_t nbytes, int device, size_t* capacity);
/// Returns a block to its size-class free list (no CUDA call: safe at any time).
void free(void* p, size_t capacity, int device);
/// Device memory for one op's kernels from the caching allocator, on the current device, returned
/// to the cache on destruction: work that reuses the block is queued behind those kernels on the
/// stream, so it may go as soon as they are launched. Holds nothing when nbytes is 0.
class Scratch {
 public:
  explicit Scratch(size_t nbytes);
  ~Scratch();
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  void* data() const { return p_; }
  Device device() const { return {DeviceType::CUDA, device_}; }
 private:
  void* p_ = nullptr;
  size_t capacity_ = 0;
  int device_ = 0;
};
/// Copies nbytes between any two devices. Copies to the host return when the data is there;
/// copies from the host return when the source may be reused; device-to-device copies are
/// queued on the default stream behind earlier kernels.
void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t nbytes);

/// Fills n floats (or doubles) on the current device with the uniform draw
/// core::uniform_element(key, base, i) (the host's numbers for the same generator state).
void fill_uniform(void* out, int64_t n, bool dbl, uint64_t key, uint64_t base);

/// Makes a CUDA device current for a scope (kernels launch on the current device); a CPU
/// device leaves everything as it is.
class DeviceScope {
 public:
  explicit DeviceScope(Device device);
  ~DeviceScope();
  DeviceScope(const DeviceScope&) = delete;
  DeviceScope& operator=(const DeviceScope&) = delete;
 private:
  int previous_ = -1;
};

/// The fused optimizer updates of CUDA parameters are queued (Note [Multi-tensor optimizer
/// steps] in cuda/optim.cu) until the optimizer has visited a whole parameter group: flush
/// launches them, all parameters of one rule and dtype in one kernel (up to a table's worth);
/// discard drops them (the step failed before its group ended). The buffers queued must stay
/// alive until then.
void flush_optimizer_steps();
void discard_optimizer_steps() noexcept;

/// Fills the `cuda` slot of the dispatch stubs that have a CUDA kernel (nothing without the
/// backend); cpu::register_all_kernels() calls it once.
void register_kernels();

}  // namespace nd::cuda
