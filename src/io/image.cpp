#include "nnzero/io/image.h"

#include <stb_image.h>

#include <algorithm>
#include <array>
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

namespace {
// stb_image's pixels: interleaved, `comp` values a pixel (grey, grey + alpha, RGB, RGBA).
struct Decoded {
  std::unique_ptr<stbi_uc, void (*)(void*)> data{nullptr, stbi_image_free};
  int64_t width = 0, height = 0;
  int comp = 0;

  // Pixel i as RGB in [0, 255], alpha composited over white (grey repeated in R, G, B).
  std::array<float, 3> rgb(size_t i) const {
    const stbi_uc* px = data.get() + i * static_cast<size_t>(comp);
    std::array<float, 3> v = comp <= 2
                                 ? std::array<float, 3>{float(px[0]), float(px[0]), float(px[0])}
                                 : std::array<float, 3>{float(px[0]), float(px[1]), float(px[2])};
    if (comp == 2 || comp == 4) {
      const float a = px[comp - 1] / 255.0f;
      for (float& x : v) x = a * x + (1.0f - a) * 255.0f;
    }
    return v;
  }
};

Decoded decode(std::span<const uint8_t> bytes, const std::string& name) {
  const ImageInfo info = read_image_info(bytes, name);  // size checked before decoding
  check_pnm_complete(bytes, info, name);
  const std::vector<uint8_t> png = png_without_empty_idat(bytes);
  if (!png.empty()) bytes = png;
  int w = 0, h = 0, comp = 0;
  Decoded d;
  d.data.reset(
      stbi_load_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &comp, 0));
  if (d.data == nullptr) {
    const char* format = read_image_header(bytes).format;
    throw Error(name + ": " +
                (format != nullptr ? std::string("truncated or corrupt ") + format + ": " : "") +
                "cannot decode the image (" + reason() + ")");
  }
  if (w != info.width || h != info.height || comp < 1 || comp > 4) {
    throw Error(name + ": the decoded image disagrees with its header");
  }
  d.width = w;
  d.height = h;
  d.comp = comp;
  return d;
}
}  // namespace

GrayImage decode_image(std::span<const uint8_t> bytes, const std::string& name) {
  const Decoded d = decode(bytes, name);
  GrayImage img;
  img.width = d.width;
  img.height = d.height;
  img.pixels.resize(static_cast<size_t>(d.width * d.height));
  for (size_t i = 0; i < img.pixels.size(); ++i) {
    const auto [r, g, b] = d.rgb(i);
    const float y = d.comp <= 2 ? r : bt601_luma(r, g, b);
    img.pixels[i] = std::min(1.0f, std::max(0.0f, y / 255.0f));
  }
  return img;
}

ImagePlanes decode_image_planes(std::span<const uint8_t> bytes, const std::string& name,
                                int channels) {
  if (channels != 1 && channels != 3) {
    throw Error(name + ": images convert to 1 (grey) or 3 (RGB) channels, not " +
                std::to_string(channels));
  }
  if (channels == 1) {  // the grey levels above, as bytes
    const GrayImage grey = decode_image(bytes, name);
    ImagePlanes out{1, grey.width, grey.height, std::vector<float>(grey.pixels)};
    for (float& v : out.values) v *= 255.0f;
    return out;
  }
  const Decoded d = decode(bytes, name);
  const auto n = static_cast<size_t>(d.width * d.height);
  ImagePlanes out{3, d.width, d.height, std::vector<float>(3 * n)};
  for (size_t i = 0; i < n; ++i) {
    const std::array<float, 3> v = d.rgb(i);
    for (size_t c = 0; c < 3; ++c) out.values[c * n + i] = v[c];
  }
  return out;
}

std::vector<uint8_t> read_image_file(const std::string& path) {
  return read_file_bytes(
      path, kMaxImageFileBytes,
      "the " + std::to_string(kMaxImageFileBytes >> 20) + " MiB nnzero reads as an image");
}

GrayImage load_image(const std::string& path) {
  return decode_image(read_image_file(path), path);
}

}  // namespace nnzero
