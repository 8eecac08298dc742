// The CUDA kernels' elementwise math (cuda/functors.h) run on the CPU and compared with the CPU
// kernels' results for every op of the op lists and every dtype it takes: the GPU's formulas
// are tested on every machine, with or without a GPU.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "cuda/functors.h"
#include "nativedl/nativedl.h"

namespace {

template <typename T> std::vector<T> host_values(const nd::Tensor& t) {
  const nd::Tensor c = nd::contiguous(t);
  const T* p = c.data<T>();
  return std::vector<T>(p, p + c.numel());
}

// Inputs spanning signs, zeros, halves (rounding), large and special values.
template <typename T> std::vector<T> sample_inputs() {
  if constexpr (std::is_floating_point_v<T>) {
    const T inf = std::numeric_limits<T>::infinity();
    return {T(-3.7), T(-2.5), T(-1), T(-0.5), T(-0.0), T(0), T(0.25), T(0.5), T(0.9), T(1.5), T(2.5), T(7.25),
            T(30), -inf, inf, std::numeric_limits<T>::quiet_NaN()};
  } else if constexpr (std::is_unsigned_v<T>) {
    return {0, 1, 2, 3, 7, 100, 255};
  } else {
    return {-100, -7, -3, -2, -1, 0, 1, 2, 3, 7, 100};
  }
}

// Same value, both NaN, or (floats) within a few ulps: the CPU's SIMD exp/log/tanh are
// polynomial approximations, the functors call libm.
template <typename T> ::testing::AssertionResult close(T want, T got) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(want) && std::isnan(got)) return ::testing::AssertionSuccess();
    if (want == got) return ::testing::AssertionSuccess();
    const T tol = (std::is_same_v<T, float> ? T(4e-6) : T(1e-13)) * std::max(T(1), std::fabs(want));
    if (std::fabs(want - got) <= tol) return ::testing::AssertionSuccess();
  } else if (want == got) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "CPU kernel " << double(want) << ", functor " << double(got);
}

template <typename T, typename Op> void check_unary(nd::Tensor (*op)(const nd::Tensor&), const char* name) {
  const std::vector<T> in = sample_inputs<T>();
  const std::vector<T> want = host_values<T>(op(nd::from_vector<T>(in, {int64_t(in.size())})));
  for (size_t i = 0; i < in.size(); ++i)
    EXPECT_TRUE(close(want[i], Op::s(in[i]))) << name << "(" << double(in[i]) << ") " << nd::dtype_name(nd::dtype_of<T>::value);
}

template <typename T, typename R, typename Op>
void check_binary(nd::Tensor (*op)(const nd::Tensor&, const nd::Tensor&), const char* name) {
  const std::vector<T> xs = sample_inputs<T>();
  std::vector<T> a, b;
  for (T x : xs)
    for (T y : xs) {
      // Integer division by zero and negative integer powers are refused by the ops.
      if constexpr (!std::is_floating_point_v<T>) {
        const std::string n = name;
        if (y == T(0) && (n == "div_floor" || n == "div_trunc" || n == "remainder" || n == "fmod")) continue;
        if (n == "pow" && (y < T(0) || y > T(7))) continue;
      }
      a.push_back(x);
      b.push_back(y);
    }
  const int64_t n = int64_t(a.size());
  const std::vector<R> want = host_values<R>(op(nd::from_vector<T>(a, {n}), nd::from_vector<T>(b, {n})));
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_TRUE(close(want[i], R(Op::s(a[i], b[i]))))
        << name << "(" << double(a[i]) << ", " << double(b[i]) << ") " << nd::dtype_name(nd::dtype_of<T>::value);
}

}  // namespace

TEST(CudaFunctors, UnaryFloatOpsMatchCpuKernels) {
#define ND_CHECK_UNARY(name)                                                                      \
  check_unary<float, nd::cuda::fn::name##_f>(static_cast<nd::Tensor (*)(const nd::Tensor&)>(&nd::name), #name); \
  check_unary<double, nd::cuda::fn::name##_f>(static_cast<nd::Tensor (*)(const nd::Tensor&)>(&nd::name), #name);
  ND_UNARY_FLOAT_OPS(ND_CHECK_UNARY)
#undef ND_CHECK_UNARY
}

TEST(CudaFunctors, UnaryAnyOpsMatchCpuKernels) {
#define ND_CHECK_UNARY(name)                                                                      \
  {                                                                                               \
    auto op = static_cast<nd::Tensor (*)(const nd::Tensor&)>(&nd::name);                          \
    check_unary<float, nd::cuda::fn::name##_f>(op, #name);                                        \
    check_unary<double, nd::cuda::fn::name##_f>(op, #name);                                       \
    check_unary<int32_t, nd::cuda::fn::name##_f>(op, #name);                                      \
    check_unary<int64_t, nd::cuda::fn::name##_f>(op, #name);                                      \
    if (std::string(#name) != "neg" && std::string(#name) != "sign")                              \
      check_unary<uint8_t, nd::cuda::fn::name##_f>(op, #name);                                    \
  }
  ND_UNARY_ANY_OPS(ND_CHECK_UNARY)
#undef ND_CHECK_UNARY
}

TEST(CudaFunctors, BinaryOpsMatchCpuKernels) {
  using BinFn = nd::Tensor (*)(const nd::Tensor&, const nd::Tensor&);
#define ND_CHECK_ARITH(name)                                                        \
  check_binary<float, float, nd::cuda::fn::name##_f>(static_cast<BinFn>(&nd::name), #name);     \
  check_binary<double, double, nd::cuda::fn::name##_f>(static_cast<BinFn>(&nd::name), #name);
  ND_BINARY_ARITH_OPS(ND_CHECK_ARITH)
#undef ND_CHECK_ARITH
#define ND_CHECK_INT(name)                                                                          \
  if (std::string(#name) != "div" && std::string(#name) != "atan2" && std::string(#name) != "hypot" && \
      std::string(#name) != "copysign") {                                                          \
    check_binary<int32_t, int32_t, nd::cuda::fn::name##_f>(static_cast<BinFn>(&nd::name), #name);   \
    check_binary<int64_t, int64_t, nd::cuda::fn::name##_f>(static_cast<BinFn>(&nd::name), #name);   \
  }
  ND_BINARY_ARITH_OPS(ND_CHECK_INT)
#undef ND_CHECK_INT
#define ND_CHECK_BOOL(name)                                                                 \
  check_binary<float, bool, nd::cuda::fn::name##_f>(static_cast<BinFn>(&nd::name), #name);  \
  check_binary<int64_t, bool, nd::cuda::fn::name##_f>(static_cast<BinFn>(&nd::name), #name);
  ND_BINARY_BOOL_OPS(ND_CHECK_BOOL)
#undef ND_CHECK_BOOL
}

TEST(CudaFunctors, ConvertAndFillMatchCpu) {
  EXPECT_EQ((nd::cuda::fn::convert<bool, float>(0.5f)), true);
  EXPECT_EQ((nd::cuda::fn::convert<bool, double>(-0.0)), false);
  EXPECT_EQ((nd::cuda::fn::convert<int32_t, double>(-2.7)), -2);
  const nd::Tensor t = nd::to_dtype(nd::from_vector<double>({-2.7, 0.0, 3.9}, {3}), nd::DType::Int32);
  EXPECT_EQ(host_values<int32_t>(t), (std::vector<int32_t>{-2, 0, 3}));
  EXPECT_EQ(nd::cuda::fn::fill_value<bool>(0.0, 0), false);
  EXPECT_EQ(nd::cuda::fn::fill_value<int64_t>(3.0, 3), 3);
  EXPECT_EQ(nd::cuda::fn::fill_value<float>(0.1, 0), 0.1f);
}
