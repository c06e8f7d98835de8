// C (int32) = A (uint8) B^T (int8), kernels/low_precision_gemm.h: B's packing, the AVX-512
// VNNI kernel, the portable loops and the plain reference.
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "low_precision_split.h"
#include "nnzero/error.h"
#include "nnzero/kernels/low_precision_gemm.h"

// The fast functions are compiled for AVX-512 VNNI whatever the build's -march, and run only
// where the CPU has it (cpu_has_vnni).
#define NNZERO_VNNI __attribute__((target("avx512f,avx512vnni")))

namespace nnzero {

namespace {

constexpr int kPanel = kLowPrecisionPanel;
// The register block: kRows rows of A x kPanels panels of B, 16 int32 accumulators of the 32
// vector registers (a step also holds kPanels blocks of B and a broadcast of A).
constexpr int kRows = 8, kPanels = 2;
// Steps of k per block of k: 512 steps (2048 k) are 32 KiB of B per panel.
constexpr int kMaxSteps = 512;

bool cpu_has_vnni() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vnni");
}

// The `bytes` (1..4) bytes at p as a 32-bit word, the missing high bytes 0.
inline uint32_t load_word(const uint8_t* p, int bytes) {
  uint32_t w = 0;
  std::memcpy(&w, p, static_cast<size_t>(bytes));
  return w;
}

// The lanes of a panel that hold columns of C: the first `cols` of 16.
inline __mmask16 lanes(int cols) {
  return cols >= kPanel ? __mmask16{0xffff} : static_cast<__mmask16>((1u << cols) - 1);
}

// acc += in each lane, the 4 products of x's unsigned bytes with w's signed ones (vpdpbusd,
// exact: no saturation). Written in asm: around _mm512_dpbusd_epi32, GCC 12 copied every
// accumulator to another register and back at each step, and spilled two of them to memory.
NNZERO_VNNI __attribute__((always_inline)) inline void dpbusd(__m512i& acc, __m512i x, __m512i w) {
  __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(x), "v"(w));
}

// One step along k: acc[r][q] += A's 4 bytes of row r (broadcast) . B's block of panel q.
template <int R, int P>
NNZERO_VNNI __attribute__((always_inline)) inline void vnni_step(__m512i (&acc)[R][P],
                                                                 const uint8_t* a, int lda,
                                                                 int bytes, const Int8Block* b,
                                                                 int panel_stride) {
  __m512i w[P];
#pragma GCC unroll 4
  for (int q = 0; q < P; ++q) w[q] = _mm512_load_si512(b + q * panel_stride);
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    const __m512i x = _mm512_set1_epi32(static_cast<int>(load_word(a + r * lda, bytes)));
#pragma GCC unroll 4
    for (int q = 0; q < P; ++q) dpbusd(acc[r][q], x, w[q]);
  }
}

// C[r][16 q + j], r < R, q < P, 16 q + j < cols: the sums over `steps` whole steps of k (A and
// b at the block's first) and a last partial one of `tail` bytes, from 0 or (`add`) onto C.
// R and P are template arguments so that the accumulators are registers.
template <int R, int P>
NNZERO_VNNI void vnni_block(const uint8_t* A, int lda, const Int8Block* b, int panel_stride,
                            int steps, int tail, bool add, int32_t* C, int ldc, int cols) {
  __m512i acc[R][P];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int q = 0; q < P; ++q) {
      const int32_t* c = C + r * ldc + q * kPanel;
      acc[r][q] =
          add ? _mm512_maskz_loadu_epi32(lanes(cols - q * kPanel), c) : _mm512_setzero_si512();
    }
  }
  for (int g = 0; g < steps; ++g) vnni_step<R, P>(acc, A + 4 * g, lda, 4, b + g, panel_stride);
  if (tail > 0) vnni_step<R, P>(acc, A + 4 * steps, lda, tail, b + steps, panel_stride);
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int q = 0; q < P; ++q) {
      _mm512_mask_storeu_epi32(C + r * ldc + q * kPanel, lanes(cols - q * kPanel), acc[r][q]);
    }
  }
}

// vnni_block<R, P> for every R <= kRows, P <= kPanels, at [R - 1][P - 1].
using VnniBlock = void (*)(const uint8_t*, int, const Int8Block*, int, int, int, bool, int32_t*,
                           int, int);
template <int R, int... Q>
constexpr std::array<VnniBlock, kPanels> vnni_row(std::integer_sequence<int, Q...>) {
  return {vnni_block<R, Q + 1>...};
}
template <int... R>
constexpr std::array<std::array<VnniBlock, kPanels>, kRows> vnni_table(
    std::integer_sequence<int, R...>) {
  return {vnni_row<R + 1>(std::make_integer_sequence<int, kPanels>())...};
}
constexpr auto kVnniBlocks = vnni_table(std::make_integer_sequence<int, kRows>());

// Rows [m0, m1) x panels [p0, p1) of C, one block of k after the other: each block's slice
// of B stays in L2 while the rows of A go by.
void vnni_piece(const uint8_t* A, int lda, const PackedInt8& B, int32_t* C, int ldc, int m0, int m1,
                int p0, int p1) {
  const int whole = B.K / 4, tail = B.K % 4;  // whole steps, bytes of the last partial one
  const int block = k_block_steps(B.steps, kMaxSteps);
  for (int g0 = 0; g0 < B.steps; g0 += block) {
    const int g1 = std::min(g0 + block, whole);
    const int block_tail = g0 + block >= B.steps ? tail : 0;
    for (int m = m0; m < m1; m += kRows) {
      const int rows = std::min(kRows, m1 - m);
      for (int p = p0; p < p1; p += kPanels) {
        const int panels = std::min(kPanels, p1 - p);
        kVnniBlocks[rows - 1][panels - 1](
            A + int64_t{m} * lda + 4 * g0, lda, &B.blocks[size_t(p) * B.steps + g0], B.steps,
            g1 - g0, block_tail, g0 > 0, C + int64_t{m} * ldc + p * kPanel, ldc, B.N - p * kPanel);
      }
    }
  }
}

// The same sums in plain loops over the packed B, a step of 4 k at a time as vpdpbusd takes
// them (for a CPU without AVX-512 VNNI; the compiler vectorizes the loop over the 16 lanes).
void portable_piece(const uint8_t* A, int lda, const PackedInt8& B, int32_t* C, int ldc, int m0,
                    int m1, int p0, int p1) {
  std::vector<int32_t> a(size_t(B.steps) * 4);  // a row of A, with zeros past K
  for (int m = m0; m < m1; ++m) {
    std::copy_n(A + int64_t{m} * lda, B.K, a.begin());
    for (int p = p0; p < p1; ++p) {
      const Int8Block* panel = &B.blocks[size_t(p) * B.steps];
      int32_t acc[kPanel] = {};
      for (int g = 0; g < B.steps; ++g) {
        const int32_t* x = &a[size_t(g) * 4];
        const Int8Block& block = panel[g];
        for (int j = 0; j < kPanel; ++j) {
          acc[j] += x[0] * block.b[j][0] + x[1] * block.b[j][1] + x[2] * block.b[j][2] +
                    x[3] * block.b[j][3];
        }
      }
      const int cols = std::min(kPanel, B.N - p * kPanel);
      std::copy(acc, acc + cols, C + int64_t{m} * ldc + p * kPanel);
    }
  }
}

}  // namespace

LowPrecisionIsa best_int8_isa() {
  static const LowPrecisionIsa best =
      cpu_has_vnni() ? LowPrecisionIsa::Avx512 : LowPrecisionIsa::Portable;
  return best;
}

const char* int8_isa_name(LowPrecisionIsa isa) {
  return isa == LowPrecisionIsa::Avx512 ? "avx512-vnni" : "portable";
}

PackedInt8 pack_int8(const int8_t* B, int N, int K, int ldb) {
  if (N < 0 || K < 0 || K > kMaxInt8K) {
    throw Error("pack_int8: B is (" + std::to_string(N) + ", " + std::to_string(K) +
                "); K must lie in 0.." + std::to_string(kMaxInt8K) + " (int32 sums)");
  }
  PackedInt8 out;
  out.N = N;
  out.K = K;
  out.steps = (K + 3) / 4;
  const int panels = (N + kPanel - 1) / kPanel;
  out.blocks.assign(size_t(panels) * out.steps, Int8Block{});
  out.row_sums.assign(size_t(N), 0);
  for (int n = 0; n < N; ++n) {
    for (int k = 0; k < K; ++k) {
      const int8_t v = B[int64_t{n} * ldb + k];
      if (v == -128) {
        throw Error("pack_int8: B[" + std::to_string(n) + "][" + std::to_string(k) +
                    "] = -128; weights must lie in -127..127");
      }
      out.blocks[size_t(n / kPanel) * out.steps + k / 4].b[n % kPanel][k % 4] = v;
      out.row_sums[size_t(n)] += v;
    }
  }
  return out;
}

void gemm_u8s8s32(const uint8_t* A, int M, int lda, const PackedInt8& B, int32_t* C, int ldc,
                  LowPrecisionIsa isa) {
  if (isa == LowPrecisionIsa::Avx512 && !cpu_has_vnni()) {
    throw Error("gemm_u8s8s32: this CPU has no AVX-512 VNNI");
  }
  if (B.K == 0) {  // no steps of k: the blocks below would write nothing
    for (int m = 0; m < M; ++m) std::fill_n(C + int64_t{m} * ldc, B.N, 0);
    return;
  }
  const int panels = (B.N + kPanel - 1) / kPanel;
  for_each_piece(M, panels, B.K, kRows, [&](int m0, int m1, int p0, int p1) {
    if (isa == LowPrecisionIsa::Avx512) {
      vnni_piece(A, lda, B, C, ldc, m0, m1, p0, p1);
    } else {
      portable_piece(A, lda, B, C, ldc, m0, m1, p0, p1);
    }
  });
}

void gemm_u8s8s32_reference(const uint8_t* A, const int8_t* B, int M, int N, int K, int lda,
                            int ldb, int32_t* C, int ldc) {
  for (int m = 0; m < M; ++m) {
    for (int n = 0; n < N; ++n) {
      int32_t sum = 0;
      for (int k = 0; k < K; ++k) {
        sum += int32_t{A[int64_t{m} * lda + k]} * B[int64_t{n} * ldb + k];
      }
      C[int64_t{m} * ldc + n] = sum;
    }
  }
}

}  // namespace nnzero
