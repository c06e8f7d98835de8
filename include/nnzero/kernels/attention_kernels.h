// The small products of causal attention (layers/causal_self_attention.h), written for the
// compiler to vectorise: a head's matrices are (T, T) and (T, hs) with T and hs of tens, too
// small for OpenBLAS to pay (and OpenBLAS called from inside a parallel loop contends for its
// buffers), and the causal mask leaves half of each product out.
#pragma once

#include <algorithm>
#include <cstdint>

namespace nnzero::attention_kernels {

// The sum of a[j] b[j] over j in [0, n), with 16 partial sums that stay in a vector register.
inline float dot(const float* __restrict a, const float* __restrict b, int64_t n) {
  constexpr int64_t kLanes = 16;
  float acc[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (int64_t l = 0; l < kLanes; ++l) acc[l] += a[j + l] * b[j + l];
  }
  float sum = 0.0f;
  for (; j < n; ++j) sum += a[j] * b[j];
  for (const float v : acc) sum += v;
  return sum;
}

// Rows [0, R) of a small product: C[r, c] = sum over p in [p0, p1) of A[r, p] B[p, c] for
// c in [0, cols), all three row-major with strides lda, ldb, ldc. The R x 32 (or R x 16) sums
// of a strip of columns stay in vector registers while p runs, each row of B read once for the
// R rows: a plain loop per output row instead would store and reload its sums at every p.
template <int R>
void product_rows(const float* __restrict A, int64_t lda, const float* __restrict B, int64_t ldb,
                  int64_t p0, int64_t p1, int64_t cols, float* __restrict C, int64_t ldc) {
  int64_t c0 = 0;
  for (; c0 + 32 <= cols; c0 += 32) {
    float acc[R][32] = {};
    for (int64_t p = p0; p < p1; ++p) {
      const float* b = B + p * ldb + c0;
      for (int r = 0; r < R; ++r) {
        const float a = A[r * lda + p];
        for (int k = 0; k < 32; ++k) acc[r][k] += a * b[k];
      }
    }
    for (int r = 0; r < R; ++r) std::copy(acc[r], acc[r] + 32, C + r * ldc + c0);
  }
  for (; c0 + 16 <= cols; c0 += 16) {
    float acc[R][16] = {};
    for (int64_t p = p0; p < p1; ++p) {
      const float* b = B + p * ldb + c0;
      for (int r = 0; r < R; ++r) {
        const float a = A[r * lda + p];
        for (int k = 0; k < 16; ++k) acc[r][k] += a * b[k];
      }
    }
    for (int r = 0; r < R; ++r) std::copy(acc[r], acc[r] + 16, C + r * ldc + c0);
  }
  for (; c0 < cols; ++c0) {
    for (int r = 0; r < R; ++r) {
      float sum = 0.0f;
      for (int64_t p = p0; p < p1; ++p) sum += A[r * lda + p] * B[p * ldb + c0];
      C[r * ldc + c0] = sum;
    }
  }
}

// The rows [p0, p1) of B that a block of rows reads, and the columns [0, cols) it writes.
struct Span {
  int64_t p0, p1, cols;
};

// The rows of a causal product go by in blocks of this many.
constexpr int64_t kBlock = 4;

// A causal product C (T, cols) = A (T, T or hs) B, kBlock rows at a time: for the rows
// [i0, i0 + kBlock), `range(i0, rows)` gives the p range and the columns [0, cols) that matter
// (the causal mask makes the rest zero or unused).
template <class Range>
void causal_product(int64_t T, const float* A, int64_t lda, const float* B, int64_t ldb, float* C,
                    int64_t ldc, Range range) {
  for (int64_t i0 = 0; i0 < T; i0 += kBlock) {
    const int64_t rows = std::min(kBlock, T - i0);
    const auto [p0, p1, cols] = range(i0, rows);
    const float* a = A + i0 * lda;
    float* c = C + i0 * ldc;
    switch (rows) {
      case 4:
        product_rows<4>(a, lda, B, ldb, p0, p1, cols, c, ldc);
        break;
      case 3:
        product_rows<3>(a, lda, B, ldb, p0, p1, cols, c, ldc);
        break;
      case 2:
        product_rows<2>(a, lda, B, ldb, p0, p1, cols, c, ldc);
        break;
      default:
        product_rows<1>(a, lda, B, ldb, p0, p1, cols, c, ldc);
        break;
    }
  }
}

// out (cols, rows) = in (rows, cols) transposed, in at stride ld_in.
inline void transpose(const float* __restrict in, int64_t ld_in, int64_t rows, int64_t cols,
                      float* __restrict out) {
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) out[c * rows + r] = in[r * ld_in + c];
  }
}

}  // namespace nnzero::attention_kernels
