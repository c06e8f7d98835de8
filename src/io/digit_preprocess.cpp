#include "nnzero/io/digit_preprocess.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "nnzero/error.h"

namespace nnzero {

namespace {
struct Tap {
  int64_t index;
  double weight;
};

// For each of `out` output pixels along one axis of `in` input pixels: the input pixels its
// interval [o * in/out, (o+1) * in/out) overlaps, weighted by the overlap / the interval.
std::vector<std::vector<Tap>> area_taps(int64_t in, int64_t out) {
  const double scale = static_cast<double>(in) / static_cast<double>(out);
  std::vector<std::vector<Tap>> taps(static_cast<size_t>(out));
  for (int64_t o = 0; o < out; ++o) {
    const double a = static_cast<double>(o) * scale, b = static_cast<double>(o + 1) * scale;
    const auto first = static_cast<int64_t>(std::floor(a));
    const int64_t last = std::min(in - 1, static_cast<int64_t>(std::ceil(b)) - 1);
    for (int64_t i = first; i <= last; ++i) {
      const double overlap =
          std::min(b, static_cast<double>(i + 1)) - std::max(a, static_cast<double>(i));
      if (overlap > 0.0) taps[static_cast<size_t>(o)].push_back({i, overlap / scale});
    }
  }
  return taps;
}

float median_of_border(const GrayImage& img) {
  std::vector<float> border;
  for (int64_t x = 0; x < img.width; ++x) {
    border.push_back(img.at(x, 0));
    if (img.height > 1) border.push_back(img.at(x, img.height - 1));
  }
  for (int64_t y = 1; y + 1 < img.height; ++y) {
    border.push_back(img.at(0, y));
    if (img.width > 1) border.push_back(img.at(img.width - 1, y));
  }
  const auto mid = border.begin() + static_cast<std::ptrdiff_t>(border.size() / 2);
  std::nth_element(border.begin(), mid, border.end());
  return *mid;
}

void check_image(const GrayImage& img) {
  if (img.width < 1 || img.height < 1 ||
      img.pixels.size() != static_cast<size_t>(img.width * img.height)) {
    throw Error("digit preprocessing: image of " + std::to_string(img.width) + " x " +
                std::to_string(img.height) + " pixels holds " + std::to_string(img.pixels.size()) +
                " values");
  }
}
}  // namespace

std::vector<float> resize_area(std::span<const float> src, int64_t w, int64_t h, int64_t out_w,
                               int64_t out_h, int64_t stride) {
  if (stride == 0) stride = w;
  if (w < 1 || h < 1 || out_w < 1 || out_h < 1 || stride < w ||
      static_cast<int64_t>(src.size()) < (h - 1) * stride + w) {
    throw Error("resize_area: bad sizes " + std::to_string(w) + "x" + std::to_string(h) + " -> " +
                std::to_string(out_w) + "x" + std::to_string(out_h));
  }
  const auto tx = area_taps(w, out_w), ty = area_taps(h, out_h);
  // Rows first: (h, w) -> (h, out_w), then columns: -> (out_h, out_w).
  std::vector<float> rows(static_cast<size_t>(h * out_w));
  for (int64_t y = 0; y < h; ++y) {
    const float* in = src.data() + y * stride;
    for (int64_t ox = 0; ox < out_w; ++ox) {
      double sum = 0.0;
      for (const Tap& t : tx[static_cast<size_t>(ox)]) sum += t.weight * in[t.index];
      rows[static_cast<size_t>(y * out_w + ox)] = static_cast<float>(sum);
    }
  }
  std::vector<float> out(static_cast<size_t>(out_h * out_w));
  for (int64_t oy = 0; oy < out_h; ++oy) {
    for (int64_t ox = 0; ox < out_w; ++ox) {
      double sum = 0.0;
      for (const Tap& t : ty[static_cast<size_t>(oy)]) {
        sum += t.weight * rows[static_cast<size_t>(t.index * out_w + ox)];
      }
      out[static_cast<size_t>(oy * out_w + ox)] = static_cast<float>(sum);
    }
  }
  return out;
}

std::vector<float> mnist_digit(const GrayImage& image, DigitInfo* info) {
  check_image(image);
  DigitInfo d;
  // 1. White on black: invert a light background.
  const float border = median_of_border(image);
  d.inverted = border > 0.5f;
  const float background = d.inverted ? 1.0f - border : border;
  std::vector<float> ink(image.pixels.size());
  float peak = 0.0f;
  for (size_t i = 0; i < ink.size(); ++i) {
    ink[i] = d.inverted ? 1.0f - image.pixels[i] : image.pixels[i];
    peak = std::max(peak, ink[i]);
  }
  if (peak - background < kMinContrast) {
    char msg[160];
    std::snprintf(msg, sizeof msg,
                  "no digit found: the image is blank (its ink differs from the background by "
                  "%.3f, less than %.2f)",
                  static_cast<double>(peak - background), static_cast<double>(kMinContrast));
    throw Error(msg);
  }
  // 2. Background -> 0, brightest ink -> 1.
  const float range = peak - background;
  for (float& v : ink) v = std::clamp((v - background) / range, 0.0f, 1.0f);
  // 3. Bounding box of the ink, resampled so that its longer side is kMnistBox.
  int64_t x0 = image.width, y0 = image.height, x1 = -1, y1 = -1;
  for (int64_t y = 0; y < image.height; ++y) {
    for (int64_t x = 0; x < image.width; ++x) {
      if (ink[static_cast<size_t>(y * image.width + x)] > kInkThreshold) {
        x0 = std::min(x0, x), x1 = std::max(x1, x);
        y0 = std::min(y0, y), y1 = std::max(y1, y);
      }
    }
  }
  d.box_x = x0, d.box_y = y0, d.box_width = x1 - x0 + 1, d.box_height = y1 - y0 + 1;
  const double scale =
      static_cast<double>(kMnistBox) / static_cast<double>(std::max(d.box_width, d.box_height));
  d.scaled_width = std::max<int64_t>(1, std::lround(static_cast<double>(d.box_width) * scale));
  d.scaled_height = std::max<int64_t>(1, std::lround(static_cast<double>(d.box_height) * scale));
  const std::span<const float> box(ink.data() + y0 * image.width + x0,
                                   ink.size() - static_cast<size_t>(y0 * image.width + x0));
  const std::vector<float> digit =
      resize_area(box, d.box_width, d.box_height, d.scaled_width, d.scaled_height, image.width);
  // 4. Centre of mass onto pixel (14, 14) of the 28x28 field (integer shift, as MNIST).
  double mass = 0.0, cx = 0.0, cy = 0.0;
  for (int64_t y = 0; y < d.scaled_height; ++y) {
    for (int64_t x = 0; x < d.scaled_width; ++x) {
      const double v = digit[static_cast<size_t>(y * d.scaled_width + x)];
      mass += v, cx += v * static_cast<double>(x), cy += v * static_cast<double>(y);
    }
  }
  cx = mass > 0.0 ? cx / mass : static_cast<double>(d.scaled_width - 1) / 2.0;
  cy = mass > 0.0 ? cy / mass : static_cast<double>(d.scaled_height - 1) / 2.0;
  const double centre = static_cast<double>(kMnistSide) / 2.0;
  const int64_t ox = std::lround(centre - cx), oy = std::lround(centre - cy);
  std::vector<float> out(static_cast<size_t>(kMnistSide * kMnistSide), 0.0f);
  for (int64_t y = 0; y < d.scaled_height; ++y) {
    for (int64_t x = 0; x < d.scaled_width; ++x) {
      const int64_t tx = x + ox, ty = y + oy;
      if (tx < 0 || ty < 0 || tx >= kMnistSide || ty >= kMnistSide) continue;
      out[static_cast<size_t>(ty * kMnistSide + tx)] =
          std::clamp(digit[static_cast<size_t>(y * d.scaled_width + x)], 0.0f, 1.0f);
    }
  }
  if (info != nullptr) *info = d;
  return out;
}

std::vector<float> raw_digit(const GrayImage& image, int64_t side) {
  check_image(image);
  std::vector<float> out = resize_area(image.pixels, image.width, image.height, side, side);
  for (float& v : out) v = std::clamp(v, 0.0f, 1.0f);
  return out;
}

}  // namespace nnzero
