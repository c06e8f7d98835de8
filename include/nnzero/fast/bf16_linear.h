// The linear layer of a model evaluated in bfloat16 (`--precision bf16`; the plan's
// Engine::bf16): y = x W^T + b with x and W rounded to bfloat16 and the products summed in
// float32, on AVX-512 BF16's vdpbf16ps where the CPU has it (kernels/low_precision_gemm.h).
// Evaluation only: the same parameters as Linear, so a float model file loads as it is.
#pragma once

#include "nnzero/fast/fused_relu.h"
#include "nnzero/kernels/low_precision_gemm.h"
#include "nnzero/layers/linear.h"

namespace nnzero {

class Bf16Linear : public Linear, public FusedRelu {
 public:
  using Linear::Linear;

  const Tensor& forward(const Tensor& x, bool train) override;
  const Tensor& backward(const Tensor& dout) override;  // throws: evaluation only

 private:
  PackedBf16 packed_;  // packed at the first forward (after the model file is read)
  bool packed_ready_ = false;
};

}  // namespace nnzero
