// An image file as one sample of a model trained on an image folder (data/image_folder.h):
// decoded, converted to the input's channels (1 grey, 3 RGB), resized to its height x width
// with a box filter, rounded to bytes, laid out channels x height x width. Training,
// `nnzero predict` and the Classifier all go through this one function, so a photo is
// prepared exactly as the training images were.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "nnzero/io/image.h"
#include "nnzero/shape.h"

namespace nnzero {

// Throws unless `input` is (channels, height, width) with 1 or 3 channels; the message
// names `what` (e.g. "an image folder").
void check_image_input(const Shape& input, const std::string& what);
// The encoded image `bytes` (named `name` in errors) as a sample of shape `input`.
std::vector<uint8_t> image_sample(std::span<const uint8_t> bytes, const std::string& name,
                                  const Shape& input);
// The same for an image already decoded (CIFAR-10's binary records): `img` has 1 or 3 planes
// of values in [0, 255]; 3 become 1 by the BT.601 luminance when `input` is grey (as
// decoding does), 1 fills all 3 of a colour input. `input` must have been checked
// (check_image_input).
std::vector<uint8_t> planes_sample(const ImagePlanes& img, const Shape& input);

}  // namespace nnzero
