// CPU memory for tensor storage: a caching allocator for large blocks.
#pragma once
#include <cstddef>

namespace nd::core {

/// At least `nbytes` of 64-byte aligned memory; *capacity receives the block's real size,
/// which cpu_free needs back.
void* cpu_alloc(size_t nbytes, size_t* capacity);
void cpu_free(void* p, size_t capacity);

}  // namespace nd::core
