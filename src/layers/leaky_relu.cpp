#include "nnzero/layers/leaky_relu.h"

#include "nnzero/parallel.h"

namespace nnzero {

const Tensor& LeakyReLU::forward(const Tensor& x, bool /*train*/) {
  check_input(x);
  x_ = x;
  out_.resize(x.shape());
  const float* in = x.data();
  float* y = out_.data();
  const int64_t n = x.numel();
  const float a = slope_;
  parallel_for(n, [=](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) y[i] = in[i] > 0.0f ? in[i] : a * in[i];
  });
  return out_;
}

const Tensor& LeakyReLU::backward(const Tensor& dout) {
  check_dout(dout, x_.dim(0));
  dx_.resize(dout.shape());
  const float* in = x_.data();
  const float* d = dout.data();
  float* dx = dx_.data();
  const int64_t n = dout.numel();
  const float a = slope_;
  parallel_for(n, [=](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) dx[i] = in[i] > 0.0f ? d[i] : a * d[i];
  });
  return dx_;
}

}  // namespace nnzero
