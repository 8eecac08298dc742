// Unary elementwise ops on CUDA: the op lists' functors (functors.h) over any strides.
#include "cuda/elementwise.cuh"

namespace nd::cuda {
namespace {

using namespace elementwise;

template <typename T, typename Op> __global__ void unary_kernel(const ElementwiseIter it) {
  ND_FOR_EACH_ELEMENT(it, i) {
    char* p[2];
    locate(it, i, p);
    *reinterpret_cast<T*>(p[0]) = Op::s(*reinterpret_cast<const T*>(p[1]));
  }
}

// Ops that keep integer dtypes take every dtype but bool (the op refuses bool first); a template
// so that the bool case is discarded, not compiled.
template <typename T, typename Op> void run_unary(const ElementwiseIter& it) {
  if constexpr (!std::is_same_v<T, bool>) run(unary_kernel<T, Op>, it);
}

void unary_cuda(const ElementwiseIter& it, cpu::UnaryOp op) {
  const DType dt = it.dtypes[1];
  switch (op) {
#define ND_FLOAT_CASE(name) \
    case cpu::UnaryOp::name: ND_CUDA_FLOAT_TYPES(dt, T, run(unary_kernel<T, fn::name##_f>, it)) return;
    ND_UNARY_FLOAT_OPS(ND_FLOAT_CASE)
#undef ND_FLOAT_CASE
#define ND_ANY_CASE(name)                                                                        \
    case cpu::UnaryOp::name:                                                                     \
      ND_CUDA_ALL_TYPES(dt, T, run_unary<T, fn::name##_f>(it)) return;
    ND_UNARY_ANY_OPS(ND_ANY_CASE)
#undef ND_ANY_CASE
    default: return;
  }
}

}  // namespace

void register_unary_kernels() { cpu::unary_stub.cuda = unary_cuda; }

}  // namespace nd::cuda
