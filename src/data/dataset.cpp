#include "nnzero/data/dataset.h"

#include <string>

namespace nnzero {

void gather_images(const Dataset& data, std::span<const int32_t> indices,
                   const Shape& sample_shape, Tensor& x) {
  const int64_t size = data.sample_size();
  if (sample_shape.numel() != size) {
    throw Error(data.name + ": samples have shape " + data.sample_shape.str() +
                ", cannot be shaped as " + sample_shape.str());
  }
  const auto n = static_cast<int64_t>(indices.size());
  x.resize(sample_shape.with_batch(n));
  constexpr float kScale = 1.0f / 255.0f;
#pragma omp parallel for if (n * size > 100000)
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t* src = data.pixels.data() + indices[static_cast<size_t>(i)] * size;
    float* dst = x.data() + i * size;
    for (int64_t j = 0; j < size; ++j) dst[j] = static_cast<float>(src[j]) * kScale;
  }
}

void gather_labels(const Dataset& data, std::span<const int32_t> indices,
                   std::vector<int32_t>& labels) {
  labels.resize(indices.size());
  for (size_t i = 0; i < indices.size(); ++i) {
    labels[i] = data.labels[static_cast<size_t>(indices[i])];
  }
}

Tensor images_as_tensor(const Dataset& data, const Shape& sample_shape) {
  std::vector<int32_t> all(static_cast<size_t>(data.size()));
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int32_t>(i);
  Tensor x;
  gather_images(data, all, sample_shape, x);
  return x;
}

Tensor one_hot(std::span<const int32_t> labels, int32_t num_classes) {
  Tensor t(Shape{static_cast<int64_t>(labels.size()), num_classes});
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || labels[i] >= num_classes) {
      throw Error("one_hot: label " + std::to_string(labels[i]) + " outside [0, " +
                  std::to_string(num_classes) + ")");
    }
    t[static_cast<int64_t>(i) * num_classes + labels[i]] = 1.0f;
  }
  return t;
}

}  // namespace nnzero
