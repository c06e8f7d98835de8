// Implicit GEMM: the convolution's matrix product without the im2col matrix.
//
// In the wide layout of kernels/im2col.h (stride 1), row k = (c, i, j) of the unfolded
// matrix is the padded image read from one offset on: col_wide[k, q] = xpad[offset[k] + q],
// offset[k] = c*Hp*Wp + i*Wp + j. So the product W col_wide can read xpad directly:
//
//   out[m, q] = init[m] + sum_k A[m, k] * src[offset[k] + q],   m < M, q < Q
//
// which is the same sum as im2col + GEMM without writing and re-reading the K x Q matrix
// (K = C*KH*KW copies of the image). Conv2d uses it for the forward pass (A = W, src = the
// padded input) and for dx, the "full" correlation of dout with the flipped kernel (A = the
// weights regrouped per input channel, src = dout with zero margins; see conv2d.cpp).
//
// The fast kernel works like a GEMM micro-kernel: with AVX-512 it keeps a block of 8 rows x
// 2 vectors of out in registers while it runs over k, loading two vectors of src and
// broadcasting 8 entries of A per step (4 rows with AVX or SSE, which have half as many
// registers). It computes whole blocks of implicit_gemm_block() columns, so out needs room
// for round_up(Q, implicit_gemm_block()) columns per row and src must be readable that far
// past every offset[k]; the extra columns get values the caller ignores.
#pragma once

#include <cstdint>

namespace nnzero {

// Columns per block of implicit_gemm: two vector registers (32 with AVX-512, 16 with AVX, 8
// with SSE).
int64_t implicit_gemm_block();
int64_t round_up_to_block(int64_t Q);

// A: M x K row-major (row stride lda); init: M values or nullptr for 0; out: row stride ldo.
void implicit_gemm(int64_t M, int64_t K, int64_t Q, const float* A, int64_t lda,
                   const int64_t* offset, const float* src, const float* init, float* out,
                   int64_t ldo);

// The same product added into out: out[m, q] += sum_k A[m, k] * src[offset[k] + q] (out
// read and written in the same whole blocks of columns).
void implicit_gemm_add(int64_t M, int64_t K, int64_t Q, const float* A, int64_t lda,
                       const int64_t* offset, const float* src, float* out, int64_t ldo);

// The weight gradient's product, two ways (Conv2d picks by shape, see conv2d.cpp).
//
// A matrix D (M x Q, row stride ldd) times col transposed:
//
//   acc[m, k] += sum_q D[m, q] * src[offset[k] + q],   m < M, k < K, q < Q
//
// With D = dout on the wide grid, acc is dW. The kernel keeps a 4 x 4 block of acc as
// vectors of partial sums over q (loading 4 vectors of D and 4 of src per step) and sums
// each across its lanes at the end: cheap when Q is long next to K. It reads exactly Q
// columns.
void implicit_gemm_d_colt(int64_t M, int64_t K, int64_t Q, const float* D, int64_t ldd,
                          const int64_t* offset, const float* src, float* acc, int64_t ldacc);

// col times a matrix B (Q x N, row stride ldb):
//
//   acc[k, n] += sum_q src[offset[k] + q] * B[q, n],   k < K, n < N, q < Q
//
// With B = dout transposed (positions x channels), acc is dW^T. The kernel vectorizes over
// n and keeps a block of rows of acc in registers while it runs over q (one vector of B
// loaded, one src value broadcast per row and step): no lane sums, but the caller
// transposes dout. It works on whole blocks: N must be a multiple of implicit_gemm_lanes(),
// and acc and offset need room for round_up_to_rows(K) rows (the extra offsets must be
// readable, e.g. 0; the extra rows of acc get sums the caller ignores).
int64_t implicit_gemm_lanes();        // floats per vector register: 16 (AVX-512), 8 (AVX), 4 (SSE)
int64_t round_up_to_rows(int64_t K);  // K rounded up to a multiple of 16
void implicit_gemm_col_b(int64_t K, int64_t N, int64_t Q, const int64_t* offset, const float* src,
                         const float* B, int64_t ldb, float* acc, int64_t ldacc);

// Plain loops over exactly the requested rows and columns: the oracles for the tests.
void implicit_gemm_reference(int64_t M, int64_t K, int64_t Q, const float* A, int64_t lda,
                             const int64_t* offset, const float* src, const float* init, float* out,
                             int64_t ldo);
void implicit_gemm_d_colt_reference(int64_t M, int64_t K, int64_t Q, const float* D, int64_t ldd,
                                    const int64_t* offset, const float* src, float* acc,
                                    int64_t ldacc);
void implicit_gemm_col_b_reference(int64_t K, int64_t N, int64_t Q, const int64_t* offset,
                                   const float* src, const float* B, int64_t ldb, float* acc,
                                   int64_t ldacc);

}  // namespace nnzero
