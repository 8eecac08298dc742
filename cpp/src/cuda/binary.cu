// Binary elementwise ops (with broadcasting) and where on CUDA.
#include "cuda/elementwise.cuh"

namespace nd::cuda {
namespace {

using namespace elementwise;

template <typename T, typename R, typename Op> __global__ void binary_kernel(const ElementwiseIter it) {
  ND_FOR_EACH_ELEMENT(it, i) {
    char* p[3];
    locate(it, i, p);
    *reinterpret_cast<R*>(p[0]) = R(Op::s(*reinterpret_cast<const T*>(p[1]), *reinterpret_cast<const T*>(p[2])));
  }
}

template <typename T> __global__ void where_kernel(const ElementwiseIter it) {
  ND_FOR_EACH_ELEMENT(it, i) {
    char* p[4];
    locate(it, i, p);
    *reinterpret_cast<T*>(p[0]) = *reinterpret_cast<const bool*>(p[1]) ? *reinterpret_cast<const T*>(p[2])
                                                                        : *reinterpret_cast<const T*>(p[3]);
  }
}

void binary_cuda(const ElementwiseIter& it, cpu::BinaryOp op) {
  const DType dt = it.dtypes[1];
  switch (op) {
#define ND_ARITH_CASE(name) \
    case cpu::BinaryOp::name: ND_CUDA_ALL_TYPES(dt, T, run(binary_kernel<T, T, fn::name##_f>, it)) return;
    ND_BINARY_ARITH_OPS(ND_ARITH_CASE)
#undef ND_ARITH_CASE
#define ND_BOOL_CASE(name) \
    case cpu::BinaryOp::name: ND_CUDA_ALL_TYPES(dt, T, run(binary_kernel<T, bool, fn::name##_f>, it)) return;
    ND_BINARY_BOOL_OPS(ND_BOOL_CASE)
#undef ND_BOOL_CASE
    default: return;
  }
}

void where_cuda(const ElementwiseIter& it) { ND_CUDA_ALL_TYPES(it.dtypes[2], T, run(where_kernel<T>, it)) }

}  // namespace

void register_binary_kernels() {
  cpu::binary_stub.cuda = binary_cuda;
  cpu::where_stub.cuda = where_cuda;
}

}  // namespace nd::cuda
