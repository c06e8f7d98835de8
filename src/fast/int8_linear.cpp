#include "nnzero/fast/int8_linear.h"

#include "nnzero/error.h"
#include "nnzero/fast/int8_quantize.h"
#include "nnzero/parallel.h"

namespace nnzero {

Int8Linear::Int8Linear(const Shape& in_shape, int64_t out_features, bool bias)
    : Linear(in_shape, out_features, bias),
      weight_scale_(Shape{out_features}),
      input_scale_(Shape{1}) {
  weight_scale_.fill(1.0f);
  input_scale_.fill(1.0f);
}

std::vector<Buffer> Int8Linear::buffers() {
  return {{"weight_scale", &weight_scale_}, {"input_scale", &input_scale_}};
}

const Tensor& Int8Linear::forward(const Tensor& x, bool train) {
  if (train) throw Error("linear (int8): an int8 model evaluates only; train the float model");
  check_input(x);
  if (!packed_ready_) {
    packed_ = pack_weight_codes(weight_.value.data(), out_features_, in_features_, "linear");
    packed_ready_ = true;
  }
  const int64_t rows = x.numel() / in_features_;
  codes_.resize(static_cast<size_t>(x.numel()));
  sums_.resize(static_cast<size_t>(rows * out_features_));
  quantize_inputs(x.data(), x.numel(), input_scale_[0], codes_.data());
  gemm_u8s8s32(codes_.data(), static_cast<int>(rows), static_cast<int>(in_features_), packed_,
               sums_.data(), static_cast<int>(out_features_));
  out_.resize(out_shape_.with_batch(x.dim(0)));
  const Dequantize dq(packed_, input_scale_[0], weight_scale_.data(),
                      has_bias_ ? bias_.value.data() : nullptr, relu_);
  parallel_for(
      rows, [&](int64_t begin, int64_t end) { dq.rows(sums_.data(), begin, end, out_.data()); },
      min_items(kParallelMinElements, out_features_));
  return out_;
}

const Tensor& Int8Linear::backward(const Tensor& /*dout*/) {
  throw Error("linear (int8): an int8 model evaluates only; train the float model");
}

}  // namespace nnzero
