// One thread count for everything: OpenMP loops and OpenBLAS (built with OpenMP, so both
// use the same thread pool). `--threads N` on the command line sets it. Every parallel loop
// in nnzero goes through parallel_for or parallel_pieces below (no raw OpenMP pragmas in
// layers or data), so when and how work is split is decided here, in one place.
#pragma once

#include <omp.h>

#include <cstdint>
#include <limits>

namespace nnzero {

// Sets the thread count of OpenMP and OpenBLAS (at least 1). Throws when n threads do not fit
// in the process's address-space limit (see threads_that_fit).
void set_num_threads(int n);
int num_threads();
// The cores this process may run on (its CPU affinity), at least 1.
int available_cores();

// OpenBLAS reserves a buffer of this many bytes of address space for every thread that runs a
// product (plus the thread's stack); under an address-space limit (ulimit -v) too small for
// them it retries its allocation forever instead of failing.
inline constexpr int64_t kAddressSpacePerThread = int64_t{136} << 20;
// How many threads fit in `limit` bytes of address space of which `in_use` are taken, leaving
// a quarter of the rest for the program's data (a large number when there is no limit).
int threads_that_fit(int64_t limit, int64_t in_use);
// The process's own: its RLIMIT_AS and its current size.
int threads_that_fit();
// The default thread count: OpenMP's (OMP_NUM_THREADS, else the machine's), at most the cores
// this process may run on and the threads that fit (see above). The nnzero command starts
// with it; --threads N asks for N.
int default_threads();

// Element-wise loops shorter than this run on one thread: below it, waking the thread pool
// and leaving half of the data in the other core's cache cost more than the work
// (docs/benchmarks.md, "parallel loops").
inline constexpr int64_t kParallelMinElements = 1 << 17;
// A min_elements that never splits.
inline constexpr int64_t kNeverSplit = std::numeric_limits<int64_t>::max();

// The fewest items worth splitting over threads when each holds `elements_per_item`
// elements and a split pays from `min_elements` elements in all.
inline int64_t min_items(int64_t min_elements, int64_t elements_per_item) {
  return elements_per_item <= 0 ? kNeverSplit
                                : (min_elements + elements_per_item - 1) / elements_per_item;
}

// Calls f(thread, begin, end) on contiguous pieces of [0, n), one per thread, thread t
// taking the t-th piece (some may be empty when n < threads); or f(0, 0, n) once on the
// calling thread when n < min_elements, when there is only one element to hand out, when
// there is one thread, or when already inside a parallel region. The thread index selects
// per-thread scratch (Workspace::per_thread).
template <class F>
void parallel_pieces(int64_t n, F&& f, int64_t min_elements = kParallelMinElements) {
  if (n <= 1 || n < min_elements || omp_in_parallel() || omp_get_max_threads() == 1) {
    f(0, int64_t{0}, n);
    return;
  }
#pragma omp parallel
  {
    const int64_t t = omp_get_thread_num(), threads = omp_get_num_threads();
    f(static_cast<int>(t), n * t / threads, n * (t + 1) / threads);
  }
}

// Calls f(begin, end) on the pieces of parallel_pieces. Keep the loop in f simple (no
// calls, no branches on data) and the compiler vectorizes it; capture its pointers by value
// ([=]): captured by reference, each is reloaded after every store (the store might have
// changed it) and the loop stays scalar.
template <class F>
void parallel_for(int64_t n, F&& f, int64_t min_elements = kParallelMinElements) {
  parallel_pieces(
      n, [&f](int, int64_t begin, int64_t end) { f(begin, end); }, min_elements);
}

// Parallel loops started from the calling thread run on it alone (a helper thread, such as a
// data loader's, must not start a second team beside the pool's).
void run_loops_serially_on_this_thread();

// Runs f(thread) once on every thread of the pool (setting per-thread state).
template <class F>
void on_every_thread(F&& f) {
#pragma omp parallel
  f(omp_get_thread_num());
}

}  // namespace nnzero
