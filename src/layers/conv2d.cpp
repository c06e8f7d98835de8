#include "nnzero/layers/conv2d.h"

#include <algorithm>

#include "nnzero/kernels/gemm.h"

namespace nnzero {

namespace {
ConvGeometry checked_geometry(const Shape& in, int64_t out_channels, int64_t kh, int64_t kw,
                              int64_t stride, int64_t pad) {
  if (in.rank() != 3) {
    throw Error("conv2d: needs samples of shape (C, H, W), got " + in.str());
  }
  if (out_channels < 1) throw Error("conv2d: out_channels must be at least 1");
  if (kh < 1 || kw < 1) throw Error("conv2d: kernel must be at least 1");
  if (stride < 1) throw Error("conv2d: stride must be at least 1, got " + std::to_string(stride));
  if (pad < 0) throw Error("conv2d: padding must be non-negative");
  if (kh > in[1] + 2 * pad || kw > in[2] + 2 * pad) {
    throw Error("conv2d: kernel " + std::to_string(kh) + "x" + std::to_string(kw) +
                " is larger than the padded input " + std::to_string(in[1] + 2 * pad) + "x" +
                std::to_string(in[2] + 2 * pad) + " (input " + in.str() + ", padding " +
                std::to_string(pad) + ")");
  }
  return ConvGeometry::make(in[0], in[1], in[2], kh, kw, stride, pad);
}

int to_int(int64_t v) {
  return static_cast<int>(v);
}
}  // namespace

Conv2d::Conv2d(const Shape& in_shape, int64_t out_channels, int64_t kernel_h, int64_t kernel_w,
               int64_t stride, int64_t padding, bool bias)
    : Layer(in_shape, Shape{}),
      g_(checked_geometry(in_shape, out_channels, kernel_h, kernel_w, stride, padding)),
      out_channels_(out_channels),
      has_bias_(bias) {
  out_shape_ = Shape{out_channels, g_.OH, g_.OW};
  const Shape w{out_channels, g_.C, g_.KH, g_.KW};
  weight_ = Param{"weight", Tensor(w), Tensor(w), g_.col_rows(), true};
  if (has_bias_) {
    bias_ = Param{"bias", Tensor(Shape{out_channels}), Tensor(Shape{out_channels}), 0, false};
  }
}

const Tensor& Conv2d::forward(const Tensor& x, bool /*train*/) {
  check_input(x);
  x_ = x;
  const int64_t N = x.dim(0), K = g_.col_rows(), P = g_.col_cols(), OC = out_channels_;
  out_.resize(out_shape_.with_batch(N));
  col_.resize(Shape{N, K, P});
  xpad_.resize(Shape{padded_size(g_)});
  for (int64_t n = 0; n < N; ++n) {
    float* col = col_.data() + n * K * P;
    float* out = out_.data() + n * OC * P;
    im2col(x.data() + n * in_shape_.numel(), g_, xpad_.data(), col);
    for (int64_t o = 0; o < OC; ++o)
      std::fill(out + o * P, out + (o + 1) * P, has_bias_ ? bias_.value[o] : 0.0f);
    // out_n (OC, P) += W (OC, K) col_n (K, P)
    gemm(Trans::No, Trans::No, to_int(OC), to_int(P), to_int(K), 1.0f, weight_.value.data(),
         to_int(K), col, to_int(P), 1.0f, out, to_int(P));
  }
  return out_;
}

const Tensor& Conv2d::backward(const Tensor& dout) {
  const int64_t N = x_.dim(0), K = g_.col_rows(), P = g_.col_cols(), OC = out_channels_;
  check_dout(dout, N);
  if (needs_input_grad_) dx_.resize(x_.shape());
  dcol_.resize(Shape{K, P});
  for (int64_t n = 0; n < N; ++n) {
    const float* d = dout.data() + n * OC * P;
    const float* col = col_.data() + n * K * P;
    // dW (OC, K) += dout_n (OC, P) col_n^T (P, K)
    gemm(Trans::No, Trans::Yes, to_int(OC), to_int(K), to_int(P), 1.0f, d, to_int(P), col,
         to_int(P), 1.0f, weight_.grad.data(), to_int(K));
    for (int64_t o = 0; o < OC && has_bias_; ++o) {
      for (int64_t p = 0; p < P; ++p) bias_.grad[o] += d[o * P + p];
    }
    if (!needs_input_grad_) continue;
    // dcol (K, P) = W^T (K, OC) dout_n (OC, P), then folded back onto the image.
    gemm(Trans::Yes, Trans::No, to_int(K), to_int(P), to_int(OC), 1.0f, weight_.value.data(),
         to_int(K), d, to_int(P), 0.0f, dcol_.data(), to_int(P));
    float* dx = dx_.data() + n * in_shape_.numel();
    std::fill(dx, dx + in_shape_.numel(), 0.0f);
    col2im(dcol_.data(), g_, xpad_.data(), dx);
  }
  return dx_;
}

std::vector<Param*> Conv2d::params() {
  if (has_bias_) return {&weight_, &bias_};
  return {&weight_};
}

double Conv2d::flops() const {
  return 2.0 * static_cast<double>(out_channels_ * g_.col_rows() * g_.col_cols());
}

}  // namespace nnzero
