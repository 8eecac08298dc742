#include "core/parallel.h"

#include <omp.h>

#include <algorithm>
#include <exception>

#include "nativedl/nativedl.h"

namespace nd {

static int g_num_threads = 0;  // 0: not set yet, use OpenMP's default

void set_num_threads(int n) {
  ND_CHECK(n > 0, ValueError, "[set_num_threads] n must be positive, got ", n);
  g_num_threads = n;
  omp_set_num_threads(n);
}

int get_num_threads() { return g_num_threads > 0 ? g_num_threads : omp_get_max_threads(); }

namespace core {

bool in_parallel_region() { return omp_in_parallel() != 0; }

void parallel_for(int64_t begin, int64_t end, int64_t grain,
                  const std::function<void(int64_t, int64_t)>& fn) {
  const int64_t range = end - begin;
  if (range <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  int64_t nthreads = std::min<int64_t>(get_num_threads(), (range + grain - 1) / grain);
  if (nthreads <= 1 || omp_in_parallel()) {
    fn(begin, end);
    return;
  }
  std::exception_ptr error;
#pragma omp parallel num_threads(int(nthreads))
  {
    const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t chunk = (range + nt - 1) / nt;
    const int64_t b = begin + t * chunk, e = std::min(end, b + chunk);
    if (b < e) {
      try {
        fn(b, e);
      } catch (...) {
#pragma omp critical(nativedl_parallel_error)
        if (!error) error = std::current_exception();
      }
    }
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace core
}  // namespace nd
