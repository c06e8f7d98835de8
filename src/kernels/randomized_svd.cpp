#include "nnzero/kernels/randomized_svd.h"

#include <algorithm>
#include <string>
#include <vector>

#include "lapack.h"
#include "nnzero/error.h"
#include "nnzero/kernels/gemm.h"

namespace nnzero {

namespace {

void check_rank(const CsrMatrix& a, int64_t k, const RandomizedSvdOptions& options) {
  const std::string shape = Shape{a.rows, a.cols}.str();
  if (k < 1 || k > std::min(a.rows, a.cols)) {
    throw Error("randomized_svd: " + std::to_string(k) + " singular vectors asked of a " + shape +
                " matrix (at least 1, at most " + std::to_string(std::min(a.rows, a.cols)) + ")");
  }
  if (options.oversamples < 0 || options.power_iterations < 0) {
    throw Error("randomized_svd: oversamples and power_iterations must be >= 0");
  }
}

// The rows of a (m, n) as the columns of an (n, m) tensor.
Tensor transposed_dense(const Tensor& a) {
  const int64_t m = a.dim(0), n = a.dim(1);
  Tensor t(Shape{n, m});
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) t[j * m + i] = a[i * n + j];
  }
  return t;
}

}  // namespace

void orthonormalize_columns(Tensor& Y) {
  const int m = static_cast<int>(Y.dim(0)), l = static_cast<int>(Y.dim(1));
  if (l > m) throw Error("orthonormalize_columns: more columns than rows in " + Y.shape().str());
  // LAPACK is column-major: Y^T is Y column by column. (The LQ factorization of the row-major
  // Y, which needs no transposes, took twice as long as these two: its reflections run along
  // rows 4 * l bytes apart.)
  Tensor a = transposed_dense(Y);
  std::vector<float> tau(static_cast<size_t>(l));
  int info = 0, lwork = -1;
  float query = 0.0f, query2 = 0.0f;
  sgeqrf_(&m, &l, a.data(), &m, tau.data(), &query, &lwork, &info);
  sorgqr_(&m, &l, &l, a.data(), &m, tau.data(), &query2, &lwork, &info);
  lwork = static_cast<int>(std::max(query, query2)) + 1;
  std::vector<float> work(static_cast<size_t>(lwork));
  sgeqrf_(&m, &l, a.data(), &m, tau.data(), work.data(), &lwork, &info);
  if (info == 0) sorgqr_(&m, &l, &l, a.data(), &m, tau.data(), work.data(), &lwork, &info);
  if (info != 0) {
    throw Error("orthonormalize_columns: LAPACK failed on " + Y.shape().str() + " (info " +
                std::to_string(info) + ")");
  }
  Y = transposed_dense(a);
}

Svd randomized_svd(const CsrMatrix& a, int64_t k, Rng& rng, const RandomizedSvdOptions& options) {
  check_rank(a, k, options);
  const int64_t m = a.rows, n = a.cols;
  const int64_t l = std::min(k + options.oversamples, std::min(m, n));
  const CsrMatrix at = transposed(a);
  Tensor omega(Shape{n, l}), Q, Z;
  rng.fill_normal(omega, 0.0f, 1.0f);
  csr_matmul(a, omega, Q);  // (m, l)
  orthonormalize_columns(Q);
  for (int it = 0; it < options.power_iterations; ++it) {
    csr_matmul(at, Q, Z);  // (n, l)
    orthonormalize_columns(Z);
    csr_matmul(a, Z, Q);
    orthonormalize_columns(Q);
  }
  csr_matmul(at, Q, Z);                  // Z = A^T Q = B^T (n, l)
  Svd small = svd(transposed_dense(Z));  // B (l, n) = Ub (l, l) S Vt (l, n)
  // U = Q Ub, first k columns: (m, l) x (l, k) with Ub's row stride l.
  Svd out{Tensor(Shape{m, k}), Tensor(Shape{k}), Tensor(Shape{k, n})};
  gemm(Trans::No, Trans::No, static_cast<int>(m), static_cast<int>(k), static_cast<int>(l), 1.0f,
       Q.data(), static_cast<int>(l), small.U.data(), static_cast<int>(l), 0.0f, out.U.data(),
       static_cast<int>(k));
  std::copy(small.S.data(), small.S.data() + k, out.S.data());
  std::copy(small.Vt.data(), small.Vt.data() + k * n, out.Vt.data());
  flip_signs(out);
  return out;
}

}  // namespace nnzero
