// Sigmoid (section 5.5.2): y = 1 / (1 + exp(-x)); dx = dout * y * (1 - y).
#pragma once

#include <cmath>

#include "nnzero/layers/elementwise.h"

namespace nnzero {

struct SigmoidMath {
  static constexpr const char* kType = "sigmoid";
  float y(float x) const { return 1.0f / (1.0f + std::exp(-x)); }
  float dx(float /*x*/, float y, float dout) const { return dout * y * (1.0f - y); }
};

using Sigmoid = Elementwise<SigmoidMath>;
extern template class Elementwise<SigmoidMath>;

}  // namespace nnzero
