#include "nnzero/layers/global_avgpool2d.h"

namespace nnzero {

namespace {
Shape check_image(const Shape& in) {
  if (in.rank() != 3) {
    throw Error("global_avgpool2d: needs samples of shape (C, H, W), got " + in.str());
  }
  return in;
}
}  // namespace

GlobalAvgPool2d::GlobalAvgPool2d(const Shape& in_shape)
    : Layer(check_image(in_shape), Shape{in_shape[0], 1, 1}) {}

const Tensor& GlobalAvgPool2d::forward(const Tensor& x, bool /*train*/) {
  check_input(x);
  const int64_t planes = x.dim(0) * in_shape_[0];
  const int64_t area = in_shape_[1] * in_shape_[2];
  out_.resize(out_shape_.with_batch(x.dim(0)));
  for (int64_t p = 0; p < planes; ++p) {
    float sum = 0.0f;
    for (int64_t i = 0; i < area; ++i) sum += x[p * area + i];
    out_[p] = sum / static_cast<float>(area);
  }
  return out_;
}

const Tensor& GlobalAvgPool2d::backward(const Tensor& dout) {
  check_dout(dout, out_.dim(0));
  const int64_t planes = dout.dim(0) * in_shape_[0];
  const int64_t area = in_shape_[1] * in_shape_[2];
  dx_.resize(in_shape_.with_batch(dout.dim(0)));
  for (int64_t p = 0; p < planes; ++p) {
    const float g = dout[p] / static_cast<float>(area);
    for (int64_t i = 0; i < area; ++i) dx_[p * area + i] = g;
  }
  return dx_;
}

}  // namespace nnzero
