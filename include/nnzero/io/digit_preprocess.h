// Turning a photo or scan of a handwritten digit into an MNIST sample, the way the MNIST
// digits were made (LeCun et al. 1998; http://yann.lecun.com/exdb/mnist/): "size normalized
// to fit in a 20x20 pixel box while preserving their aspect ratio ... anti-aliasing ...
// centered in a 28x28 image by computing the center of mass of the pixels".
//
//   1. grey levels (io/image.h); a light background (the median of the border pixels above
//      one half) is inverted, so the digit is white on black as in MNIST;
//   2. contrast stretched: the background level (that median) maps to 0, the brightest ink
//      to 1;
//   3. the bounding box of the ink (pixels above kInkThreshold after stretching) is resampled
//      by area averaging so that its longer side is 20 pixels;
//   4. the result is placed in a 28x28 black field with its centre of mass on pixel (14, 14)
//      (row, column), where the MNIST training digits have theirs on average.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "nnzero/io/image.h"

namespace nnzero {

constexpr int64_t kMnistSide = 28;  // MNIST images are 28 x 28
constexpr int64_t kMnistBox = 20;   // the digit's longer side
// Stretched grey levels above this belong to the digit's bounding box; below it, noise
// (JPEG artefacts, paper texture) is not allowed to widen the box.
constexpr float kInkThreshold = 0.2f;
// An image whose ink differs from its background by less than this is blank.
constexpr float kMinContrast = 0.1f;

// What mnist_digit found, for reports and tests.
struct DigitInfo {
  bool inverted = false;         // the background was light
  int64_t box_x = 0, box_y = 0;  // the ink's bounding box in the input
  int64_t box_width = 0, box_height = 0;
  int64_t scaled_width = 0, scaled_height = 0;  // its size in the 28x28 output
};

// Resamples a w x h image (row-major) to out_w x out_h by area averaging: each output pixel
// is the mean of the input area it covers, pixels cut by its edges weighted by the fraction
// covered (a box filter; the antialiased resize for shrinking, piecewise constant when
// enlarging). `stride` is the distance between rows of `src` (w if 0), so that a rectangle
// of a larger image can be resampled in place.
std::vector<float> resize_area(std::span<const float> src, int64_t w, int64_t h, int64_t out_w,
                               int64_t out_h, int64_t stride = 0);

// The MNIST transform above: 28 * 28 values in [0, 1], white digit on black, row-major.
// Throws an nnzero::Error for a blank image (contrast below kMinContrast).
std::vector<float> mnist_digit(const GrayImage& image, DigitInfo* info = nullptr);

// No preprocessing: the grey levels as they are, resized (area averaging, aspect ratio not
// kept) to side x side. For images already in MNIST's form, or models trained otherwise.
std::vector<float> raw_digit(const GrayImage& image, int64_t side = kMnistSide);

}  // namespace nnzero
