// Batch Normalization (section 6.3; Ioffe and Szegedy, 2015), per channel:
//   training:   mu, var = mean and (biased) variance over the batch (and H, W for 2d),
//               xhat = (x - mu) / sqrt(var + eps), y = gamma * xhat + beta,
//               running = (1 - momentum) * running + momentum * batch statistic
//               (the running variance unbiased: var * m / (m - 1), as PyTorch keeps it);
//   evaluation: the same with the running statistics (also when frozen, "trainable": false).
// backward (training), with m values per channel:
//   dbeta = sum dout, dgamma = sum dout * xhat,
//   dx = gamma / (m * sqrt(var + eps)) * (m * dout - dbeta - xhat * dgamma).
// BatchNorm1d takes (N, C); BatchNorm2d takes (N, C, H, W). gamma, beta are PyTorch's
// "weight", "bias".
#pragma once

#include "nnzero/layers/layer.h"

namespace nnzero {

class BatchNorm : public Layer {
 public:
  // in_shape (C) for batchnorm1d or (C, H, W) for batchnorm2d.
  BatchNorm(const Shape& in_shape, float eps = 1e-5f, float momentum = 0.1f);
  const char* type() const override;
  const Tensor& forward(const Tensor& x, bool train) override;
  const Tensor& backward(const Tensor& dout) override;
  Tensor* input_grad_buffer() override { return &dx_; }
  std::vector<Param*> params() override { return {&gamma_, &beta_}; }
  std::vector<Buffer> buffers() override;

  Tensor& running_mean() { return running_mean_; }
  Tensor& running_var() { return running_var_; }
  float eps() const { return eps_; }
  float momentum() const { return momentum_; }

 private:
  void normalize_channel(const Tensor& x, int64_t c);
  void backward_channel(const Tensor& dout, int64_t c);

  int64_t channels_, spatial_;  // C, and H*W (1 for batchnorm1d)
  float eps_, momentum_;
  Param gamma_, beta_;
  Tensor running_mean_, running_var_;
  bool train_ = false;
  Tensor xhat_, inv_std_;  // kept for backward
  Tensor out_, dx_;
};

}  // namespace nnzero
