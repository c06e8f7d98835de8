// Data augmentation (the book's chapter 8: more training images made from the ones there are):
// a random crop of the image padded by `crop_padding` zero pixels on every side (the same as
// a random shift of up to crop_padding pixels in x and y, zeros filling in: "small random
// shifts" for digits, padding 4 for CIFAR-10's 32 x 32), and a horizontal flip with
// probability 1/2. Applied to training batches only, never at evaluation.
//
// Sample i of epoch e gets its crop and flip from (seed, e, i) alone, so a run is the same
// on any thread count, gathered ahead or not, and a resumed run repeats it exactly.
#pragma once

#include <cstdint>
#include <span>

#include "nnzero/tensor.h"

namespace nnzero {

struct Augmentation {
  int64_t crop_padding = 0;      // 0: no crop
  bool horizontal_flip = false;  // mirror left-right with probability 1/2

  bool any() const { return crop_padding > 0 || horizontal_flip; }
};

// Throws unless `a` fits samples of shape `sample` (channels, height, width): a crop needs
// an image, and its padding must be below the image's height and width.
void check_augmentation(const Augmentation& a, const Shape& sample);

// Augments x (N, C, H, W), whose row k holds sample indices[k], in place.
void augment_batch(const Augmentation& a, uint64_t seed, int64_t epoch,
                   std::span<const int32_t> indices, Tensor& x);

}  // namespace nnzero
