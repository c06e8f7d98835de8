// SparseInputLinear: a network's first Linear layer when most of its input is zero (MNIST's
// background: 81 % of the pixels). Linear's sums (layers/linear.h) with the zero terms left
// out, a fifth of the multiply-adds (kernels/sparse_rows.h):
//   out[i, :] = b + sum over row i's nonzero entries (k, v) of v * W^T[k, :]
//   dW[:, k] += sum over column k's nonzero entries (i, v) of v * dout[i, :]
// The planning step (model/plan.h) runs it in place of the first layer when that is a
// Linear; a batch with too few zeros, or too small to pay, takes Linear's dense path. It
// computes no dx (the first layer's input is the data).
//
// The weight gradient takes x by its columns, so training transposes x first: work that
// depends on the data only, done ahead by a data loader's thread for the next batch
// (prepare_input, Layer's input-preparation hook).
#pragma once

#include <utility>
#include <vector>

#include "nnzero/kernels/sparse_rows.h"
#include "nnzero/layers/linear.h"

namespace nnzero {

class SparseInputLinear : public Linear {
 public:
  SparseInputLinear(const Shape& in_shape, int64_t out_features, bool bias = true);

  const Tensor& forward(const Tensor& x, bool train) override;
  const Tensor& backward(const Tensor& dout) override;

  // x transposed into `prepared` ((in, N) numbers: x^T of each block of 128 rows in turn; for
  // up to 128 rows, x^T) when a batch of x's size may take the sparse path; returns whether it
  // did. It reads only the layer's shape, so another thread may run it on the next batch.
  bool prepares_input(int64_t batch) const override;
  bool prepare_input(const Tensor& x, Tensor& prepared) const override;
  void use_prepared(const Tensor* prepared) override { prepared_ = prepared; }

  // Whether the last forward took the sparse path.
  bool last_input_sparse() const { return sparse_input_; }

 private:
  void reserve_sparse(int64_t n);
  bool first_row_sparse(const Tensor& x) const;
  // x's nonzero entries into blocks_, by its columns (from x^T) or by its rows; whether few
  // enough are nonzero.
  bool compress(const Tensor& xt);
  bool compress_by_rows(const Tensor& x);
  bool enough_zeros(int64_t n) const;
  void sparse_forward(int64_t n);
  void add_sparse_weight_grad(const Tensor& dout);
  std::pair<int64_t, int64_t> sparse_piece(int64_t t, int64_t threads) const;

  bool sparse_input_ = false;         // the last forward took the sparse path
  Tensor own_xt_;                     // x^T, when not prepared
  const Tensor* prepared_ = nullptr;  // x^T for the next forward
  bool by_rows_ = false;              // and took x by its rows (inference), not columns
  std::vector<SparseRows> blocks_;    // per block of rows, x's (or x^T's) nonzero entries
  Tensor wt_;                         // W^T, padded (kernels/sparse_rows.h)
  Tensor dout_padded_;
};

}  // namespace nnzero
