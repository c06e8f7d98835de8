// main() of nnzero_kernels, the Google Benchmark kernels: picks OpenBLAS's best kernels for
// this CPU (as the nnzero command does), sets the thread count from $NNZERO_BENCH_THREADS
// (default 1), records both in the output's context, registers the benchmarks whose shapes
// come from the built-in models, and runs them.
//
//   build/bench/nnzero_kernels --benchmark_filter=gemm_peak
//   NNZERO_BENCH_THREADS=2 build/bench/nnzero_kernels --benchmark_filter='layer/deep_convnet'
//   build/bench/nnzero_kernels --benchmark_format=json > kernels.json
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "kernels_support.h"
#include "nnzero/error.h"
#include "nnzero/kernels/blas_setup.h"
#include "nnzero/parallel.h"

namespace nnzero::bench {

int bench_threads() {
  static const int threads = [] {
    const char* env = std::getenv("NNZERO_BENCH_THREADS");
    if (env == nullptr || *env == '\0') return 1;
    const int n = std::atoi(env);
    if (n < 1)
      throw Error("NNZERO_BENCH_THREADS must be a positive integer, got \"" + std::string(env) +
                  "\"");
    return n;
  }();
  return threads;
}

}  // namespace nnzero::bench

int main(int argc, char** argv) {
  nnzero::use_best_blas_kernels(argv);  // may re-execute with OPENBLAS_CORETYPE set
  nnzero::set_num_threads(nnzero::bench::bench_threads());
  benchmark::AddCustomContext("nnzero_threads", std::to_string(nnzero::bench::bench_threads()));
  benchmark::AddCustomContext("blas_core", nnzero::blas_core_name());
  nnzero::bench::register_gemm_benchmarks();
  nnzero::bench::register_im2col_benchmarks();
  nnzero::bench::register_layer_benchmarks();

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
