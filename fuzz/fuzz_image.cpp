// libFuzzer target for images: nnzero::decode_image on the raw bytes (the signature and size
// checks of io/image.cpp and io/image_header.cpp, then libjpeg-turbo for JPEG (not
// instrumented: Debian's library) or stb_image, compiled here with the sanitizers), and on
// what it accepts the MNIST preprocessing `nnzero predict` applies (mnist_digit, raw_digit)
// and an image folder's conversion to a small colour input (image_sample: a JPEG decoded at a
// reduced scale). The bytes of every file given to `predict`, the Classifier, load_image and
// an image folder pass through them.
//
// Bad input must end in an nnzero::Error, never in a crash, a sanitizer report or another
// exception; an accepted image has the size its header declares, within the limits, and
// grey levels in [0, 1]; a digit is 28 x 28 values in [0, 1].
//
//   scripts/fuzz.sh 60      # builds with clang and runs every target for 60 s
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

#include "fuzz_checks.h"
#include "nnzero/error.h"
#include "nnzero/io/digit_preprocess.h"
#include "nnzero/io/image.h"
#include "nnzero/io/image_sample.h"

namespace {
using nnzero_fuzz::check;
bool unit_interval(const std::vector<float>& values) {
  for (float v : values) {
    if (!(v >= 0.0f && v <= 1.0f)) return false;
  }
  return true;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  nnzero::GrayImage image;
  try {
    const nnzero::ImageInfo info = nnzero::read_image_info(bytes, "fuzz input");
    // A few bytes may declare up to the 64-megapixel limit (a 52-byte RLE TGA of 1024 x
    // 65436 decodes in 1.7 s in Release, over 10 s here): such sizes are accepted by design,
    // and decoding them runs the same code as small ones, only longer.
    if (info.width * info.height > (int64_t{1} << 20)) return 0;
    image = nnzero::decode_image(bytes, "fuzz input");
    check(image.width == info.width && image.height == info.height, "decoded size = header size");
  } catch (const nnzero::Error&) {
    return 0;
  }
  check(image.width >= 1 && image.height >= 1, "an image has pixels");
  check(image.width <= nnzero::kMaxImageSide && image.height <= nnzero::kMaxImageSide &&
            image.width * image.height <= nnzero::kMaxImagePixels,
        "an accepted image is within the limits");
  check(image.pixels.size() == static_cast<size_t>(image.width * image.height), "pixel count");
  check(unit_interval(image.pixels), "grey levels in [0, 1]");
  // What decodes whole decodes scaled too (an Error here escapes: a finding).
  check(nnzero::image_sample(bytes, "fuzz input", nnzero::Shape{3, 6, 8}).size() == 3 * 6 * 8,
        "a sample has the input's size");

  const std::vector<float> raw = nnzero::raw_digit(image);
  check(raw.size() == static_cast<size_t>(nnzero::kMnistSide * nnzero::kMnistSide), "raw size");
  check(unit_interval(raw), "raw digit in [0, 1]");
  try {
    nnzero::DigitInfo info;
    const std::vector<float> digit = nnzero::mnist_digit(image, &info);
    check(digit.size() == static_cast<size_t>(nnzero::kMnistSide * nnzero::kMnistSide),
          "digit size");
    check(unit_interval(digit), "digit in [0, 1]");
    check(info.box_width >= 1 && info.box_height >= 1 && info.box_x >= 0 && info.box_y >= 0 &&
              info.box_x + info.box_width <= image.width &&
              info.box_y + info.box_height <= image.height,
          "the ink's box lies in the image");
  } catch (const nnzero::Error&) {
    // a blank image
  }
  return 0;
}
