#include <gtest/gtest.h>

#include "nnzero/tensor.h"

using namespace nnzero;

TEST(Tensor, Basics) {
  Tensor t(Shape{2, 3});
  EXPECT_EQ(t.numel(), 6);
}
