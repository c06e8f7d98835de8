// Elementwise<Math>'s forward and backward, included by the .cpp of each activation, which
// instantiates them for its Math (layers/elementwise.h).
#pragma once

#include "nnzero/layers/elementwise.h"
#include "nnzero/parallel.h"

namespace nnzero {

template <class Math>
const Tensor& Elementwise<Math>::forward(const Tensor& x, bool /*train*/) {
  check_input(x);
  x_ = x;
  out_.resize(x.shape());
  const float* in = x.data();
  float* y = out_.data();
  const Math f = math_;
  parallel_for(x.numel(), [=](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) y[i] = f.y(in[i]);
  });
  return out_;
}

template <class Math>
const Tensor& Elementwise<Math>::backward(const Tensor& dout) {
  check_dout(dout, out_.dim(0));
  dx_.resize(dout.shape());
  const float* in = x_.data();
  const float* y = out_.data();
  const float* d = dout.data();
  float* dx = dx_.data();
  const Math f = math_;
  parallel_for(dout.numel(), [=](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) dx[i] = f.dx(in[i], y[i], d[i]);
  });
  return dx_;
}

}  // namespace nnzero
