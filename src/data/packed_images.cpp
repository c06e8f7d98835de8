#include "nnzero/data/packed_images.h"

#include <algorithm>

#include "nnzero/error.h"

namespace nnzero {

namespace {
// Run-length form of one image: for each run of non-zero pixels, the zeros before it and
// its length (one byte each; a gap or run longer than 255 continues in the next pair), then
// its values. Zeros after the last run are implied by the image size.
void append_runs(std::span<const uint8_t> image, std::vector<uint8_t>& out) {
  size_t at = 0;
  const size_t n = image.size();
  for (;;) {
    size_t skip = 0;
    while (at + skip < n && image[at + skip] == 0) ++skip;
    if (at + skip == n) return;
    at += skip;
    while (skip > 255) {  // a gap of more than 255 zeros: empty runs carry it
      out.push_back(255);
      out.push_back(0);
      skip -= 255;
    }
    size_t len = 0;
    while (at + len < n && len < 255 && image[at + len] != 0) ++len;
    out.push_back(static_cast<uint8_t>(skip));
    out.push_back(static_cast<uint8_t>(len));
    out.insert(out.end(), image.begin() + static_cast<std::ptrdiff_t>(at),
               image.begin() + static_cast<std::ptrdiff_t>(at + len));
    at += len;
  }
}
}  // namespace

void PackedImages::append(std::span<const uint8_t> image) {
  if (static_cast<int64_t>(image.size()) != image_size_) {
    throw Error("PackedImages: image of " + std::to_string(image.size()) + " pixels, expected " +
                std::to_string(image_size_));
  }
  const size_t start = bytes_.size();
  append_runs(image, bytes_);
  // Not smaller packed (or exactly as large, which would read as raw): keep it raw.
  if (bytes_.size() - start >= image.size()) {
    bytes_.resize(start);
    bytes_.insert(bytes_.end(), image.begin(), image.end());
  }
  offsets_.push_back(bytes_.size());
}

void PackedImages::append(const PackedImages& from, int64_t i) {
  if (from.image_size_ != image_size_) {
    throw Error("PackedImages: images of " + std::to_string(from.image_size_) +
                " pixels, expected " + std::to_string(image_size_));
  }
  const auto at = static_cast<size_t>(i);
  bytes_.insert(bytes_.end(), from.bytes_.begin() + static_cast<std::ptrdiff_t>(from.offsets_[at]),
                from.bytes_.begin() + static_cast<std::ptrdiff_t>(from.offsets_[at + 1]));
  offsets_.push_back(bytes_.size());
}

namespace {
// Image [p, end) into out[0, size): stored raw when it takes exactly `size` bytes.
template <typename T, typename Convert>
void unpack_into(const uint8_t* p, const uint8_t* end, int64_t size, T* out, Convert convert) {
  if (end - p == size) {
    for (int64_t j = 0; j < size; ++j) out[j] = convert(p[j]);
    return;
  }
  std::fill(out, out + size, T{0});
  while (p < end) {
    out += p[0];
    const int len = p[1];
    p += 2;
    for (int j = 0; j < len; ++j) out[j] = convert(p[j]);
    out += len;
    p += len;
  }
}
}  // namespace

void PackedImages::unpack(int64_t i, float scale, float* out) const {
  const auto at = static_cast<size_t>(i);
  const uint8_t* begin = bytes_.data() + offsets_[at];
  const uint8_t* end = bytes_.data() + offsets_[at + 1];
  const auto scaled = [scale](uint8_t v) { return static_cast<float>(v) * scale; };
  // Runs of a few pixels make short scalar loops: unpacked into bytes first (memset and
  // short copies), then converted in one loop the compiler vectorizes.
  constexpr int64_t kStack = 4096;
  if (image_size_ > kStack) {
    unpack_into(begin, end, image_size_, out, scaled);
    return;
  }
  uint8_t image[kStack];
  unpack_into(begin, end, image_size_, image, [](uint8_t v) { return v; });
  for (int64_t j = 0; j < image_size_; ++j) out[j] = scaled(image[j]);
}

std::vector<uint8_t> PackedImages::unpack(int64_t i) const {
  const auto at = static_cast<size_t>(i);
  std::vector<uint8_t> image(static_cast<size_t>(image_size_));
  unpack_into(bytes_.data() + offsets_[at], bytes_.data() + offsets_[at + 1], image_size_,
              image.data(), [](uint8_t v) { return v; });
  return image;
}

size_t PackedImages::stored_bytes() const {
  return bytes_.size() + offsets_.size() * sizeof(uint64_t);
}

PackedImages pack_images(std::span<const uint8_t> images, int64_t image_size) {
  if (image_size < 1) throw Error("pack_images: images must have at least one pixel");
  PackedImages p(image_size);
  for (size_t at = 0; at + static_cast<size_t>(image_size) <= images.size();
       at += static_cast<size_t>(image_size)) {
    p.append(images.subspan(at, static_cast<size_t>(image_size)));
  }
  return p;
}

}  // namespace nnzero
