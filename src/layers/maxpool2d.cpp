#include "nnzero/layers/maxpool2d.h"

#include <limits>

#include "nnzero/kernels/max_pool.h"
#include "nnzero/parallel.h"

namespace nnzero {

namespace {
// Pooling splits over the threads from this many outputs.
constexpr int64_t kSplitOutputs = 8192;
}  // namespace

MaxPool2d::MaxPool2d(const Shape& in_shape, int64_t kernel, int64_t stride, int64_t padding)
    : Layer(in_shape, Shape{}),
      g_(PoolGeometry::make("maxpool2d", in_shape, kernel, stride, padding)) {
  out_shape_ = g_.out_shape();
}

// x: (N, C, H, W) -> out: (N, C, OH, OW), plane by plane.
const Tensor& MaxPool2d::forward(const Tensor& x, bool /*train*/) {
  check_input(x);
  out_.resize(out_shape_.with_batch(x.dim(0)));
  argmax_.resize(static_cast<size_t>(out_.numel()));
  const int64_t in_plane = g_.H * g_.W, out_plane = g_.OH * g_.OW;
  const float lowest = -std::numeric_limits<float>::infinity();
  parallel_for(
      x.dim(0) * g_.C,
      [&](int64_t p0, int64_t p1) {
        for (int64_t p = p0; p < p1; ++p) {
          max_pool_plane(x.data() + p * in_plane, g_.W, lowest, out_.data() + p * out_plane,
                         argmax_.data() + p * out_plane, g_);
        }
      },
      min_items(kSplitOutputs, out_plane));
  return out_;
}

// dx = 0, then each output's dout added at its argmax.
const Tensor& MaxPool2d::backward(const Tensor& dout) {
  check_dout(dout, out_.dim(0));
  dx_.resize(in_shape_.with_batch(dout.dim(0)));
  dx_.zero();
  const int64_t in_plane = g_.H * g_.W, out_plane = g_.OH * g_.OW;
  parallel_for(
      dout.dim(0) * g_.C,
      [&](int64_t p0, int64_t p1) {
        for (int64_t p = p0; p < p1; ++p) {
          const float* d = dout.data() + p * out_plane;
          const int32_t* arg = argmax_.data() + p * out_plane;
          float* dx = dx_.data() + p * in_plane;
          for (int64_t i = 0; i < out_plane; ++i) dx[arg[i]] += d[i];
        }
      },
      min_items(kSplitOutputs, out_plane));
  return dx_;
}

}  // namespace nnzero
