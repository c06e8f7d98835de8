#include "nnzero/layers/sigmoid.h"

#include <cmath>

#include "nnzero/parallel.h"

namespace nnzero {

const Tensor& Sigmoid::forward(const Tensor& x, bool /*train*/) {
  check_input(x);
  out_.resize(x.shape());
  const float* in = x.data();
  float* y = out_.data();
  const int64_t n = x.numel();
#pragma omp parallel for if (n >= kParallelMinElements)
  for (int64_t i = 0; i < n; ++i) y[i] = 1.0f / (1.0f + std::exp(-in[i]));
  return out_;
}

const Tensor& Sigmoid::backward(const Tensor& dout) {
  check_dout(dout, out_.dim(0));
  dx_.resize(dout.shape());
  const float* y = out_.data();
  const float* d = dout.data();
  float* dx = dx_.data();
  const int64_t n = dout.numel();
#pragma omp parallel for simd if (n >= kParallelMinElements)
  for (int64_t i = 0; i < n; ++i) dx[i] = d[i] * y[i] * (1.0f - y[i]);
  return dx_;
}

}  // namespace nnzero
