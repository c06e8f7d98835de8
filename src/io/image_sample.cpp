#include "nnzero/io/image_sample.h"

#include <algorithm>
#include <cmath>

#include "nnzero/error.h"
#include "nnzero/io/digit_preprocess.h"
#include "nnzero/io/image.h"

namespace nnzero {

void check_image_input(const Shape& input, const std::string& what) {
  if (input.rank() != 3 || (input[0] != 1 && input[0] != 3) || input[1] < 1 || input[2] < 1) {
    throw Error(what + " needs a model input of (channels, height, width) with 1 or 3 " +
                "channels, not " + input.str());
  }
}

std::vector<uint8_t> image_sample(std::span<const uint8_t> bytes, const std::string& name,
                                  const Shape& input) {
  check_image_input(input, name);
  const DecodeSize size{input[2], input[1]};  // decoded no smaller than it is resized to
  return planes_sample(decode_image_planes(bytes, name, static_cast<int>(input[0]), size), input);
}

std::vector<uint8_t> planes_sample(const ImagePlanes& img, const Shape& input) {
  const int64_t c = input[0], h = input[1], w = input[2];
  const int64_t plane = img.width * img.height;
  std::vector<float> grey;
  if (img.channels == 3 && c == 1) {
    grey.resize(static_cast<size_t>(plane));
    const float* v = img.values.data();
    for (int64_t i = 0; i < plane; ++i) {
      grey[static_cast<size_t>(i)] = bt601_luma(v[i], v[plane + i], v[2 * plane + i]);
    }
  }
  const float* values = grey.empty() ? img.values.data() : grey.data();
  std::vector<uint8_t> out(static_cast<size_t>(c * h * w));
  for (int64_t k = 0; k < c; ++k) {
    const int64_t from = img.channels == 1 ? 0 : k;  // a grey image fills every plane
    const std::span<const float> src(values + from * plane, static_cast<size_t>(plane));
    const std::vector<float> resized = img.width == w && img.height == h
                                           ? std::vector<float>(src.begin(), src.end())
                                           : resize_area(src, img.width, img.height, w, h);
    std::transform(resized.begin(), resized.end(), out.begin() + k * h * w, [](float v) {
      return static_cast<uint8_t>(std::lround(std::clamp(v, 0.0f, 255.0f)));
    });
  }
  return out;
}

}  // namespace nnzero
