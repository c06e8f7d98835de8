// Book 2's positive pointwise mutual information (ch. 2.4.1, common/util.py's ppmi):
//
//   PMI(x, y) = log2( P(x, y) / (P(x) P(y)) ) = log2( C(x, y) N / (C(x) C(y)) )
//   PPMI(x, y) = max(0, PMI(x, y))
//
// with N the sum of all of C's entries and C(x) the sum of its column x (S = np.sum(C,
// axis=0)), computed as the book does, log2(C[i, j] * N / (S[j] * S[i]) + eps): the eps keeps
// log2 finite where C[i, j] = 0. Those entries' PPMI is 0 (log2(eps) < 0), so only C's stored
// entries are visited and the result stays sparse: the same numbers as the book's dense loop.
#pragma once

#include "nnzero/kernels/csr_matrix.h"

namespace nnzero {

// Entries whose PPMI is 0 are not stored. Throws when C is not square or holds no count.
CsrMatrix ppmi(const CsrMatrix& C, double eps = 1e-8);

}  // namespace nnzero
