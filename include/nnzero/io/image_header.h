// What an encoded image says about itself in its first bytes, read without stb_image: the
// format from the signature and, for PNG, JPEG, GIF and BMP, the width and height. stb_image
// tries every format in turn and keeps the last one's complaint, so a truncated JPEG is
// reported as "bad png sig" and a PNG too large for it as "unknown image type"; this header
// lets nnzero name the real format and refuse a huge image from its declared size before
// anything is decoded.
#pragma once

#include <cstdint>
#include <span>

namespace nnzero {

struct ImageHeader {
  const char* format = nullptr;     // "PNG", "JPEG", "GIF", "BMP", or nullptr: not recognised
  int64_t width = -1, height = -1;  // -1: not found (the bytes end first, or another format)
};

ImageHeader read_image_header(std::span<const uint8_t> bytes);

}  // namespace nnzero
