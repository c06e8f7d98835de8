// Dropout (section 6.4.3; Srivastava et al., 2014): while training, each value is kept with
// probability 1-p and scaled by 1/(1-p) ("inverted" dropout, PyTorch's semantics), else set
// to 0; in evaluation it is the identity. The book scales by (1-p) at test time instead:
// the same in expectation. backward multiplies dout by the same mask.
#pragma once

#include "nnzero/layers/layer.h"

namespace nnzero {

class Dropout : public Layer {
 public:
  Dropout(const Shape& in_shape, float p, uint64_t seed);
  const char* type() const override { return "dropout"; }
  const Tensor& forward(const Tensor& x, bool train) override;
  const Tensor& backward(const Tensor& dout) override;
  Tensor* input_grad_buffer() override { return &dx_; }
  Rng* rng() override { return &rng_; }
  float p() const { return p_; }

 private:
  float p_;
  Rng rng_;
  bool train_ = false;
  Tensor mask_;  // 0 or 1/(1-p) per element
  Tensor out_, dx_;
};

}  // namespace nnzero
