// ReLU (section 5.5.1): y = max(0, x); dx = dout where x > 0, else 0.
// The book keeps a mask of x <= 0; y > 0 is the same mask.
#pragma once

#include <algorithm>

#include "nnzero/layers/elementwise.h"

namespace nnzero {

struct ReluMath {
  static constexpr const char* kType = "relu";
  float y(float x) const { return std::max(x, 0.0f); }
  float dx(float /*x*/, float y, float dout) const { return y > 0.0f ? dout : 0.0f; }
};

using ReLU = Elementwise<ReluMath>;
extern template class Elementwise<ReluMath>;

}  // namespace nnzero
