// Tanh: y = tanh(x); dx = dout * (1 - y^2).
#pragma once

#include <cmath>

#include "nnzero/layers/elementwise.h"

namespace nnzero {

struct TanhMath {
  static constexpr const char* kType = "tanh";
  float y(float x) const { return std::tanh(x); }
  float dx(float /*x*/, float y, float dout) const { return dout * (1.0f - y * y); }
};

using Tanh = Elementwise<TanhMath>;
extern template class Elementwise<TanhMath>;

}  // namespace nnzero
