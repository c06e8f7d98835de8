// The k leading singular triplets of a large sparse matrix by random projection: Halko,
// Martinsson and Tropp, "Finding structure with randomness" (SIAM Review 53, 2011),
// algorithm 4.4 (randomized subspace iteration) then 5.1 (direct SVD), as scikit-learn's
// randomized_svd, which book 2 calls on the Penn Treebank's PPMI matrix (ch. 2.4.5:
// randomized_svd(W, n_components=100, n_iter=5)).
//
// With l = k + oversamples random directions, Omega (n, l) Gaussian:
//   Q = orth(A Omega)                                     Q (m, l): A's range, roughly
//   repeat power_iterations times: Q = orth(A orth(A^T Q))   sharpened by A A^T's spectrum
//   B = Q^T A (l, n) = Ub S Vt  (a small dense SVD, svd.h)
//   U = Q Ub, keeping the first k columns of U, values of S and rows of Vt.
// orth() is a QR factorization's Q (sklearn normalizes with LU between iterations; QR is as
// cheap here and better conditioned). When l reaches min(m, n) the range is A's whole range
// and the result is A's exact SVD. Signs are fixed by flip_signs (svd.h), as sklearn does.
#pragma once

#include <cstdint>

#include "nnzero/kernels/csr_matrix.h"
#include "nnzero/kernels/svd.h"
#include "nnzero/rng.h"

namespace nnzero {

struct RandomizedSvdOptions {
  int64_t oversamples = 10;  // sklearn's n_oversamples
  int power_iterations = 5;  // book 2's n_iter
};

// Throws unless 1 <= k <= min(a.rows, a.cols) (naming both) and the options are >= 0.
Svd randomized_svd(const CsrMatrix& a, int64_t k, Rng& rng,
                   const RandomizedSvdOptions& options = {});

// Y (m, l), m >= l, replaced by the Q (m, l) of its QR factorization (LAPACK's sgeqrf and
// sorgqr, Householder reflections): orthonormal columns spanning the same space.
void orthonormalize_columns(Tensor& Y);

}  // namespace nnzero
