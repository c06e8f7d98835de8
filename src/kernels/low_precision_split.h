// How int8_gemm.cpp and bf16_gemm.cpp split a product over the threads: by blocks of rows of
// A, or, with fewer such blocks than threads (M = 1: single-image inference), by panels of B,
// so that each thread reads its own part of B. Each element of C is computed by one thread in
// the same order whatever the split, so the results do not depend on the thread count.
#pragma once

#include <algorithm>
#include <cstdint>

#include "nnzero/kernels/low_precision_gemm.h"
#include "nnzero/parallel.h"

namespace nnzero {

// Products below this many multiply-adds stay on one thread: waking the pool costs more.
// matmul.cpp's threshold for float products. These kernels do 2-4 times the work per
// instruction, but a single row (M = 1) is bound by reading B, which two cores read in half
// the time: there a split pays from about this size on.
inline constexpr int64_t kLowPrecisionSplitMinMacs = int64_t{1} << 18;

// The steps along k (4 k for int8, 2 for bf16) per block of k, for `steps` in all: the fewest
// blocks of at most max_steps (a multiple of 16), made equal in multiples of 16, so that the
// last is not a sliver. Each block's slice of B stays in L2 while the rows of A go by.
inline int k_block_steps(int steps, int max_steps) {
  const int blocks = std::max(1, (steps + max_steps - 1) / max_steps);
  return ((steps + blocks - 1) / blocks + 15) / 16 * 16;
}

// Calls run(m0, m1, p0, p1) on pieces of rows [0, M) x panels [0, panels) that cover them
// once, each piece's rows starting at a multiple of `rows_per_block`.
template <class F>
void for_each_piece(int M, int panels, int K, int rows_per_block, F&& run) {
  const int64_t macs = int64_t{M} * panels * kLowPrecisionPanel * K;
  const int64_t min_items = macs >= kLowPrecisionSplitMinMacs ? 1 : kNeverSplit;
  const int row_blocks = (M + rows_per_block - 1) / rows_per_block;
  if (row_blocks >= num_threads()) {
    parallel_for(
        row_blocks,
        [&](int64_t b0, int64_t b1) {
          run(static_cast<int>(b0) * rows_per_block,
              std::min(M, static_cast<int>(b1) * rows_per_block), 0, panels);
        },
        min_items);
  } else {
    parallel_for(
        panels,
        [&](int64_t p0, int64_t p1) { run(0, M, static_cast<int>(p0), static_cast<int>(p1)); },
        min_items);
  }
}

}  // namespace nnzero
