#include "nnzero/layers/tanh.h"

#include <cmath>

#include "nnzero/parallel.h"

namespace nnzero {

const Tensor& Tanh::forward(const Tensor& x, bool /*train*/) {
  check_input(x);
  out_.resize(x.shape());
  const float* in = x.data();
  float* y = out_.data();
  const int64_t n = x.numel();
  parallel_for(n, [=](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) y[i] = std::tanh(in[i]);
  });
  return out_;
}

const Tensor& Tanh::backward(const Tensor& dout) {
  check_dout(dout, out_.dim(0));
  dx_.resize(dout.shape());
  const float* y = out_.data();
  const float* d = dout.data();
  float* dx = dx_.data();
  const int64_t n = dout.numel();
  parallel_for(n, [=](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) dx[i] = d[i] * (1.0f - y[i] * y[i]);
  });
  return dx_;
}

}  // namespace nnzero
