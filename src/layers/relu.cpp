#include "nnzero/layers/relu.h"

#include <algorithm>

#include "nnzero/parallel.h"

namespace nnzero {

const Tensor& ReLU::forward(const Tensor& x, bool /*train*/) {
  check_input(x);
  if (fused_) return x;
  out_.resize(x.shape());
  const float* in = x.data();
  float* y = out_.data();
  const int64_t n = x.numel();
  parallel_for(n, [=](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) y[i] = std::max(in[i], 0.0f);
  });
  return out_;
}

const Tensor& ReLU::backward(const Tensor& dout) {
  if (fused_) return dout;
  check_dout(dout, out_.dim(0));
  dx_.resize(dout.shape());
  const float* y = out_.data();
  const float* d = dout.data();
  float* dx = dx_.data();
  const int64_t n = dout.numel();
  parallel_for(n, [=](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) dx[i] = y[i] > 0.0f ? d[i] : 0.0f;
  });
  return dx_;
}

}  // namespace nnzero
