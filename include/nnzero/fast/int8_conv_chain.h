// One or two int8 convolutions in a row and the max pooling after them, as one step (the
// plan's Engine::int8): deep_convnet's three conv-conv-pool blocks, simple_convnet's
// conv-pool. Run one by one, each convolution writes its int32 sums (P, OC), one row per
// output position, back to NCHW floats; a second convolution quantizes those into its
// channels-last image again, and the pooling reads them all. Here:
//
// - Two convolutions: each row of the first's sums is made into outputs (its ReLU included)
//   and quantized with the second's input scale straight into the second's padded
//   channels-last image (Hp, Wp, C), which is the sums' own order. The float activations
//   between the two, and both changes of layout, are never made.
// - Pooling: each window's maximum is taken on the int32 sums, a row of channels at a time,
//   and only the maxima are made into floats. This is exact: y = s_x s_w[o] (C - z[o]) + b[o]
//   increases with C (the scales are positive), and so does the ReLU, so the largest sum
//   gives the largest output.
//
// The arithmetic is the layers'. Evaluation only.
#pragma once

#include <string>
#include <vector>

#include "nnzero/fast/int8_conv2d.h"
#include "nnzero/layers/maxpool2d.h"

namespace nnzero {

class Int8ConvChain : public Layer {
 public:
  // second (or nullptr) reads first's output; pool (or nullptr) the last convolution's.
  Int8ConvChain(Int8Conv2d& first, Int8Conv2d* second, const MaxPool2d* pool);

  const char* type() const override { return type_.c_str(); }
  const Tensor& forward(const Tensor& x, bool train) override;
  const Tensor& backward(const Tensor& dout) override;  // throws: evaluation only

 private:
  // first's sums (P1, OC1) as second's quantized padded image.
  void requantize(const Dequantize& dq, float inverse, const Int8Conv2d::Scratch& from,
                  Int8Conv2d::Scratch& to) const;
  // The sums (P, OC) of `conv` pooled into `pooled` (POH * POW, OC): each window's maximum.
  void pool_sums(const Int8Conv2d& conv, const int32_t* sums, std::vector<int32_t>& pooled) const;

  Int8Conv2d& first_;
  Int8Conv2d* second_;
  const MaxPool2d* pool_;
  std::string type_;
  std::vector<Int8Conv2d::Scratch> first_scratch_, second_scratch_;  // per thread
  std::vector<std::vector<int32_t>> pooled_;                         // per thread
  Tensor out_;
};

}  // namespace nnzero
