// One thread count for everything: OpenMP loops and OpenBLAS (built with OpenMP, so both
// use the same thread pool). `--threads N` on the command line sets it.
#pragma once

namespace nnzero {

void set_num_threads(int n);
int num_threads();

}  // namespace nnzero

namespace nnzero {
// Element-wise loops shorter than this run on one thread: below it, waking the thread pool
// costs more than the work.
inline constexpr long kParallelMinElements = 1 << 15;
}  // namespace nnzero
