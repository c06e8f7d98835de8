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

// Both buffers need this many values of room past their end: the runs are copied 32 bytes
// at a time (fixed-size copies, which need no call), the last piece whole (a run of 5 bytes
// in simple_convnet's first layer is copied as 32); what it writes past the run, the next
// run overwrites.
template <class T>
inline constexpr int64_t kUnfoldSlack = 32 / sizeof(T);

// The padded channels-last image's size in values, its slack included.
inline int64_t padded_channels_last_size(const ConvGeometry& g, int64_t slack) {
  return g.C * (g.H + 2 * g.pad) * (g.W + 2 * g.pad) + slack;
}

// One image (C, H, W) into `padded` ((Hp, Wp, C) values: `zero` in the margins, convert(x)
// inside).
template <class T, class Convert>
void to_channels_last(const ConvGeometry& g, const float* image, T zero, Convert convert,
                      T* padded) {
  constexpr int64_t kLine = 1024;  // values of a channel converted at a time
  const int64_t C = g.C, H = g.H, W = g.W, pad = g.pad, Hp = H + 2 * pad, Wp = W + 2 * pad;
  std::fill(padded, padded + C * Hp * Wp, zero);
  T line[kLine];
  for (int64_t c = 0; c < C; ++c) {
    // A channel's H * W values are contiguous: converted in long runs (the loop vectorizes;
    // MNIST's rows of 28, 14 or 7 alone would not fill a vector), then spread C apart.
    // (Locals only: a store of bytes may alias anything, g's fields included.)
    const float* plane = image + c * H * W;
    T* dst = padded + (pad * Wp + pad) * C + c;
    int64_t x = 0;
    for (int64_t i0 = 0; i0 < H * W; i0 += kLine) {
      const int64_t n = std::min(kLine, H * W - i0);
      for (int64_t i = 0; i < n; ++i) line[i] = convert(plane[i0 + i]);
      for (int64_t i = 0; i < n; ++i) {
        *dst = line[i];
        dst += C;
        if (++x == W) x = 0, dst += (Wp - W) * C;  // on to the next row, past the margins
      }
    }
  }
}

// The padded channels-last image into `rows` (P = OH * OW rows of K = KH * KW * C): each
// patch is KH runs of KW * C contiguous values.
template <class T>
void patch_rows(const ConvGeometry& g, const T* padded, T* rows) {
  const int64_t C = g.C, Wp = g.W + 2 * g.pad, K = g.col_rows();
  const int64_t run = g.KW * C;  // one kernel row of the patch
  const int64_t OH = g.OH, OW = g.OW, KH = g.KH, stride = g.stride;
  constexpr int64_t kChunk = kUnfoldSlack<T>;
  for (int64_t oh = 0; oh < OH; ++oh) {
    for (int64_t ow = 0; ow < OW; ++ow) {
      T* row = rows + (oh * OW + ow) * K;
      const T* src = padded + (oh * stride * Wp + ow * stride) * C;
      for (int64_t ky = 0; ky < KH; ++ky) {
        for (int64_t i = 0; i < run; i += kChunk)  // 32 bytes at a time, the last one whole
          std::memcpy(row + ky * run + i, src + ky * Wp * C + i, kChunk * sizeof(T));
      }
    }
  }
}

// Both: one image (C, H, W) into `padded` and `rows`.
template <class T, class Convert>
void unfold_channels_last(const ConvGeometry& g, const float* image, T zero, Convert convert,
                          T* padded, T* rows) {
  to_channels_last(g, image, zero, convert, padded);
  patch_rows(g, padded, rows);
}

}  // namespace nnzero
