// The book's chapter 4: the gradient of a scalar function by central difference,
//   df/dx_i ~= (f(x + h e_i) - f(x - h e_i)) / 2h,
// and gradient descent x <- x - lr * grad f(x).
#pragma once

#include <functional>

#include "nnzero/tensor.h"

namespace nnzero {

using ScalarFunction = std::function<double(const Tensor&)>;

// Gradient of f at x (any shape). x is perturbed in place and restored. The divisor is the
// perturbation actually representable in float32, (x+h) - (x-h), not the nominal 2h; where
// h is below float32's spacing at x (x +- h == x), the neighbouring floats are used.
Tensor numerical_gradient(const ScalarFunction& f, Tensor& x, float h = 1e-4f);

// Runs step_num steps of x <- x - lr * numerical_gradient(f, x) from init_x.
Tensor gradient_descent(const ScalarFunction& f, const Tensor& init_x, float lr, int step_num);

}  // namespace nnzero
