// The book's chapter 3 activation functions, with the values the book prints.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "nnzero/functions/activation.h"
#include "nnzero/rng.h"
#include "test_support.h"

using namespace nnzero;
using nnzero_test::error_of;

namespace {
void expect_values(const Tensor& y, std::initializer_list<float> expected, float tol) {
  ASSERT_EQ(y.numel(), static_cast<int64_t>(expected.size()));
  int64_t i = 0;
  for (float e : expected) {
    EXPECT_NEAR(y[i], e, tol) << "element " << i;
    ++i;
  }
}
}  // namespace

TEST(Activation, StepFunction) {
  // Section 3.2.3: x > 0 gives 1; 0 itself gives 0.
  const Tensor x(Shape{5}, {-1.0f, 0.0f, 1.0f, 2.0f, -0.0001f});
  expect_values(step_function(x), {0, 0, 1, 1, 0}, 0.0f);
}

TEST(Activation, Sigmoid) {
  // Section 3.2.4: sigmoid([-1, 1, 2]) = [0.26894142, 0.73105858, 0.88079708]
  const Tensor x(Shape{4}, {-1.0f, 1.0f, 2.0f, 0.0f});
  expect_values(sigmoid(x), {0.26894142f, 0.73105858f, 0.88079708f, 0.5f}, 3e-7f);
  // Saturates without overflow or NaN.
  const Tensor big(Shape{2}, {-1000.0f, 1000.0f});
  expect_values(sigmoid(big), {0.0f, 1.0f}, 0.0f);
}

TEST(Activation, Relu) {
  const Tensor x(Shape{2, 3}, {-1.0f, 0.0f, 2.0f, -3.5f, 0.5f, 7.0f});
  const Tensor y = relu(x);
  EXPECT_TRUE((y.shape() == Shape{2, 3}));
  expect_values(y, {0, 0, 2, 0, 0.5f, 7}, 0.0f);
}

TEST(Activation, Tanh) {
  const Tensor x(Shape{3}, {0.0f, 0.5f, -2.0f});
  expect_values(nnzero::tanh(x), {0.0f, 0.46211716f, -0.96402758f}, 3e-7f);
}

TEST(Activation, IdentityIsACopy) {
  Tensor x(Shape{3}, {1.0f, -2.0f, 3.0f});
  Tensor y = identity_function(x);
  expect_values(y, {1, -2, 3}, 0.0f);
  y[0] = 100.0f;  // the output does not alias the input
  EXPECT_EQ(x[0], 1.0f);
}

TEST(Activation, ElementWiseKeepShapeAndDoNotTouchInput) {
  Tensor x(Shape{2, 1, 2, 3});
  for (int64_t i = 0; i < x.numel(); ++i) x[i] = static_cast<float>(i) - 6.0f;
  const Tensor before = x.clone();
  for (const Tensor& y :
       {step_function(x), sigmoid(x), relu(x), nnzero::tanh(x), identity_function(x)}) {
    EXPECT_TRUE((y.shape() == x.shape()));
    EXPECT_NE(y.data(), x.data());
  }
  for (int64_t i = 0; i < x.numel(); ++i) EXPECT_EQ(x[i], before[i]);
}

TEST(Activation, SoftmaxVector) {
  // Section 3.5.1: softmax([0.3, 2.9, 4.0]) = [0.01821127, 0.24519181, 0.73659691]
  const Tensor a(Shape{3}, {0.3f, 2.9f, 4.0f});
  const Tensor y = softmax(a);
  EXPECT_TRUE((y.shape() == Shape{3}));
  expect_values(y, {0.01821127f, 0.24519181f, 0.73659691f}, 1e-6f);
}

TEST(Activation, SoftmaxBatchIsPerRow) {
  const Tensor a(Shape{3, 3}, {0.3f, 2.9f, 4.0f,  //
                               1.0f, 1.0f, 1.0f,  //
                               0.0f, 0.0f, 1e-3f});
  const Tensor y = softmax(a);
  EXPECT_TRUE((y.shape() == Shape{3, 3}));
  expect_values(y,
                {0.01821127f, 0.24519181f, 0.73659691f,  //
                 1.0f / 3, 1.0f / 3, 1.0f / 3,           //
                 0.33322220f, 0.33322220f, 0.33355559f},
                1e-6f);
}

TEST(Activation, SoftmaxIsStableForLargeInputs) {
  // Section 3.5.2: exp(1010) overflows; subtracting the max gives softmax([20, 10, 0]).
  const Tensor big = softmax(Tensor(Shape{3}, {1010.0f, 1000.0f, 990.0f}));
  const Tensor small = softmax(Tensor(Shape{3}, {20.0f, 10.0f, 0.0f}));
  for (int64_t i = 0; i < 3; ++i) {
    EXPECT_FALSE(std::isnan(big[i]));
    EXPECT_FLOAT_EQ(big[i], small[i]);
  }
  // numpy: [9.99954600e-01, 4.53978686e-05, 2.06106005e-09]
  EXPECT_NEAR(big[0], 9.99954600e-01f, 1e-6f);
  EXPECT_NEAR(big[1], 4.53978686e-05f, 1e-10f);
  EXPECT_NEAR(big[2], 2.06106005e-09f, 1e-14f);
  const Tensor negative = softmax(Tensor(Shape{2}, {-1000.0f, -1000.0f}));
  EXPECT_FLOAT_EQ(negative[0], 0.5f);
  EXPECT_FLOAT_EQ(negative[1], 0.5f);
}

TEST(Activation, SoftmaxRowsSumToOne) {
  Rng rng(11);
  Tensor a(Shape{50, 10});
  rng.fill_normal(a, 0.0f, 10.0f);
  const Tensor y = softmax(a);
  for (int64_t r = 0; r < 50; ++r) {
    double sum = 0.0;
    for (int64_t c = 0; c < 10; ++c) {
      EXPECT_GE(y.at(r, c), 0.0f);
      sum += y.at(r, c);
    }
    EXPECT_NEAR(sum, 1.0, 1e-5) << "row " << r;
  }
}

TEST(Activation, SoftmaxRowInPlace) {
  float v[] = {0.3f, 2.9f, 4.0f};
  softmax_row(v, v, 3);
  EXPECT_NEAR(v[0], 0.01821127f, 1e-6f);
  EXPECT_NEAR(v[2], 0.73659691f, 1e-6f);
}

TEST(Activation, SoftmaxRejectsOtherRanks) {
  const std::string msg = error_of([] { (void)softmax(Tensor(Shape{2, 2, 2})); });
  EXPECT_NE(msg.find("softmax"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(2, 2, 2)"), std::string::npos) << msg;
  EXPECT_THROW((void)softmax(Tensor(Shape{})), Error);  // a scalar
}
