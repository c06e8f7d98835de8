#include "nnzero/kernels/csr_matrix.h"

#include <algorithm>
#include <string>

#include "nnzero/error.h"
#include "nnzero/parallel.h"

namespace nnzero {

float CsrMatrix::at(int64_t i, int64_t j) const {
  const auto first = column.begin() + row_start[static_cast<size_t>(i)];
  const auto last = column.begin() + row_start[static_cast<size_t>(i) + 1];
  const auto it = std::lower_bound(first, last, j);
  return it != last && *it == j ? value[static_cast<size_t>(it - column.begin())] : 0.0f;
}

CsrMatrix to_csr(const Tensor& dense) {
  if (dense.rank() != 2)
    throw Error("to_csr: a matrix has 2 dimensions, got " + dense.shape().str());
  CsrMatrix a;
  a.rows = dense.dim(0);
  a.cols = dense.dim(1);
  for (int64_t i = 0; i < a.rows; ++i) {
    for (int64_t j = 0; j < a.cols; ++j) {
      const float v = dense[i * a.cols + j];
      if (v == 0.0f) continue;
      a.column.push_back(static_cast<int32_t>(j));
      a.value.push_back(v);
    }
    a.row_start.push_back(a.nonzeros());
  }
  return a;
}

Tensor to_dense(const CsrMatrix& a) {
  Tensor d(Shape{a.rows, a.cols});
  for (int64_t i = 0; i < a.rows; ++i) {
    for (int64_t k = a.row_start[static_cast<size_t>(i)];
         k < a.row_start[static_cast<size_t>(i) + 1]; ++k) {
      d[i * a.cols + a.column[static_cast<size_t>(k)]] = a.value[static_cast<size_t>(k)];
    }
  }
  return d;
}

CsrMatrix transposed(const CsrMatrix& a) {
  CsrMatrix t;
  t.rows = a.cols;
  t.cols = a.rows;
  // Count the entries of each column, then place them: going through a's rows in order
  // leaves each row of A^T with its columns (a's rows) ascending.
  t.row_start.assign(static_cast<size_t>(t.rows) + 1, 0);
  for (const int32_t j : a.column) ++t.row_start[static_cast<size_t>(j) + 1];
  for (int64_t j = 0; j < t.rows; ++j) {
    t.row_start[static_cast<size_t>(j) + 1] += t.row_start[static_cast<size_t>(j)];
  }
  t.column.resize(a.column.size());
  t.value.resize(a.value.size());
  std::vector<int64_t> next(t.row_start.begin(), t.row_start.end() - 1);
  for (int64_t i = 0; i < a.rows; ++i) {
    for (int64_t k = a.row_start[static_cast<size_t>(i)];
         k < a.row_start[static_cast<size_t>(i) + 1]; ++k) {
      const auto slot =
          static_cast<size_t>(next[static_cast<size_t>(a.column[static_cast<size_t>(k)])]++);
      t.column[slot] = static_cast<int32_t>(i);
      t.value[slot] = a.value[static_cast<size_t>(k)];
    }
  }
  return t;
}

void csr_matmul(const CsrMatrix& a, const Tensor& X, Tensor& Y) {
  if (X.rank() != 2 || X.dim(0) != a.cols) {
    throw Error("csr_matmul: A is " + Shape{a.rows, a.cols}.str() + ", X is " + X.shape().str() +
                "; X needs " + std::to_string(a.cols) + " rows");
  }
  const int64_t n = X.dim(1);
  Y.resize(Shape{a.rows, n});
  const int64_t* start = a.row_start.data();
  const int32_t* column = a.column.data();
  const float* value = a.value.data();
  const float* x = X.data();
  float* y = Y.data();
  const int64_t per_row = a.rows > 0 ? std::max<int64_t>(1, a.nonzeros() / a.rows) * n : 0;
  parallel_for(
      a.rows,
      [=](int64_t r0, int64_t r1) {
        for (int64_t i = r0; i < r1; ++i) {
          float* yi = y + i * n;
          std::fill(yi, yi + n, 0.0f);
          for (int64_t k = start[i]; k < start[i + 1]; ++k) {
            const float v = value[k];
            const float* xr = x + static_cast<int64_t>(column[k]) * n;
            for (int64_t j = 0; j < n; ++j) yi[j] += v * xr[j];
          }
        }
      },
      min_items(kParallelMinElements, per_row));
}

}  // namespace nnzero
