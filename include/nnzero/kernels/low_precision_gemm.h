// Reduced-precision matrix products in the shape of a linear layer's forward pass:
//
//   C (M, N) = A (M, K) B (N, K)^T,   C[m][n] = sum_k A[m][k] B[n][k]
//
// every row of A and of B contiguous along k (row strides lda, ldb), C row-major (row stride
// ldc). B is the weight matrix: packed once (pack_int8, pack_bf16) into the layout the fast
// loop reads, then used for any number of products.
//
// int8 (quantized inference): A unsigned bytes 0..255 (activations, with a zero point), B
// signed bytes -127..127 (symmetric weights), exact int32 sums. The fast path is AVX-512 VNNI's
// vpdpbusd: in each of 16 lanes, 4 products u8 x s8 added to an int32, without saturation.
// bfloat16: A and B rounded to bfloat16 (ties to even), the products summed in float32. The
// fast path is AVX-512 BF16's vdpbf16ps: in each of 16 lanes, 2 products bf16 x bf16 (exact
// in float32) added to a float32. It takes subnormal operands and sums (below 2^-126) as zero,
// where the portable loops keep them; otherwise the paths differ only in the order of the
// additions.
//
// The packed layout serves both instructions: B's rows are cut into panels of 16 (16 columns
// of C, zero rows past N), and each panel is a run of 64-byte blocks, one per step along k
// (4 k for int8, 2 for bf16; zeros past K): block[j] holds those k of B's row 16p + j, so one
// aligned load gives the 16 lanes their operands, and one 32-bit broadcast of A (4 bytes, or
// a pair of bfloat16) gives the other.
//
// The fast paths are chosen at run time from the CPU (a build without -march=native takes them
// too); both give results independent of the thread count. Each fast product has a plain
// _reference on the unpacked B beside it, the tests' oracle.
#pragma once

#include <cstdint>
#include <vector>

namespace nnzero {

// Which code computes a product: plain loops, or the AVX-512 instructions above.
enum class LowPrecisionIsa { Portable, Avx512 };

// The fastest this CPU runs: Avx512 where it has AVX-512 F and VNNI (int8) or BF16 (bf16).
LowPrecisionIsa best_int8_isa();
LowPrecisionIsa best_bf16_isa();
// "avx512-vnni" or "portable"; "avx512-bf16" or "portable".
const char* int8_isa_name(LowPrecisionIsa isa = best_int8_isa());
const char* bf16_isa_name(LowPrecisionIsa isa = best_bf16_isa());

inline constexpr int kLowPrecisionPanel = 16;  // rows of B (columns of C) per panel

// --- int8: C (int32) = A (uint8) B^T (int8) ---

// b[j][i] = B[16 p + j][4 g + i]: the 4 k of step g in panel p.
struct alignas(64) Int8Block {
  int8_t b[kLowPrecisionPanel][4];
};

struct PackedInt8 {
  int N = 0, K = 0;
  int steps = 0;                  // per panel: ceil(K / 4)
  std::vector<Int8Block> blocks;  // panel p's step g at [p * steps + g]
  std::vector<int32_t> row_sums;  // (N): sum_k B[n][k], for A's zero point: with A = a + z,
                                  // sum_k a[k] B[n][k] = C[m][n] - z row_sums[n]
};

// The largest K whose sums cannot overflow: K * 255 * 127 < 2^31.
inline constexpr int kMaxInt8K = 66311;

// B: (N, K), row stride ldb, values in -127..127 (-128, which makes the weights asymmetric, is
// refused, as is K > kMaxInt8K: both throw Error).
PackedInt8 pack_int8(const int8_t* B, int N, int K, int ldb);

// C (M, N) = A (M, K) B^T, exactly. A forced isa that this CPU lacks throws Error.
void gemm_u8s8s32(const uint8_t* A, int M, int lda, const PackedInt8& B, int32_t* C, int ldc,
                  LowPrecisionIsa isa = best_int8_isa());

// The same on the unpacked B: the plain triple loop.
void gemm_u8s8s32_reference(const uint8_t* A, const int8_t* B, int M, int N, int K, int lda,
                            int ldb, int32_t* C, int ldc);

// --- bfloat16: C (float) = bf16(A) bf16(B)^T + bias ---

// b[j][i] = bfloat16 bits of B[16 p + j][2 g + i]: the pair of k of step g in panel p.
struct alignas(64) Bf16Block {
  uint16_t b[kLowPrecisionPanel][2];
};

struct PackedBf16 {
  int N = 0, K = 0;
  int steps = 0;                  // per panel: ceil(K / 2)
  std::vector<Bf16Block> blocks;  // panel p's step g at [p * steps + g]
};

// B: (N, K), row stride ldb, rounded to bfloat16 (float_to_bf16).
PackedBf16 pack_bf16(const float* B, int N, int K, int ldb);

// C (M, N) = bf16(A) B^T + bias (bias: N values, or nullptr), summed in float32; A's values
// are rounded to bfloat16 as they are read. A forced isa that this CPU lacks throws Error.
void gemm_bf16(const float* A, int M, int lda, const PackedBf16& B, const float* bias, float* C,
               int ldc, LowPrecisionIsa isa = best_bf16_isa());

// The same on the unpacked B: the rounded operands' products summed in double, rounded once.
void gemm_bf16_reference(const float* A, const float* B, const float* bias, int M, int N, int K,
                         int lda, int ldb, float* C, int ldc);

}  // namespace nnzero
