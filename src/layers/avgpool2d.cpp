#include "nnzero/layers/avgpool2d.h"

#include "nnzero/parallel.h"

namespace nnzero {

namespace {
// Pooling splits over the threads from this many outputs.
constexpr int64_t kSplitOutputs = 8192;
}  // namespace

AvgPool2d::AvgPool2d(const Shape& in_shape, int64_t kernel, int64_t stride, int64_t padding)
    : Layer(in_shape, Shape{}),
      g_(PoolGeometry::make("avgpool2d", in_shape, kernel, stride, padding)) {
  out_shape_ = g_.out_shape();
}

const Tensor& AvgPool2d::forward(const Tensor& x, bool /*train*/) {
  check_input(x);
  const int64_t planes = x.dim(0) * g_.C;
  out_.resize(out_shape_.with_batch(x.dim(0)));
  const int64_t in_plane = g_.H * g_.W, out_plane = g_.OH * g_.OW;
  const float inv_area = 1.0f / static_cast<float>(g_.K * g_.K);
  parallel_for(
      planes,
      [&](int64_t p0, int64_t p1) {
        for (int64_t p = p0; p < p1; ++p) {
          const float* in = x.data() + p * in_plane;
          float* out = out_.data() + p * out_plane;
          for (int64_t oh = 0; oh < g_.OH; ++oh) {
            const int64_t h0 = std::max<int64_t>(oh * g_.stride - g_.pad, 0);
            const int64_t h1 = std::min(oh * g_.stride - g_.pad + g_.K, g_.H);
            for (int64_t ow = 0; ow < g_.OW; ++ow) {
              const int64_t w0 = std::max<int64_t>(ow * g_.stride - g_.pad, 0);
              const int64_t w1 = std::min(ow * g_.stride - g_.pad + g_.K, g_.W);
              float sum = 0.0f;
              for (int64_t h = h0; h < h1; ++h) {
                for (int64_t w = w0; w < w1; ++w) sum += in[h * g_.W + w];
              }
              out[oh * g_.OW + ow] = sum * inv_area;
            }
          }
        }
      },
      min_items(kSplitOutputs, out_plane));
  return out_;
}

const Tensor& AvgPool2d::backward(const Tensor& dout) {
  check_dout(dout, out_.dim(0));
  const int64_t planes = dout.dim(0) * g_.C;
  dx_.resize(in_shape_.with_batch(dout.dim(0)));
  dx_.zero();
  const int64_t in_plane = g_.H * g_.W, out_plane = g_.OH * g_.OW;
  const float inv_area = 1.0f / static_cast<float>(g_.K * g_.K);
  parallel_for(
      planes,
      [&](int64_t p0, int64_t p1) {
        for (int64_t p = p0; p < p1; ++p) {
          const float* d = dout.data() + p * out_plane;
          float* dx = dx_.data() + p * in_plane;
          for (int64_t oh = 0; oh < g_.OH; ++oh) {
            const int64_t h0 = std::max<int64_t>(oh * g_.stride - g_.pad, 0);
            const int64_t h1 = std::min(oh * g_.stride - g_.pad + g_.K, g_.H);
            for (int64_t ow = 0; ow < g_.OW; ++ow) {
              const int64_t w0 = std::max<int64_t>(ow * g_.stride - g_.pad, 0);
              const int64_t w1 = std::min(ow * g_.stride - g_.pad + g_.K, g_.W);
              const float g = d[oh * g_.OW + ow] * inv_area;
              for (int64_t h = h0; h < h1; ++h) {
                for (int64_t w = w0; w < w1; ++w) dx[h * g_.W + w] += g;
              }
            }
          }
        }
      },
      min_items(kSplitOutputs, out_plane));
  return dx_;
}

}  // namespace nnzero
