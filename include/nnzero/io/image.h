// Images from files: PNG, JPEG, BMP, PGM/PPM (and the other formats stb_image reads: GIF,
// TGA, PSD, HDR, PIC), any size up to kMaxImagePixels and any colour, converted to one grey
// level per pixel.
//
// The size is read from the header (stbi_info) and checked BEFORE anything is decoded, so a
// small hostile file that claims a huge image costs nothing. Every failure is an
// nnzero::Error naming the file: missing, empty, not an image, too large, damaged.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace nnzero {

// Images larger than 64 megapixels (8192 x 8192), or longer than 65536 pixels on a side,
// are refused: decoding one takes 4 bytes a pixel and a digit needs nowhere near that.
constexpr int64_t kMaxImagePixels = int64_t{64} << 20;
constexpr int64_t kMaxImageSide = int64_t{1} << 16;
// Files larger than this are refused before they are read.
constexpr int64_t kMaxImageFileBytes = int64_t{512} << 20;

// The luminance of a colour (ITU-R BT.601, as PIL's convert("L")), in the units of r, g, b.
constexpr float bt601_luma(float r, float g, float b) {
  return 0.299f * r + 0.587f * g + 0.114f * b;
}

// A grey image: luminance in [0, 1] (0 black, 1 white), row-major, height x width.
struct GrayImage {
  int64_t width = 0, height = 0;
  std::vector<float> pixels;

  float at(int64_t x, int64_t y) const { return pixels[static_cast<size_t>(y * width + x)]; }
};

// What the header says, without decoding.
struct ImageInfo {
  int64_t width = 0, height = 0;
  int channels = 0;  // 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA
};

// The header of the encoded image `bytes`; throws unless it is an image stb_image reads
// within the size limits. `name` (the path) prefixes error messages.
ImageInfo read_image_info(std::span<const uint8_t> bytes, const std::string& name);
// Decodes `bytes` into grey levels: luminance Y = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601,
// as PIL's convert("L")); transparent pixels are composited over white.
GrayImage decode_image(std::span<const uint8_t> bytes, const std::string& name);
// An image as planes, channels x height x width (the layout of a network's input), values in
// [0, 255] as floats (so that resizing loses nothing before the final rounding).
struct ImagePlanes {
  int64_t channels = 0, width = 0, height = 0;
  std::vector<float> values;  // channels * height * width
};
// A size an image is to be resized down to: 0 x 0 (the default) keeps every pixel.
struct DecodeSize {
  int64_t width = 0, height = 0;
};
// Decodes `bytes` into 1 plane (the grey levels of decode_image, times 255) or 3 (R, G, B;
// a grey image repeated in all three). Transparent pixels are composited over white. A JPEG
// larger than `at_least` comes out smaller when it can: decoded at the smallest of 1/2, 1/4
// and 1/8 of its size (libjpeg-turbo's DCT scaling, averaging 2x2 to 8x8 blocks; a scaled
// side is rounded up) that keeps both sides at least `at_least`'s, which for a photo resized
// to a network's input is most of the work saved.
ImagePlanes decode_image_planes(std::span<const uint8_t> bytes, const std::string& name,
                                int channels, const DecodeSize& at_least = {});
// The bytes of the file at `path`, refused past kMaxImageFileBytes.
std::vector<uint8_t> read_image_file(const std::string& path);
// Reads and decodes the file at `path`.
GrayImage load_image(const std::string& path);

}  // namespace nnzero
