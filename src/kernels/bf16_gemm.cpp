// C (float) = bf16(A) bf16(B)^T + bias, kernels/low_precision_gemm.h: B's packing, the
// AVX-512 BF16 kernel, the portable loops and the plain reference.
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <string>
#include <utility>
#include <vector>

#include "low_precision_split.h"
#include "nnzero/error.h"
#include "nnzero/half_types.h"
#include "nnzero/kernels/low_precision_gemm.h"

// The fast functions are compiled for AVX-512 BF16 whatever the build's -march, and run only
// where the CPU has it (cpu_has_bf16).
#define NNZERO_BF16 __attribute__((target("avx512f,avx512bf16")))

namespace nnzero {

namespace {

constexpr int kPanel = kLowPrecisionPanel;
// The register block: kRows rows of A x kPanels panels of B, 16 float accumulators of the 32
// vector registers (a step also holds kPanels blocks of B and a broadcast of A).
constexpr int kRows = 8, kPanels = 2;
// Steps of k (pairs) per block of k: 512 steps (1024 k) are 32 KiB of B per panel, and A's
// rows, rounded, 16 KiB on the stack.
constexpr int kMaxSteps = 512;

bool cpu_has_bf16() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bf16");
}

// The lanes of a panel that hold columns of C (or floats of a row): the first n of 16.
inline __mmask16 lanes(int n) {
  return n >= kPanel ? __mmask16{0xffff}
         : n <= 0    ? __mmask16{0}
                     : static_cast<__mmask16>((1u << n) - 1);
}

// Rows [m, m + R) of A, k in [k0, k1), rounded to bfloat16 into `a`, row r at a + r kMaxSteps
// (each pair of k one 32-bit word; an odd K's last pair ends with 0). vcvtne2ps2bf16 rounds
// 32 floats to nearest, ties to even, as float_to_bf16 does, but reads subnormals as zero, as
// vdpbf16ps would anyway.
// A is read once, from memory: the same columns of the rows kAhead further on (up to m_end)
// are prefetched into L2 as these are read, so that they have arrived when their turn comes.
// Without it this loop stalled on memory at large K; one block of rows ahead was too late.
constexpr int kAhead = 2 * kRows;
NNZERO_BF16 void round_rows(const float* A, int lda, int m, int R, int m_end, int k0, int k1,
                            uint32_t* a) {
  for (int r = 0; r < R; ++r) {
    const float* x = A + int64_t{m + r} * lda;
    const bool prefetch = m + kAhead + r < m_end;
    uint32_t* row = a + r * kMaxSteps;
    for (int k = k0; k < k1; k += 2 * kPanel) {
      if (prefetch) {
        _mm_prefetch(x + int64_t{kAhead} * lda + k, _MM_HINT_T1);
        _mm_prefetch(x + int64_t{kAhead} * lda + k + kPanel, _MM_HINT_T1);
      }
      const __m512 lo = _mm512_maskz_loadu_ps(lanes(k1 - k), x + k);
      const __m512 hi = _mm512_maskz_loadu_ps(lanes(k1 - k - kPanel), x + k + kPanel);
      _mm512_storeu_si512(row + (k - k0) / 2, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
    }
  }
}

// C[r][16 q + j], r < R, q < P, 16 q + j < cols: the sums over `steps` steps of k (a: the
// rounded rows, b: the block's first step), starting from C (`add`), from init (the bias at
// these columns) or from 0. vdpbf16ps adds to each lane's float the 2 products of its pair of
// bfloat16 with the broadcast's pair. R and P are template arguments so that the accumulators
// are registers.
template <int R, int P>
NNZERO_BF16 void bf16_block(const uint32_t* a, const Bf16Block* b, int panel_stride, int steps,
                            const float* init, bool add, float* C, int ldc, int cols) {
  __m512 acc[R][P];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int q = 0; q < P; ++q) {
      const __mmask16 mask = lanes(cols - q * kPanel);
      acc[r][q] = add               ? _mm512_maskz_loadu_ps(mask, C + r * ldc + q * kPanel)
                  : init != nullptr ? _mm512_maskz_loadu_ps(mask, init + q * kPanel)
                                    : _mm512_setzero_ps();
    }
  }
  for (int g = 0; g < steps; ++g) {
    __m512bh w[P];
#pragma GCC unroll 4
    for (int q = 0; q < P; ++q) w[q] = (__m512bh)_mm512_load_si512(b + q * panel_stride + g);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const __m512bh x = (__m512bh)_mm512_set1_epi32(static_cast<int>(a[r * kMaxSteps + g]));
#pragma GCC unroll 4
      for (int q = 0; q < P; ++q) acc[r][q] = _mm512_dpbf16_ps(acc[r][q], w[q], x);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int q = 0; q < P; ++q) {
      _mm512_mask_storeu_ps(C + r * ldc + q * kPanel, lanes(cols - q * kPanel), acc[r][q]);
    }
  }
}

// bf16_block<R, P> for every R <= kRows, P <= kPanels, at [R - 1][P - 1].
using Bf16BlockFn = void (*)(const uint32_t*, const Bf16Block*, int, int, const float*, bool,
                             float*, int, int);
template <int R, int... Q>
constexpr std::array<Bf16BlockFn, kPanels> bf16_row(std::integer_sequence<int, Q...>) {
  return {bf16_block<R, Q + 1>...};
}
template <int... R>
constexpr std::array<std::array<Bf16BlockFn, kPanels>, kRows> bf16_table(
    std::integer_sequence<int, R...>) {
  return {bf16_row<R + 1>(std::make_integer_sequence<int, kPanels>())...};
}
constexpr auto kBf16Blocks = bf16_table(std::make_integer_sequence<int, kRows>());

// Rows [m0, m1) x panels [p0, p1) of C, one block of k after the other: each block's slice
// of B stays in L2 while the rows of A go by, each block of rows rounded once for all panels.
void avx512_piece(const float* A, int lda, const PackedBf16& B, const float* bias, float* C,
                  int ldc, int m0, int m1, int p0, int p1) {
  alignas(64) uint32_t a[kRows * kMaxSteps];
  const int block = k_block_steps(B.steps, kMaxSteps);
  for (int g0 = 0; g0 < B.steps; g0 += block) {
    const int g1 = std::min(g0 + block, B.steps);
    for (int m = m0; m < m1; m += kRows) {
      const int rows = std::min(kRows, m1 - m);
      round_rows(A, lda, m, rows, m1, 2 * g0, std::min(2 * g1, B.K), a);
      for (int p = p0; p < p1; p += kPanels) {
        const int panels = std::min(kPanels, p1 - p);
        kBf16Blocks[rows - 1][panels - 1](a, &B.blocks[size_t(p) * B.steps + g0], B.steps, g1 - g0,
                                          bias != nullptr ? bias + p * kPanel : nullptr, g0 > 0,
                                          C + int64_t{m} * ldc + p * kPanel, ldc, B.N - p * kPanel);
      }
    }
  }
}

// The same products in plain loops over the packed B, summed in order of k (for a CPU without
// AVX-512 BF16; the compiler vectorizes the loop over the 16 lanes).
void portable_piece(const float* A, int lda, const PackedBf16& B, const float* bias, float* C,
                    int ldc, int m0, int m1, int p0, int p1) {
  std::vector<float> a(size_t(B.K));
  for (int m = m0; m < m1; ++m) {
    for (int k = 0; k < B.K; ++k) a[size_t(k)] = round_to_bf16(A[int64_t{m} * lda + k]);
    for (int p = p0; p < p1; ++p) {
      const Bf16Block* panel = &B.blocks[size_t(p) * B.steps];
      const int cols = std::min(kPanel, B.N - p * kPanel);
      float acc[kPanel] = {};
      if (bias != nullptr) std::copy(bias + p * kPanel, bias + p * kPanel + cols, acc);
      for (int k = 0; k < B.K; ++k) {
        const float x = a[size_t(k)];
        const Bf16Block& block = panel[k / 2];
        for (int j = 0; j < kPanel; ++j) acc[j] += x * bf16_to_float(block.b[j][k % 2]);
      }
      std::copy(acc, acc + cols, C + int64_t{m} * ldc + p * kPanel);
    }
  }
}

}  // namespace

LowPrecisionIsa best_bf16_isa() {
  static const LowPrecisionIsa best =
      cpu_has_bf16() ? LowPrecisionIsa::Avx512 : LowPrecisionIsa::Portable;
  return best;
}

const char* bf16_isa_name(LowPrecisionIsa isa) {
  return isa == LowPrecisionIsa::Avx512 ? "avx512-bf16" : "portable";
}

PackedBf16 pack_bf16(const float* B, int N, int K, int ldb) {
  if (N < 0 || K < 0) {
    throw Error("pack_bf16: B is (" + std::to_string(N) + ", " + std::to_string(K) + ")");
  }
  PackedBf16 out;
  out.N = N;
  out.K = K;
  out.steps = (K + 1) / 2;
  const int panels = (N + kPanel - 1) / kPanel;
  out.blocks.assign(size_t(panels) * out.steps, Bf16Block{});
  for (int n = 0; n < N; ++n) {
    for (int k = 0; k < K; ++k) {
      out.blocks[size_t(n / kPanel) * out.steps + k / 2].b[n % kPanel][k % 2] =
          float_to_bf16(B[int64_t{n} * ldb + k]);
    }
  }
  return out;
}

void gemm_bf16(const float* A, int M, int lda, const PackedBf16& B, const float* bias, float* C,
               int ldc, LowPrecisionIsa isa) {
  if (isa == LowPrecisionIsa::Avx512 && !cpu_has_bf16()) {
    throw Error("gemm_bf16: this CPU has no AVX-512 BF16");
  }
  if (B.K == 0) {  // no steps of k: the blocks below would write nothing
    for (int m = 0; m < M; ++m) {
      float* c = C + int64_t{m} * ldc;
      if (bias != nullptr) {
        std::copy_n(bias, B.N, c);
      } else {
        std::fill_n(c, B.N, 0.0f);
      }
    }
    return;
  }
  const int panels = (B.N + kPanel - 1) / kPanel;
  for_each_piece(M, panels, B.K, kRows, [&](int m0, int m1, int p0, int p1) {
    if (isa == LowPrecisionIsa::Avx512) {
      avx512_piece(A, lda, B, bias, C, ldc, m0, m1, p0, p1);
    } else {
      portable_piece(A, lda, B, bias, C, ldc, m0, m1, p0, p1);
    }
  });
}

void gemm_bf16_reference(const float* A, const float* B, const float* bias, int M, int N, int K,
                         int lda, int ldb, float* C, int ldc) {
  for (int m = 0; m < M; ++m) {
    for (int n = 0; n < N; ++n) {
      double sum = bias != nullptr ? bias[n] : 0.0;
      for (int k = 0; k < K; ++k) {
        sum +=
            double{round_to_bf16(A[int64_t{m} * lda + k])} * round_to_bf16(B[int64_t{n} * ldb + k]);
      }
      C[int64_t{m} * ldc + n] = static_cast<float>(sum);
    }
  }
}

}  // namespace nnzero
