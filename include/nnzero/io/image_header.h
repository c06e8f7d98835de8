// What an encoded image says about itself in its first bytes, read without stb_image: the
// format from the signature and, for PNG, JPEG, GIF, BMP and binary PGM/PPM, the width and
// height. stb_image
// tries every format in turn and keeps the last one's complaint, so a truncated JPEG is
// reported as "bad png sig" and a PNG too large for it as "unknown image type"; this header
// lets nnzero name the real format and refuse a huge image from its declared size before
// anything is decoded.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace nnzero {

struct ImageHeader {
  const char* format = nullptr;     // "PNG", "JPEG", "GIF", "BMP", or nullptr: not recognised
  int64_t width = -1, height = -1;  // -1: not found (the bytes end first, or another format)
};

ImageHeader read_image_header(std::span<const uint8_t> bytes);

// What in `bytes` the stb_image nnzero links (v2.27, Debian 12) would overrun memory or
// overflow on, or "" when nothing: a JPEG Huffman table of more than 256 codes (stb writes
// past its 257-byte size list, already while reading the header) and a PGM/PPM header
// number past 2^31 - 1 (a signed overflow in its parser), both found by fuzz/fuzz_image.cpp.
// Checked before stb_image sees a file.
std::string stb_hazard(std::span<const uint8_t> bytes);

// `bytes` without its zero-length IDAT chunks when it is a PNG that has some, else empty.
// stb_image allocates its buffer for the image data at the first non-empty IDAT chunk and
// copies an empty one before it to a null pointer (undefined behaviour, found by
// fuzz/fuzz_image.cpp). The image data is all IDAT chunks joined, so empty ones carry
// nothing and dropping them changes no pixel.
std::vector<uint8_t> png_without_empty_idat(std::span<const uint8_t> bytes);

}  // namespace nnzero
