// The linear layer of an int8 model (nnzero quantize; the plan's Engine::int8): y = W x + b
// computed as fast/int8_quantize.h says, the input quantized with the calibrated scale and
// the product in int8 with int32 sums (AVX-512 VNNI where the CPU has it). Evaluation only.
//
// Its tensors: "weight" holds the integer codes q_w (out, in) (I8 in the model file),
// "bias" as a linear layer's, "weight_scale" (out) and "input_scale" (1).
#pragma once

#include <vector>

#include "nnzero/fast/fused_relu.h"
#include "nnzero/kernels/low_precision_gemm.h"
#include "nnzero/layers/linear.h"

namespace nnzero {

class Int8Linear : public Linear, public FusedRelu {
 public:
  Int8Linear(const Shape& in_shape, int64_t out_features, bool bias);

  const Tensor& forward(const Tensor& x, bool train) override;
  const Tensor& backward(const Tensor& dout) override;  // throws: an int8 model is not trained
  std::vector<Buffer> buffers() override;

  Tensor& weight_scale() { return weight_scale_; }
  Tensor& input_scale() { return input_scale_; }

 private:
  Tensor weight_scale_, input_scale_;
  PackedInt8 packed_;  // the codes, packed at the first forward (after the model file is read)
  bool packed_ready_ = false;
  std::vector<uint8_t> codes_;
  std::vector<int32_t> sums_;
};

}  // namespace nnzero
