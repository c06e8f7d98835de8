// erf for float32 that the compiler turns into vector code: GELU takes an erf per value of a
// transformer's widest activations, and libm's erff (one call per value) took a fifth of a
// GPT's training step.
//
// Abramowitz and Stegun 7.1.26 (the form PyTorch's vectorised erf uses): for x >= 0,
//   erf(x) = 1 - (a1 t + a2 t^2 + a3 t^3 + a4 t^4 + a5 t^5) e^(-x^2),   t = 1 / (1 + p x),
// odd in x. Absolute error below 1.5e-7 in exact arithmetic, 5e-7 in float32's (checked against
// std::erf in tests/test_gelu.cpp).
#pragma once

#include "nnzero/functions/exp_float.h"

namespace nnzero {

inline float erf_float(float x) {
  constexpr float p = 0.3275911f;
  constexpr float a1 = 0.254829592f, a2 = -0.284496736f, a3 = 1.421413741f, a4 = -1.453152027f,
                  a5 = 1.061405429f;
  const float ax = x < 0.0f ? -x : x;
  const float t = 1.0f / (1.0f + p * ax);
  const float poly = ((((a5 * t + a4) * t + a3) * t + a2) * t + a1) * t;
  const float y = 1.0f - poly * exp_float(-ax * ax);
  return x < 0.0f ? -y : y;
}

}  // namespace nnzero
