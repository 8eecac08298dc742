// The embedding API without Python: creation, ops, autograd.
#include <gtest/gtest.h>

#include "nativedl/nativedl.h"

TEST(Tensor, CreationAndShape) {
  nd::Tensor t = nd::zeros({2, 3});
  EXPECT_EQ(t.numel(), 6);
  EXPECT_EQ(t.dtype(), nd::DType::Float32);
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_EQ(nd::shape_str(t.shape()), "(2, 3)");
}
