// The singular value decomposition A (m, n) = U diag(S) Vt, thin: with k = min(m, n), U is
// (m, k) and Vt (k, n), both with orthonormal columns / rows, and S descending (book 2, ch.
// 2.4.3, np.linalg.svd(W) with full_matrices=False).
//
// svd() goes through LAPACK's sgesdd (divide and conquer, in OpenBLAS); svd_reference() is
// the one-sided Jacobi method (Hestenes 1958) in double precision: plane rotations of pairs of
// columns until all columns are orthogonal, 30 lines that are obviously right, the tests'
// oracle.
#pragma once

#include "nnzero/tensor.h"

namespace nnzero {

struct Svd {
  Tensor U;   // (m, k)
  Tensor S;   // (k), descending, >= 0
  Tensor Vt;  // (k, n)
};

Svd svd(const Tensor& A);
Svd svd_reference(const Tensor& A);

// Singular vectors are defined up to a sign (u_i, v_i and -u_i, -v_i give the same product).
// Makes the entry of largest magnitude of every column of U positive, flipping the matching
// row of Vt with it: sklearn's svd_flip(u_based_decision=True), so that runs and methods
// give the same vectors.
void flip_signs(Svd& s);

}  // namespace nnzero
