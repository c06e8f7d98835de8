#include "nnzero/kernels/gemm.h"

#include <cblas.h>

#include <algorithm>

namespace nnzero {

void gemm(Trans trans_a, Trans trans_b, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc) {
  if (M == 0 || N == 0) return;
  if (M == 1 && K > 0) {
    // One row (single-image inference): C = alpha A op(B) + beta C is a matrix-vector
    // product, which OpenBLAS 0.3.21's SGEMV computes several times faster than its SGEMM
    // (docs/benchmarks.md, "single-image latency").
    if (beta == 0.0f) std::fill(C, C + N, 0.0f);  // beta 0 must ignore C, NaN included
    const int incx = trans_a == Trans::Yes ? lda : 1;
    if (trans_b == Trans::Yes) {  // B is N x K: y = alpha B x + beta y
      cblas_sgemv(CblasRowMajor, CblasNoTrans, N, K, alpha, B, ldb, A, incx, beta, C, 1);
    } else {  // B is K x N: y = alpha B^T x + beta y
      cblas_sgemv(CblasRowMajor, CblasTrans, K, N, alpha, B, ldb, A, incx, beta, C, 1);
    }
    return;
  }
  cblas_sgemm(CblasRowMajor, trans_a == Trans::Yes ? CblasTrans : CblasNoTrans,
              trans_b == Trans::Yes ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B, ldb,
              beta, C, ldc);
}

void gemm_reference(Trans trans_a, Trans trans_b, int M, int N, int K, float alpha, const float* A,
                    int lda, const float* B, int ldb, float beta, float* C, int ldc) {
  for (int i = 0; i < M; ++i) {
    for (int j = 0; j < N; ++j) {
      double sum = 0.0;
      for (int k = 0; k < K; ++k) {
        const float a = trans_a == Trans::Yes ? A[k * lda + i] : A[i * lda + k];
        const float b = trans_b == Trans::Yes ? B[j * ldb + k] : B[k * ldb + j];
        sum += static_cast<double>(a) * b;
      }
      float& c = C[i * ldc + j];
      c = alpha * static_cast<float>(sum) + (beta == 0.0f ? 0.0f : beta * c);
    }
  }
}

}  // namespace nnzero
