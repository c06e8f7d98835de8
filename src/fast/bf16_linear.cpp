#include "nnzero/fast/bf16_linear.h"

#include "nnzero/error.h"
#include "nnzero/parallel.h"

namespace nnzero {

const Tensor& Bf16Linear::forward(const Tensor& x, bool train) {
  if (train) throw Error("linear (bf16): --precision bf16 evaluates only; train in fp32");
  check_input(x);
  if (!packed_ready_) {
    packed_ = pack_bf16(weight_.value.data(), static_cast<int>(out_features_),
                        static_cast<int>(in_features_), static_cast<int>(in_features_));
    packed_ready_ = true;
  }
  const int64_t rows = x.numel() / in_features_;
  out_.resize(out_shape_.with_batch(x.dim(0)));
  gemm_bf16(x.data(), static_cast<int>(rows), static_cast<int>(in_features_), packed_,
            has_bias_ ? bias_.value.data() : nullptr, out_.data(), static_cast<int>(out_features_));
  if (relu_) {
    float* y = out_.data();
    parallel_for(out_.numel(), [=](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) y[i] = y[i] < 0.0f ? 0.0f : y[i];
    });
  }
  return out_;
}

const Tensor& Bf16Linear::backward(const Tensor& /*dout*/) {
  throw Error("linear (bf16): --precision bf16 evaluates only; train in fp32");
}

}  // namespace nnzero
