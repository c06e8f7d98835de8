// Chapter 7: convolution and pooling on the book's small arrays, through nnzero's Conv2d
// and MaxPool2d layers and its im2col.
//   1. Figure 7-4: a 4x4 input and a 3x3 filter give [[15, 16], [6, 15]];
//      Figure 7-5: with a bias of 3, [[18, 19], [9, 18]];
//      Figure 7-6: padded by 1, a 4x4 output.
//   2. Figure 7-14: 2x2 max pooling with stride 2 gives [[2, 3], [4, 2]].
//   3. Section 7.4.3: im2col of a (1, 3, 7, 7) input for a 5x5 filter: 9 receptive fields of
//      75 values (the book's col is (9, 75); nnzero keeps one image's as its transpose).
//
//   build/examples/ch07_convolution
#include <cstdio>
#include <string>
#include <vector>

#include "nnzero/kernels/im2col.h"
#include "nnzero/layers/conv2d.h"
#include "nnzero/layers/maxpool2d.h"

using nnzero::Shape;
using nnzero::Tensor;

namespace {
void print_map(const char* title, const Tensor& y) {
  const int64_t h = y.shape()[2], w = y.shape()[3];
  std::printf("%s\n", title);
  for (int64_t r = 0; r < h; ++r) {
    std::printf("  [");
    for (int64_t c = 0; c < w; ++c) std::printf("%s%3g", c ? " " : "", y[r * w + c]);
    std::printf("]\n");
  }
}

// One image, one channel, one 3x3 filter with the book's weights.
Tensor convolve(const Tensor& x, float bias, int64_t padding) {
  nnzero::Conv2d conv(Shape{1, 4, 4}, 1, 3, 3, 1, padding, true);
  std::vector<nnzero::Param*> p = conv.params();  // weight (1, 1, 3, 3), bias (1)
  const float filter[9] = {2, 0, 1, 0, 1, 2, 1, 0, 2};
  for (int i = 0; i < 9; ++i) p[0]->value[i] = filter[i];
  p[1]->value[0] = bias;
  return conv.forward(x, false).clone();
}
}  // namespace

int main() {
  const Tensor x(Shape{1, 1, 4, 4}, {1, 2, 3, 0, 0, 1, 2, 3, 3, 0, 1, 2, 2, 3, 0, 1});
  print_map("convolution, filter [[2 0 1] [0 1 2] [1 0 2]] (Figure 7-4)", convolve(x, 0, 0));
  print_map("the same plus a bias of 3 (Figure 7-5)", convolve(x, 3, 0));
  print_map("padding 1 (Figure 7-6)", convolve(x, 0, 1));

  const Tensor p(Shape{1, 1, 4, 4}, {1, 2, 1, 0, 0, 1, 2, 3, 3, 0, 1, 2, 2, 4, 0, 1});
  nnzero::MaxPool2d pool(Shape{1, 4, 4}, 2, 2);
  print_map("max pooling 2x2, stride 2 (Figure 7-14)", pool.forward(p, false));

  const nnzero::ConvGeometry g = nnzero::ConvGeometry::make(3, 7, 7, 5, 5, 1, 0);
  std::vector<float> image(3 * 7 * 7), col(static_cast<size_t>(g.col_rows() * g.col_cols()));
  for (size_t i = 0; i < image.size(); ++i) image[i] = static_cast<float>(i);
  nnzero::im2col_reference(image.data(), g, col.data());  // the plain loops
  std::printf("im2col of x (1, 3, 7, 7) for a 5x5 filter, stride 1 (section 7.4.3)\n");
  std::printf("  %lld receptive fields of %lld values: the book's col has shape (%lld, %lld)\n",
              static_cast<long long>(g.col_cols()), static_cast<long long>(g.col_rows()),
              static_cast<long long>(g.col_cols()), static_cast<long long>(g.col_rows()));
  std::printf("  the first field starts with x[0, 0, 0, 0..4] = [%g %g %g %g %g]\n", col[0],
              col[static_cast<size_t>(g.col_cols())], col[2 * static_cast<size_t>(g.col_cols())],
              col[3 * static_cast<size_t>(g.col_cols())],
              col[4 * static_cast<size_t>(g.col_cols())]);
  return 0;
}
