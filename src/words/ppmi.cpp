#include "nnzero/words/ppmi.h"

#include <cmath>
#include <string>
#include <vector>

#include "nnzero/error.h"

namespace nnzero {

CsrMatrix ppmi(const CsrMatrix& C, double eps) {
  if (C.rows != C.cols) {
    throw Error("ppmi: a co-occurrence matrix is square (words x words), got " +
                Shape{C.rows, C.cols}.str());
  }
  double N = 0.0;
  std::vector<double> S(static_cast<size_t>(C.cols), 0.0);
  for (int64_t k = 0; k < C.nonzeros(); ++k) {
    N += C.value[k];
    S[C.column[k]] += C.value[k];
  }
  if (N <= 0.0) throw Error("ppmi: the co-occurrence matrix holds no count");
  CsrMatrix M;
  M.rows = C.rows;
  M.cols = C.cols;
  for (int64_t i = 0; i < C.rows; ++i) {
    for (int64_t k = C.row_start[i]; k < C.row_start[i + 1]; ++k) {
      const int32_t j = C.column[k];
      const double pmi = std::log2(C.value[k] * N / (S[j] * S[i]) + eps);
      if (pmi <= 0.0) continue;
      M.column.push_back(j);
      M.value.push_back(static_cast<float>(pmi));
    }
    M.row_start.push_back(M.nonzeros());
  }
  return M;
}

}  // namespace nnzero
