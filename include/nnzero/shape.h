// Shape: the dimensions of a tensor, stored inline (no heap), so that code in the training
// loop can build and compare shapes without allocating.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>

namespace nnzero {

class Shape {
 public:
  static constexpr int kMaxRank = 6;
  // The most elements a shape may describe: 2^60, so that its size in bytes for any element
  // type up to 8 bytes still fits in int64_t. Building a larger shape throws nnzero::Error.
  static constexpr int64_t kMaxNumel = int64_t{1} << 60;

  Shape() = default;
  Shape(std::initializer_list<int64_t> dims);
  explicit Shape(std::span<const int64_t> dims);

  int rank() const { return rank_; }
  int64_t operator[](int i) const { return dims_[static_cast<size_t>(i)]; }
  int64_t& operator[](int i) { return dims_[static_cast<size_t>(i)]; }
  const int64_t* begin() const { return dims_.data(); }
  const int64_t* end() const { return dims_.data() + rank_; }

  // Product of the dimensions (1 for a scalar, rank 0), at most kMaxNumel (checked when the
  // shape is built). Inline: loops bounded by a tensor's numel() then read it once instead of
  // calling a function per element.
  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < rank_; ++i) n *= dims_[static_cast<size_t>(i)];
    return n;
  }
  void push_back(int64_t d);
  // (n, d0, d1, ...): this shape with a batch dimension in front.
  Shape with_batch(int64_t n) const;
  // (d1, d2, ...): this shape without its first dimension.
  Shape drop_first() const;
  // (d0, ..., d(r-2), d): this shape with its last dimension replaced (a linear layer's output).
  Shape with_last(int64_t d) const;

  bool operator==(const Shape& other) const;
  // "(100, 1, 28, 28)"
  std::string str() const;

 private:
  std::array<int64_t, kMaxRank> dims_{};
  int rank_ = 0;
};

}  // namespace nnzero
