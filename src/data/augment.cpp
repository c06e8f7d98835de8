#include "nnzero/data/augment.h"

#include <algorithm>
#include <vector>

#include "nnzero/error.h"
#include "nnzero/rng.h"

namespace nnzero {

namespace {
// SplitMix64's finaliser: a well-mixed 64-bit value from (seed, epoch, sample).
uint64_t mix(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// One plane (h, w) shifted by (dx, dy): out(y, x) = in(y - dy, x - dx), 0 outside; mirrored
// left-right first when `flip`. `out` must not alias `in`.
void shift_plane(const float* in, float* out, int64_t h, int64_t w, int64_t dx, int64_t dy,
                 bool flip) {
  for (int64_t y = 0; y < h; ++y) {
    const int64_t sy = y - dy;
    float* row = out + y * w;
    if (sy < 0 || sy >= h) {
      std::fill(row, row + w, 0.0f);
      continue;
    }
    const float* src = in + sy * w;
    for (int64_t x = 0; x < w; ++x) {
      const int64_t sx = x - dx;
      row[x] = sx < 0 || sx >= w ? 0.0f : src[flip ? w - 1 - sx : sx];
    }
  }
}
}  // namespace

void check_augmentation(const Augmentation& a, const Shape& sample) {
  if (!a.any()) return;
  if (sample.rank() != 3) {
    throw Error(
        "augmentation (crop padding, flips) needs image samples (channels, height, "
        "width), not " +
        sample.str());
  }
  if (a.crop_padding < 0 || a.crop_padding >= std::min(sample[1], sample[2])) {
    throw Error("the crop padding must be between 0 and the image's smaller side " +
                std::to_string(std::min(sample[1], sample[2])) + " (exclusive), got " +
                std::to_string(a.crop_padding));
  }
}

void augment_batch(const Augmentation& a, uint64_t seed, int64_t epoch,
                   std::span<const int32_t> indices, Tensor& x) {
  if (!a.any()) return;
  const int64_t c = x.dim(1), h = x.dim(2), w = x.dim(3), p = a.crop_padding;
  std::vector<float> original(static_cast<size_t>(c * h * w));
  for (size_t k = 0; k < indices.size(); ++k) {
    Rng rng(mix(mix(seed ^ 0x5bd1e995ULL) + static_cast<uint64_t>(epoch)) +
            static_cast<uint64_t>(indices[k]));
    // The crop's corner in the padded image, (0..2p, 0..2p): a shift of p - corner.
    const auto dx = p - static_cast<int64_t>(rng.below(static_cast<uint64_t>(2 * p + 1)));
    const auto dy = p - static_cast<int64_t>(rng.below(static_cast<uint64_t>(2 * p + 1)));
    const bool flip = a.horizontal_flip && rng.below(2) == 1;
    float* sample = x.data() + static_cast<int64_t>(k) * c * h * w;
    std::copy(sample, sample + c * h * w, original.begin());
    for (int64_t ch = 0; ch < c; ++ch) {
      shift_plane(original.data() + ch * h * w, sample + ch * h * w, h, w, dx, dy, flip);
    }
  }
}

}  // namespace nnzero
