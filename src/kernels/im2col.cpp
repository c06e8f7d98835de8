#include "nnzero/kernels/im2col.h"

#include <algorithm>
#include <cstring>

namespace nnzero {

ConvGeometry ConvGeometry::make(int64_t C, int64_t H, int64_t W, int64_t KH, int64_t KW,
                                int64_t stride, int64_t pad) {
  ConvGeometry g{C, H, W, KH, KW, stride, pad, 0, 0};
  g.OH = (H + 2 * pad - KH) / stride + 1;
  g.OW = (W + 2 * pad - KW) / stride + 1;
  return g;
}

// The fast versions walk each (c, i, j) row once; for each output row oh the valid ow range
// is computed up front, so the inner loop has no bounds checks (and is a memcpy for stride 1).
namespace {
// Output columns ow with 0 <= ow*stride - pad + j < W: [lo, hi).
inline void valid_range(int64_t j, const ConvGeometry& g, int64_t& lo, int64_t& hi) {
  // ow*stride >= pad - j  and  ow*stride < W + pad - j
  const int64_t a = g.pad - j;
  lo = a <= 0 ? 0 : (a + g.stride - 1) / g.stride;
  const int64_t b = g.W + g.pad - j;  // exclusive bound on ow*stride
  hi = b <= 0 ? 0 : std::min(g.OW, (b + g.stride - 1) / g.stride);
  lo = std::min(lo, hi);
}
}  // namespace

void im2col(const float* x, const ConvGeometry& g, float* col) {
  for (int64_t c = 0; c < g.C; ++c) {
    const float* xc = x + c * g.H * g.W;
    for (int64_t i = 0; i < g.KH; ++i) {
      for (int64_t j = 0; j < g.KW; ++j) {
        int64_t lo, hi;
        valid_range(j, g, lo, hi);
        for (int64_t oh = 0; oh < g.OH; ++oh) {
          float* dst = col + oh * g.OW;
          const int64_t h = oh * g.stride - g.pad + i;
          if (h < 0 || h >= g.H) {
            std::fill(dst, dst + g.OW, 0.0f);
            continue;
          }
          std::fill(dst, dst + lo, 0.0f);
          const float* row = xc + h * g.W;  // x[c, h, :]
          if (g.stride == 1) {
            const float* src = row - g.pad + j;  // rows are short: a loop beats memcpy's call
            for (int64_t ow = lo; ow < hi; ++ow) dst[ow] = src[ow];
          } else {
            for (int64_t ow = lo; ow < hi; ++ow) dst[ow] = row[ow * g.stride - g.pad + j];
          }
          std::fill(dst + hi, dst + g.OW, 0.0f);
        }
        col += g.OH * g.OW;
      }
    }
  }
}

void col2im(const float* col, const ConvGeometry& g, float* x) {
  for (int64_t c = 0; c < g.C; ++c) {
    float* xc = x + c * g.H * g.W;
    for (int64_t i = 0; i < g.KH; ++i) {
      for (int64_t j = 0; j < g.KW; ++j) {
        int64_t lo, hi;
        valid_range(j, g, lo, hi);
        for (int64_t oh = 0; oh < g.OH; ++oh) {
          const int64_t h = oh * g.stride - g.pad + i;
          if (h < 0 || h >= g.H) continue;
          const float* src = col + oh * g.OW;
          float* row = xc + h * g.W;
          for (int64_t ow = lo; ow < hi; ++ow) row[ow * g.stride - g.pad + j] += src[ow];
        }
        col += g.OH * g.OW;
      }
    }
  }
}

void im2col_reference(const float* x, const ConvGeometry& g, float* col) {
  for (int64_t c = 0; c < g.C; ++c)
    for (int64_t i = 0; i < g.KH; ++i)
      for (int64_t j = 0; j < g.KW; ++j) {
        const int64_t row = (c * g.KH + i) * g.KW + j;
        for (int64_t oh = 0; oh < g.OH; ++oh)
          for (int64_t ow = 0; ow < g.OW; ++ow) {
            const int64_t h = oh * g.stride - g.pad + i;
            const int64_t w = ow * g.stride - g.pad + j;
            const bool inside = h >= 0 && h < g.H && w >= 0 && w < g.W;
            col[row * g.OH * g.OW + oh * g.OW + ow] = inside ? x[(c * g.H + h) * g.W + w] : 0.0f;
          }
      }
}

void col2im_reference(const float* col, const ConvGeometry& g, float* x) {
  for (int64_t c = 0; c < g.C; ++c)
    for (int64_t i = 0; i < g.KH; ++i)
      for (int64_t j = 0; j < g.KW; ++j) {
        const int64_t row = (c * g.KH + i) * g.KW + j;
        for (int64_t oh = 0; oh < g.OH; ++oh)
          for (int64_t ow = 0; ow < g.OW; ++ow) {
            const int64_t h = oh * g.stride - g.pad + i;
            const int64_t w = ow * g.stride - g.pad + j;
            if (h >= 0 && h < g.H && w >= 0 && w < g.W)
              x[(c * g.H + h) * g.W + w] += col[row * g.OH * g.OW + oh * g.OW + ow];
          }
      }
}

}  // namespace nnzero
