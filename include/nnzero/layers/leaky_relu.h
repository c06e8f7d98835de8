// LeakyReLU: y = x if x > 0 else a*x (a = negative_slope, 0.01 by default as in PyTorch);
// dx = dout if x > 0 else a*dout. Keeps a small gradient where ReLU would have none.
#pragma once

#include "nnzero/layers/elementwise.h"

namespace nnzero {

struct LeakyReluMath {
  static constexpr const char* kType = "leaky_relu";
  float a = 0.01f;  // negative_slope
  float y(float x) const { return x > 0.0f ? x : a * x; }
  float dx(float x, float /*y*/, float dout) const { return x > 0.0f ? dout : a * dout; }
};

extern template class Elementwise<LeakyReluMath>;

class LeakyReLU : public Elementwise<LeakyReluMath> {
 public:
  explicit LeakyReLU(const Shape& in_shape, float negative_slope = 0.01f)
      : Elementwise(in_shape, LeakyReluMath{negative_slope}) {}
  float negative_slope() const { return math().a; }
};

}  // namespace nnzero
