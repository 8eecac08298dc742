// The optimizers from C++ alone: a known SGD-momentum step, Adam fitting a target, state
// export/import, and option errors.
#include <gtest/gtest.h>

#include "nativedl/nativedl.h"

namespace {

float first(const nd::Tensor& t) { return nd::contiguous(t).data<float>()[0]; }

}  // namespace

TEST(Optim, SgdMomentumSteps) {
  nd::Tensor w = nd::from_vector<float>({1.0f, 2.0f}, {2}, true);
  nd::optim::SGDOptions o;
  o.lr = 0.5;
  o.momentum = 0.9;
  nd::optim::SGD opt({w}, o);
  for (int i = 0; i < 2; ++i) {
    w.set_grad(nd::from_vector<float>({1.0f, 1.0f}, {2}));
    opt.step();
  }
  // buffer: 1 after the first step (the gradient itself), 0.9 + 1 after the second.
  EXPECT_FLOAT_EQ(first(w), 1.0f - 0.5f * 1.0f - 0.5f * 1.9f);
  EXPECT_FLOAT_EQ(first(opt.state(w).at("momentum_buffer")), 1.9f);
  EXPECT_FALSE(w.grad_fn());
}

TEST(Optim, AdamFitsTarget) {
  nd::Tensor w = nd::zeros({4}, nd::TensorOptions().with_requires_grad(true));
  nd::Tensor target = nd::from_vector<float>({1.0f, -2.0f, 3.0f, 0.5f}, {4});
  nd::optim::Adam opt({w}, nd::optim::AdamOptions{}.with_lr(0.1));
  for (int i = 0; i < 300; ++i) {
    opt.zero_grad();
    nd::Tensor d = w - target;
    nd::sum(d * d).backward();
    opt.step();
  }
  nd::Tensor err = nd::sum((w - target) * (w - target));
  EXPECT_LT(err.item<float>(), 1e-4f);
  EXPECT_FLOAT_EQ(first(opt.state(w).at("step")), 300.0f);
}

TEST(Optim, StateRoundTripAndErrors) {
  nd::Tensor w = nd::ones({3}, nd::TensorOptions().with_requires_grad(true));
  nd::optim::AdamW opt({w});
  EXPECT_DOUBLE_EQ(opt.options(0).weight_decay, 1e-2);
  w.set_grad(nd::ones({3}));
  opt.step();
  nd::optim::AdamW restored({w});
  restored.load_state({opt.state(w)});
  EXPECT_FLOAT_EQ(first(restored.state(w).at("exp_avg")), first(opt.state(w).at("exp_avg")));
  EXPECT_THROW(restored.load_state({{{"exp_avg", nd::zeros({2})}}}), nd::ValueError);
  nd::optim::AdamOptions bad;
  bad.lr = -1;
  EXPECT_THROW(nd::optim::Adam({w}, bad), nd::ValueError);
  EXPECT_THROW(nd::optim::SGD({w, w}), nd::ValueError);
}
