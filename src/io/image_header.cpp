#include "nnzero/io/image_header.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

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

// Where a JPEG's segments start (after its start-of-image marker), or 0 when `b` is not a
// JPEG as stb_image tells one: FF, any number of FF fill bytes, D8.
size_t jpeg_body(std::span<const uint8_t> b) {
  if (b.empty() || b[0] != 0xFF) return 0;
  size_t at = 1;
  while (at < b.size() && b[at] == 0xFF) ++at;
  return at < b.size() && b[at] == 0xD8 ? at + 1 : 0;
}

// JPEG: segments FF <marker> <length: 2 bytes, big-endian, counting itself> until a start of
// frame (SOF0-15 except DHT C4, JPG C8 and DAC CC): precision, height, width.
void read_jpeg(std::span<const uint8_t> b, ImageHeader& h) {
  size_t at = jpeg_body(b);
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

// The byte at `at`, or 0 past the end (as stb_image's reader gives).
uint8_t byte_at(std::span<const uint8_t> b, size_t at) {
  return at < b.size() ? b[at] : 0;
}

// The Huffman tables of the DHT segment at `at` read as stb_image reads them: while the
// length left is positive, a class/slot byte, 16 code counts and that many values, even past
// the segment's end.
std::string dht_damage(std::span<const uint8_t> b, size_t at) {
  int64_t left = be16(b, at + 2) - 2;
  size_t p = at + 4;
  while (left > 0) {
    int codes = 0;
    for (size_t i = 1; i <= 16; ++i) codes += byte_at(b, p + i);
    if (codes > 256) {
      return "a Huffman table of " + std::to_string(codes) + " codes (at most 256)";
    }
    p += 17 + static_cast<size_t>(codes);
    left -= 17 + codes;
  }
  return "";
}

// A JPEG's marker segments walked as stb_image walks them, through the entropy-coded data:
// what in them it would overrun memory on, or "".
std::string jpeg_damage(std::span<const uint8_t> b) {
  size_t at = jpeg_body(b);
  if (at == 0) return "";
  while (at + 1 < b.size()) {
    if (b[at] != 0xFF) {  // entropy-coded data: up to the next marker
      ++at;
      continue;
    }
    const uint8_t marker = b[at + 1];
    // A stuffed zero, fill, a restart marker or TEM: no segment follows.
    if (marker == 0x00 || marker == 0xFF || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
      ++at;
      continue;
    }
    if (marker == 0xD9) return "";     // end of image
    if (at + 4 > b.size()) return "";  // cut short: stb_image says so itself
    if (marker == 0xC4) {
      if (std::string why = dht_damage(b, at); !why.empty()) return why;
    }
    at += 2 + static_cast<size_t>(be16(b, at + 2));
  }
  return "";
}

// A binary PGM/PPM header (P5 or P6, then width, height and maximum value, separated by
// whitespace and # comments) read as stb_image reads it, each number saturated at 2^40.
// Returns the three numbers (-1 when the bytes end first).
std::array<int64_t, 3> pnm_numbers(std::span<const uint8_t> b) {
  std::array<int64_t, 3> numbers = {-1, -1, -1};
  size_t at = 2;
  for (int64_t& n : numbers) {
    for (;;) {  // whitespace, then a comment to the end of its line, as often as they come
      while (at < b.size() && std::isspace(b[at]) != 0) ++at;
      if (at >= b.size() || b[at] != '#') break;
      while (at < b.size() && b[at] != '\n' && b[at] != '\r') ++at;
    }
    if (at >= b.size()) return numbers;
    n = 0;
    while (at < b.size() && b[at] >= '0' && b[at] <= '9') {
      n = std::min<int64_t>(n * 10 + (b[at++] - '0'), int64_t{1} << 40);
    }
  }
  return numbers;
}

bool is_pnm(std::span<const uint8_t> b) {
  return b.size() >= 2 && b[0] == 'P' && (b[1] == '5' || b[1] == '6');
}
}  // namespace

std::string stb_hazard(std::span<const uint8_t> b) {
  if (is_pnm(b)) {
    for (int64_t n : pnm_numbers(b)) {
      if (n > std::numeric_limits<int32_t>::max()) return "a header number past 2^31 - 1";
    }
    return "";
  }
  return jpeg_damage(b);
}

std::vector<uint8_t> png_without_empty_idat(std::span<const uint8_t> b) {
  if (!starts_with(b, "\x89PNG\r\n\x1a\n", 8)) return {};
  std::vector<uint8_t> kept(b.begin(), b.begin() + 8);
  size_t at = 8;
  bool dropped = false;
  // A chunk: length (4 bytes, big-endian), type (4), data (length), CRC (4).
  while (at + 8 <= b.size()) {
    const auto length = static_cast<size_t>(be32(b, at));
    const size_t end = std::min(b.size(), at + 12 + length);  // no overflow: length < 2^32
    if (length == 0 && std::memcmp(b.data() + at + 4, "IDAT", 4) == 0) {
      dropped = true;
    } else {
      kept.insert(kept.end(), b.begin() + static_cast<std::ptrdiff_t>(at),
                  b.begin() + static_cast<std::ptrdiff_t>(end));
    }
    at = end;
  }
  if (!dropped) return {};
  kept.insert(kept.end(), b.begin() + static_cast<std::ptrdiff_t>(at), b.end());
  return kept;
}

ImageHeader read_image_header(std::span<const uint8_t> bytes) {
  ImageHeader h;
  if (starts_with(bytes, "\x89PNG\r\n\x1a\n", 8)) {
    h.format = "PNG";
    read_png(bytes, h);
  } else if (jpeg_body(bytes) != 0) {
    h.format = "JPEG";
    read_jpeg(bytes, h);
  } else if (starts_with(bytes, "GIF87a", 6) || starts_with(bytes, "GIF89a", 6)) {
    h.format = "GIF";
    if (bytes.size() >= 10) {
      h.width = le16(bytes, 6);
      h.height = le16(bytes, 8);
    }
  } else if (is_pnm(bytes)) {
    h.format = bytes[1] == '5' ? "PGM" : "PPM";
    const std::array<int64_t, 3> n = pnm_numbers(bytes);
    if (n[1] >= 0) {
      h.width = n[0];
      h.height = n[1];
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
