// The reduced-precision layers (fast/int8_*.h, fast/bf16_*.h) apply the ReLU that follows them
// as they write their outputs: the plan (model/plan.h) fuses the two, which saves a pass over
// the activations, as the fast engine's ConvRelu does.
#pragma once

namespace nnzero {

class FusedRelu {
 public:
  virtual ~FusedRelu() = default;
  void fuse_relu() { relu_ = true; }

 protected:
  bool relu_ = false;
};

}  // namespace nnzero
