// Two int8 convolutions in a row (the plan's Engine::int8; deep_convnet has three such pairs):
// one step that hands the first one's outputs to the second as bytes, channels-last.
//
// Run one by one, the first convolution writes its int32 sums (P, OC), one row per output
// position, back to NCHW floats, and the second quantizes those into its channels-last
// padded image (Hp, Wp, C). That image is the sums' own order: the step makes each row of
// sums into outputs (the first layer's ReLU included) and quantizes them with the second
// layer's input scale straight into its padded image, and the second layer goes on from
// there. The float activations between the two, and both changes of layout, are never made;
// the arithmetic is the same. Evaluation only.
#pragma once

#include <vector>

#include "nnzero/fast/int8_conv2d.h"

namespace nnzero {

class Int8ConvPair : public Layer {
 public:
  // second's input is first's output (second's shape checked).
  Int8ConvPair(Int8Conv2d& first, Int8Conv2d& second);

  const char* type() const override { return "conv2d+conv2d (int8)"; }
  const Tensor& forward(const Tensor& x, bool train) override;
  const Tensor& backward(const Tensor& dout) override;  // throws: evaluation only

 private:
  // first's sums (P1, OC1) as second's quantized padded image.
  void requantize(const Dequantize& dq, float inverse, const Int8Conv2d::Scratch& from,
                  Int8Conv2d::Scratch& to) const;

  Int8Conv2d& first_;
  Int8Conv2d& second_;
  std::vector<Int8Conv2d::Scratch> first_scratch_, second_scratch_;  // per thread
  Tensor out_;
};

}  // namespace nnzero
