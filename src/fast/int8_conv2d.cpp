#include "nnzero/fast/int8_conv2d.h"

#include "nnzero/error.h"
#include "nnzero/fast/channels_last_unfold.h"
#include "nnzero/fast/int8_quantize.h"
#include "nnzero/parallel.h"

namespace nnzero {

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

const Tensor& Int8Conv2d::forward(const Tensor& x, bool train) {
  if (train) throw Error("conv2d (int8): an int8 model evaluates only; train the float model");
  check_input(x);
  const ConvGeometry& g = g_;
  const int64_t N = x.dim(0), K = g.col_rows(), P = g.col_cols(), OC = out_channels_;
  if (!packed_ready_) {
    const std::vector<float> codes = weights_channels_last(weight_.value.data(), OC, g);
    packed_ = pack_weight_codes(codes.data(), OC, K, "conv2d");
    packed_ready_ = true;
  }
  out_.resize(out_shape_.with_batch(N));
  const int threads = num_threads();
  padded_.resize(static_cast<size_t>(threads));
  rows_.resize(static_cast<size_t>(threads));
  sums_.resize(static_cast<size_t>(threads));
  const int64_t image = g.C * g.H * g.W;
  const float inverse = 1.0f / input_scale_[0];
  const Dequantize dq(packed_, input_scale_[0], weight_scale_.data(),
                      has_bias_ ? bias_.value.data() : nullptr, relu_);
  // One image per thread at a time; with one image, the product itself splits.
  parallel_pieces(
      N,
      [&](int t, int64_t begin, int64_t end) {
        auto& padded = padded_[static_cast<size_t>(t)];
        auto& rows = rows_[static_cast<size_t>(t)];
        auto& sums = sums_[static_cast<size_t>(t)];
        padded.resize(static_cast<size_t>(g.C * (g.H + 2 * g.pad) * (g.W + 2 * g.pad) +
                                          kUnfoldSlack<uint8_t>));
        rows.resize(static_cast<size_t>(P * K + kUnfoldSlack<uint8_t>));
        sums.resize(static_cast<size_t>(P * OC));
        for (int64_t n = begin; n < end; ++n) {
          unfold_channels_last(
              g, x.data() + n * image, static_cast<uint8_t>(kInt8ZeroPoint),
              [inverse](float v) { return quantize_input(v, inverse); }, padded.data(),
              rows.data());
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
