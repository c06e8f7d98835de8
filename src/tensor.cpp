#include "nnzero/tensor.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

namespace nnzero {

namespace {
constexpr size_t kAlignment = 64;  // one cache line; what AVX-512 loads like best
std::atomic<int64_t> g_allocations{0};
}  // namespace

int64_t tensor_allocations() {
  return g_allocations.load(std::memory_order_relaxed);
}

Tensor::Tensor() : shape_{0} {}

Tensor::Tensor(const Shape& shape) : shape_(shape) {
  allocate(shape.numel());
  zero();
}

Tensor::Tensor(const Shape& shape, float value) : shape_(shape) {
  allocate(shape.numel());
  fill(value);
}

Tensor::Tensor(const Shape& shape, std::initializer_list<float> values)
    : Tensor(shape, std::span<const float>(values.begin(), values.size())) {}

Tensor::Tensor(const Shape& shape, std::span<const float> values) : shape_(shape) {
  if (static_cast<int64_t>(values.size()) != shape.numel()) {
    throw Error("tensor: shape " + shape.str() + " needs " + std::to_string(shape.numel()) +
                " values, got " + std::to_string(values.size()));
  }
  allocate(shape.numel());
  std::copy(values.begin(), values.end(), data_);
}

int64_t max_tensor_bytes() {
  static const int64_t limit = [] {
    const char* v = std::getenv("NNZERO_MAX_TENSOR_MB");
    char* end = nullptr;
    const long long mb = v != nullptr ? std::strtoll(v, &end, 10) : 0;
    if (v != nullptr && *v != '\0' && *end == '\0' && mb > 0 && mb < (1LL << 40)) {
      return static_cast<int64_t>(mb) << 20;
    }
    return kDefaultMaxTensorBytes;
  }();
  return limit;
}

void Tensor::allocate(int64_t count) {
  if (count > max_tensor_bytes() / static_cast<int64_t>(sizeof(float))) {
    throw Error("tensor of shape " + shape_.str() + ": " +
                std::to_string(count * static_cast<int64_t>(sizeof(float)) >> 20) +
                " MB is more than the limit of " + std::to_string(max_tensor_bytes() >> 20) +
                " MB for one tensor (a layer or batch too large? NNZERO_MAX_TENSOR_MB raises it)");
  }
  capacity_ = count;
  if (count == 0) {
    storage_.reset();
    data_ = nullptr;
    return;
  }
  size_t bytes = static_cast<size_t>(count) * sizeof(float);
  bytes = (bytes + kAlignment - 1) / kAlignment * kAlignment;  // aligned_alloc's rule
  auto* p = static_cast<float*>(std::aligned_alloc(kAlignment, bytes));
  if (p == nullptr) throw std::bad_alloc();
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  storage_ = std::shared_ptr<float[]>(p, [](float* q) { std::free(q); });
  data_ = p;
}

int64_t Tensor::dim(int i) const {
  if (i < 0) i += rank();
  if (i < 0 || i >= rank()) {
    throw Error("tensor: no dimension " + std::to_string(i) + " in shape " + shape_.str());
  }
  return shape_[i];
}

int64_t Tensor::offset(std::initializer_list<int64_t> index) const {
  if (static_cast<int>(index.size()) != rank()) {
    throw Error("tensor: " + std::to_string(index.size()) + " indices for shape " + shape_.str());
  }
  int64_t off = 0;
  int axis = 0;
  for (int64_t i : index) {
    if (i < 0 || i >= shape_[axis]) {
      throw Error("tensor: index " + std::to_string(i) + " out of range for axis " +
                  std::to_string(axis) + " of shape " + shape_.str());
    }
    off = off * shape_[axis] + i;
    ++axis;
  }
  return off;
}

Tensor Tensor::reshape(const Shape& shape) const {
  if (shape.numel() != numel()) {
    throw Error("tensor: cannot reshape " + shape_.str() + " (" + std::to_string(numel()) +
                " elements) to " + shape.str());
  }
  Tensor view = *this;
  view.shape_ = shape;
  return view;
}

void Tensor::resize(const Shape& shape) {
  if (shape.numel() > capacity_) {
    allocate(shape.numel());
  }
  shape_ = shape;
}

Tensor Tensor::clone() const {
  Tensor t(shape_, span());
  return t;
}

void Tensor::copy_from(const Tensor& src) {
  if (src.numel() != numel()) {
    throw Error("tensor: cannot copy " + src.shape().str() + " into " + shape_.str());
  }
  std::copy(src.begin(), src.end(), data_);
}

void Tensor::fill(float value) {
  std::fill(begin(), end(), value);
}

void check_same_shape(const Shape& a, const Shape& b, const char* what) {
  if (!(a == b)) {
    throw Error(std::string(what) + ": shape mismatch " + a.str() + " vs " + b.str());
  }
}

}  // namespace nnzero
