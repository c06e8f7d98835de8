#include "nnzero/layers/conv2d.h"

#include <omp.h>

#include <algorithm>
#include <limits>

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

int gemm_int(int64_t v) {
  return static_cast<int>(v);
}
}  // namespace

Conv2d::Conv2d(const Shape& in_shape, int64_t out_channels, int64_t kernel_h, int64_t kernel_w,
               int64_t stride, int64_t padding, bool bias)
    : Layer(in_shape, Shape{}),
      g_(checked_geometry(in_shape, out_channels, kernel_h, kernel_w, stride, padding)),
      wide_(stride == 1),
      cols_(wide_ ? wide_cols(g_) : g_.col_cols()),
      out_channels_(out_channels),
      has_bias_(bias) {
  out_shape_ = Shape{out_channels, g_.OH, g_.OW};
  const Shape w{out_channels, g_.C, g_.KH, g_.KW};
  weight_ = Param{"weight", Tensor(w), Tensor(w), g_.col_rows(), true};
  if (has_bias_) {
    bias_ = Param{"bias", Tensor(Shape{out_channels}), Tensor(Shape{out_channels}), 0, false};
  }
}

Conv2d::Scratch Conv2d::scratch(int thread) {
  const int64_t per_thread = padded_size(g_) + g_.col_rows() * cols_ + out_channels_ * cols_;
  float* base = scratch_.data() + thread * per_thread;
  return {base, base + padded_size(g_), base + padded_size(g_) + g_.col_rows() * cols_};
}

// One image: out (OC, OH, OW) = W im2col(x) + b (then max(0, .) when a ReLU is fused).
void Conv2d::forward_image(const float* x, float* out, Scratch s) const {
  const int64_t K = g_.col_rows(), OC = out_channels_, P = g_.col_cols();
  if (wide_) {
    pad_image(x, g_, s.xpad);
    im2col_wide(s.xpad, g_, s.col);
  } else {
    im2col(x, g_, s.col);
  }
  float* grid = wide_ ? s.out : out;  // the wide grid is compacted into out below
  for (int64_t o = 0; o < OC && has_bias_; ++o) {
    std::fill(grid + o * cols_, grid + (o + 1) * cols_, bias_.value[o]);
  }
  gemm(Trans::No, Trans::No, gemm_int(OC), gemm_int(cols_), gemm_int(K), 1.0f, weight_.value.data(),
       gemm_int(K), s.col, gemm_int(cols_), has_bias_ ? 1.0f : 0.0f, grid, gemm_int(cols_));
  const float floor = relu_ ? 0.0f : -std::numeric_limits<float>::infinity();
  if (!wide_) {
    for (int64_t i = 0; i < OC * P && relu_; ++i) out[i] = std::max(out[i], floor);
    return;
  }
  const int64_t Wp = g_.W + 2 * g_.pad;
  for (int64_t o = 0; o < OC; ++o) {
    for (int64_t oh = 0; oh < g_.OH; ++oh) {
      const float* src = grid + o * cols_ + oh * Wp;
      float* dst = out + o * P + oh * g_.OW;
      for (int64_t ow = 0; ow < g_.OW; ++ow) dst[ow] = std::max(src[ow], floor);
    }
  }
}

// One image: dW += d col^T (kept transposed in dwt), db += row sums of d,
// dx = col2im(W^T d), where d is dout, masked by out > 0 when a ReLU is fused, and laid on
// the wide grid for stride 1.
void Conv2d::backward_image(const float* x, const float* out, const float* dout, float* dx,
                            float* dwt, float* db, Scratch s) const {
  const int64_t K = g_.col_rows(), OC = out_channels_, P = g_.col_cols();
  const float* d = dout;
  if (wide_) {
    // On the wide grid the dropped columns get 0, so they contribute nothing.
    const int64_t Wp = g_.W + 2 * g_.pad;
    for (int64_t o = 0; o < OC; ++o) {
      for (int64_t oh = 0; oh < g_.OH; ++oh) {
        const float* src = dout + o * P + oh * g_.OW;
        const float* y = out + o * P + oh * g_.OW;
        float* dst = s.out + o * cols_ + oh * Wp;
        for (int64_t ow = 0; ow < g_.OW; ++ow) dst[ow] = !relu_ || y[ow] > 0.0f ? src[ow] : 0.0f;
        for (int64_t ow = g_.OW; ow < Wp; ++ow) dst[ow] = 0.0f;
      }
    }
    d = s.out;
    pad_image(x, g_, s.xpad);
    im2col_wide(s.xpad, g_, s.col);
  } else {
    if (relu_) {
      for (int64_t i = 0; i < OC * P; ++i) s.out[i] = out[i] > 0.0f ? dout[i] : 0.0f;
      d = s.out;
    }
    im2col(x, g_, s.col);
  }
  // dW^T (K, OC) += col d^T: the same product as d col^T, but OpenBLAS runs this shape (the
  // long side first) 20-40 % faster when OC is small (16 or 32 here).
  gemm(Trans::No, Trans::Yes, gemm_int(K), gemm_int(OC), gemm_int(cols_), 1.0f, s.col,
       gemm_int(cols_), d, gemm_int(cols_), 1.0f, dwt, gemm_int(OC));
  for (int64_t o = 0; o < OC && has_bias_; ++o) {
    float sum = 0.0f;
    for (int64_t p = 0; p < cols_; ++p) sum += d[o * cols_ + p];
    db[o] += sum;
  }
  if (dx == nullptr) return;
  // dcol (K, cols) = W^T d, reusing the col buffer.
  gemm(Trans::Yes, Trans::No, gemm_int(K), gemm_int(cols_), gemm_int(OC), 1.0f,
       weight_.value.data(), gemm_int(K), d, gemm_int(cols_), 0.0f, s.col, gemm_int(cols_));
  if (wide_) {
    std::fill(s.xpad, s.xpad + padded_size(g_), 0.0f);
    col2im_wide(s.col, g_, s.xpad);
    unpad_image(s.xpad, g_, dx);
  } else {
    std::fill(dx, dx + in_shape_.numel(), 0.0f);
    col2im(s.col, g_, dx);
  }
}

const Tensor& Conv2d::forward(const Tensor& x, bool /*train*/) {
  check_input(x);
  x_ = x;
  const int64_t N = x.dim(0);
  const int64_t in_size = in_shape_.numel(), out_size = out_shape_.numel();
  out_.resize(out_shape_.with_batch(N));
  const int threads = omp_get_max_threads();
  scratch_.resize(Shape{threads, padded_size(g_) + (g_.col_rows() + out_channels_) * cols_});
#pragma omp parallel if (N > 1)
  {
    const Scratch s = scratch(omp_get_thread_num());
#pragma omp for schedule(static)
    for (int64_t n = 0; n < N; ++n)
      forward_image(x.data() + n * in_size, out_.data() + n * out_size, s);
  }
  return out_;
}

const Tensor& Conv2d::backward(const Tensor& dout) {
  const int64_t N = x_.dim(0);
  check_dout(dout, N);
  const int64_t K = g_.col_rows(), OC = out_channels_;
  const int64_t in_size = in_shape_.numel(), out_size = out_shape_.numel();
  const int threads = omp_get_max_threads();
  scratch_.resize(Shape{threads, padded_size(g_) + (g_.col_rows() + out_channels_) * cols_});
  const int64_t partial_size = K * OC + OC;  // dW^T then db
  partial_.resize(Shape{threads, partial_size});
  partial_.zero();
  if (needs_input_grad_) dx_.resize(x_.shape());
#pragma omp parallel if (N > 1)
  {
    const int t = omp_get_thread_num();
    const Scratch s = scratch(t);
    float* dwt = partial_.data() + t * partial_size;
#pragma omp for schedule(static)
    for (int64_t n = 0; n < N; ++n) {
      backward_image(x_.data() + n * in_size, out_.data() + n * out_size,
                     dout.data() + n * out_size,
                     needs_input_grad_ ? dx_.data() + n * in_size : nullptr, dwt, dwt + K * OC, s);
    }
  }
  // Sum the threads' partial gradients in a fixed order: same result on every run.
  for (int t = 0; t < threads; ++t) {
    const float* dwt = partial_.data() + t * partial_size;
    for (int64_t o = 0; o < OC; ++o) {
      for (int64_t k = 0; k < K; ++k) weight_.grad[o * K + k] += dwt[k * OC + o];
    }
    for (int64_t o = 0; o < OC && has_bias_; ++o) bias_.grad[o] += dwt[K * OC + o];
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
