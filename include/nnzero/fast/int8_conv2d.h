// The convolution of an int8 model (nnzero quantize; the plan's Engine::int8), as
// fast/int8_quantize.h says. Each image is quantized with the calibrated input scale into a
// padded channels-last copy (Hp, Wp, C) (the padding is the code of 0.0); then a patch is
// KH contiguous runs of KW * C bytes, so unfolding the image into rows, one per output
// position (P = OH * OW rows of K = KH * KW * C, the weights' codes permuted to that order
// once), is a few copies per position. The product rows x weights^T in int8 with int32 sums,
// (P, OC), is written back as (OC, OH, OW). Images run in parallel. Evaluation only.
//
// Its tensors: "weight" holds the codes q_w (OC, C, KH, KW) (I8 in the model file), "bias",
// "weight_scale" (OC) and "input_scale" (1).
#pragma once

#include <vector>

#include "nnzero/kernels/low_precision_gemm.h"
#include "nnzero/layers/conv2d.h"

namespace nnzero {

class Int8Conv2d : public Conv2d {
 public:
  Int8Conv2d(const Shape& in_shape, int64_t out_channels, int64_t kernel_h, int64_t kernel_w,
             int64_t stride, int64_t padding, bool bias);

  const Tensor& forward(const Tensor& x, bool train) override;
  const Tensor& backward(const Tensor& dout) override;  // throws: an int8 model is not trained
  std::vector<Buffer> buffers() override;

  Tensor& weight_scale() { return weight_scale_; }
  Tensor& input_scale() { return input_scale_; }
  // Applies the ReLU that follows the layer as its outputs are made (the plan fuses the two).
  void fuse_relu() { relu_ = true; }

 private:
  // One image (C, H, W) quantized into `padded` (Hp, Wp, C) and unfolded into `rows` (P, K).
  void unfold(const float* image, uint8_t* padded, uint8_t* rows) const;
  // The weights' codes (OC, C, KH, KW) packed in the rows' order (OC, KH, KW, C).
  void pack_weights();

  Tensor weight_scale_, input_scale_;
  PackedInt8 packed_;  // packed at the first forward (after the model file is read)
  bool packed_ready_ = false;
  bool relu_ = false;
  std::vector<std::vector<uint8_t>> padded_, rows_;  // per thread
  std::vector<std::vector<int32_t>> sums_;
};

}  // namespace nnzero
