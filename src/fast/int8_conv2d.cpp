#include "nnzero/fast/int8_conv2d.h"

#include "nnzero/error.h"
#include "nnzero/fast/channels_last_unfold.h"
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

void Int8Conv2d::prepare() {
  if (packed_ready_) return;
  const std::vector<float> codes = weights_channels_last(weight_.value.data(), out_channels_, g_);
  packed_ = pack_weight_codes(codes.data(), out_channels_, g_.col_rows(), "conv2d");
  packed_ready_ = true;
}

Dequantize Int8Conv2d::dequantize() const {
  return {packed_, input_scale_[0], weight_scale_.data(), has_bias_ ? bias_.value.data() : nullptr,
          relu_};
}

void Int8Conv2d::quantize_image(const float* image, Scratch& s) const {
  const float inverse = 1.0f / input_scale_[0];
  s.padded.resize(static_cast<size_t>(padded_channels_last_size(g_, kUnfoldSlack<uint8_t>)));
  to_channels_last(
      g_, image, static_cast<uint8_t>(kInt8ZeroPoint),
      [inverse](float v) { return quantize_input(v, inverse); }, s.padded.data());
}

void Int8Conv2d::image_sums(Scratch& s) const {
  const int64_t K = g_.col_rows(), P = g_.col_cols();
  s.rows.resize(static_cast<size_t>(P * K + kUnfoldSlack<uint8_t>));
  s.sums.resize(static_cast<size_t>(P * out_channels_));
  patch_rows(g_, s.padded.data(), s.rows.data());
  gemm_u8s8s32(s.rows.data(), static_cast<int>(P), static_cast<int>(K), packed_, s.sums.data(),
               static_cast<int>(out_channels_));
}

const Tensor& Int8Conv2d::forward(const Tensor& x, bool train) {
  if (train) throw Error("conv2d (int8): an int8 model evaluates only; train the float model");
  check_input(x);
  prepare();
  const int64_t N = x.dim(0), P = g_.col_cols(), OC = out_channels_, image = g_.C * g_.H * g_.W;
  out_.resize(out_shape_.with_batch(N));
  scratch_.resize(static_cast<size_t>(num_threads()));
  const Dequantize dq = dequantize();
  // One image per thread at a time; with one image, the product itself splits.
  parallel_pieces(
      N,
      [&](int t, int64_t begin, int64_t end) {
        Scratch& s = scratch_[static_cast<size_t>(t)];
        for (int64_t n = begin; n < end; ++n) {
          quantize_image(x.data() + n * image, s);
          image_sums(s);
          dq.columns(s.sums.data(), P, out_.data() + n * OC * P);
        }
      },
      1);
  return out_;
}

const Tensor& Int8Conv2d::backward(const Tensor& /*dout*/) {
  throw Error("conv2d (int8): an int8 model evaluates only; train the float model");
}

}  // namespace nnzero
