// Large blocks are cached by size class instead of returned to the OS: a fresh 64 MiB
// result otherwise costs one page fault per 4 KiB page on every op (several times the
// op's own memory traffic), and a training loop asks for the same sizes every step.
// Small blocks go to malloc, which already recycles them cheaply.
#include "core/allocator.h"

#include <sys/mman.h>

#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include "nativedl/runtime.h"

namespace nd::core {
namespace {

constexpr size_t kLargeBlock = size_t(1) << 20;   // cached at or above this size
constexpr size_t kHugePage = size_t(2) << 20;     // large blocks are multiples of it
constexpr size_t kCacheLimit = size_t(1) << 30;   // at most this much is kept unused

struct Cache {
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<void*>> free_blocks;
  size_t allocated = 0, cached = 0, peak = 0;
};

Cache& cache() {
  static Cache* c = new Cache;  // never destroyed: tensors may outlive static destructors
  return *c;
}

}  // namespace

void* cpu_alloc(size_t nbytes, size_t* capacity) {
  if (nbytes < kLargeBlock) {
    *capacity = (nbytes + 63) / 64 * 64;
    if (*capacity == 0) return nullptr;
    void* p = std::aligned_alloc(64, *capacity);
    if (p == nullptr) throw std::bad_alloc();
    return p;
  }
  const size_t size = (nbytes + kHugePage - 1) / kHugePage * kHugePage;
  *capacity = size;
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.free_blocks.find(size);
    if (it != c.free_blocks.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      c.cached -= size;
      c.allocated += size;
      c.peak = std::max(c.peak, c.allocated);
      return p;
    }
  }
  void* p = std::aligned_alloc(kHugePage, size);
  if (p == nullptr) {
    cpu_empty_cache();
    p = std::aligned_alloc(kHugePage, size);
    if (p == nullptr) throw std::bad_alloc();
  }
  madvise(p, size, MADV_HUGEPAGE);  // 2 MiB pages: 512x fewer faults where the kernel allows
  std::lock_guard<std::mutex> lock(c.mutex);
  c.allocated += size;
  c.peak = std::max(c.peak, c.allocated);
  return p;
}

void cpu_free(void* p, size_t capacity) {
  if (p == nullptr) return;
  if (capacity < kLargeBlock) {
    std::free(p);
    return;
  }
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    c.allocated -= capacity;
    if (c.cached + capacity <= kCacheLimit) {
      c.free_blocks[capacity].push_back(p);
      c.cached += capacity;
      return;
    }
  }
  std::free(p);
}

}  // namespace nd::core

namespace nd {

CpuMemoryStats cpu_memory_stats() {
  core::Cache& c = core::cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return {c.allocated, c.cached, c.peak};
}

void cpu_empty_cache() {
  core::Cache& c = core::cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  for (auto& [size, blocks] : c.free_blocks)
    for (void* p : blocks) std::free(p);
  c.free_blocks.clear();
  c.cached = 0;
}

}  // namespace nd
