// The one place threads are started: parallel_for with a grain size.
#pragma once
#include <cstdint>
#include <functional>

namespace nd::core {

/// Splits [begin, end) into at most get_num_threads() contiguous chunks of at least
/// `grain` elements and calls fn(chunk_begin, chunk_end) for each, in parallel.
/// Runs inline when the range is small or when already inside a parallel region.
/// An exception thrown by fn is rethrown on the calling thread.
void parallel_for(int64_t begin, int64_t end, int64_t grain,
                  const std::function<void(int64_t, int64_t)>& fn);

/// True inside a parallel_for body running on several threads (nested work should stay serial).
bool in_parallel_region();

}  // namespace nd::core
