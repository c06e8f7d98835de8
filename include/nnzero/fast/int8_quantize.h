// Symmetric int8 quantization (post-training, issue 24), the arithmetic the int8 layers share.
//
//   weights   W[o][k] = s_w[o] q_w[o][k],  q_w in -127..127, s_w[o] = max_k |W[o][k]| / 127
//             (one scale per output channel: a channel's small weights keep their precision)
//   inputs    x = s_x q_x,  q_x = clamp(round(x / s_x), -127, 127),  s_x calibrated once
//   product   y[o] = sum_k W[o][k] x[k] + b[o] = s_x s_w[o] sum_k q_w[o][k] q_x[k] + b[o]
//
// The int32 sum is what AVX-512 VNNI's vpdpbusd computes (kernels/low_precision_gemm.h), whose
// first operand is unsigned: the inputs are stored as u = q_x + 128, and since
// sum_k q_w u = sum_k q_w q_x + 128 sum_k q_w, the weights' row sums take the 128 back out.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "nnzero/kernels/low_precision_gemm.h"

namespace nnzero {

inline constexpr int kInt8ZeroPoint = 128;  // u = q + 128: the code of 0.0

// x as the unsigned code u = clamp(round(x / scale), -127, 127) + 128 (inverse = 1 / scale).
// Adding and taking away 1.5 * 2^23 rounds to the nearest integer, ties to even, in the
// float's own arithmetic: a loop of these vectorizes (nearbyint would be a call).
inline uint8_t quantize_input(float x, float inverse) {
  const float q = std::min(std::max(x * inverse, -127.0f), 127.0f);  // minss/maxss: no branch
  const float rounded = (q + 12582912.0f) - 12582912.0f;
  return static_cast<uint8_t>(static_cast<int>(rounded) + kInt8ZeroPoint);
}

void quantize_inputs(const float* x, int64_t n, float scale, uint8_t* out);

// How the int32 sums of gemm_u8s8s32 go back to float for output o:
//   y = factor[o] * (C - zero[o]) + shift[o],  factor = s_x s_w[o], zero = 128 row_sums[o]
// (the zero point comes out in int32, exactly, before anything is rounded), shift = bias[o];
// with relu, max(y, 0) (a ReLU after the layer, fused).
struct Dequantize {
  std::vector<float> factor, shift;
  std::vector<int32_t> zero;
  bool relu = false;

  Dequantize(const PackedInt8& w, float input_scale, const float* w_scale, const float* bias,
             bool relu);
  // out[m][o] for the rows [begin, end) of C (M, N) and out (M, N), row-major.
  void rows(const int32_t* C, int64_t begin, int64_t end, float* out) const;
  // The same written transposed: out (N, M) from C (M, N) (a convolution's (OC, P)).
  void columns(const int32_t* C, int64_t M, float* out) const;
  // One row of C (N sums) made into outputs and those quantized at once as the next int8
  // layer's input codes (inverse = 1 / its input scale), into dst[0..N).
  void requantize_row(const int32_t* c, float inverse, uint8_t* dst) const;
};

// The weights' codes q_w (held as floats by the int8 layers: they are the layer's "weight"
// tensor, stored as I8 in the model file) packed for the product; throws unless each is an
// integer in -127..127.
PackedInt8 pack_weight_codes(const float* codes, int64_t N, int64_t K, const char* layer);

}  // namespace nnzero
