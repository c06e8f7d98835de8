#include "nnzero/kernels/im2col.h"

#include <algorithm>
#include <cstddef>

namespace nnzero {

ConvGeometry ConvGeometry::make(int64_t C, int64_t H, int64_t W, int64_t KH, int64_t KW,
                                int64_t stride, int64_t pad) {
  ConvGeometry g{C, H, W, KH, KW, stride, pad, 0, 0};
  g.OH = (H + 2 * pad - KH) / stride + 1;
  g.OW = (W + 2 * pad - KW) / stride + 1;
  return g;
}

// The fast versions first copy the image into the caller's zero-padded buffer, so that every
// row of col is a plain strided copy with no bounds checks; for stride 1 each output row is a
// contiguous run of OW floats.
namespace {
struct Padded {
  int64_t H, W;  // padded size
  const float* data;
};

// x (C, H, W) -> the padded image, or x itself when there is no padding.
Padded padded_view(const float* x, const ConvGeometry& g, float* buffer) {
  if (g.pad == 0) return {g.H, g.W, x};
  const int64_t Hp = g.H + 2 * g.pad, Wp = g.W + 2 * g.pad;
  std::fill(buffer, buffer + g.C * Hp * Wp, 0.0f);
  for (int64_t c = 0; c < g.C; ++c) {
    for (int64_t h = 0; h < g.H; ++h) {
      const float* src = x + (c * g.H + h) * g.W;
      float* dst = buffer + (c * Hp + h + g.pad) * Wp + g.pad;
      for (int64_t w = 0; w < g.W; ++w) dst[w] = src[w];
    }
  }
  return {Hp, Wp, buffer};
}
}  // namespace

void im2col(const float* x, const ConvGeometry& g, float* xpad, float* col) {
  const Padded xp = padded_view(x, g, xpad);
  for (int64_t c = 0; c < g.C; ++c) {
    for (int64_t i = 0; i < g.KH; ++i) {
      for (int64_t j = 0; j < g.KW; ++j) {
        for (int64_t oh = 0; oh < g.OH; ++oh) {
          const float* src = xp.data + (c * xp.H + oh * g.stride + i) * xp.W + j;
          float* dst = col + oh * g.OW;
          if (g.stride == 1) {
            for (int64_t ow = 0; ow < g.OW; ++ow) dst[ow] = src[ow];
          } else {
            for (int64_t ow = 0; ow < g.OW; ++ow) dst[ow] = src[ow * g.stride];
          }
        }
        col += g.OH * g.OW;
      }
    }
  }
}

void col2im(const float* col, const ConvGeometry& g, float* xpad, float* x) {
  // Accumulate into a zeroed padded buffer, then add its interior onto x.
  const int64_t Hp = g.H + 2 * g.pad, Wp = g.W + 2 * g.pad;
  float* xp = xpad;
  std::fill(xp, xp + g.C * Hp * Wp, 0.0f);
  for (int64_t c = 0; c < g.C; ++c) {
    for (int64_t i = 0; i < g.KH; ++i) {
      for (int64_t j = 0; j < g.KW; ++j) {
        for (int64_t oh = 0; oh < g.OH; ++oh) {
          float* dst = xp + (c * Hp + oh * g.stride + i) * Wp + j;
          const float* src = col + oh * g.OW;
          if (g.stride == 1) {
            for (int64_t ow = 0; ow < g.OW; ++ow) dst[ow] += src[ow];
          } else {
            for (int64_t ow = 0; ow < g.OW; ++ow) dst[ow * g.stride] += src[ow];
          }
        }
        col += g.OH * g.OW;
      }
    }
  }
  for (int64_t c = 0; c < g.C; ++c) {
    for (int64_t h = 0; h < g.H; ++h) {
      const float* src = xp + (c * Hp + h + g.pad) * Wp + g.pad;
      float* dst = x + (c * g.H + h) * g.W;
      for (int64_t w = 0; w < g.W; ++w) dst[w] += src[w];
    }
  }
}

int64_t padded_size(const ConvGeometry& g) {
  return g.C * (g.H + 2 * g.pad) * (g.W + 2 * g.pad) + g.KW - 1;
}

int64_t wide_cols(const ConvGeometry& g) {
  return g.OH * (g.W + 2 * g.pad);
}

void pad_image(const float* x, const ConvGeometry& g, float* xpad) {
  const int64_t Hp = g.H + 2 * g.pad, Wp = g.W + 2 * g.pad;
  std::fill(xpad, xpad + padded_size(g), 0.0f);
  for (int64_t c = 0; c < g.C; ++c) {
    for (int64_t h = 0; h < g.H; ++h) {
      const float* src = x + (c * g.H + h) * g.W;
      float* dst = xpad + (c * Hp + h + g.pad) * Wp + g.pad;
      for (int64_t w = 0; w < g.W; ++w) dst[w] = src[w];
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
