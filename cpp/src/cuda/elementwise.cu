// Elementwise CUDA kernels over the CPU's iteration descriptor (ElementwiseIter): unary and
// binary ops with broadcasting (stride-0 dims), copy with dtype conversion, fill and where.
// The math is functors.h's, shared with the CPU tests.
#include "cpu/kernel_api.h"
#include "cuda/check.cuh"
#include "cuda/functors.h"
#include "cuda/runtime.h"

namespace nd::cuda {
namespace {

using cpu::ElementwiseIter;

// Byte addresses of element i for every operand: i is split over the coalesced dims
// (innermost first) and each coordinate scaled by that operand's byte stride.
template <int N> __device__ __forceinline__ void locate(const ElementwiseIter& it, int64_t i, char* (&p)[N]) {
#pragma unroll
  for (int k = 0; k < N; ++k) p[k] = it.data[k];
  for (int d = 0; d < it.ndim; ++d) {
    const int64_t size = it.sizes[d];
    const int64_t idx = i % size;
    i /= size;
#pragma unroll
    for (int k = 0; k < N; ++k) p[k] += idx * it.strides[k][d];
  }
}

// Grid-stride loops: any grid size covers any numel, and the 64-bit index never overflows.
#define ND_FOR_EACH_ELEMENT(it, i) \
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < (it).numel; i += int64_t(blockDim.x) * gridDim.x)

template <typename T, typename Op> __global__ void unary_kernel(const ElementwiseIter it) {
  ND_FOR_EACH_ELEMENT(it, i) {
    char* p[2];
    locate(it, i, p);
    *reinterpret_cast<T*>(p[0]) = Op::s(*reinterpret_cast<const T*>(p[1]));
  }
}

template <typename T, typename R, typename Op> __global__ void binary_kernel(const ElementwiseIter it) {
  ND_FOR_EACH_ELEMENT(it, i) {
    char* p[3];
    locate(it, i, p);
    *reinterpret_cast<R*>(p[0]) = R(Op::s(*reinterpret_cast<const T*>(p[1]), *reinterpret_cast<const T*>(p[2])));
  }
}

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

template <typename T> __global__ void where_kernel(const ElementwiseIter it) {
  ND_FOR_EACH_ELEMENT(it, i) {
    char* p[4];
    locate(it, i, p);
    *reinterpret_cast<T*>(p[0]) = *reinterpret_cast<const bool*>(p[1]) ? *reinterpret_cast<const T*>(p[2])
                                                                        : *reinterpret_cast<const T*>(p[3]);
  }
}

#undef ND_FOR_EACH_ELEMENT

// Launches kernel<<<...>>>(it, args...) on the operands' device, asynchronously on the default stream.
template <typename... KArgs, typename... Args>
void run(void (*kernel)(const ElementwiseIter, KArgs...), const ElementwiseIter& it, Args... args) {
  if (it.numel == 0) return;
  DeviceGuard guard(it.devices[0].index);
  kernel<<<grid_for(it.numel), kBlock>>>(it, args...);
  ND_CUDA_CHECK_LAUNCH(kernel);
}

#define ND_CUDA_CASE(dt, ctype, T, ...) case DType::dt: { using T = ctype; __VA_ARGS__; break; }
#define ND_CUDA_FLOAT_TYPES(dtype, T, ...)                              \
  switch (dtype) {                                                      \
    ND_CUDA_CASE(Float32, float, T, __VA_ARGS__)                        \
    ND_CUDA_CASE(Float64, double, T, __VA_ARGS__)                       \
    default: break;                                                     \
  }
#define ND_CUDA_ALL_TYPES(dtype, T, ...)                                \
  switch (dtype) {                                                      \
    ND_CUDA_CASE(Bool, bool, T, __VA_ARGS__)                            \
    ND_CUDA_CASE(UInt8, uint8_t, T, __VA_ARGS__)                        \
    ND_CUDA_CASE(Int32, int32_t, T, __VA_ARGS__)                        \
    ND_CUDA_CASE(Int64, int64_t, T, __VA_ARGS__)                        \
    ND_CUDA_CASE(Float32, float, T, __VA_ARGS__)                        \
    ND_CUDA_CASE(Float64, double, T, __VA_ARGS__)                       \
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

void copy_cuda(const ElementwiseIter& it) {
  ND_CUDA_ALL_TYPES(it.dtypes[0], To, ND_CUDA_ALL_TYPES(it.dtypes[1], From, run(copy_kernel<To, From>, it)))
}

void fill_cuda(const ElementwiseIter& it, double v, int64_t iv) {
  ND_CUDA_ALL_TYPES(it.dtypes[0], T, run(fill_kernel<T>, it, fn::fill_value<T>(v, iv)))
}

void where_cuda(const ElementwiseIter& it) { ND_CUDA_ALL_TYPES(it.dtypes[2], T, run(where_kernel<T>, it)) }

}  // namespace

void register_elementwise_kernels() {
  cpu::unary_stub.cuda = unary_cuda;
  cpu::binary_stub.cuda = binary_cuda;
  cpu::copy_stub.cuda = copy_cuda;
  cpu::fill_stub.cuda = fill_cuda;
  cpu::where_stub.cuda = where_cuda;
}

}  // namespace nd::cuda
