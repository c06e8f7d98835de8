#include "nnzero/io/image_header.h"

#include <cstdlib>
#include <cstring>

namespace nnzero {

namespace {
int64_t be16(std::span<const uint8_t> b, size_t at) {
  return int64_t{b[at]} << 8 | b[at + 1];
}
int64_t be32(std::span<const uint8_t> b, size_t at) {
  return be16(b, at) << 16 | be16(b, at + 2);
}
int64_t le16(std::span<const uint8_t> b, size_t at) {
  return int64_t{b[at + 1]} << 8 | b[at];
}
int64_t le32_signed(std::span<const uint8_t> b, size_t at) {
  return static_cast<int32_t>(static_cast<uint32_t>(le16(b, at + 2) << 16 | le16(b, at)));
}

bool starts_with(std::span<const uint8_t> b, const char* magic, size_t n) {
  return b.size() >= n && std::memcmp(b.data(), magic, n) == 0;
}

// PNG: the 8-byte signature, then the IHDR chunk (length, "IHDR", width, height: big-endian).
void read_png(std::span<const uint8_t> b, ImageHeader& h) {
  if (b.size() < 24 || std::memcmp(b.data() + 12, "IHDR", 4) != 0) return;
  h.width = be32(b, 16);
  h.height = be32(b, 20);
}

// JPEG: segments FF <marker> <length: 2 bytes, big-endian, counting itself> until a start of
// frame (SOF0-15 except DHT C4, JPG C8 and DAC CC): precision, height, width.
void read_jpeg(std::span<const uint8_t> b, ImageHeader& h) {
  size_t at = 2;
  while (at + 4 <= b.size()) {
    if (b[at] != 0xFF) return;  // not a marker: damaged
    const uint8_t marker = b[at + 1];
    if (marker == 0xFF) {  // fill byte
      ++at;
      continue;
    }
    const bool sof =
        marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof) {
      if (at + 9 > b.size()) return;
      h.height = be16(b, at + 5);
      h.width = be16(b, at + 7);
      return;
    }
    if (marker == 0xD9 || marker == 0xDA) return;  // end of image, or scan data before a frame
    at += 2 + static_cast<size_t>(be16(b, at + 2));
  }
}
}  // namespace

ImageHeader read_image_header(std::span<const uint8_t> bytes) {
  ImageHeader h;
  if (starts_with(bytes, "\x89PNG\r\n\x1a\n", 8)) {
    h.format = "PNG";
    read_png(bytes, h);
  } else if (starts_with(bytes, "\xFF\xD8\xFF", 3)) {
    h.format = "JPEG";
    read_jpeg(bytes, h);
  } else if (starts_with(bytes, "GIF87a", 6) || starts_with(bytes, "GIF89a", 6)) {
    h.format = "GIF";
    if (bytes.size() >= 10) {
      h.width = le16(bytes, 6);
      h.height = le16(bytes, 8);
    }
  } else if (starts_with(bytes, "BM", 2)) {
    h.format = "BMP";
    if (bytes.size() >= 22 && le16(bytes, 14) == 12) {  // OS/2 BITMAPCOREHEADER: 16-bit sizes
      h.width = le16(bytes, 18);
      h.height = le16(bytes, 20);
    } else if (bytes.size() >= 26) {  // BITMAPINFOHEADER and later; height < 0: rows top-down
      h.width = std::llabs(le32_signed(bytes, 18));
      h.height = std::llabs(le32_signed(bytes, 22));
    }
  }
  return h;
}

}  // namespace nnzero
