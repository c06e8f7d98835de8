// The convolution of a model evaluated in bfloat16 (`--precision bf16`; the plan's
// Engine::bf16): the products of bfloat16 operands summed in float32, on AVX-512 BF16's
// vdpbf16ps where the CPU has it (kernels/low_precision_gemm.h). Each image is unfolded
// channels-last (fast/channels_last_unfold.h) into rows, one per output position (P = OH * OW
// rows of K = KH * KW * C); the product rows x weights^T + bias, (P, OC), rounds both
// operands to bfloat16 and is written back as (OC, OH, OW). Images run in parallel.
// Evaluation only: the same parameters as Conv2d, so a float model file loads as it is.
#pragma once

#include <vector>

#include "nnzero/fast/fused_relu.h"
#include "nnzero/kernels/low_precision_gemm.h"
#include "nnzero/layers/conv2d.h"

namespace nnzero {

class Bf16Conv2d : public Conv2d, public FusedRelu {
 public:
  using Conv2d::Conv2d;

  const Tensor& forward(const Tensor& x, bool train) override;
  const Tensor& backward(const Tensor& dout) override;  // throws: evaluation only

 private:
  void transpose_sums(const float* sums, int64_t P, int64_t OC, float* out) const;

  PackedBf16 packed_;  // packed at the first forward (after the model file is read)
  bool packed_ready_ = false;
  std::vector<std::vector<float>> padded_, rows_, sums_;  // per thread
};

}  // namespace nnzero
