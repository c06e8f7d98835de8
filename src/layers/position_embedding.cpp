#include "nnzero/layers/position_embedding.h"

namespace nnzero {

PositionEmbedding::PositionEmbedding(const Shape& in_shape) : Layer(in_shape, in_shape) {
  if (in_shape.rank() != 2) {
    throw Error("position_embedding: expected a sample shape (T, C), got " + in_shape.str());
  }
  weight_ = Param{"weight", Tensor(in_shape), Tensor(in_shape), 1, true};
}

const Tensor& PositionEmbedding::forward(const Tensor& x, bool /*train*/) {
  check_input(x);
  out_.resize(x.shape());
  const int64_t per_sample = in_shape_.numel();
  const float* w = weight_.value.data();
  for (int64_t n = 0; n < x.dim(0); ++n) {
    const float* xn = x.data() + n * per_sample;
    float* on = out_.data() + n * per_sample;
    for (int64_t i = 0; i < per_sample; ++i) on[i] = xn[i] + w[i];
  }
  return out_;
}

const Tensor& PositionEmbedding::backward(const Tensor& dout) {
  check_dout(dout, out_.dim(0));
  const int64_t per_sample = in_shape_.numel();
  float* g = weight_.grad.data();
  for (int64_t n = 0; n < dout.dim(0); ++n) {
    const float* d = dout.data() + n * per_sample;
    for (int64_t i = 0; i < per_sample; ++i) g[i] += d[i];
  }
  return dout;  // the sum passes its gradient on unchanged
}

}  // namespace nnzero
