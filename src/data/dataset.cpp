#include "nnzero/data/dataset.h"

#include <algorithm>
#include <string>

#include "nnzero/parallel.h"

namespace nnzero {

void check_labels_fit(const Dataset& data, int64_t classes, const std::string& model) {
  if (data.is_regression()) return;
  const auto bad =
      std::find_if(data.labels.begin(), data.labels.end(), [&](int32_t l) { return l >= classes; });
  if (bad == data.labels.end()) return;
  const std::string& file = data.labels_name.empty() ? data.name : data.labels_name;
  throw Error(file + ": label " + std::to_string(*bad) + " (sample " +
              std::to_string(bad - data.labels.begin()) + ") is not one of the " +
              std::to_string(classes) + " classes " + model + " outputs (0 to " +
              std::to_string(classes - 1) + ")");
}

int64_t Dataset::size() const {
  if (is_regression()) return static_cast<int64_t>(targets.size()) / target_size;
  return static_cast<int64_t>(labels.size());
}

void gather_images(const Dataset& data, std::span<const int32_t> indices, const Shape& sample_shape,
                   Tensor& x) {
  const int64_t size = data.sample_size();
  if (sample_shape.numel() != size) {
    throw Error(data.name + ": samples have shape " + data.sample_shape.str() +
                ", cannot be shaped as " + sample_shape.str());
  }
  const auto n = static_cast<int64_t>(indices.size());
  x.resize(sample_shape.with_batch(n));
  if (!data.features.empty()) {
    for (int64_t i = 0; i < n; ++i) {
      const float* src = data.features.data() + indices[static_cast<size_t>(i)] * size;
      std::copy(src, src + size, x.data() + i * size);
    }
    return;
  }
  constexpr float kScale = 1.0f / 255.0f;
  // Split over threads only for big batches (parallel.h's threshold): a small batch gathered
  // on two threads leaves the step that follows reading half of it from the other core.
  parallel_for(
      n,
      [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; ++i) {
          if (i + 2 < n) data.pixels.prefetch(indices[static_cast<size_t>(i + 2)]);
          data.pixels.unpack(indices[static_cast<size_t>(i)], kScale, x.data() + i * size);
          if (!data.norm.empty()) {
            data.norm.apply(x.data() + i * size, 1, size / data.norm.channels());
          }
        }
      },
      min_items(kParallelMinElements, size));
}

void gather_labels(const Dataset& data, std::span<const int32_t> indices,
                   std::vector<int32_t>& labels) {
  labels.resize(indices.size());
  for (size_t i = 0; i < indices.size(); ++i) {
    labels[i] = data.labels[static_cast<size_t>(indices[i])];
  }
}

void gather_targets(const Dataset& data, std::span<const int32_t> indices, Tensor& t) {
  const int64_t k = data.target_size;
  t.resize(Shape{static_cast<int64_t>(indices.size()), k});
  for (size_t i = 0; i < indices.size(); ++i) {
    const float* src = data.targets.data() + indices[i] * k;
    std::copy(src, src + k, t.data() + static_cast<int64_t>(i) * k);
  }
}

Dataset subset(const Dataset& data, std::span<const int32_t> indices) {
  Dataset out;
  out.name = data.name;
  out.labels_name = data.labels_name;
  out.sample_shape = data.sample_shape;
  out.num_classes = data.num_classes;
  out.target_size = data.target_size;
  out.norm = data.norm;
  const int64_t size = data.sample_size();
  if (!data.pixels.empty()) out.pixels = PackedImages(size);
  for (int32_t i : indices) {
    if (i < 0 || i >= data.size()) throw Error(data.name + ": sample index out of range");
    if (!data.pixels.empty()) {
      out.pixels.append(data.pixels, i);
    } else {
      const auto* p = data.features.data() + i * size;
      out.features.insert(out.features.end(), p, p + size);
    }
    if (data.is_regression()) {
      const auto* t = data.targets.data() + i * data.target_size;
      out.targets.insert(out.targets.end(), t, t + data.target_size);
    } else {
      out.labels.push_back(data.labels[static_cast<size_t>(i)]);
    }
  }
  return out;
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
