// Tensor: float32, contiguous, row-major (NCHW for images), storage aligned to 64 bytes.
//
// Like a NumPy array or a PyTorch tensor, a Tensor is a handle to shared storage: copying a
// Tensor or reshaping it gives a view of the same numbers; clone() makes a deep copy.
// Layers keep their output and gradient tensors between steps and call resize(), which
// reuses the storage when it is large enough, so a training step does not allocate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <vector>

#include "nnzero/error.h"
#include "nnzero/shape.h"

namespace nnzero {

class Tensor {
 public:
  // An empty tensor: shape (0), no storage.
  Tensor();
  // Zero-filled tensor of the given shape.
  explicit Tensor(const Shape& shape);
  Tensor(const Shape& shape, float value);
  // A tensor holding `values`, which must have shape.numel() elements.
  Tensor(const Shape& shape, std::initializer_list<float> values);
  Tensor(const Shape& shape, std::span<const float> values);

  const Shape& shape() const { return shape_; }
  int rank() const { return shape_.rank(); }
  int64_t dim(int i) const;
  int64_t numel() const { return shape_.numel(); }
  bool empty() const { return numel() == 0; }

  float* data() { return data_; }
  const float* data() const { return data_; }
  float* begin() { return data_; }
  float* end() { return data_ + numel(); }
  const float* begin() const { return data_; }
  const float* end() const { return data_ + numel(); }
  std::span<float> span() { return {data_, static_cast<size_t>(numel())}; }
  std::span<const float> span() const { return {data_, static_cast<size_t>(numel())}; }
  float& operator[](int64_t i) { return data_[i]; }
  float operator[](int64_t i) const { return data_[i]; }

  // Element at a multi-dimensional index, bounds-checked: t.at(n, c, h, w).
  template <class... I>
  float& at(I... index) {
    return data_[offset({static_cast<int64_t>(index)...})];
  }
  template <class... I>
  float at(I... index) const {
    return data_[offset({static_cast<int64_t>(index)...})];
  }

  // A view with another shape (same number of elements) and the same storage.
  Tensor reshape(const Shape& shape) const;
  // Gives this tensor a new shape; keeps the storage when it holds enough elements,
  // otherwise allocates. The contents are unspecified afterwards, and views made before
  // keep the old storage if it was replaced.
  void resize(const Shape& shape);
  // A deep copy.
  Tensor clone() const;
  // Copies the values of `src`, which must have the same number of elements.
  void copy_from(const Tensor& src);

  void fill(float value);
  void zero() { fill(0.0f); }

 private:
  int64_t offset(std::initializer_list<int64_t> index) const;
  void allocate(int64_t count);

  Shape shape_;
  std::shared_ptr<float[]> storage_;
  float* data_ = nullptr;
  int64_t capacity_ = 0;
};

// The largest storage one Tensor may take: a bigger one (a layer of a million outputs, a huge
// batch) is refused with an Error naming its shape, before anything is allocated. 2 GiB
// unless the environment sets NNZERO_MAX_TENSOR_MB.
inline constexpr int64_t kDefaultMaxTensorBytes = int64_t{2} << 30;
int64_t max_tensor_bytes();

// How many times a Tensor has allocated storage since the program started (all threads):
// the allocation test checks that a steady training step adds none.
int64_t tensor_allocations();

// Throws an Error naming `what` and both shapes unless a and b have the same shape.
void check_same_shape(const Shape& a, const Shape& b, const char* what);

}  // namespace nnzero
