// The book's chapter 3 activation functions, as plain functions of a tensor.
// Each returns a new tensor of the same shape. softmax works on a single vector (rank 1)
// or on a batch (rank 2, one row per sample).
// (The layers with a backward pass are in nnzero/layers/; these are the forward math.)
#pragma once

#include "nnzero/tensor.h"

namespace nnzero {

// h(x) = 1 if x > 0 else 0
Tensor step_function(const Tensor& x);
// h(x) = 1 / (1 + exp(-x))
Tensor sigmoid(const Tensor& x);
// h(x) = max(0, x)
Tensor relu(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor identity_function(const Tensor& x);
// y_k = exp(a_k - max(a)) / sum_i exp(a_i - max(a)). Subtracting the max (section 3.5.2)
// changes nothing mathematically and keeps exp() from overflowing.
Tensor softmax(const Tensor& x);

// softmax of one row of n values, written to y (may alias x).
void softmax_row(const float* x, float* y, int64_t n);

}  // namespace nnzero
