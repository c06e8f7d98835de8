// The convolution of an int8 model (nnzero quantize; the plan's Engine::int8), as
// fast/int8_quantize.h says. Each image is quantized with the calibrated input scale as it is
// unfolded channels-last (fast/channels_last_unfold.h; the padding is the code of 0.0) into
// rows, one per output position (P = OH * OW rows of K = KH * KW * C). The product rows x weights^T
// in int8 with int32 sums, (P, OC), is written back as (OC, OH, OW). Images run in parallel.
// Evaluation only.
//
// Its tensors: "weight" holds the codes q_w (OC, C, KH, KW) (I8 in the model file), "bias",
// "weight_scale" (OC) and "input_scale" (1).
#pragma once

#include <vector>

#include "nnzero/fast/fused_relu.h"
#include "nnzero/fast/int8_quantize.h"
#include "nnzero/kernels/low_precision_gemm.h"
#include "nnzero/layers/conv2d.h"

namespace nnzero {

class Int8Conv2d : public Conv2d, public FusedRelu {
 public:
  Int8Conv2d(const Shape& in_shape, int64_t out_channels, int64_t kernel_h, int64_t kernel_w,
             int64_t stride, int64_t padding, bool bias);

  const Tensor& forward(const Tensor& x, bool train) override;
  const Tensor& backward(const Tensor& dout) override;  // throws: an int8 model is not trained
  std::vector<Buffer> buffers() override;

  Tensor& weight_scale() { return weight_scale_; }
  Tensor& input_scale() { return input_scale_; }

  // Image by image, as forward runs it and the fused pair of fast/int8_conv_pair.h does.
  struct Scratch {
    std::vector<uint8_t> padded, rows;  // the channels-last image, its patches
    std::vector<int32_t> sums;          // (P, OC)
  };
  // Packs the weights' codes in the rows' order (once, after the model file is read).
  void prepare();
  // How this layer's int32 sums become its outputs (the fused ReLU included).
  Dequantize dequantize() const;
  // One image (C, H, W) quantized with the input scale into s.padded, channels-last (Hp, Wp,
  // C), the margins the code of 0.0.
  void quantize_image(const float* image, Scratch& s) const;
  // The sums (P, OC) of the image in s.padded, into s.sums.
  void image_sums(Scratch& s) const;

 private:
  Tensor weight_scale_, input_scale_;
  PackedInt8 packed_;  // packed at the first forward (after the model file is read)
  bool packed_ready_ = false;
  std::vector<Scratch> scratch_;  // per thread
};

}  // namespace nnzero
