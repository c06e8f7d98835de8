// Helpers shared by the Google Benchmark kernels (bench/kernels_*.cpp).
//
// Counters: "flops" is a rate, shown as e.g. "flops=71.2G/s" = 71.2 GFLOP/s; "bytes" likewise
// in GB/s (10^9 bytes). Thread count: $NNZERO_BENCH_THREADS (default 1), set once in main;
// gemm_peak takes its own from its "threads" argument. Times are wall-clock (UseRealTime):
// with OpenMP, the main thread's CPU time would not be the time the work took.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>

#include "nnzero/rng.h"
#include "nnzero/tensor.h"

namespace nnzero::bench {

// The thread count the benchmarks run with ($NNZERO_BENCH_THREADS, default 1).
int bench_threads();

// A tensor of N(0, 1) values, the same on every run.
inline Tensor random_tensor(const Shape& shape, uint64_t seed = 1) {
  Tensor t(shape);
  Rng rng(seed);
  rng.fill_normal(t, 0.0f, 1.0f);
  return t;
}

// Rate counters: `per_iteration` FLOPs or bytes done by one iteration of the benchmark loop.
inline void set_flops(benchmark::State& state, double per_iteration) {
  state.counters["flops"] =
      benchmark::Counter(per_iteration, benchmark::Counter::kIsIterationInvariantRate);
}
inline void set_bytes(benchmark::State& state, double per_iteration) {
  state.counters["bytes"] =
      benchmark::Counter(per_iteration, benchmark::Counter::kIsIterationInvariantRate);
}

// Registration, called from main (the shapes come from the built-in models, known at run time).
void register_gemm_benchmarks();
void register_im2col_benchmarks();
void register_layer_benchmarks();

}  // namespace nnzero::bench
