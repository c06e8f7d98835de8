#include "nnzero/fast/int8_conv2d.h"

#include <algorithm>
#include <cstring>

#include "nnzero/error.h"
#include "nnzero/fast/int8_quantize.h"
#include "nnzero/parallel.h"

namespace nnzero {

namespace {
constexpr int64_t kMaxLine = 256;  // pixels of an image row quantized at a time
}  // namespace

Int8Conv2d::Int8Conv2d(const Shape& in_shape, int64_t out_channels, int64_t kernel_h,
                       int64_t kernel_w, int64_t stride, int64_t padding, bool bias)
    : Conv2d(in_shape, out_channels, kernel_h, kernel_w, stride, padding, bias),
      weight_scale_(Shape{out_channels}),
      input_scale_(Shape{1}) {
  weight_scale_.fill(1.0f);
  input_scale_.fill(1.0f);
}

std::vector<Buffer> Int8Conv2d::buffers() {
  return {{"weight_scale", &weight_scale_}, {"input_scale", &input_scale_}};
}

void Int8Conv2d::unfold(const float* image, uint8_t* padded, uint8_t* rows) const {
  const ConvGeometry& g = g_;
  const int64_t C = g.C, Hp = g.H + 2 * g.pad, Wp = g.W + 2 * g.pad, K = g.col_rows();
  const float inverse = 1.0f / input_scale_[0];
  std::memset(padded, kInt8ZeroPoint, static_cast<size_t>(C * Hp * Wp));
  uint8_t line[kMaxLine];
  for (int64_t c = 0; c < C; ++c) {
    for (int64_t y = 0; y < g.H; ++y) {
      const float* src = image + (c * g.H + y) * g.W;
      uint8_t* dst = padded + ((y + g.pad) * Wp + g.pad) * C + c;
      for (int64_t x0 = 0; x0 < g.W; x0 += kMaxLine) {   // quantize a run (vectorized), then
        const int64_t n = std::min(kMaxLine, g.W - x0);  // spread it C bytes apart
        for (int64_t x = 0; x < n; ++x) line[x] = quantize_input(src[x0 + x], inverse);
        for (int64_t x = 0; x < n; ++x) dst[(x0 + x) * C] = line[x];
      }
    }
  }
  const int64_t run = g.KW * C;  // one kernel row of the patch
  for (int64_t oh = 0; oh < g.OH; ++oh) {
    for (int64_t ow = 0; ow < g.OW; ++ow) {
      uint8_t* row = rows + (oh * g.OW + ow) * K;
      const uint8_t* src = padded + (oh * g.stride * Wp + ow * g.stride) * C;
      for (int64_t ky = 0; ky < g.KH; ++ky)
        std::memcpy(row + ky * run, src + ky * Wp * C, static_cast<size_t>(run));
    }
  }
}

void Int8Conv2d::pack_weights() {
  const ConvGeometry& g = g_;
  const int64_t K = g.col_rows();
  std::vector<float> codes(static_cast<size_t>(out_channels_ * K));
  const float* w = weight_.value.data();
  for (int64_t o = 0; o < out_channels_; ++o) {
    for (int64_t c = 0; c < g.C; ++c) {
      for (int64_t ky = 0; ky < g.KH; ++ky) {
        for (int64_t kx = 0; kx < g.KW; ++kx) {
          codes[static_cast<size_t>(o * K + (ky * g.KW + kx) * g.C + c)] =
              w[((o * g.C + c) * g.KH + ky) * g.KW + kx];
        }
      }
    }
  }
  packed_ = pack_weight_codes(codes.data(), out_channels_, K, "conv2d");
  packed_ready_ = true;
}

const Tensor& Int8Conv2d::forward(const Tensor& x, bool train) {
  if (train) throw Error("conv2d (int8): an int8 model evaluates only; train the float model");
  check_input(x);
  const ConvGeometry& g = g_;
  const int64_t N = x.dim(0), K = g.col_rows(), P = g.col_cols(), OC = out_channels_;
  if (!packed_ready_) pack_weights();
  out_.resize(out_shape_.with_batch(N));
  const int threads = num_threads();
  padded_.resize(static_cast<size_t>(threads));
  rows_.resize(static_cast<size_t>(threads));
  sums_.resize(static_cast<size_t>(threads));
  const int64_t image = g.C * g.H * g.W;
  const Dequantize dq(packed_, input_scale_[0], weight_scale_.data(),
                      has_bias_ ? bias_.value.data() : nullptr, relu_);
  // One image per thread at a time; with one image, the product itself splits.
  parallel_pieces(
      N,
      [&](int t, int64_t begin, int64_t end) {
        auto& padded = padded_[static_cast<size_t>(t)];
        auto& rows = rows_[static_cast<size_t>(t)];
        auto& sums = sums_[static_cast<size_t>(t)];
        padded.resize(static_cast<size_t>(g.C * (g.H + 2 * g.pad) * (g.W + 2 * g.pad)));
        rows.resize(static_cast<size_t>(P * K));
        sums.resize(static_cast<size_t>(P * OC));
        for (int64_t n = begin; n < end; ++n) {
          unfold(x.data() + n * image, padded.data(), rows.data());
          gemm_u8s8s32(rows.data(), static_cast<int>(P), static_cast<int>(K), packed_, sums.data(),
                       static_cast<int>(OC));
          dq.columns(sums.data(), P, out_.data() + n * OC * P);
        }
      },
      1);
  return out_;
}

const Tensor& Int8Conv2d::backward(const Tensor& /*dout*/) {
  throw Error("conv2d (int8): an int8 model evaluates only; train the float model");
}

}  // namespace nnzero
