#include "nnzero/layers/conv2d.h"

#include <omp.h>

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
  const int64_t N = x.dim(0);
  const int64_t K = g_.col_rows(), P = g_.col_cols(), OC = out_channels_;
  const int64_t in_size = in_shape_.numel(), out_size = out_shape_.numel();
  out_.resize(out_shape_.with_batch(N));
  const int threads = omp_get_max_threads();
  scratch_.resize(Shape{threads, 2 * K * P});
  const float* w = weight_.value.data();
#pragma omp parallel if (N > 1)
  {
    float* col = scratch_.data() + omp_get_thread_num() * 2 * K * P;
#pragma omp for schedule(static)
    for (int64_t n = 0; n < N; ++n) {
      float* out = out_.data() + n * out_size;
      im2col(x.data() + n * in_size, g_, col);
      if (has_bias_) {
        for (int64_t o = 0; o < OC; ++o) std::fill(out + o * P, out + (o + 1) * P, bias_.value[o]);
      }
      // out_n (OC, P) = W (OC, K) col (K, P)
      gemm(Trans::No, Trans::No, static_cast<int>(OC), static_cast<int>(P), static_cast<int>(K),
           1.0f, w, static_cast<int>(K), col, static_cast<int>(P), has_bias_ ? 1.0f : 0.0f, out,
           static_cast<int>(P));
    }
  }
  return out_;
}

const Tensor& Conv2d::backward(const Tensor& dout) {
  const int64_t N = x_.dim(0);
  check_dout(dout, N);
  const int64_t K = g_.col_rows(), P = g_.col_cols(), OC = out_channels_;
  const int64_t in_size = in_shape_.numel(), out_size = out_shape_.numel();
  const int threads = omp_get_max_threads();
  scratch_.resize(Shape{threads, 2 * K * P});
  const int64_t partial_size = OC * K + OC;  // dW then db
  partial_.resize(Shape{threads, partial_size});
  partial_.zero();
  if (needs_input_grad_) {
    dx_.resize(x_.shape());
    dx_.zero();
  }
  const float* w = weight_.value.data();
#pragma omp parallel if (N > 1)
  {
    const int t = omp_get_thread_num();
    float* col = scratch_.data() + t * 2 * K * P;
    float* dcol = col + K * P;
    float* dw = partial_.data() + t * partial_size;
    float* db = dw + OC * K;
#pragma omp for schedule(static)
    for (int64_t n = 0; n < N; ++n) {
      const float* d = dout.data() + n * out_size;
      im2col(x_.data() + n * in_size, g_, col);
      // dW (OC, K) += dout_n (OC, P) col^T (P, K)
      gemm(Trans::No, Trans::Yes, static_cast<int>(OC), static_cast<int>(K), static_cast<int>(P),
           1.0f, d, static_cast<int>(P), col, static_cast<int>(P), 1.0f, dw, static_cast<int>(K));
      if (has_bias_) {
        for (int64_t o = 0; o < OC; ++o) {
          float sum = 0.0f;
          for (int64_t p = 0; p < P; ++p) sum += d[o * P + p];
          db[o] += sum;
        }
      }
      if (needs_input_grad_) {
        // dcol (K, P) = W^T (K, OC) dout_n (OC, P), then fold back onto the image
        gemm(Trans::Yes, Trans::No, static_cast<int>(K), static_cast<int>(P), static_cast<int>(OC),
             1.0f, w, static_cast<int>(K), d, static_cast<int>(P), 0.0f, dcol,
             static_cast<int>(P));
        col2im(dcol, g_, dx_.data() + n * in_size);
      }
    }
  }
  // Sum the threads' partial gradients in a fixed order: same result on every run.
  for (int t = 0; t < threads; ++t) {
    const float* dw = partial_.data() + t * partial_size;
    for (int64_t i = 0; i < OC * K; ++i) weight_.grad[i] += dw[i];
    if (has_bias_) {
      for (int64_t o = 0; o < OC; ++o) bias_.grad[o] += dw[OC * K + o];
    }
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
