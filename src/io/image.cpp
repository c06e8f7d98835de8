#include "nnzero/io/image.h"

#include <stb_image.h>
#include <turbojpeg.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>

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

bool is_jpeg(std::span<const uint8_t> bytes) {
  return bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF;
}

// A JPEG decoded by libjpeg-turbo (SIMD: 1.3x stb_image's speed on CIFAR-10's 32 x 32 files,
// 1.9x on a 12-megapixel photo, docs/image-folders.md), grey or RGB. nullopt where it does
// not decode the file cleanly (damaged or truncated data, which it reports as a warning and
// this refuses; CMYK): stb_image then decodes it or says what is wrong, as for every other
// format. The header was read and its size checked already (`info`). With `at_least` set, a
// large JPEG is decoded at the smallest of libjpeg-turbo's scales (1/2, 1/4, 1/8: averaging
// in the DCT domain) that keeps it at least that size. Progressive JPEGs of more than
// TurboJPEG's scan limit (500) are left to stb_image (TJFLAG_LIMITSCANS: a few hostile bytes
// could otherwise keep a server's thread busy).
std::optional<Decoded> decode_jpeg(std::span<const uint8_t> bytes, const ImageInfo& info,
                                   const DecodeSize& at_least) {
  // One decompressor a thread (image folders decode in parallel), made on first use. A
  // failed header leaves it mid-file (TurboJPEG 2.1 does not abort it): it is made anew.
  thread_local std::unique_ptr<void, int (*)(tjhandle)> tj(tjInitDecompress(), tjDestroy);
  if (tj == nullptr) return std::nullopt;
  auto* data = const_cast<unsigned char*>(bytes.data());  // TurboJPEG 2.1 takes no const
  const auto size = static_cast<unsigned long>(bytes.size());
  int w = 0, h = 0, subsampling = 0, colorspace = 0;
  if (tjDecompressHeader3(tj.get(), data, size, &w, &h, &subsampling, &colorspace) != 0) {
    tj.reset(tjInitDecompress());
    return std::nullopt;
  }
  if (w != info.width || h != info.height) return std::nullopt;
  Decoded d;
  d.comp = colorspace == TJCS_GRAY ? 1 : 3;
  d.width = w;
  d.height = h;
  if (at_least.width > 0 && at_least.height > 0) {
    for (const int denom : {8, 4, 2}) {
      const tjscalingfactor f{1, denom};
      if (TJSCALED(w, f) >= at_least.width && TJSCALED(h, f) >= at_least.height) {
        d.width = TJSCALED(w, f);
        d.height = TJSCALED(h, f);
        break;
      }
    }
  }
  d.data = {static_cast<stbi_uc*>(std::malloc(static_cast<size_t>(d.width * d.height * d.comp))),
            [](void* p) { std::free(p); }};
  if (d.data == nullptr ||
      tjDecompress2(tj.get(), data, size, d.data.get(), static_cast<int>(d.width), 0,
                    static_cast<int>(d.height), d.comp == 1 ? TJPF_GRAY : TJPF_RGB,
                    TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS) != 0) {
    return std::nullopt;
  }
  return d;
}

Decoded decode(std::span<const uint8_t> bytes, const std::string& name,
               const DecodeSize& at_least = {}) {
  const ImageInfo info = read_image_info(bytes, name);  // size checked before decoding
  if (is_jpeg(bytes)) {
    if (std::optional<Decoded> d = decode_jpeg(bytes, info, at_least)) return std::move(*d);
  }
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

GrayImage grey_of(const Decoded& d) {
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
}  // namespace

GrayImage decode_image(std::span<const uint8_t> bytes, const std::string& name) {
  return grey_of(decode(bytes, name));
}

ImagePlanes decode_image_planes(std::span<const uint8_t> bytes, const std::string& name,
                                int channels, const DecodeSize& at_least) {
  if (channels != 1 && channels != 3) {
    throw Error(name + ": images convert to 1 (grey) or 3 (RGB) channels, not " +
                std::to_string(channels));
  }
  if (channels == 1) {  // the grey levels above, as bytes
    const GrayImage grey = grey_of(decode(bytes, name, at_least));
    ImagePlanes out{1, grey.width, grey.height, std::vector<float>(grey.pixels)};
    for (float& v : out.values) v *= 255.0f;
    return out;
  }
  const Decoded d = decode(bytes, name, at_least);
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
