// Linear (the book's Affine, section 5.6): out = x W^T + b.
// x: (N, in), W: (out, in) as PyTorch stores it (the book's W is its transpose), b: (out).
// backward: dx = dout W, dW += dout^T x, db += sum over the batch of dout.
// In a network's first layer (set_needs_input_grad(false)), when most of x is zero (MNIST's
// background), x W^T and dout^T x skip the zeros (kernels/sparse_rows.h): the same sums, a
// fifth of the multiply-adds.
#pragma once

#include <utility>

#include "nnzero/kernels/sparse_rows.h"
#include "nnzero/layers/layer.h"

namespace nnzero {

class Linear : public Layer {
 public:
  Linear(const Shape& in_shape, int64_t out_features, bool bias = true);

  const char* type() const override { return "linear"; }
  const Tensor& forward(const Tensor& x, bool train) override;
  const Tensor& backward(const Tensor& dout) override;
  Tensor* input_grad_buffer() override { return &dx_; }
  std::vector<Param*> params() override;
  double flops() const override;

  Param& weight() { return weight_; }
  Param& bias() { return bias_; }
  // Whether the last forward took the sparse path (kernels/sparse_rows.h).
  bool last_input_sparse() const { return sparse_input_; }

  // The sparse path's work that does not depend on the weights: x transposed, into xt
  // ((in, N) numbers: x^T of each block of 128 rows in turn; for up to 128 rows, x^T).
  // Returns whether forward(x) tries the sparse path. It reads only the layer's shape, so a
  // BatchLoader's thread runs it on the next batch while this one trains.
  bool prepare(const Tensor& x, Tensor& xt) const;
  // Whether a batch of n may take the sparse path (then prepare does work).
  bool sparse_candidate(int64_t n) const;
  // The next forward takes its input transposed from xt, prepared from that same input.
  void use_prepared(const Tensor* xt) { prepared_ = xt; }

 private:
  int64_t in_features_, out_features_;
  bool has_bias_;
  Param weight_, bias_;
  bool own_gemm(int64_t n) const;
  void backward_own_gemm(const Tensor& dout);
  void ensure_offsets(int64_t count);
  void reserve_sparse(int64_t n);
  bool first_row_sparse(const Tensor& x) const;
  // x's nonzero entries into blocks_, by its columns (from x^T) or by its rows; whether few
  // enough are nonzero.
  bool compress(const Tensor& xt);
  bool compress_by_rows(const Tensor& x);
  bool enough_zeros(int64_t n) const;
  void add_sparse_weight_grad(const Tensor& dout);
  std::pair<int64_t, int64_t> sparse_piece(int64_t t, int64_t threads) const;

  Tensor x_;  // the input of the last forward (a view, not a copy)
  Tensor out_, dx_;
  bool sparse_input_ = false;         // the last forward took the sparse path
  Tensor own_xt_;                     // x^T, when not prepared
  const Tensor* prepared_ = nullptr;  // x^T for the next forward
  bool by_rows_ = false;              // and took x by its rows (inference), not columns
  std::vector<SparseRows> blocks_;    // per block of rows, x's (or x^T's) nonzero entries
  Tensor wt_;                         // W^T, padded (kernels/sparse_rows.h)
  Tensor dout_padded_;
  Tensor dout_t_;                 // dout^T, for implicit_gemm's dW
  std::vector<int64_t> offsets_;  // k * in: where implicit_gemm reads row k of x or of W
};

}  // namespace nnzero
