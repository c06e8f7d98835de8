// The book's chapter 4 loss functions. y is the network output (probabilities for the
// cross-entropy), t the target: one-hot rows of the same shape as y, or one class index
// per sample. For a batch (rank 2) the result is the mean over the batch.
#pragma once

#include <cstdint>
#include <span>

#include "nnzero/tensor.h"

namespace nnzero {

// E = 1/2 * sum_k (y_k - t_k)^2  (per sample; mean over the batch)
double sum_squared_error(const Tensor& y, const Tensor& t);
// E = -sum_k t_k log(y_k + 1e-7)  (per sample; mean over the batch). The 1e-7 keeps
// log(0) = -inf out, as in the book.
double cross_entropy_error(const Tensor& y, const Tensor& t_onehot);
// Same with t given as the correct class of each sample: E = -log(y[t] + 1e-7).
double cross_entropy_error(const Tensor& y, std::span<const int32_t> labels);

}  // namespace nnzero
