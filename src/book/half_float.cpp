#include "nnzero/book/half_float.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nnzero::book {

float round_to_half(float x) {
  if (!std::isfinite(x) || x == 0.0f) return x;
  // float16: 10 fraction bits, exponents from -14 (below that, subnormals spaced 2^-24).
  int e = 0;
  const double m = std::frexp(static_cast<double>(std::fabs(x)), &e);  // |x| = m 2^e, m in [0.5, 1)
  (void)m;
  const double quantum = std::ldexp(1.0, std::max(e - 1, -14) - 10);
  const double r = std::nearbyint(std::fabs(x) / quantum) * quantum;  // ties to even
  const double rounded = r > 65504.0 ? std::numeric_limits<double>::infinity() : r;
  return static_cast<float>(std::copysign(rounded, static_cast<double>(x)));
}

void round_to_half(std::span<float> values) {
  for (float& v : values) v = round_to_half(v);
}

}  // namespace nnzero::book
