// What recording a step's loss for curves.png costs: plot::RunCurves fed through
// TrainOptions::on_step, as nnzero train installs it (a std::function call, a store into
// reserved memory, a clock read to decide whether to redraw). docs/benchmarks.md compares it
// with the shortest training step, and what redrawing costs at an epoch's end.
//
//   build/bench/nnzero_kernels --benchmark_filter=run_curves
#include <benchmark/benchmark.h>

#include <filesystem>

#include "nnzero/plot/run_curves.h"
#include "nnzero/rng.h"

namespace {
constexpr int64_t kSteps = 5'000'000;

void run_curves_record(benchmark::State& state) {
  nnzero::TrainOptions options;
  // A folder that is never written: the benchmark ends long before the first redraw.
  nnzero::plot::RunCurves curves("/nonexistent/nnzero-bench-run", "bench", kSteps);
  curves.attach(options);
  int64_t step = 0;
  for (auto _ : state) options.on_step(++step, 0.25);
  benchmark::DoNotOptimize(curves.losses().data());
}
BENCHMARK(run_curves_record)->Iterations(kSteps);

// What writing loss.csv and curves.png costs for a run of `steps` steps (two_layer_net's book
// run: 10,000; a 100-epoch run of it: 60,000), which RunCurves does at most every 20 times
// that long.
void run_curves_update(benchmark::State& state) {
  const auto steps = static_cast<int64_t>(state.range(0));
  const std::string dir =
      (std::filesystem::temp_directory_path() / "nnzero-bench-run-curves").string();
  std::filesystem::create_directories(dir);
  nnzero::plot::RunCurves curves(dir, "bench", steps);
  nnzero::Rng rng(0);
  for (int64_t s = 1; s <= steps; ++s)
    curves.record(s, 2.3 / (1.0 + 0.01 * s) + 0.1 * rng.uniform());
  std::vector<nnzero::EpochMetrics> history;
  for (int64_t e = 1; e <= 17; ++e) history.push_back({e, 0.3, 0.9, 0.3, 0.9, 1.0});
  curves.update(history);
  for (auto _ : state) {
    curves.record(steps, 0.25);  // the last step again: something to write
    curves.flush();
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(run_curves_update)->Arg(10000)->Arg(60000)->Arg(600000)->Unit(benchmark::kMillisecond);
}  // namespace
