// im2col / col2im (section 7.4.3): unfold the receptive fields of one image into the columns
// of a matrix so that convolution becomes one matrix product.
//
// Geometry of one image: x (C, H, W), kernel KH x KW, stride, zero padding;
//   OH = (H + 2*pad - KH) / stride + 1, OW likewise.
// col (C*KH*KW, OH*OW): row (c, i, j), column (oh, ow) holds
//   x[c, oh*stride - pad + i, ow*stride - pad + j], or 0 where that falls in the padding.
// The book builds the transpose, (N*OH*OW, C*KH*KW), for the whole batch; one image in this
// layout gives the convolution directly in NCHW order: out (OC, OH*OW) = W (OC, C*KH*KW) col.
// col2im is the adjoint: it adds each column entry back onto the pixel it came from.
#pragma once

#include <cstdint>

namespace nnzero {

struct ConvGeometry {
  int64_t C, H, W;  // input channels and size
  int64_t KH, KW;   // kernel
  int64_t stride, pad;
  int64_t OH, OW;  // output size

  static ConvGeometry make(int64_t C, int64_t H, int64_t W, int64_t KH, int64_t KW, int64_t stride,
                           int64_t pad);
  int64_t col_rows() const { return C * KH * KW; }
  int64_t col_cols() const { return OH * OW; }
};

// Fast versions: they pad the image first, into xpad (padded_size(g) floats, the caller's
// scratch), so that the unfolding needs no bounds checks.
void im2col(const float* x, const ConvGeometry& g, float* xpad, float* col);
void col2im(const float* col, const ConvGeometry& g, float* xpad, float* x);  // x += ...

// The "wide" layout for stride 1 (what Conv2d's implicit GEMM reads, kernels/implicit_gemm.h).
// With the image zero-padded to (C, Hp, Wp), Hp = H + 2*pad, Wp = W + 2*pad, the output is
// computed on a grid OH x Wp whose last Wp - OW columns of each row are garbage that the
// caller drops. Then row (c, i, j) of the unfolded matrix is ONE contiguous run of the
// padded image,
//   col_wide[(c, i, j), q] = xpad[c, i*Wp + j + q],  q < OH*Wp,
// so a product can read xpad from an offset instead of storing col. The run of the last
// rows reaches KW - 1 floats past the plane, so xpad needs padded_size() floats (that slack
// included).
int64_t padded_size(const ConvGeometry& g);  // C*Hp*Wp + KW - 1
int64_t wide_cols(const ConvGeometry& g);    // OH*Wp
// x (C, H, W) -> xpad (zero borders and slack).
void pad_image(const float* x, const ConvGeometry& g, float* xpad);

// Plain loops over every output position and kernel tap: the oracle for the tests.
void im2col_reference(const float* x, const ConvGeometry& g, float* col);
void col2im_reference(const float* col, const ConvGeometry& g, float* x);

}  // namespace nnzero
