#include "nnzero/kernels/svd.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "lapack.h"
#include "nnzero/error.h"

namespace nnzero {

namespace {

void check_matrix(const Tensor& A, const char* what) {
  if (A.rank() != 2 || A.numel() == 0) {
    throw Error(std::string(what) + ": needs a non-empty matrix, got " + A.shape().str());
  }
}

}  // namespace

Svd svd(const Tensor& A) {
  check_matrix(A, "svd");
  const int m = static_cast<int>(A.dim(0)), n = static_cast<int>(A.dim(1));
  const int k = std::min(m, n);
  // Row-major A (m, n) is column-major A^T (n, m) = V S U^T: LAPACK's "U" of that is our V
  // (column-major (n, k) = row-major Vt (k, n)) and its "VT" our U (column-major (k, m) =
  // row-major U (m, k)); no transposes.
  Tensor a = A.clone();
  Svd out{Tensor(Shape{m, k}), Tensor(Shape{k}), Tensor(Shape{k, n})};
  std::vector<int> iwork(8 * static_cast<size_t>(k));
  int info = 0, lwork = -1;
  float query = 0.0f;
  sgesdd_("S", &n, &m, a.data(), &n, out.S.data(), out.Vt.data(), &n, out.U.data(), &k, &query,
          &lwork, iwork.data(), &info, 1);
  // The size comes back as a float: rounded, it can fall short of the true size; one part in
  // 2^23 more covers it (LAPACK's own advice, as numpy does).
  lwork = static_cast<int>(query * (1.0f + 1.2e-7f)) + 1;
  std::vector<float> work(static_cast<size_t>(lwork));
  sgesdd_("S", &n, &m, a.data(), &n, out.S.data(), out.Vt.data(), &n, out.U.data(), &k, work.data(),
          &lwork, iwork.data(), &info, 1);
  if (info != 0) {
    throw Error("svd: LAPACK sgesdd failed on a " + A.shape().str() + " matrix (info " +
                std::to_string(info) +
                (info > 0 ? ": did not converge; NaN or infinity in it?)" : ")"));
  }
  return out;
}

Svd svd_reference(const Tensor& A) {
  check_matrix(A, "svd_reference");
  // Work on the taller of A and A^T: columns of W (rows x cols, rows >= cols) are rotated in
  // pairs until orthogonal; then W = U S and the rotations' product is V.
  const bool wide = A.dim(0) < A.dim(1);
  const int64_t rows = wide ? A.dim(1) : A.dim(0), cols = wide ? A.dim(0) : A.dim(1);
  std::vector<double> W(static_cast<size_t>(rows * cols)), V(static_cast<size_t>(cols * cols));
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) {
      W[i * cols + j] = wide ? A[j * A.dim(1) + i] : A[i * A.dim(1) + j];
    }
  }
  for (int64_t j = 0; j < cols; ++j) V[j * cols + j] = 1.0;
  const auto column_dot = [&](const std::vector<double>& M, int64_t n, int64_t p, int64_t q) {
    double s = 0.0;
    for (int64_t i = 0; i < n; ++i) s += M[i * cols + p] * M[i * cols + q];
    return s;
  };
  const auto rotate = [&](std::vector<double>& M, int64_t n, int64_t p, int64_t q, double c,
                          double s) {
    for (int64_t i = 0; i < n; ++i) {
      const double x = M[i * cols + p], y = M[i * cols + q];
      M[i * cols + p] = c * x - s * y;
      M[i * cols + q] = s * x + c * y;
    }
  };
  for (int sweep = 0; sweep < 100; ++sweep) {
    bool rotated = false;
    for (int64_t p = 0; p < cols; ++p) {
      for (int64_t q = p + 1; q < cols; ++q) {
        const double alpha = column_dot(W, rows, p, p), beta = column_dot(W, rows, q, q);
        const double gamma = column_dot(W, rows, p, q);
        if (std::abs(gamma) <= 1e-15 * std::sqrt(alpha * beta)) continue;
        // The rotation by the angle that zeroes the pair's inner product (tan of it: t).
        const double zeta = (beta - alpha) / (2.0 * gamma);
        const double t = std::copysign(1.0, zeta) / (std::abs(zeta) + std::sqrt(1.0 + zeta * zeta));
        const double c = 1.0 / std::sqrt(1.0 + t * t);
        rotate(W, rows, p, q, c, c * t);
        rotate(V, cols, p, q, c, c * t);
        rotated = true;
      }
    }
    if (!rotated) break;
  }
  // Singular values: the columns' norms, in descending order.
  std::vector<double> sigma(static_cast<size_t>(cols));
  for (int64_t j = 0; j < cols; ++j) sigma[j] = std::sqrt(column_dot(W, rows, j, j));
  std::vector<int64_t> order(static_cast<size_t>(cols));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return sigma[a] > sigma[b]; });
  // W = Uw S, V: A = Uw S V^T (or A^T, when wide: then A = V S Uw^T).
  const int64_t m = A.dim(0), n = A.dim(1), k = cols;
  Svd out{Tensor(Shape{m, k}), Tensor(Shape{k}), Tensor(Shape{k, n})};
  for (int64_t r = 0; r < k; ++r) {
    const int64_t j = order[r];
    out.S[r] = static_cast<float>(sigma[j]);
    const double inv = sigma[j] > 0.0 ? 1.0 / sigma[j] : 0.0;
    for (int64_t i = 0; i < rows; ++i) {
      const auto u = static_cast<float>(W[i * cols + j] * inv);
      if (wide) {
        out.Vt[r * n + i] = u;
      } else {
        out.U[i * k + r] = u;
      }
    }
    for (int64_t i = 0; i < cols; ++i) {
      const auto v = static_cast<float>(V[i * cols + j]);
      if (wide) {
        out.U[i * k + r] = v;
      } else {
        out.Vt[r * n + i] = v;
      }
    }
  }
  return out;
}

void flip_signs(Svd& s) {
  const int64_t m = s.U.dim(0), k = s.U.dim(1), n = s.Vt.dim(1);
  for (int64_t r = 0; r < k; ++r) {
    float largest = 0.0f;
    for (int64_t i = 0; i < m; ++i) {
      if (std::abs(s.U[i * k + r]) > std::abs(largest)) largest = s.U[i * k + r];
    }
    if (largest >= 0.0f) continue;
    for (int64_t i = 0; i < m; ++i) s.U[i * k + r] = -s.U[i * k + r];
    for (int64_t j = 0; j < n; ++j) s.Vt[r * n + j] = -s.Vt[r * n + j];
  }
}

}  // namespace nnzero
