// PackedImages: 8-bit images kept run-length packed, unpacked one at a time when a batch is
// gathered. MNIST digits are 81 % black background: each image is stored as runs of
// (zeros to skip, length, that many pixel values), about 200 bytes instead of 784, so the
// 70,000 images take 14 MB instead of 55 MB. An image that would not get smaller (a
// photograph without zeros) is stored as it is; the stored size tells which.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace nnzero {

class PackedImages {
 public:
  PackedImages() = default;
  explicit PackedImages(int64_t image_size) : image_size_(image_size) {}

  // Appends one image of image_size() pixels.
  void append(std::span<const uint8_t> image);
  // Appends image i of `from` (images of the same size) as it is stored.
  void append(const PackedImages& from, int64_t i);
  // Writes image i's pixels times `scale` into out[0, image_size()).
  void unpack(int64_t i, float scale, float* out) const;
  // Image i's pixels.
  std::vector<uint8_t> unpack(int64_t i) const;
  // Starts loading image i into the cache (gathering a batch in random order, one image's
  // cache misses then overlap with unpacking the one before).
  void prefetch(int64_t i) const {
    const uint8_t* p = bytes_.data() + offsets_[static_cast<size_t>(i)];
    for (int line = 0; line < 4; ++line) __builtin_prefetch(p + 64 * line);
  }

  int64_t size() const { return static_cast<int64_t>(offsets_.size()) - 1; }
  bool empty() const { return size() == 0; }
  int64_t image_size() const { return image_size_; }
  // Bytes held (packed images and their offsets).
  size_t stored_bytes() const;

 private:
  int64_t image_size_ = 0;
  std::vector<uint8_t> bytes_;
  std::vector<uint64_t> offsets_{0};  // image i is bytes_[offsets_[i], offsets_[i + 1])
};

// Packs `images`, image_size pixels after another, in one go (tests, small datasets).
PackedImages pack_images(std::span<const uint8_t> images, int64_t image_size);

}  // namespace nnzero
