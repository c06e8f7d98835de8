// Dataset: samples kept as they are stored (one byte per pixel for MNIST, 4x smaller than
// float32) and converted to float tensors one mini-batch at a time.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "nnzero/shape.h"
#include "nnzero/tensor.h"

namespace nnzero {

struct Dataset {
  std::string name;
  Shape sample_shape;             // e.g. (1, 28, 28)
  std::vector<uint8_t> pixels;    // size() * sample_shape.numel() bytes, 0..255
  std::vector<int32_t> labels;    // one class index per sample
  int32_t num_classes = 0;

  int64_t size() const { return static_cast<int64_t>(labels.size()); }
  int64_t sample_size() const { return sample_shape.numel(); }
};

// Writes the samples `indices` into x, shaped (indices.size(), sample...) where sample is
// `sample_shape` (same number of values as the dataset's, e.g. (784) or (1, 28, 28)), each
// pixel scaled to [0, 1]. Reuses x's storage.
void gather_images(const Dataset& data, std::span<const int32_t> indices,
                   const Shape& sample_shape, Tensor& x);
// Labels of the samples `indices`, into `labels` (resized).
void gather_labels(const Dataset& data, std::span<const int32_t> indices,
                   std::vector<int32_t>& labels);

// The whole dataset as one tensor (n, sample...) in [0, 1], as the book's load_mnist gives it.
Tensor images_as_tensor(const Dataset& data, const Shape& sample_shape);
// One-hot rows (n, num_classes): row i has a 1 at column labels[i].
Tensor one_hot(std::span<const int32_t> labels, int32_t num_classes);

}  // namespace nnzero
