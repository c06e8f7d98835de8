#include "nnzero/layers/softmax.h"

#include "nnzero/functions/activation.h"

namespace nnzero {

Softmax::Softmax(const Shape& in_shape) : Layer(in_shape, in_shape) {
  if (in_shape.rank() != 1) {
    throw Error("softmax: needs a flat input (classes), got sample shape " + in_shape.str());
  }
}

const Tensor& Softmax::forward(const Tensor& x, bool /*train*/) {
  check_input(x);
  out_.resize(x.shape());
  const int64_t n = x.dim(0);
  const int64_t k = x.dim(1);
  for (int64_t i = 0; i < n; ++i) softmax_row(x.data() + i * k, out_.data() + i * k, k);
  return out_;
}

const Tensor& Softmax::backward(const Tensor& dout) {
  check_dout(dout, out_.dim(0));
  dx_.resize(dout.shape());
  const int64_t n = dout.dim(0);
  const int64_t k = dout.dim(1);
  for (int64_t i = 0; i < n; ++i) {
    const float* y = out_.data() + i * k;
    const float* d = dout.data() + i * k;
    float* dx = dx_.data() + i * k;
    float dot = 0.0f;
    for (int64_t j = 0; j < k; ++j) dot += d[j] * y[j];
    for (int64_t j = 0; j < k; ++j) dx[j] = y[j] * (d[j] - dot);
  }
  return dx_;
}

}  // namespace nnzero
