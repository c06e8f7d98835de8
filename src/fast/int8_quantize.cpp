#include "nnzero/fast/int8_quantize.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "nnzero/error.h"
#include "nnzero/parallel.h"

namespace nnzero {

namespace {
// __restrict: a store of bytes may alias the floats, and without it the loop stays scalar.
void quantize_run(const float* __restrict x, int64_t n, float inverse, uint8_t* __restrict out) {
  for (int64_t i = 0; i < n; ++i) out[i] = quantize_input(x[i], inverse);
}
}  // namespace

void quantize_inputs(const float* x, int64_t n, float scale, uint8_t* out) {
  const float inverse = 1.0f / scale;
  parallel_for(n, [=](int64_t begin, int64_t end) {
    quantize_run(x + begin, end - begin, inverse, out + begin);
  });
}

Dequantize::Dequantize(const PackedInt8& w, float input_scale, const float* w_scale,
                       const float* bias, bool relu_after)
    : factor(static_cast<size_t>(w.N)),
      shift(static_cast<size_t>(w.N), 0.0f),
      zero(static_cast<size_t>(w.N)),
      relu(relu_after) {
  for (size_t o = 0; o < zero.size(); ++o) {
    zero[o] = kInt8ZeroPoint * w.row_sums[o];
    factor[o] = input_scale * w_scale[o];
    if (bias != nullptr) shift[o] = bias[o];
  }
}

void Dequantize::rows(const int32_t* C, int64_t begin, int64_t end, float* out) const {
  const auto N = static_cast<int64_t>(zero.size());
  const float* f = factor.data();
  const float* b = shift.data();
  const int32_t* z = zero.data();
  for (int64_t m = begin; m < end; ++m) {  // contiguous in o: the loops vectorize
    const int32_t* c = C + m * N;
    float* y = out + m * N;
    for (int64_t o = 0; o < N; ++o) y[o] = f[o] * static_cast<float>(c[o] - z[o]) + b[o];
    if (relu) {
      for (int64_t o = 0; o < N; ++o) y[o] = y[o] > 0.0f ? y[o] : 0.0f;
    }
  }
}

void Dequantize::columns(const int32_t* C, int64_t M, float* out) const {
  // In blocks of 64 rows of C, which stay in L1 while each column is read down them.
  constexpr int64_t kBlock = 64;
  const auto N = static_cast<int64_t>(zero.size());
  const float floor = relu ? 0.0f : -std::numeric_limits<float>::infinity();
  for (int64_t m0 = 0; m0 < M; m0 += kBlock) {
    const int64_t m1 = std::min(M, m0 + kBlock);
    for (int64_t o = 0; o < N; ++o) {
      const float f = factor[static_cast<size_t>(o)], b = shift[static_cast<size_t>(o)];
      const int32_t z = zero[static_cast<size_t>(o)];
      float* y = out + o * M;
      for (int64_t m = m0; m < m1; ++m)
        y[m] = std::max(f * static_cast<float>(C[m * N + o] - z) + b, floor);
    }
  }
}

namespace {
// out[o] = code of max(f[o] (c[o] - z[o]) + b[o], floor) for o < n. __restrict: else a byte
// store may alias the factors, and the loop stays scalar.
template <int64_t kWidth>
void requantize_block(const int32_t* c, const float* __restrict f, const float* __restrict b,
                      const int32_t* __restrict z, float floor, float inverse, int64_t n,
                      uint8_t* __restrict out) {
  const int64_t width = kWidth > 0 ? kWidth : n;
  for (int64_t o = 0; o < width; ++o)
    out[o] =
        quantize_input(std::max(f[o] * static_cast<float>(c[o] - z[o]) + b[o], floor), inverse);
}
}  // namespace

void Dequantize::requantize_row(const int32_t* c, float inverse, uint8_t* dst) const {
  const auto N = static_cast<int64_t>(zero.size());
  const float floor = relu ? 0.0f : -std::numeric_limits<float>::infinity();
  if (N % 16 != 0) {
    requantize_block<0>(c, factor.data(), shift.data(), zero.data(), floor, inverse, N, dst);
    return;
  }
  // Channels in 16s (deep_convnet's 16, 32, 64): a loop of a fixed 16 is one vector, where a
  // loop of 16 to 64 would fall into the vector loop's scalar remainder.
  for (int64_t o = 0; o < N; o += 16) {
    requantize_block<16>(c + o, factor.data() + o, shift.data() + o, zero.data() + o, floor,
                         inverse, 16, dst + o);
  }
}

PackedInt8 pack_weight_codes(const float* codes, int64_t N, int64_t K, const char* layer) {
  std::vector<int8_t> q(static_cast<size_t>(N * K));
  for (size_t i = 0; i < q.size(); ++i) {
    const float c = codes[i];
    if (!(c >= -127.0f && c <= 127.0f) || c != std::nearbyint(c)) {
      throw Error(std::string(layer) + ": an int8 weight code is " + std::to_string(c) +
                  " (must be an integer in -127..127)");
    }
    q[i] = static_cast<int8_t>(c);
  }
  return pack_int8(q.data(), static_cast<int>(N), static_cast<int>(K), static_cast<int>(K));
}

}  // namespace nnzero
