// GELU's values and slopes against hand-computed ones (x Phi(x) and Phi(x) + x phi(x) with
// Phi(1) = 0.8413447, phi(1) = 0.2419707, Phi(2) = 0.9772499); its gradient check and PyTorch
// round trip come with its registration (test_layer_registry.cpp, test_torch_interop.cpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "nnzero/layers/gelu.h"

using namespace nnzero;

TEST(Gelu, ValuesAndSlopesAreTheErfForm) {
  Gelu gelu(Shape{5});
  const Tensor x(Shape{1, 5}, {-2.0f, -1.0f, 0.0f, 1.0f, 2.0f});
  const Tensor& y = gelu.forward(x, true);
  const float want_y[] = {-0.0455003f, -0.1586553f, 0.0f, 0.8413447f, 1.9544997f};
  for (int64_t i = 0; i < 5; ++i) EXPECT_NEAR(y[i], want_y[i], 1e-6f) << "y at " << x[i];
  const Tensor& dx = gelu.backward(Tensor(Shape{1, 5}, 1.0f));
  const float want_dx[] = {-0.0852318f, -0.0833155f, 0.5f, 1.0833155f, 1.0852318f};
  for (int64_t i = 0; i < 5; ++i) EXPECT_NEAR(dx[i], want_dx[i], 1e-6f) << "slope at " << x[i];
}

// The vectorisable erf behind GELU (functions/erf_float.h) against libm's, over [-6, 6].
TEST(Gelu, FloatErfIsWithinItsBoundOfStdErf) {
  double worst = 0.0;
  for (int i = -60000; i <= 60000; ++i) {
    const float x = static_cast<float>(i) * 1e-4f;
    worst = std::max(worst, std::fabs(static_cast<double>(erf_float(x)) - std::erf(double{x})));
  }
  EXPECT_LT(worst, 5e-7);
  EXPECT_EQ(erf_float(0.0f), 0.0f);
  EXPECT_EQ(erf_float(10.0f), 1.0f);
  EXPECT_EQ(erf_float(-10.0f), -1.0f);
}
