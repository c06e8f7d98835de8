// Products with a mostly-zero left operand: a network's first Linear layer when most of its
// input is zero (fast/sparse_input_linear.h).
//
// MNIST pixels are 81 % zeros (the background), so in two_layer_net's first layer
// out = x W^T + b and dW += dout^T x, four of five multiply-adds of a dense GEMM multiply by
// zero. Keeping only each row's nonzero entries (column, value), the same sums are
//
//   out[i, :]  = b + sum over row i's entries (k, v) of  v * W^T[k, :]
//   dW[:, k]  += sum over the rows i that have an entry (k, v) of  v * dout[i, :]
//
// (the book's equations of section 5.6 with the zero terms left out; only the order of the
// additions differs from the dense product). Both read W and dW by input feature k, so they
// work on W^T, padded to whole vectors of output features.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace nnzero {

// The nonzero entries of a (rows, cols) matrix, row by row in column order. Row i's entries
// are at [i * cols, i * cols + count[i]) of column and value, so rows are filled in parallel.
struct SparseRows {
  int64_t rows = 0, cols = 0;
  std::vector<int32_t> column;
  std::vector<float> value;
  std::vector<int32_t> count;

  void resize(int64_t rows, int64_t cols);  // allocates only when it grows
  int64_t nonzeros() const;

  // Row i's entries: their columns, values and number.
  struct Row {
    const int32_t* column;
    const float* value;
    int64_t count;
  };
  Row row(int64_t i) const {
    return {column.data() + i * cols, value.data() + i * cols, count[static_cast<size_t>(i)]};
  }
};

// Nonzero entries among x[0, n).
int64_t count_nonzeros(const float* x, int64_t n);

// Rows [r0, r1) of x (s.rows, s.cols) into s (already resized).
void compress_rows(const float* x, int64_t r0, int64_t r1, SparseRows& s);

// Columns [k0, k1) of x (rows, cols) into rows [k0, k1) of xt (cols, rows).
void transpose(const float* x, int64_t rows, int64_t cols, int64_t k0, int64_t k1, float* xt);

// The weight gradient is split over threads by output features: pieces [c0, c1) of whole
// vectors (c0 and c1 multiples of sparse_vector_width(), c1 at most
// sparse_padded_width(out)), so that the thread that writes a row of dW is the only one
// writing into its cache lines.
int64_t sparse_vector_width();             // floats per vector: 16 with AVX-512
int64_t sparse_padded_width(int64_t out);  // out rounded up to whole vectors

// panel (cols, c1 - c0) = W (out, cols) transposed, rows [c0, c1) of W; zero for j >= out.
void transpose_padded(const float* W, int64_t out, int64_t cols, int64_t c0, int64_t c1,
                      float* panel);

// y[i, j] = bias[j] + sum_k x[i, k] W[j, k] for every row i and j < out, from wt = W^T
// padded (transpose_padded over [0, sparse_padded_width(out))); y is (N, out); bias may be
// nullptr (0). Two ways:
//
// from x's rows (x: SparseRows of x, N x cols): each row sums its entries' rows of W^T in
// registers. For inference: x is compressed as it is.
void sparse_times_transposed(const SparseRows& x, const float* wt, int64_t out, const float* bias,
                             float* y);
// from x's columns (xt: SparseRows of x^T, cols x N): column k's entries add row k of W^T,
// held in registers, into their rows of out (N x 64 floats, 25.6 KB at batch 100: in L1).
// For training, whose weight gradient needs x by its columns anyway. acc: N x
// sparse_padded_width(out) floats of scratch.
void sparse_columns_times_transposed(const SparseRows& xt, const float* wt, int64_t out,
                                     const float* bias, float* acc, float* y);

// The weight gradient takes x by its columns: column k's entries sum their rows of dout (in
// L1) into row k of dW^T in registers. (By x's rows, the row of dW^T of every entry would be
// read and written back in L2 once per entry.) SparseInputLinear takes bigger batches in
// blocks of rows that keep this in cache.
// dW[j, k] += sum_i dout[i, j] x[i, k] for j in [c0, min(c1, out)), every k. dout is
// (N, out) padded to sparse_padded_width(out) per row (the padding zero); dW is (out, cols);
// t: cols x (c1 - c0) floats of scratch.
void sparse_transposed_times(const SparseRows& xt, int64_t c0, int64_t c1, const float* dout_padded,
                             int64_t out, float* t, float* dW);

}  // namespace nnzero
