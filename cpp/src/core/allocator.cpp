// Blocks of 64 KiB and more are cached by size class instead of returned to the OS: a fresh
// 64 MiB result otherwise costs one page fault per 4 KiB page on every op (several times the
// op's own memory traffic), and a training loop asks for the same sizes every step. That
// holds from far below 1 MiB: glibc serves blocks from 128 KiB on with fresh mmaps (and trims
// its heap above that), so a small network's activations (LeNet-5 at batch 64: 100 KiB to
// 1 MiB) faulted their pages in on every step, ~18% of its training step.
// Smaller blocks go to malloc, which recycles them cheaply.
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

constexpr size_t kCachedBlock = size_t(64) << 10;  // cached at or above this size
constexpr size_t kLargeBlock = size_t(1) << 20;    // from here on, whole huge pages
constexpr size_t kHugePage = size_t(2) << 20;      // large blocks are multiples of it
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

// The size class of a cached block: whole huge pages from 1 MiB on, below that a multiple of
// a quarter of the largest power of two <= nbytes (at most 25% rounding).
size_t size_class(size_t nbytes) {
  if (nbytes >= kLargeBlock) return (nbytes + kHugePage - 1) / kHugePage * kHugePage;
  size_t quarter = kCachedBlock / 4;
  while (quarter * 8 <= nbytes) quarter *= 2;
  return (nbytes + quarter - 1) / quarter * quarter;
}

void* cpu_alloc(size_t nbytes, size_t* capacity) {
  if (nbytes < kCachedBlock) {
    *capacity = (nbytes + 63) / 64 * 64;
    if (*capacity == 0) return nullptr;
    void* p = std::aligned_alloc(64, *capacity);
    if (p == nullptr) throw std::bad_alloc();
    return p;
  }
  const size_t size = size_class(nbytes);
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
  const size_t align = size >= kLargeBlock ? kHugePage : 64;
  void* p = std::aligned_alloc(align, size);
  if (p == nullptr) {
    cpu_empty_cache();
    p = std::aligned_alloc(align, size);
    if (p == nullptr) throw std::bad_alloc();
  }
  if (size >= kLargeBlock) madvise(p, size, MADV_HUGEPAGE);  // 2 MiB pages: 512x fewer faults where the kernel allows
  std::lock_guard<std::mutex> lock(c.mutex);
  c.allocated += size;
  c.peak = std::max(c.peak, c.allocated);
  return p;
}

void cpu_free(void* p, size_t capacity) {
  if (p == nullptr) return;
  if (capacity < kCachedBlock) {
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
