#include "nnzero/kernels/matmul.h"

#include <algorithm>

#include "nnzero/kernels/blas_setup.h"
#include "nnzero/kernels/gemm.h"
#include "nnzero/kernels/implicit_gemm.h"
#include "nnzero/kernels/sparse_rows.h"
#include "nnzero/parallel.h"

namespace nnzero {

namespace {
// The batch-100 products of the book's networks are too small for OpenBLAS to thread well,
// so they are split here (docs/benchmarks.md, "Linear's products"): over the rows for C = A B
// and A B^T, over the columns of C for A^T B, each piece one single-threaded product.
// Products below this many multiply-adds stay whole; so do those with fewer rows than
// threads (OpenBLAS then threads over the columns itself).
constexpr int64_t kSplitMinMacs = 1 << 18;

// parallel_for's minimum length: 1 to split, kNeverSplit to keep the product whole.
int64_t split_threshold(int64_t rows, int64_t cols, int64_t depth) {
  const bool split = rows * cols * depth >= kSplitMinMacs && rows >= num_threads();
  return split ? 1 : kNeverSplit;
}

// Through implicit_gemm when it beats OpenBLAS here (blas_setup.h), the depth-wise dimension
// is whole blocks of its columns (it writes and reads whole blocks) and there are rows enough
// to fill its register block of 8 (single rows go through SGEMV, see gemm.cpp).
bool own_gemm(int64_t rows, int64_t width, int64_t other) {
  return own_gemm_is_faster() && width % implicit_gemm_block() == 0 && rows >= 8 &&
         rows * width * other >= kSplitMinMacs;
}

int to_int(int64_t v) {
  return static_cast<int>(v);
}

// Rows [r0, r1), columns [c0, c1) of C = A B^T + bias, through CBLAS.
void blas_rows(const Tensor& A, const Tensor& B, const Tensor* bias, Tensor& C, int64_t r0,
               int64_t r1, int64_t c0, int64_t c1) {
  const int64_t K = A.dim(1), N = C.dim(1);
  float* y = C.data() + r0 * N + c0;
  for (int64_t i = 0; i < r1 - r0 && bias != nullptr; ++i) {
    std::copy(bias->begin() + c0, bias->begin() + c1, y + i * N);
  }
  gemm(Trans::No, Trans::Yes, to_int(r1 - r0), to_int(c1 - c0), to_int(K), 1.0f, A.data() + r0 * K,
       to_int(K), B.data() + c0 * K, to_int(K), bias ? 1.0f : 0.0f, y, to_int(N));
}

// Rows [r0, r1) of C = A B^T + bias through implicit_gemm_d_colt, in chunks of the depth: a
// chunk of B's rows stays in L2 while every block of rows of A goes by.
void own_rows(const Tensor& A, const Tensor& B, const Tensor* bias, Tensor& C, int64_t r0,
              int64_t r1, const int64_t* offsets) {
  constexpr int64_t kChunk = 1024;
  const int64_t K = A.dim(1), N = C.dim(1);
  float* y = C.data() + r0 * N;
  for (int64_t i = 0; i < r1 - r0; ++i) {
    if (bias != nullptr) {
      std::copy(bias->begin(), bias->end(), y + i * N);
    } else {
      std::fill(y + i * N, y + (i + 1) * N, 0.0f);
    }
  }
  for (int64_t q0 = 0; q0 < K; q0 += kChunk) {
    implicit_gemm_d_colt(r1 - r0, N, std::min(kChunk, K - q0), A.data() + r0 * K + q0, K, offsets,
                         B.data() + q0, y, N);
  }
}
}  // namespace

void matmul_transposed(const Tensor& A, const Tensor& B, const Tensor* bias, Tensor& C,
                       Workspace& ws) {
  const int64_t M = A.dim(0), K = A.dim(1), N = B.dim(0);
  C.resize(Shape{M, N});
  if (M < num_threads() && M * N * K >= kSplitMinMacs) {
    // Fewer rows than threads (single-image inference): split the columns, so that each
    // thread reads its own rows of B, which then stay in that core's cache.
    parallel_for(
        N, [&](int64_t c0, int64_t c1) { blas_rows(A, B, bias, C, 0, M, c0, c1); }, 1);
    return;
  }
  if (own_gemm(M, K, N)) {
    const int64_t* offsets = ws.row_offsets(N, K);
    parallel_for(
        M, [&](int64_t r0, int64_t r1) { own_rows(A, B, bias, C, r0, r1, offsets); },
        split_threshold(M, N, K));
    return;
  }
  parallel_for(
      M, [&](int64_t r0, int64_t r1) { blas_rows(A, B, bias, C, r0, r1, 0, N); },
      split_threshold(M, N, K));
}

void add_matmul_transposed_a(const Tensor& A, const Tensor& B, Tensor& C, Workspace& ws) {
  const int64_t K = A.dim(0), M = A.dim(1), N = B.dim(1);
  const int64_t split = split_threshold(K, M, N);
  if (own_gemm(K, N, M)) {
    // C += A^T B as implicit_gemm_add, A^T (M, K) read from a transposed copy and B from
    // row k's start (offset k * N), over pieces of whole column blocks of C.
    const int64_t block = implicit_gemm_block();
    float* at = ws.floats(Workspace::kTransposed, M * K);
    transpose(A.data(), K, M, 0, M, at);
    const int64_t* offsets = ws.row_offsets(std::max(K, M), N);
    parallel_for(
        N / block,
        [&](int64_t b0, int64_t b1) {
          implicit_gemm_add(M, K, (b1 - b0) * block, at, K, offsets, B.data() + b0 * block,
                            C.data() + b0 * block, N);
        },
        split);
    return;
  }
  // Columns [c0, c1) of C += A^T B[:, c0:c1].
  parallel_for(
      N,
      [&](int64_t c0, int64_t c1) {
        gemm(Trans::Yes, Trans::No, to_int(M), to_int(c1 - c0), to_int(K), 1.0f, A.data(),
             to_int(M), B.data() + c0, to_int(N), 1.0f, C.data() + c0, to_int(N));
      },
      split);
}

void matmul(const Tensor& A, const Tensor& B, Tensor& C, Workspace& ws) {
  const int64_t M = A.dim(0), K = A.dim(1), N = B.dim(1);
  C.resize(Shape{M, N});
  const int64_t split = split_threshold(M, K, N);
  if (own_gemm(M, N, K)) {
    const int64_t* offsets = ws.row_offsets(std::max(M, K), N);
    parallel_for(
        M,
        [&](int64_t r0, int64_t r1) {
          implicit_gemm(r1 - r0, K, N, A.data() + r0 * K, K, offsets, B.data(), nullptr,
                        C.data() + r0 * N, N);
        },
        split);
    return;
  }
  parallel_for(
      M,
      [&](int64_t r0, int64_t r1) {
        gemm(Trans::No, Trans::No, to_int(r1 - r0), to_int(N), to_int(K), 1.0f, A.data() + r0 * K,
             to_int(K), B.data(), to_int(N), 0.0f, C.data() + r0 * N, to_int(N));
      },
      split);
}

void add_column_sums(const Tensor& A, Tensor& sums) {
  const int64_t M = A.dim(0), N = A.dim(1);
  float* s = sums.data();
  for (int64_t i = 0; i < M; ++i) {
    const float* row = A.data() + i * N;
    for (int64_t j = 0; j < N; ++j) s[j] += row[j];
  }
}

}  // namespace nnzero
