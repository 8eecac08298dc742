// Copy with dtype conversion, and fill, on CUDA.
#include "cuda/elementwise.cuh"

namespace nd::cuda {
namespace {

using namespace elementwise;

template <typename To, typename From> __global__ void copy_kernel(const ElementwiseIter it) {
  ND_FOR_EACH_ELEMENT(it, i) {
    char* p[2];
    locate(it, i, p);
    *reinterpret_cast<To*>(p[0]) = fn::convert<To>(*reinterpret_cast<const From*>(p[1]));
  }
}

template <typename T> __global__ void fill_kernel(const ElementwiseIter it, const T value) {
  ND_FOR_EACH_ELEMENT(it, i) {
    char* p[1];
    locate(it, i, p);
    *reinterpret_cast<T*>(p[0]) = value;
  }
}

void copy_cuda(const ElementwiseIter& it) {
  ND_CUDA_ALL_TYPES(it.dtypes[0], To, ND_CUDA_ALL_TYPES(it.dtypes[1], From, run(copy_kernel<To, From>, it)))
}

void fill_cuda(const ElementwiseIter& it, double v, int64_t iv) {
  ND_CUDA_ALL_TYPES(it.dtypes[0], T, run(fill_kernel<T>, it, fn::fill_value<T>(v, iv)))
}

}  // namespace

void register_copy_kernels() {
  cpu::copy_stub.cuda = copy_cuda;
  cpu::fill_stub.cuda = fill_cuda;
}

}  // namespace nd::cuda
