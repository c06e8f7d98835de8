#include "nnzero/functions/numerical_gradient.h"

#include <cmath>
#include <limits>

namespace nnzero {

Tensor numerical_gradient(const ScalarFunction& f, Tensor& x, float h) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  Tensor grad(x.shape());
  for (int64_t i = 0; i < x.numel(); ++i) {
    const float original = x[i];
    float plus = original + h;
    float minus = original - h;
    if (plus == minus) {
      // h is below float32's spacing at x (from |x| = 2048 on for h = 1e-4): x +- h == x, and the
      // quotient would be 0/0. Step to the neighbouring floats instead.
      plus = std::nextafter(original, kInf);
      minus = std::nextafter(original, -kInf);
    }
    x[i] = plus;
    const double f_plus = f(x);
    x[i] = minus;
    const double f_minus = f(x);
    x[i] = original;
    grad[i] = static_cast<float>((f_plus - f_minus) /
                                 (static_cast<double>(plus) - static_cast<double>(minus)));
  }
  return grad;
}

Tensor gradient_descent(const ScalarFunction& f, const Tensor& init_x, float lr, int step_num) {
  Tensor x = init_x.clone();
  for (int step = 0; step < step_num; ++step) {
    const Tensor grad = numerical_gradient(f, x);
    for (int64_t i = 0; i < x.numel(); ++i) x[i] -= lr * grad[i];
  }
  return x;
}

}  // namespace nnzero
