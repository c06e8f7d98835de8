#include "nnzero/layers/relu.h"

#include <algorithm>

#include "nnzero/parallel.h"

namespace nnzero {

const Tensor& ReLU::forward(const Tensor& x, bool /*train*/) {
  check_input(x);
  out_.resize(x.shape());
  const float* in = x.data();
  float* y = out_.data();
  const int64_t n = x.numel();
#pragma omp parallel for simd if (n >= kParallelMinElements)
  for (int64_t i = 0; i < n; ++i) y[i] = std::max(in[i], 0.0f);
  return out_;
}

const Tensor& ReLU::backward(const Tensor& dout) {
  check_dout(dout, out_.dim(0));
  dx_.resize(dout.shape());
  const float* y = out_.data();
  const float* d = dout.data();
  float* dx = dx_.data();
  const int64_t n = dout.numel();
#pragma omp parallel for simd if (n >= kParallelMinElements)
  for (int64_t i = 0; i < n; ++i) dx[i] = y[i] > 0.0f ? d[i] : 0.0f;
  return dx_;
}

}  // namespace nnzero
