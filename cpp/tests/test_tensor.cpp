// The embedding API without Python: creation, views, ops, autograd, errors.
#include <gtest/gtest.h>

#include <cmath>

#include "nativedl/nativedl.h"

namespace {

std::vector<float> values(const nd::Tensor& t) {
  nd::Tensor c = nd::contiguous(nd::to_dtype(t, nd::DType::Float32));
  const float* p = c.data<float>();
  return std::vector<float>(p, p + c.numel());
}

}  // namespace

TEST(Tensor, CreationAndShape) {
  nd::Tensor t = nd::zeros({2, 3});
  EXPECT_EQ(t.numel(), 6);
  EXPECT_EQ(t.dtype(), nd::DType::Float32);
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_EQ(nd::shape_str(t.shape()), "(2, 3)");
  EXPECT_EQ(nd::arange(0, 5, 1, nd::DType::Int64).numel(), 5);
}

TEST(Tensor, ViewsShareStorage) {
  nd::Tensor a = nd::arange(0, 6, 1, nd::DType::Float32);
  nd::Tensor v = nd::transpose(nd::view(a, {2, 3}), 0, 1);
  EXPECT_FALSE(v.is_contiguous());
  EXPECT_EQ(values(v), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  nd::Tensor row = nd::select(nd::view(a, {2, 3}), 0, 1);
  nd::fill_(row, nd::Scalar(7.0));
  EXPECT_EQ(values(a), (std::vector<float>{0, 1, 2, 7, 7, 7}));
}

TEST(Ops, BroadcastAndPromotion) {
  nd::Tensor a = nd::from_vector<int64_t>({1, 2, 3}, {3});
  nd::Tensor b = nd::from_vector<float>({0.5f, 1.5f}, {2, 1});
  nd::Tensor c = a + b;
  EXPECT_EQ(c.dtype(), nd::DType::Float32);
  EXPECT_EQ(c.shape(), (nd::Shape{2, 3}));
  EXPECT_EQ(values(c), (std::vector<float>{1.5f, 2.5f, 3.5f, 2.5f, 3.5f, 4.5f}));
  EXPECT_EQ(nd::div(a, nd::Scalar(int64_t(2))).dtype(), nd::DType::Float32);
}

TEST(Autograd, GradientOfProduct) {
  nd::Tensor x = nd::from_vector<double>({1.0, 2.0, 3.0}, {3}, true);
  nd::Tensor y = nd::sum(x * x * x);
  y.backward();
  const double* g = x.grad().data<double>();
  for (int i = 0; i < 3; ++i) EXPECT_DOUBLE_EQ(g[i], 3.0 * (i + 1) * (i + 1));
}

TEST(Autograd, DoubleBackward) {
  nd::Tensor x = nd::from_vector<double>({0.3, -1.2}, {2}, true);
  nd::Tensor g = nd::autograd::grad({nd::sum(nd::tanh(x))}, {x}, {}, true, true, false)[0];
  nd::Tensor gg = nd::autograd::grad({nd::sum(g)}, {x}, {}, false, false, false)[0];
  for (int i = 0; i < 2; ++i) {
    const double xv = x.data<double>()[i], t = std::tanh(xv);
    EXPECT_NEAR(gg.data<double>()[i], -2 * t * (1 - t * t), 1e-12);
  }
}

TEST(Autograd, LongChainIsIterative) {
  nd::Tensor x = nd::ones({1}, nd::TensorOptions(nd::DType::Float64).with_requires_grad(true));
  nd::Tensor y = x;
  for (int i = 0; i < 100000; ++i) y = y * nd::Scalar(1.0);
  y.backward(nd::ones({1}, nd::DType::Float64));
  EXPECT_DOUBLE_EQ(x.grad().data<double>()[0], 1.0);
}

TEST(Errors, NameTheOpAndShapes) {
  try {
    nd::zeros({2, 3}) + nd::zeros({4});
    FAIL() << "expected a ValueError";
  } catch (const nd::ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("[add]"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("(2, 3)"), std::string::npos);
  }
  EXPECT_THROW(nd::select(nd::zeros({2}), 0, 5), nd::IndexError);
  EXPECT_THROW(nd::view(nd::zeros({2, 3}), {4}), nd::ValueError);
}

TEST(Runtime, IsaAndThreads) {
  const std::string isa = nd::cpu_isa();
  EXPECT_TRUE(isa == "avx512" || isa == "avx2" || isa == "scalar") << isa;
  nd::set_num_threads(1);
  EXPECT_EQ(nd::get_num_threads(), 1);
  EXPECT_THROW(nd::set_num_threads(0), nd::ValueError);
}
