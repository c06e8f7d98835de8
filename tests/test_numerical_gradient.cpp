// The book's chapter 4 numerical gradient and gradient descent (section 4.4), on its
// function f(x0, x1) = x0^2 + x1^2.
#include <gtest/gtest.h>

#include <cmath>

#include "nnzero/functions/numerical_gradient.h"

using namespace nnzero;

namespace {
double function_2(const Tensor& x) {
  return static_cast<double>(x[0]) * x[0] + static_cast<double>(x[1]) * x[1];
}

Tensor vec2(float a, float b) {
  return Tensor(Shape{2}, {a, b});
}
}  // namespace

TEST(NumericalGradient, BookExamples) {
  struct Case {
    float x0, x1, g0, g1;
  };
  // Section 4.4: the gradient at (3, 4), (0, 2), (3, 0) is (6, 8), (0, 4), (6, 0).
  for (const Case& c : {Case{3, 4, 6, 8}, Case{0, 2, 0, 4}, Case{3, 0, 6, 0}}) {
    Tensor x = vec2(c.x0, c.x1);
    const Tensor g = numerical_gradient(function_2, x);
    ASSERT_TRUE((g.shape() == Shape{2}));
    EXPECT_NEAR(g[0], c.g0, 1e-3) << "at (" << c.x0 << ", " << c.x1 << ")";
    EXPECT_NEAR(g[1], c.g1, 1e-3) << "at (" << c.x0 << ", " << c.x1 << ")";
    // x is perturbed in place but restored exactly.
    EXPECT_EQ(x[0], c.x0);
    EXPECT_EQ(x[1], c.x1);
  }
}

TEST(NumericalGradient, AnyShapeAndANonQuadratic) {
  // f(X) = sum sin(X_ij) * (i + 1): df/dX_ij = cos(X_ij) * (i + 1), on a 2 x 3 tensor.
  Tensor x(Shape{2, 3}, {0.0f, 0.5f, 1.0f, -1.0f, 2.0f, 3.0f});
  const auto f = [](const Tensor& t) {
    double s = 0.0;
    for (int64_t i = 0; i < 2; ++i) {
      for (int64_t j = 0; j < 3; ++j) s += std::sin(static_cast<double>(t.at(i, j))) * (i + 1);
    }
    return s;
  };
  const Tensor g = numerical_gradient(f, x);
  ASSERT_TRUE((g.shape() == Shape{2, 3}));
  for (int64_t i = 0; i < 2; ++i) {
    for (int64_t j = 0; j < 3; ++j) {
      EXPECT_NEAR(g.at(i, j), std::cos(x.at(i, j)) * static_cast<double>(i + 1), 1e-3)
          << "(" << i << ", " << j << ")";
    }
  }
}

TEST(NumericalGradient, DividesByTheRepresentablePerturbation) {
  // At x = 1000, float32 cannot hold 1000 +- 1e-4 (its spacing there is 6.1e-5): the step
  // really taken is 1000 +- 1.22e-4. Dividing by the nominal 2h would give ~2440 instead of
  // 2000 for d(x^2)/dx.
  Tensor x(Shape{1}, {1000.0f});
  const Tensor g =
      numerical_gradient([](const Tensor& t) { return static_cast<double>(t[0]) * t[0]; }, x);
  EXPECT_NEAR(g[0], 2000.0f, 0.5f);
}

TEST(GradientDescent, BookExampleReachesTheMinimum) {
  // Section 4.4.1: from (-3, 4), lr 0.1, 100 steps -> (-6.1e-10, 8.1e-10).
  const Tensor init = vec2(-3.0f, 4.0f);
  const Tensor x = gradient_descent(function_2, init, 0.1f, 100);
  EXPECT_NEAR(x[0], 0.0f, 1e-6f);
  EXPECT_NEAR(x[1], 0.0f, 1e-6f);
  // Each step multiplies x by (1 - 2 lr) = 0.8, so the signs are kept.
  EXPECT_LT(x[0], 0.0f);
  EXPECT_GT(x[1], 0.0f);
  // init_x is not modified.
  EXPECT_EQ(init[0], -3.0f);
  EXPECT_EQ(init[1], 4.0f);
}

TEST(GradientDescent, StepSizeMatters) {
  // Section 4.4.1: too small a learning rate barely moves; one step of lr 0.1 is x * 0.8.
  const Tensor init = vec2(-3.0f, 4.0f);
  const Tensor slow = gradient_descent(function_2, init, 1e-10f, 100);
  EXPECT_NEAR(slow[0], -3.0f, 1e-5f);
  EXPECT_NEAR(slow[1], 4.0f, 1e-5f);
  const Tensor one = gradient_descent(function_2, init, 0.1f, 1);
  EXPECT_NEAR(one[0], -2.4f, 1e-4f);
  EXPECT_NEAR(one[1], 3.2f, 1e-4f);
  // Too large diverges: lr 10 multiplies x by -19 each step. From |x| = 2048 on, h = 1e-4 is
  // below float32's spacing and x + h == x: the gradient must still be finite.
  const Tensor fast = gradient_descent(function_2, init, 10.0f, 5);
  EXPECT_TRUE(std::isfinite(fast[0]));
  EXPECT_NEAR(fast[0], 3.0 * std::pow(19.0, 5), 3.0 * std::pow(19.0, 5) * 1e-3);
  EXPECT_NEAR(fast[1], -4.0 * std::pow(19.0, 5), 4.0 * std::pow(19.0, 5) * 1e-3);
}

TEST(NumericalGradient, FiniteWhenHIsBelowTheFloatSpacing) {
  // At x = 1e6 the spacing of float32 is 0.0625: x +- 1e-4 rounds back to x. The difference
  // quotient then falls back to the neighbouring floats instead of dividing 0 by 0.
  Tensor x(Shape{1}, {1e6f});
  const Tensor g =
      numerical_gradient([](const Tensor& t) { return static_cast<double>(t[0]) * t[0]; }, x);
  ASSERT_TRUE(std::isfinite(g[0]));
  EXPECT_NEAR(g[0], 2e6f, 1.0f);
  EXPECT_EQ(x[0], 1e6f);
}
