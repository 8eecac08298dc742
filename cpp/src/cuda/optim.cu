// Fused optimizer updates on the GPU (Note [Fused optimizer steps]): the rules of
// cpu/optim_rules.h, the CPU kernels' own code, run on one element per thread; each element's
// parameter, gradient and state are loaded once and stored once. Every rule the CPU has (SGD,
// Adagrad, Adadelta, RMSprop, Adam/AdamW, Adamax, NAdam, RAdam) goes through the launches below.
//
// Note [Multi-tensor optimizer steps]
// A step over a ResNet is ~60 small parameters: one launch each costs more in launch latency
// than the updates take. So the stubs only queue (buffers, rule) entries, per rule and dtype,
// and Optimizer::step flushes the queue after each parameter group (cuda::flush_optimizer_steps):
// one launch takes a table of up to kTable entries as a __grid_constant__ parameter (CUDA 12.1+
// allows 32 KB of parameters on sm_70+), and each block finds its entry from the table's
// cumulative block counts, then updates a chunk of kChunk elements of it. Entries hold raw
// pointers: the optimizer keeps the gradients alive until the flush.
#include <algorithm>
#include <functional>
#include <vector>

#include "cpu/optim_kernels.h"
#include "cpu/optim_rules.h"
#include "cuda/check.cuh"
#include "cuda/runtime.h"

namespace nd::cuda {
namespace {

using namespace optim;
using cpu::OptimBuffers;

constexpr int kTable = 96;                   // entries per launch (~11 KB of parameters for Adam<double>)
constexpr int64_t kChunk = int64_t(kBlock) * 8;  // elements per block: 8 per thread

template <typename Rule, typename T> struct Table {
  Bufs<T> bufs[kTable];
  Rule rules[kTable];
  int64_t numel[kTable];
  int64_t first_block[kTable + 1];  // entry e owns blocks [first_block[e], first_block[e + 1])
  int count;
};

template <typename Rule, typename T> __global__ void multi_step_kernel(const __grid_constant__ Table<Rule, T> t) {
  const int64_t block = blockIdx.x;
  int e = 0;
  while (t.first_block[e + 1] <= block) ++e;  // count <= kTable: a short scan
  const int64_t begin = (block - t.first_block[e]) * kChunk;
  const int64_t end = begin + kChunk < t.numel[e] ? begin + kChunk : t.numel[e];
  for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) t.rules[e].apply(ScalarLanes<T>{t.bufs[e], i});
}

// The queued entries of one rule and dtype, all on one device (per thread: optimizers on two
// threads don't mix).
template <template <typename> class R, typename T> struct Queue {
  std::vector<std::pair<Bufs<T>, R<T>>> entries;
  std::vector<int64_t> sizes;
  int device = 0;
  static Queue& get() {
    static thread_local Queue q;
    return q;
  }
  void launch() {
    DeviceGuard guard(device);
    Table<R<T>, T> t{};
    for (size_t start = 0; start < entries.size(); start += kTable) {
      t.count = int(std::min<size_t>(kTable, entries.size() - start));
      t.first_block[0] = 0;
      for (int e = 0; e < t.count; ++e) {
        t.bufs[e] = entries[start + size_t(e)].first;
        t.rules[e] = entries[start + size_t(e)].second;
        t.numel[e] = sizes[start + size_t(e)];
        t.first_block[e + 1] = t.first_block[e] + (t.numel[e] + kChunk - 1) / kChunk;
      }
      if (t.first_block[t.count] > 0) {
        multi_step_kernel<R<T>, T><<<unsigned(t.first_block[t.count]), kBlock>>>(t);
        ND_CUDA_CHECK_LAUNCH(multi_step_kernel);
      }
    }
    clear();
  }
  void clear() {
    entries.clear();
    sizes.clear();
  }
};

// What flush and discard visit: the queues that have entries, in the order they got their first.
std::vector<std::function<void(bool)>>& pending() {
  static thread_local std::vector<std::function<void(bool)>> p;
  return p;
}

template <template <typename> class R, typename Coef> void queue_step(const OptimBuffers& ob, const Coef& c) {
  if (ob.numel == 0) return;
  auto add = [&](auto zero) {
    using T = decltype(zero);
    Queue<R, T>& q = Queue<R, T>::get();
    int device = 0;
    ND_CUDA_CHECK(cudaGetDevice(&device));  // launch_on made the buffers' device current
    if (!q.entries.empty() && q.device != device) q.launch();  // a group spanning two GPUs
    q.device = device;
    if (q.entries.empty())
      pending().push_back([](bool run) { run ? Queue<R, T>::get().launch() : Queue<R, T>::get().clear(); });
    q.entries.emplace_back(typed<T>(ob), R<T>(c));
    q.sizes.push_back(ob.numel);
  };
  if (ob.dtype == DType::Float64) add(double(0)); else add(float(0));
}

}  // namespace

void flush_optimizer_steps() {
  std::vector<std::function<void(bool)>> queues;
  queues.swap(pending());
  for (auto& q : queues) q(true);
}

void discard_optimizer_steps() noexcept {
  for (auto& q : pending()) q(false);
  pending().clear();
}

void register_optim_kernels() {
  cpu::sgd_stub.cuda = queue_step<SgdRule, cpu::SgdCoef>;
  cpu::adagrad_stub.cuda = queue_step<AdagradRule, cpu::AdagradCoef>;
  cpu::adadelta_stub.cuda = queue_step<AdadeltaRule, cpu::AdadeltaCoef>;
  cpu::rmsprop_stub.cuda = queue_step<RmspropRule, cpu::RmspropCoef>;
  cpu::adam_stub.cuda = queue_step<AdamRule, cpu::AdamCoef>;
  cpu::adamax_stub.cuda = queue_step<AdamaxRule, cpu::AdamaxCoef>;
  cpu::nadam_stub.cuda = queue_step<NadamRule, cpu::NadamCoef>;
  cpu::radam_stub.cuda = queue_step<RadamRule, cpu::RadamCoef>;
}

}  // namespace nd::cuda
