// A sparse matrix in compressed sparse row form (CSR, scipy.sparse.csr_matrix's layout), and
// its product with a dense matrix. Book 2's co-occurrence and PPMI matrices (ch. 2.3-2.4) are
// (V, V): for the Penn Treebank's 10,000 words a dense float copy is 400 MB, of which about
// 98 % would be zeros; the randomized SVD (kernels/randomized_svd.h) needs only products.
#pragma once

#include <cstdint>
#include <vector>

#include "nnzero/tensor.h"

namespace nnzero {

// Row i's entries are (column[k], value[k]) for k in [row_start[i], row_start[i + 1]),
// columns ascending and distinct; row_start has rows + 1 entries, starting at 0.
struct CsrMatrix {
  int64_t rows = 0, cols = 0;
  std::vector<int64_t> row_start{0};
  std::vector<int32_t> column;
  std::vector<float> value;

  int64_t nonzeros() const { return static_cast<int64_t>(column.size()); }
  // The entry (i, j), 0 where none is stored (a binary search of row i).
  float at(int64_t i, int64_t j) const;
};

// The stored entries of a dense (rows, cols) matrix: its nonzeros.
CsrMatrix to_csr(const Tensor& dense);
// The dense (rows, cols) matrix; for small matrices (tests, the book's 7-word example).
Tensor to_dense(const CsrMatrix& a);
// A^T, also in CSR form (a counting sort of the entries by column).
CsrMatrix transposed(const CsrMatrix& a);

// Y (a.rows, n) = A X, X: (a.cols, n) row-major. Row i of Y is the sum of row column[k] of X
// times value[k] over row i's entries: rows are independent, split over the threads.
void csr_matmul(const CsrMatrix& a, const Tensor& X, Tensor& Y);

}  // namespace nnzero
