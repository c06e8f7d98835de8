#include "nnzero/kernels/sparse_rows.h"

#include <algorithm>
#include <cstring>
#include <type_traits>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "nnzero/tensor.h"

namespace nnzero {

namespace {

// The widest vector the build targets, through GCC's vector extensions (as implicit_gemm.cpp).
#if defined(__AVX512F__)
constexpr int kLanes = 16;
#elif defined(__AVX__)
constexpr int kLanes = 8;
#else
constexpr int kLanes = 4;
#endif
using Vec = float __attribute__((vector_size(kLanes * sizeof(float))));

Vec load(const float* p) {
  Vec v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

void store(float* p, Vec v) {
  std::memcpy(p, &v, sizeof v);
}

// W -> W^T and back, in 8 x 8 blocks held in registers (element by element, the transposes
// took as long as the sparse products themselves).
using V8f = float __attribute__((vector_size(32)));

// dst[c * ldd + r] = src[r * lds + c] for r, c < 8 (kAdd: += instead of =).
template <bool kAdd>
void transpose8x8(const float* src, int64_t lds, float* dst, int64_t ldd) {
  V8f r[8], t[8], u[8];
  for (int i = 0; i < 8; ++i) std::memcpy(&r[i], src + i * lds, sizeof(V8f));
  // Interleave row pairs: t[2i] = (r0[0], r1[0], r0[1], r1[1], r0[4], r1[4], r0[5], r1[5]).
  for (int i = 0; i < 8; i += 2) {
    t[i] = __builtin_shufflevector(r[i], r[i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
    t[i + 1] = __builtin_shufflevector(r[i], r[i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
  }
  // Pairs of pairs: u[0] = (r0[0], r1[0], r2[0], r3[0], r0[4], r1[4], r2[4], r3[4]), and so on.
  for (int h = 0; h < 8; h += 4) {
    u[h] = __builtin_shufflevector(t[h], t[h + 2], 0, 1, 8, 9, 4, 5, 12, 13);
    u[h + 1] = __builtin_shufflevector(t[h], t[h + 2], 2, 3, 10, 11, 6, 7, 14, 15);
    u[h + 2] = __builtin_shufflevector(t[h + 1], t[h + 3], 0, 1, 8, 9, 4, 5, 12, 13);
    u[h + 3] = __builtin_shufflevector(t[h + 1], t[h + 3], 2, 3, 10, 11, 6, 7, 14, 15);
  }
  // Halves of rows 0-3 and 4-7: the columns.
  for (int c = 0; c < 4; ++c) {
    V8f col[2] = {__builtin_shufflevector(u[c], u[c + 4], 0, 1, 2, 3, 8, 9, 10, 11),
                  __builtin_shufflevector(u[c], u[c + 4], 4, 5, 6, 7, 12, 13, 14, 15)};
    for (int half = 0; half < 2; ++half) {
      float* d = dst + (c + 4 * half) * ldd;
      if constexpr (kAdd) {
        V8f old;
        std::memcpy(&old, d, sizeof old);
        col[half] += old;
      }
      std::memcpy(d, &col[half], sizeof(V8f));
    }
  }
}

// Output features per pass of the products: up to 4 vectors, held in registers.
constexpr int kMaxVecs = 4;

// acc[i * lda + 0 .. V*kLanes) += v * w[0 .. V*kLanes) for column k's entries (i, v) of x:
// its part of out = x W^T, w being row k of W^T (kept in registers).
template <int V>
void add_column(const int32_t* row, const float* value, int64_t count, const float* w, float* acc,
                int64_t lda) {
  Vec wv[V];
  for (int c = 0; c < V; ++c) wv[c] = load(w + c * kLanes);
  for (int64_t e = 0; e < count; ++e) {
    float* a = acc + row[e] * lda;
    const float v = value[e];
    for (int c = 0; c < V; ++c) store(a + c * kLanes, load(a + c * kLanes) + v * wv[c]);
  }
}

// t[0 .. V*kLanes) = sum over the entries (r, v) of v * m[r * ldm + 0 .. V*kLanes), summed in
// registers (even and odd entries apart, so that consecutive multiply-adds do not wait for
// each other). Over column k's entries (i, v) with m = dout, row k of dW^T = x^T dout; over
// row i's entries (k, v) with m = W^T, row i of x W^T.
template <int V>
void weighted_sum_of_rows(const int32_t* row, const float* value, int64_t count, const float* d,
                          int64_t ldd, float* t) {
  Vec even[V] = {}, odd[V] = {};
  int64_t e = 0;
  for (; e + 1 < count; e += 2) {
    const float* d0 = d + row[e] * ldd;
    const float* d1 = d + row[e + 1] * ldd;
    for (int c = 0; c < V; ++c) {
      even[c] += value[e] * load(d0 + c * kLanes);
      odd[c] += value[e + 1] * load(d1 + c * kLanes);
    }
  }
  if (e < count) {
    const float* d0 = d + row[e] * ldd;
    for (int c = 0; c < V; ++c) even[c] += value[e] * load(d0 + c * kLanes);
  }
  for (int c = 0; c < V; ++c) store(t + c * kLanes, even[c] + odd[c]);
}

// dW[j, k] += t[k * ldt + j - j0] for j in [j0, j1), k < cols (dW: row stride cols).
void add_transposed(const float* t, int64_t ldt, int64_t j0, int64_t j1, int64_t cols, float* dW) {
  const int64_t j8 = j0 + (j1 - j0) / 8 * 8, k8 = cols / 8 * 8;
  for (int64_t k = 0; k < k8; k += 8) {
    for (int64_t j = j0; j < j8; j += 8) {
      transpose8x8<true>(t + k * ldt + (j - j0), ldt, dW + j * cols + k, cols);
    }
  }
  for (int64_t j = j0; j < j1; ++j) {
    for (int64_t k = j < j8 ? k8 : 0; k < cols; ++k) dW[j * cols + k] += t[k * ldt + (j - j0)];
  }
}

}  // namespace

void SparseRows::resize(int64_t r, int64_t c) {
  rows = r;
  cols = c;
  const auto size = static_cast<size_t>(r * c);
  if (column.size() < size) {
    column.resize(size);
    value.resize(size);
  }
  count.resize(static_cast<size_t>(r));
}

int64_t SparseRows::nonzeros() const {
  int64_t n = 0;
  for (int64_t i = 0; i < rows; ++i) n += count[static_cast<size_t>(i)];
  return n;
}

int64_t count_nonzeros(const float* x, int64_t n) {
  int64_t count = 0;
  for (int64_t i = 0; i < n; ++i) count += x[i] != 0.0f;
  return count;
}

void transpose(const float* x, int64_t rows, int64_t cols, int64_t k0, int64_t k1, float* xt) {
  const int64_t i8 = rows / 8 * 8, k8 = k0 + (k1 - k0) / 8 * 8;
  for (int64_t i = 0; i < i8; i += 8) {
    for (int64_t k = k0; k < k8; k += 8) {
      transpose8x8<false>(x + i * cols + k, cols, xt + k * rows + i, rows);
    }
  }
  for (int64_t k = k0; k < k1; ++k) {
    for (int64_t i = k < k8 ? i8 : 0; i < rows; ++i) xt[k * rows + i] = x[i * cols + k];
  }
}

void compress_rows(const float* x, int64_t r0, int64_t r1, SparseRows& s) {
  const int64_t cols = s.cols;
  for (int64_t i = r0; i < r1; ++i) {
    const float* row = x + i * cols;
    int32_t* column = s.column.data() + i * cols;
    float* value = s.value.data() + i * cols;
    int32_t n = 0;
    int64_t k = 0;
#if defined(__AVX512F__)
    // 16 at a time: the nonzero lanes' values and columns stored side by side (AVX-512's
    // compress store; GCC's vector extensions have no equivalent).
    __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (; k + 16 <= cols; k += 16, lanes = _mm512_add_epi32(lanes, _mm512_set1_epi32(16))) {
      const __m512 v = _mm512_loadu_ps(row + k);
      const __mmask16 nonzero = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_NEQ_UQ);
      if (nonzero == 0) continue;
      _mm512_storeu_ps(value + n, _mm512_maskz_compress_ps(nonzero, v));
      _mm512_storeu_si512(column + n, _mm512_maskz_compress_epi32(nonzero, lanes));
      n += __builtin_popcount(nonzero);
    }
    if (k < cols) {  // the last cols - k < 16: a masked load, and stores of the nonzeros only
      const auto tail = static_cast<__mmask16>((1u << (cols - k)) - 1);
      const __m512 v = _mm512_maskz_loadu_ps(tail, row + k);
      const __mmask16 nonzero = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_NEQ_UQ) & tail;
      _mm512_mask_compressstoreu_ps(value + n, nonzero, v);
      _mm512_mask_compressstoreu_epi32(column + n, nonzero, lanes);
      n += __builtin_popcount(nonzero);
      k = cols;
    }
#endif
    // Branch-free: every element is written at the next free place, which only moves on
    // past a nonzero (zeros and nonzeros come in runs no branch predictor follows).
    for (; k < cols; ++k) {
      column[n] = static_cast<int32_t>(k);
      value[n] = row[k];
      n += row[k] != 0.0f;
    }
    s.count[static_cast<size_t>(i)] = n;
  }
}

int64_t sparse_padded_width(int64_t out) {
  return (out + kLanes - 1) / kLanes * kLanes;
}

int64_t sparse_vector_width() {
  return kLanes;
}

void transpose_padded(const float* W, int64_t out, int64_t cols, int64_t c0, int64_t c1,
                      float* panel) {
  const int64_t ld = c1 - c0;
  const int64_t j1 = std::min(c1, out), j8 = c0 + std::max<int64_t>(0, j1 - c0) / 8 * 8;
  const int64_t k8 = cols / 8 * 8;
  for (int64_t k = 0; k < k8; k += 8) {
    for (int64_t j = c0; j < j8; j += 8) {
      transpose8x8<false>(W + j * cols + k, cols, panel + k * ld + (j - c0), ld);
    }
  }
  for (int64_t k = 0; k < cols; ++k) {
    float* row = panel + k * ld;  // row[j - c0] for j in [c0, c1)
    for (int64_t j = k < k8 ? j8 : c0; j < j1; ++j) row[j - c0] = W[j * cols + k];
    for (int64_t j = std::max(c0, out); j < c1; ++j) row[j - c0] = 0.0f;
  }
}

// Chunks of up to kMaxVecs vectors of output features, each one pass over the entries:
// f(j0, V) with the chunk's vector count V as a compile-time constant (the kernels' template
// argument, so their accumulators are registers).
template <class F>
void for_each_chunk(int64_t width, F&& f) {
  for (int64_t j0 = 0; j0 < width; j0 += kMaxVecs * kLanes) {
    switch (std::min<int64_t>(kMaxVecs, (width - j0) / kLanes)) {
      case 1:
        f(j0, std::integral_constant<int, 1>{});
        break;
      case 2:
        f(j0, std::integral_constant<int, 2>{});
        break;
      case 3:
        f(j0, std::integral_constant<int, 3>{});
        break;
      default:
        f(j0, std::integral_constant<int, kMaxVecs>{});
        break;
    }
  }
}

void sparse_times_transposed(const SparseRows& x, const float* wt, int64_t out, const float* bias,
                             float* y) {
  const int64_t width = sparse_padded_width(out);
  alignas(64) float acc[kMaxVecs * kLanes];
  for (int64_t i = 0; i < x.rows; ++i) {
    const SparseRows::Row r = x.row(i);
    for_each_chunk(width, [&](int64_t j0, auto vecs) {
      constexpr int V = decltype(vecs)::value;
      weighted_sum_of_rows<V>(r.column, r.value, r.count, wt + j0, width, acc);
      float* yi = y + i * out;
      for (int64_t j = j0; j < std::min(out, j0 + V * kLanes); ++j) {
        yi[j] = acc[j - j0] + (bias != nullptr ? bias[j] : 0.0f);
      }
    });
  }
}

void sparse_columns_times_transposed(const SparseRows& xt, const float* wt, int64_t out,
                                     const float* bias, float* acc, float* y) {
  const int64_t n = xt.cols, width = sparse_padded_width(out);
  // out, padded: each row gathers its entries' rows of W^T (25.6 KB for 100 rows and 64
  // features: in L1).
  for (int64_t i = 0; i < n; ++i) {
    float* a = acc + i * width;
    for (int64_t j = 0; j < width; ++j) a[j] = bias != nullptr && j < out ? bias[j] : 0.0f;
  }
  for_each_chunk(width, [&](int64_t j0, auto vecs) {
    constexpr int V = decltype(vecs)::value;
    for (int64_t k = 0; k < xt.rows; ++k) {
      const SparseRows::Row c = xt.row(k);  // column k of x: its rows i and values
      add_column<V>(c.column, c.value, c.count, wt + k * width + j0, acc + j0, width);
    }
  });
  for (int64_t i = 0; i < n; ++i) std::copy(acc + i * width, acc + i * width + out, y + i * out);
}

void sparse_transposed_times(const SparseRows& xt, int64_t c0, int64_t c1, const float* dout_padded,
                             int64_t out, float* t, float* dW) {
  const int64_t ldd = sparse_padded_width(out), width = c1 - c0;
  if (c0 >= out) return;
  // This piece of dW^T, (in, width), row by row, then added into dW transposed.
  for_each_chunk(width, [&](int64_t j0, auto vecs) {
    constexpr int V = decltype(vecs)::value;
    for (int64_t k = 0; k < xt.rows; ++k) {
      const SparseRows::Row c = xt.row(k);  // column k of x: its rows i and values
      weighted_sum_of_rows<V>(c.column, c.value, c.count, dout_padded + c0 + j0, ldd,
                              t + k * width + j0);
    }
  });
  add_transposed(t, width, c0, std::min(c1, out), xt.rows, dW);
}

}  // namespace nnzero
