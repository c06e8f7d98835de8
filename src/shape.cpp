#include "nnzero/shape.h"

#include "nnzero/error.h"

namespace nnzero {

Shape::Shape(std::initializer_list<int64_t> dims) : Shape(std::span<const int64_t>(dims)) {}

namespace {
// numel() multiplies without checks; a product past kMaxNumel (2^31 cubed wraps to 0 in
// int64_t) is refused where every shape is built. Zeros are left out of the product so that
// dropping one (drop_first) cannot expose an overflow later.
void check_numel(std::span<const int64_t> dims) {
  int64_t product = 1;
  bool over = false;
  for (int64_t d : dims) {
    if (d > 0) over = over || __builtin_mul_overflow(product, d, &product);
  }
  if (!over && product <= Shape::kMaxNumel) return;
  std::string shown;
  for (int64_t d : dims) shown += (shown.empty() ? "" : ", ") + std::to_string(d);
  throw Error("shape: (" + shown + ") holds more than 2^60 elements");
}
}  // namespace

Shape::Shape(std::span<const int64_t> dims) {
  if (dims.size() <= static_cast<size_t>(kMaxRank)) check_numel(dims);
  for (int64_t d : dims) push_back(d);
}

void Shape::push_back(int64_t d) {
  if (rank_ == kMaxRank) {
    throw Error("shape: more than " + std::to_string(kMaxRank) + " dimensions");
  }
  if (d < 0) throw Error("shape: negative dimension " + std::to_string(d));
  std::array<int64_t, kMaxRank> grown = dims_;
  grown[static_cast<size_t>(rank_)] = d;
  check_numel(std::span<const int64_t>(grown.data(), static_cast<size_t>(rank_ + 1)));
  dims_[static_cast<size_t>(rank_++)] = d;
}

Shape Shape::with_batch(int64_t n) const {
  Shape s{n};
  for (int64_t d : *this) s.push_back(d);
  return s;
}

Shape Shape::with_last(int64_t d) const {
  if (rank_ == 0) throw Error("a scalar shape has no last dimension");
  Shape s = *this;
  s[rank_ - 1] = d;
  return s;
}

Shape Shape::drop_first() const {
  Shape s;
  for (int i = 1; i < rank_; ++i) s.push_back((*this)[i]);
  return s;
}

bool Shape::operator==(const Shape& other) const {
  if (rank_ != other.rank_) return false;
  for (int i = 0; i < rank_; ++i) {
    if ((*this)[i] != other[i]) return false;
  }
  return true;
}

std::string Shape::str() const {
  std::string s = "(";
  for (int i = 0; i < rank_; ++i) {
    if (i > 0) s += ", ";
    s += std::to_string((*this)[i]);
  }
  return s + ")";
}

}  // namespace nnzero
