#include "nnzero/io/image.h"

#include <stb_image.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <memory>

#include "nnzero/error.h"
#include "nnzero/io/file.h"
#include "nnzero/io/image_header.h"

namespace nnzero {

namespace {
const char* kFormats = "PNG, JPEG, BMP, PGM/PPM, GIF, TGA";

int checked_length(std::span<const uint8_t> bytes, const std::string& name) {
  if (bytes.empty()) throw Error(name + ": empty file, not an image");
  if (bytes.size() > static_cast<size_t>(kMaxImageFileBytes)) {
    throw Error(name + ": " + std::to_string(bytes.size()) + " bytes is larger than the " +
                std::to_string(kMaxImageFileBytes >> 20) + " MiB nnzero reads as an image");
  }
  return static_cast<int>(bytes.size());
}

std::string reason() {
  const char* r = stbi_failure_reason();
  return r == nullptr ? "unknown reason" : r;
}

// stb_image decodes a binary PGM/PPM whose pixels stop early without complaint (the rest
// reads as zeros): check that the data the header promises is all there.
void check_pnm_complete(std::span<const uint8_t> bytes, const ImageInfo& info,
                        const std::string& name) {
  if (bytes.size() < 2 || bytes[0] != 'P' || (bytes[1] != '5' && bytes[1] != '6')) return;
  size_t pos = 2;
  int64_t maxval = 0;
  for (int field = 0; field < 3; ++field) {  // width, height, maxval
    while (pos < bytes.size() && (std::isspace(bytes[pos]) != 0 || bytes[pos] == '#')) {
      if (bytes[pos] == '#') {
        while (pos < bytes.size() && bytes[pos] != '\n') ++pos;
      } else {
        ++pos;
      }
    }
    maxval = 0;
    while (pos < bytes.size() && std::isdigit(bytes[pos]) != 0 && maxval < 1000000) {
      maxval = maxval * 10 + (bytes[pos++] - '0');
    }
  }
  ++pos;  // the single whitespace character before the data
  const int64_t channels = bytes[1] == '5' ? 1 : 3;
  const int64_t need = info.width * info.height * channels * (maxval > 255 ? 2 : 1);
  const int64_t have = pos >= bytes.size() ? 0 : static_cast<int64_t>(bytes.size() - pos);
  if (have < need) {
    throw Error(name + ": cannot decode the image (truncated: the header promises " +
                std::to_string(need) + " bytes of pixels, the file holds " + std::to_string(have) +
                ")");
  }
}

// Throws unless a width x height image is within the limits.
void check_image_size(int64_t width, int64_t height, const std::string& name) {
  if (width < 1 || height < 1) throw Error(name + ": image has no pixels");
  if (width > kMaxImageSide || height > kMaxImageSide || width * height > kMaxImagePixels) {
    std::string msg = name + ": image is " + std::to_string(width) + " x " + std::to_string(height);
    msg += " pixels; nnzero reads images of at most 64 megapixels (8192 x 8192) and 65536 ";
    msg += "pixels on a side: scale it down first";
    throw Error(msg);
  }
}

// Why stb_image could not read the header of `bytes`. Its own reason is the last format it
// tried ("bad png sig" for a truncated JPEG), so the format is told from the signature.
[[noreturn]] void throw_unreadable(std::span<const uint8_t> bytes, const std::string& name) {
  const ImageHeader header = read_image_header(bytes);
  if (header.width >= 0) check_image_size(header.width, header.height, name);
  if (header.format != nullptr) {
    throw Error(name + ": truncated or corrupt " + header.format + " (" +
                std::to_string(bytes.size()) + " bytes; its header cannot be read)");
  }
  std::string msg = name + ": not an image nnzero can read (";
  msg += kFormats;
  msg += "; stb_image says: ";
  msg += reason();
  msg += ")";
  throw Error(msg);
}
}  // namespace

ImageInfo read_image_info(std::span<const uint8_t> bytes, const std::string& name) {
  const int len = checked_length(bytes, name);
  // Refused before stb_image reads even the header: it overruns memory on these.
  if (const std::string why = stb_hazard(bytes); !why.empty()) {
    throw Error(name + ": corrupt " + read_image_header(bytes).format + " (" + why + ")");
  }
  int w = 0, h = 0, comp = 0;
  if (stbi_info_from_memory(bytes.data(), len, &w, &h, &comp) == 0) throw_unreadable(bytes, name);
  check_image_size(w, h, name);
  if (comp < 1 || comp > 4)
    throw Error(name + ": unsupported channel count " + std::to_string(comp));
  return ImageInfo{w, h, comp};
}

GrayImage decode_image(std::span<const uint8_t> bytes, const std::string& name) {
  const ImageInfo info = read_image_info(bytes, name);  // size checked before decoding
  check_pnm_complete(bytes, info, name);
  const std::vector<uint8_t> png = png_without_empty_idat(bytes);
  if (!png.empty()) bytes = png;
  int w = 0, h = 0, comp = 0;
  std::unique_ptr<stbi_uc, void (*)(void*)> data(
      stbi_load_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &comp, 0),
      stbi_image_free);
  if (data == nullptr) {
    const char* format = read_image_header(bytes).format;
    throw Error(name + ": " +
                (format != nullptr ? std::string("truncated or corrupt ") + format + ": " : "") +
                "cannot decode the image (" + reason() + ")");
  }
  if (w != info.width || h != info.height || comp < 1 || comp > 4) {
    throw Error(name + ": the decoded image disagrees with its header");
  }
  GrayImage img;
  img.width = w;
  img.height = h;
  const size_t n = static_cast<size_t>(w) * static_cast<size_t>(h);
  img.pixels.resize(n);
  const stbi_uc* p = data.get();
  const auto c = static_cast<size_t>(comp);
  for (size_t i = 0; i < n; ++i) {
    const stbi_uc* px = p + i * c;
    // Grey or BT.601 luminance, then alpha composited over white.
    float y =
        comp <= 2 ? px[0] / 255.0f : (0.299f * px[0] + 0.587f * px[1] + 0.114f * px[2]) / 255.0f;
    if (comp == 2 || comp == 4) {
      const float a = px[c - 1] / 255.0f;
      y = a * y + (1.0f - a);
    }
    img.pixels[i] = std::min(1.0f, std::max(0.0f, y));
  }
  return img;
}

GrayImage load_image(const std::string& path) {
  const std::string limit =
      "the " + std::to_string(kMaxImageFileBytes >> 20) + " MiB nnzero reads as an image";
  return decode_image(read_file_bytes(path, kMaxImageFileBytes, limit), path);
}

}  // namespace nnzero
