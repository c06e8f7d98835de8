// Dot-product attention (book 2, section 8.1: AttentionWeight then WeightSum). For each
// decoder step t of sample n and each encoder position i:
//   s[t, i] = hs_enc[i] . h_dec[t]            how well encoder state i matches the step
//   a[t, :] = softmax(s[t, :])                the attention weights, summing to 1
//   c[t]    = sum_i a[t, i] hs_enc[i]         the context: a weighted sum of encoder states
// Backward (the book's figures 8-10 and 8-14), with dc the context's gradient:
//   da[t, i]   = dc[t] . hs_enc[i]
//   ds[t, i]   = a[t, i] (da[t, i] - sum_j a[t, j] da[t, j])       (softmax's Jacobian)
//   dhs_enc[i] = sum_t a[t, i] dc[t] + sum_t ds[t, i] h_dec[t]
//   dh_dec[t]  = sum_i ds[t, i] hs_enc[i]
// Shapes: hs_enc (N, Tq, H), h_dec (N, T, H) -> context (N, T, H), weights (N, T, Tq).
// Each sample's sums are small matrix products: S = H_dec Hs_enc^T, C = A Hs_enc, ...
#pragma once

#include <cstdint>

#include "nnzero/tensor.h"

namespace nnzero {

class DotAttention {
 public:
  const Tensor& forward(const Tensor& hs_enc, const Tensor& h_dec);
  // Adds into dhs_enc and dh_dec (which must have the shapes of forward's inputs).
  void backward(const Tensor& dcontext, Tensor& dhs_enc, Tensor& dh_dec);
  const Tensor& weights() const { return weights_; }

 private:
  void forward_sample(int64_t b);
  void backward_sample(int64_t b, const Tensor& dcontext, Tensor& dhs_enc, Tensor& dh_dec);

  const Tensor* enc_ = nullptr;
  const Tensor* dec_ = nullptr;
  Tensor weights_, context_, dweights_;
};

}  // namespace nnzero
