// GELU (Hendrycks and Gimpel, 2016), the transformer's activation, in its exact form as
// PyTorch's nn.GELU computes it: y = x * Phi(x), Phi the standard normal distribution
// function, Phi(x) = (1 + erf(x / sqrt 2)) / 2; dx = dout * (Phi(x) + x * phi(x)), phi the
// normal density, phi(x) = exp(-x^2 / 2) / sqrt(2 pi). erf and exp in float32 vector code
// (functions/erf_float.h: within 5e-7 of std::erf).
#pragma once

#include <numbers>

#include "nnzero/functions/erf_float.h"
#include "nnzero/layers/elementwise.h"

namespace nnzero {

struct GeluMath {
  static constexpr const char* kType = "gelu";
  static float cdf(float x) {
    return 0.5f * (1.0f + erf_float(x * std::numbers::sqrt2_v<float> / 2));
  }
  static float pdf(float x) {
    return exp_float(-0.5f * x * x) *
           (std::numbers::inv_sqrtpi_v<float> / std::numbers::sqrt2_v<float>);
  }
  float y(float x) const { return x * cdf(x); }
  float dx(float x, float /*y*/, float dout) const { return dout * (cdf(x) + x * pdf(x)); }
};

using Gelu = Elementwise<GeluMath>;
extern template class Elementwise<GeluMath>;

}  // namespace nnzero
