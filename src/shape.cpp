#include "nnzero/shape.h"

#include "nnzero/error.h"

namespace nnzero {

Shape::Shape(std::initializer_list<int64_t> dims) : Shape(std::span<const int64_t>(dims)) {}

Shape::Shape(std::span<const int64_t> dims) {
  for (int64_t d : dims) push_back(d);
}

void Shape::push_back(int64_t d) {
  if (rank_ == kMaxRank) {
    throw Error("shape: more than " + std::to_string(kMaxRank) + " dimensions");
  }
  if (d < 0) throw Error("shape: negative dimension " + std::to_string(d));
  dims_[static_cast<size_t>(rank_++)] = d;
}

Shape Shape::with_batch(int64_t n) const {
  Shape s{n};
  for (int64_t d : *this) s.push_back(d);
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
