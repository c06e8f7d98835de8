// One thread count for everything: OpenMP loops and OpenBLAS (built with OpenMP, so both
// use the same thread pool). `--threads N` on the command line sets it.
#pragma once

#include <omp.h>

#include <cstdint>

namespace nnzero {

void set_num_threads(int n);
int num_threads();

// Element-wise loops shorter than this run on one thread: below it, waking the thread pool
// (2.8 us for an empty parallel region on the 2-core AMD EPYC VM of docs/benchmarks.md) and
// leaving half of the data in the other core's cache cost more than the work. Split at 2^15,
// two_layer_net's SGD update of its 39200 first-layer weights held two threads to 430k-490k
// samples/s; whole, 510k-580k.
inline constexpr int64_t kParallelMinElements = 1 << 17;

// Calls f(begin, end) on contiguous pieces of [0, n), one per thread, or once on the calling
// thread when n < min_elements, when there is only one element to hand out, or when already
// inside a parallel region. Keep the loop in f
// simple (no calls, no branches on data) and the compiler vectorizes it; capture its
// pointers by value ([=]): captured by reference, each is reloaded after every store (the
// store might have changed it) and the loop stays scalar.
template <class F>
void parallel_for(int64_t n, F&& f, int64_t min_elements = kParallelMinElements) {
  if (n <= 1 || n < min_elements || omp_in_parallel() || omp_get_max_threads() == 1) {
    f(int64_t{0}, n);
    return;
  }
#pragma omp parallel
  {
    const int64_t t = omp_get_thread_num(), threads = omp_get_num_threads();
    f(n * t / threads, n * (t + 1) / threads);
  }
}

}  // namespace nnzero
