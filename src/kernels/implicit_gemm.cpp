#include "nnzero/kernels/implicit_gemm.h"

#include <cstring>

namespace nnzero {

namespace {

// The widest vector the build targets, through GCC's vector extensions (no intrinsics: the
// same code compiles to AVX-512, AVX or SSE).
// implicit_gemm's register block is kRows x kVecs vectors of accumulators: 16 of the 32
// AVX-512 registers, 8 of the 16 AVX or SSE ones (each step also holds kVecs loaded vectors
// and a broadcast). 8 x 3 on AVX-512 measured no faster than 8 x 2 (within the noise).
#if defined(__AVX512F__)
constexpr int kLanes = 16, kRows = 8, kVecs = 2;
#elif defined(__AVX__)
constexpr int kLanes = 8, kRows = 4, kVecs = 2;
#else
constexpr int kLanes = 4, kRows = 4, kVecs = 2;
#endif
using Vec = float __attribute__((vector_size(kLanes * sizeof(float))));

Vec load(const float* p) {
  Vec v;
  std::memcpy(&v, p, sizeof v);  // an unaligned vector load
  return v;
}

void store(float* p, Vec v) {
  std::memcpy(p, &v, sizeof v);
}

// Tells GCC that v is needed in a register here: it otherwise folds a vector's load into
// each multiply-add that uses it (d_colt_block then made 2 loads per multiply-add instead of
// 1/2).
void keep_in_register([[maybe_unused]] Vec& v) {
#if defined(__x86_64__)
  __asm__("" : "+v"(v));
#endif
}

// out[r, 0 .. kVecs*kLanes) for r < R: the register block, starting from init (kAdd: from
// out). R is a template argument so the accumulators are named registers, not an array in
// memory.
template <int R, bool kAdd = false>
void block(int64_t K, const float* A, int64_t lda, const int64_t* offset, const float* src,
           const float* init, float* out, int64_t ldo) {
  Vec acc[R][kVecs];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    const float v = init != nullptr ? init[r] : 0.0f;
#pragma GCC unroll 4
    for (int c = 0; c < kVecs; ++c) acc[r][c] = kAdd ? load(out + r * ldo + c * kLanes) : Vec{} + v;
  }
  for (int64_t k = 0; k < K; ++k) {
    const float* s = src + offset[k];
    Vec x[kVecs];
#pragma GCC unroll 4
    for (int c = 0; c < kVecs; ++c) {
      x[c] = load(s + c * kLanes);
      keep_in_register(x[c]);
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const float a = A[r * lda + k];
#pragma GCC unroll 4
      for (int c = 0; c < kVecs; ++c) acc[r][c] += a * x[c];
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int c = 0; c < kVecs; ++c) store(out + r * ldo + c * kLanes, acc[r][c]);
  }
}

using BlockFn = void (*)(int64_t, const float*, int64_t, const int64_t*, const float*, const float*,
                         float*, int64_t);
constexpr BlockFn kBlocks[9] = {nullptr,  block<1>, block<2>, block<3>, block<4>,
                                block<5>, block<6>, block<7>, block<8>};
constexpr BlockFn kAddBlocks[9] = {nullptr,        block<1, true>, block<2, true>,
                                   block<3, true>, block<4, true>, block<5, true>,
                                   block<6, true>, block<7, true>, block<8, true>};
static_assert(kRows <= 8);

// The first n < kLanes floats at p, the other lanes 0.
Vec load_partial(const float* p, int64_t n) {
  Vec v{};
  std::memcpy(&v, p, static_cast<size_t>(n) * sizeof(float));
  return v;
}

// Added as a tree (halves, quarters...): log2(kLanes) dependent adds, not kLanes. The
// one-channel first layers' weight gradient (K = 25 offsets) ends each image with 16 of
// these per 4 x 4 block; added one after the other, they were a large share of that layer's
// backward pass.
float lane_sum(Vec v) {
#if defined(__AVX512F__)
  using V8 = float __attribute__((vector_size(32)));
  using V4 = float __attribute__((vector_size(16)));
  const V8 h = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) +
               __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
  const V4 q =
      __builtin_shufflevector(h, h, 0, 1, 2, 3) + __builtin_shufflevector(h, h, 4, 5, 6, 7);
  return (q[0] + q[2]) + (q[1] + q[3]);
#else
  float s = 0.0f;
  for (int l = 0; l < kLanes; ++l) s += v[l];
  return s;
#endif
}

// acc[r, c] for r < R rows of D, c < C offsets: R x C dot products of length Q, each kept
// as a vector of kLanes partial sums and summed across lanes at the end.
template <int R, int C>
void d_colt_block(int64_t Q, const float* D, int64_t ldd, const int64_t* offset, const float* src,
                  float* acc, int64_t ldacc) {
  Vec sum[R][C] = {};
  const float* x[C];
#pragma GCC unroll 4
  for (int c = 0; c < C; ++c) x[c] = src + offset[c];
  const auto step = [&](int64_t q, auto load_at) {
    Vec d[R];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      d[r] = load_at(D + r * ldd + q);
      keep_in_register(d[r]);
    }
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) {
      Vec xc = load_at(x[c] + q);
      keep_in_register(xc);
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) sum[r][c] += d[r] * xc;
    }
  };
  int64_t q = 0;
  for (; q + kLanes <= Q; q += kLanes) step(q, [](const float* p) { return load(p); });
  if (q < Q) step(q, [n = Q - q](const float* p) { return load_partial(p, n); });
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) acc[r * ldacc + c] += lane_sum(sum[r][c]);
  }
}

constexpr int kDRows = 4, kDCols = 4;  // register block of d_colt: 16 accumulators

template <int R>
void d_colt_rows(int64_t K, int64_t Q, const float* D, int64_t ldd, const int64_t* offset,
                 const float* src, float* acc, int64_t ldacc) {
  using Fn =
      void (*)(int64_t, const float*, int64_t, const int64_t*, const float*, float*, int64_t);
  constexpr Fn kTail[kDCols] = {nullptr, d_colt_block<R, 1>, d_colt_block<R, 2>,
                                d_colt_block<R, 3>};
  int64_t k = 0;
  for (; k + kDCols <= K; k += kDCols) {
    d_colt_block<R, kDCols>(Q, D, ldd, offset + k, src, acc + k, ldacc);
  }
  if (k < K) kTail[K - k](Q, D, ldd, offset + k, src, acc + k, ldacc);
}

// acc[r, v-th vector] for r < R, v < NV: a block of R rows x NV vectors of acc (k, n).
template <int R, int NV>
void col_b_block(int64_t Q, const int64_t* offset, const float* src, const float* B, int64_t ldb,
                 float* acc, int64_t ldacc) {
  Vec sum[R][NV];
  const float* row[R];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    row[r] = src + offset[r];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) sum[r][v] = load(acc + r * ldacc + v * kLanes);
  }
  for (int64_t q = 0; q < Q; ++q) {
    Vec b[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      b[v] = load(B + q * ldb + v * kLanes);
      keep_in_register(b[v]);
    }
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const float x = row[r][q];
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) sum[r][v] += x * b[v];
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) store(acc + r * ldacc + v * kLanes, sum[r][v]);
  }
}

// Rows per block for NV vectors per row: about 16 accumulators, R dividing 16.
template <int NV>
constexpr int kColBRows = NV == 1   ? 16
                          : NV == 2 ? 8
                                    : 4;

template <int NV>
void col_b_columns(int64_t K, int64_t Q, const int64_t* offset, const float* src, const float* B,
                   int64_t ldb, float* acc, int64_t ldacc) {
  constexpr int R = kColBRows<NV>;
  for (int64_t k = 0; k < K; k += R) {
    col_b_block<R, NV>(Q, offset + k, src, B, ldb, acc + k * ldacc, ldacc);
  }
}

}  // namespace

int64_t implicit_gemm_lanes() {
  return kLanes;
}

int64_t round_up_to_rows(int64_t K) {
  return (K + 15) / 16 * 16;
}

void implicit_gemm_col_b(int64_t K, int64_t N, int64_t Q, const int64_t* offset, const float* src,
                         const float* B, int64_t ldb, float* acc, int64_t ldacc) {
  using Fn = void (*)(int64_t, int64_t, const int64_t*, const float*, const float*, int64_t, float*,
                      int64_t);
  constexpr Fn kChunk[5] = {nullptr, col_b_columns<1>, col_b_columns<2>, col_b_columns<3>,
                            col_b_columns<4>};
  // Columns in chunks of up to four vectors; each chunk sweeps all rows of acc.
  for (int64_t n = 0; n < N; n += 4 * kLanes) {
    const int64_t vectors = (N - n) / kLanes < 4 ? (N - n) / kLanes : 4;
    kChunk[vectors](K, Q, offset, src, B + n, ldb, acc + n, ldacc);
  }
}

void implicit_gemm_d_colt(int64_t M, int64_t K, int64_t Q, const float* D, int64_t ldd,
                          const int64_t* offset, const float* src, float* acc, int64_t ldacc) {
  using Fn = void (*)(int64_t, int64_t, const float*, int64_t, const int64_t*, const float*, float*,
                      int64_t);
  constexpr Fn kTail[kDRows] = {nullptr, d_colt_rows<1>, d_colt_rows<2>, d_colt_rows<3>};
  int64_t m = 0;
  for (; m + kDRows <= M; m += kDRows) {
    d_colt_rows<kDRows>(K, Q, D + m * ldd, ldd, offset, src, acc + m * ldacc, ldacc);
  }
  if (m < M) kTail[M - m](K, Q, D + m * ldd, ldd, offset, src, acc + m * ldacc, ldacc);
}

void implicit_gemm_col_b_reference(int64_t K, int64_t N, int64_t Q, const int64_t* offset,
                                   const float* src, const float* B, int64_t ldb, float* acc,
                                   int64_t ldacc) {
  for (int64_t k = 0; k < K; ++k) {
    for (int64_t n = 0; n < N; ++n) {
      float sum = acc[k * ldacc + n];
      for (int64_t q = 0; q < Q; ++q) sum += src[offset[k] + q] * B[q * ldb + n];
      acc[k * ldacc + n] = sum;
    }
  }
}

void implicit_gemm_d_colt_reference(int64_t M, int64_t K, int64_t Q, const float* D, int64_t ldd,
                                    const int64_t* offset, const float* src, float* acc,
                                    int64_t ldacc) {
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t k = 0; k < K; ++k) {
      float sum = acc[m * ldacc + k];
      for (int64_t q = 0; q < Q; ++q) sum += D[m * ldd + q] * src[offset[k] + q];
      acc[m * ldacc + k] = sum;
    }
  }
}

int64_t implicit_gemm_block() {
  return kVecs * kLanes;
}

int64_t round_up_to_block(int64_t Q) {
  const int64_t b = implicit_gemm_block();
  return (Q + b - 1) / b * b;
}

namespace {
void implicit_gemm_blocks(const BlockFn* blocks, int64_t M, int64_t K, int64_t Q, const float* A,
                          int64_t lda, const int64_t* offset, const float* src, const float* init,
                          float* out, int64_t ldo) {
  // Rows in the outer loop: a block of rows of A (kRows x K) stays in L1 while the columns
  // sweep the source image.
  for (int64_t m = 0; m < M; m += kRows) {
    const int64_t rows = M - m < kRows ? M - m : kRows;
    const BlockFn fn = blocks[rows];
    const float* a = A + m * lda;
    const float* in = init != nullptr ? init + m : nullptr;
    for (int64_t q = 0; q < Q; q += kVecs * kLanes)
      fn(K, a, lda, offset, src + q, in, out + m * ldo + q, ldo);
  }
}
}  // namespace

void implicit_gemm(int64_t M, int64_t K, int64_t Q, const float* A, int64_t lda,
                   const int64_t* offset, const float* src, const float* init, float* out,
                   int64_t ldo) {
  implicit_gemm_blocks(kBlocks, M, K, Q, A, lda, offset, src, init, out, ldo);
}

void implicit_gemm_add(int64_t M, int64_t K, int64_t Q, const float* A, int64_t lda,
                       const int64_t* offset, const float* src, float* out, int64_t ldo) {
  implicit_gemm_blocks(kAddBlocks, M, K, Q, A, lda, offset, src, nullptr, out, ldo);
}

void implicit_gemm_reference(int64_t M, int64_t K, int64_t Q, const float* A, int64_t lda,
                             const int64_t* offset, const float* src, const float* init, float* out,
                             int64_t ldo) {
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t q = 0; q < Q; ++q) {
      float sum = init != nullptr ? init[m] : 0.0f;
      for (int64_t k = 0; k < K; ++k) sum += A[m * lda + k] * src[offset[k] + q];
      out[m * ldo + q] = sum;
    }
  }
}

}  // namespace nnzero
