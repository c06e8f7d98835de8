// Dataset: samples kept as bytes (one per pixel for MNIST, run-length packed: about a
// sixteenth of float32) and converted to float tensors one mini-batch at a time. Tables keep float
// features instead of pixels, and regression targets instead of class labels.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "nnzero/data/packed_images.h"
#include "nnzero/io/channel_norm.h"
#include "nnzero/shape.h"
#include "nnzero/tensor.h"

namespace nnzero {

struct Dataset {
  std::string name;             // where the samples come from (a path), for messages
  std::string labels_name;      // where the labels come from, when another file (IDX labels)
  Shape sample_shape;           // e.g. (1, 28, 28)
  PackedImages pixels;          // size() images of sample_size() bytes, 0..255, or else
  std::vector<float> features;  // size() * sample_size() values (already scaled)
  std::vector<int32_t> labels;  // classification: one class index per sample
  int32_t num_classes = 0;
  std::vector<float> targets;  // regression: size() * target_size values
  int64_t target_size = 0;     // 0 for classification
  ChannelNorm norm;            // applied to pixels after scaling to [0, 1] (image folders)

  bool is_regression() const { return target_size > 0; }
  int64_t size() const;
  int64_t sample_size() const { return sample_shape.numel(); }
};

// Writes the samples `indices` into x, shaped (indices.size(), sample...) where sample is
// `sample_shape` (same number of values as the dataset's, e.g. (784) or (1, 28, 28)), each
// pixel scaled to [0, 1], then normalised per channel when the dataset's `norm` is set.
// Reuses x's storage.
void gather_images(const Dataset& data, std::span<const int32_t> indices, const Shape& sample_shape,
                   Tensor& x);
// Labels of the samples `indices`, into `labels` (resized).
void gather_labels(const Dataset& data, std::span<const int32_t> indices,
                   std::vector<int32_t>& labels);
// Regression targets of the samples `indices`, into t (indices.size(), target_size).
void gather_targets(const Dataset& data, std::span<const int32_t> indices, Tensor& t);
// The samples `indices` as a new dataset (same shape and classes).
Dataset subset(const Dataset& data, std::span<const int32_t> indices);

// The whole dataset as one tensor (n, sample...) in [0, 1], as the book's load_mnist gives it.
Tensor images_as_tensor(const Dataset& data, const Shape& sample_shape);
// Throws unless every label of `data` is below `classes`, the outputs of `model` (a path or
// name): the message names the labels file, the first label out of range and its sample.
void check_labels_fit(const Dataset& data, int64_t classes, const std::string& model);
// One-hot rows (n, num_classes): row i has a 1 at column labels[i].
Tensor one_hot(std::span<const int32_t> labels, int32_t num_classes);

}  // namespace nnzero
