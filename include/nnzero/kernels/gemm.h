// GEMM: C = alpha * op(A) * op(B) + beta * C, row-major, where op(X) is X or X transposed.
// op(A) is M x K, op(B) is K x N, C is M x N; lda, ldb, ldc are row strides.
// gemm() goes through CBLAS (OpenBLAS); gemm_reference() is the plain triple loop that the
// tests use as the oracle.
#pragma once

namespace nnzero {

enum class Trans { No, Yes };

void gemm(Trans trans_a, Trans trans_b, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc);

void gemm_reference(Trans trans_a, Trans trans_b, int M, int N, int K, float alpha, const float* A,
                    int lda, const float* B, int ldb, float beta, float* C, int ldc);

}  // namespace nnzero
