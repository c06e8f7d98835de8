// The unfolding of the reduced-precision convolutions (fast/int8_conv2d.h, fast/bf16_conv2d.h):
// the product rows x weights^T of kernels/low_precision_gemm.h wants one row per output
// position, its K = KH * KW * C values contiguous. The image (C, H, W) is first copied,
// converted, into a padded channels-last image (Hp, Wp, C); a patch is then KH contiguous
// runs of KW * C values, so unfolding it is KH copies. The weights (OC, C, KH, KW) are
// permuted once to the rows' order (OC, KH, KW, C).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "nnzero/kernels/im2col.h"

namespace nnzero {

// The weights (OC, C, KH, KW) in the rows' order (OC, KH, KW, C).
std::vector<float> weights_channels_last(const float* w, int64_t out_channels,
                                         const ConvGeometry& g);

// Both buffers need this many values of room past their end: a run of at most 32 bytes (5
// bytes in simple_convnet's first layer) is copied as 32, a fixed-size copy that needs no
// call; what it writes past the run, the next run overwrites.
template <class T>
inline constexpr int64_t kUnfoldSlack = 32 / sizeof(T);

// One image (C, H, W) into `padded` ((Hp, Wp, C) values: `zero` in the margins, convert(x)
// inside) and `rows` (P = OH * OW rows of K = KH * KW * C).
template <class T, class Convert>
void unfold_channels_last(const ConvGeometry& g, const float* image, T zero, Convert convert,
                          T* padded, T* rows) {
  constexpr int64_t kLine = 256;  // pixels of an image row converted at a time
  const int64_t C = g.C, Hp = g.H + 2 * g.pad, Wp = g.W + 2 * g.pad, K = g.col_rows();
  std::fill(padded, padded + C * Hp * Wp, zero);
  T line[kLine];
  for (int64_t c = 0; c < C; ++c) {
    for (int64_t y = 0; y < g.H; ++y) {
      const float* src = image + (c * g.H + y) * g.W;
      T* dst = padded + ((y + g.pad) * Wp + g.pad) * C + c;
      for (int64_t x0 = 0; x0 < g.W; x0 += kLine) {   // convert a run (vectorized), then
        const int64_t n = std::min(kLine, g.W - x0);  // spread it C values apart
        for (int64_t x = 0; x < n; ++x) line[x] = convert(src[x0 + x]);
        for (int64_t x = 0; x < n; ++x) dst[(x0 + x) * C] = line[x];
      }
    }
  }
  const int64_t run = g.KW * C;  // one kernel row of the patch
  const bool short_runs = run <= kUnfoldSlack<T>;
  for (int64_t oh = 0; oh < g.OH; ++oh) {
    for (int64_t ow = 0; ow < g.OW; ++ow) {
      T* row = rows + (oh * g.OW + ow) * K;
      const T* src = padded + (oh * g.stride * Wp + ow * g.stride) * C;
      for (int64_t ky = 0; ky < g.KH; ++ky) {
        if (short_runs) {
          std::memcpy(row + ky * run, src + ky * Wp * C, kUnfoldSlack<T> * sizeof(T));
        } else {
          std::memcpy(row + ky * run, src + ky * Wp * C, static_cast<size_t>(run) * sizeof(T));
        }
      }
    }
  }
}

}  // namespace nnzero
