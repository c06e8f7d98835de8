// Reduced-precision products (kernels/low_precision_gemm.h) against float32, in the shape of a
// linear layer's forward pass C (M, N) = A (M, K) B (N, K)^T, reporting items/s = multiply-adds
// per second (M N K per product):
//   lowp/fp32/M:../N:../K:../threads:T            nnzero::gemm (OpenBLAS sgemm, B transposed)
//   lowp/int8/.../threads:T/fast:F                gemm_u8s8s32 (B packed once, outside the loop)
//   lowp/bf16/.../threads:T/fast:F                gemm_bf16 (B packed once, A rounded inside)
// fast:1 is the CPU's best path (the label names it), fast:0 the portable loops. The shapes:
// M = 1000 (a batch) with N = 100, K = 4320 and N = 64, K = 576; and M = 1 (one input).
#include <cstdint>
#include <vector>

#include "kernels_support.h"
#include "nnzero/kernels/gemm.h"
#include "nnzero/kernels/low_precision_gemm.h"
#include "nnzero/parallel.h"

namespace nnzero::bench {

namespace {

struct Dims {
  int M, N, K;
};

// The shape from the arguments (M, N, K, threads[, fast]), with the thread count set.
Dims setup(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(3)));
  return {static_cast<int>(state.range(0)), static_cast<int>(state.range(1)),
          static_cast<int>(state.range(2))};
}

void finish(benchmark::State& state, const Dims& d, const char* label) {
  state.SetItemsProcessed(state.iterations() * int64_t{d.M} * d.N * d.K);
  state.SetLabel(label);
  set_num_threads(bench_threads());
}

// Bytes of A or B: uniform over the types' ranges, the same on every run.
std::vector<uint8_t> random_u8(int64_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<uint8_t> v(static_cast<size_t>(n));
  for (uint8_t& x : v) x = static_cast<uint8_t>(rng.below(256));
  return v;
}
std::vector<int8_t> random_s8(int64_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<int8_t> v(static_cast<size_t>(n));
  for (int8_t& x : v) x = static_cast<int8_t>(static_cast<int>(rng.below(255)) - 127);
  return v;
}

void lowp_fp32(benchmark::State& state) {
  const Dims d = setup(state);
  const Tensor A = random_tensor(Shape{d.M, d.K}, 1), B = random_tensor(Shape{d.N, d.K}, 2);
  Tensor C(Shape{d.M, d.N});
  for (auto _ : state) {
    gemm(Trans::No, Trans::Yes, d.M, d.N, d.K, 1.0f, A.data(), d.K, B.data(), d.K, 0.0f, C.data(),
         d.N);
    benchmark::DoNotOptimize(C.data());
    benchmark::ClobberMemory();
  }
  finish(state, d, "openblas sgemm");
}

void lowp_int8(benchmark::State& state) {
  const Dims d = setup(state);
  const LowPrecisionIsa isa = state.range(4) ? best_int8_isa() : LowPrecisionIsa::Portable;
  const std::vector<uint8_t> A = random_u8(int64_t{d.M} * d.K, 1);
  const PackedInt8 B = pack_int8(random_s8(int64_t{d.N} * d.K, 2).data(), d.N, d.K, d.K);
  std::vector<int32_t> C(static_cast<size_t>(d.M) * d.N);
  for (auto _ : state) {
    gemm_u8s8s32(A.data(), d.M, d.K, B, C.data(), d.N, isa);
    benchmark::DoNotOptimize(C.data());
    benchmark::ClobberMemory();
  }
  finish(state, d, int8_isa_name(isa));
}

void lowp_bf16(benchmark::State& state) {
  const Dims d = setup(state);
  const LowPrecisionIsa isa = state.range(4) ? best_bf16_isa() : LowPrecisionIsa::Portable;
  const Tensor A = random_tensor(Shape{d.M, d.K}, 1), W = random_tensor(Shape{d.N, d.K}, 2);
  const PackedBf16 B = pack_bf16(W.data(), d.N, d.K, d.K);
  Tensor C(Shape{d.M, d.N});
  for (auto _ : state) {
    gemm_bf16(A.data(), d.M, d.K, B, nullptr, C.data(), d.N, isa);
    benchmark::DoNotOptimize(C.data());
    benchmark::ClobberMemory();
  }
  finish(state, d, bf16_isa_name(isa));
}

constexpr Dims kShapes[] = {{1000, 100, 4320}, {1000, 64, 576}, {1, 100, 4320}};

void fp32_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"M", "N", "K", "threads"});
  for (const Dims& d : kShapes) {
    for (int threads : {1, 2}) b->Args({d.M, d.N, d.K, threads});
  }
}

// The fast path on 1 and 2 threads, the portable loops on 1.
void lowp_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"M", "N", "K", "threads", "fast"});
  for (const Dims& d : kShapes) {
    for (int threads : {1, 2}) b->Args({d.M, d.N, d.K, threads, 1});
    b->Args({d.M, d.N, d.K, 1, 0});
  }
}

BENCHMARK(lowp_fp32)->Name("lowp/fp32")->Apply(fp32_args)->UseRealTime();
BENCHMARK(lowp_int8)->Name("lowp/int8")->Apply(lowp_args)->UseRealTime();
BENCHMARK(lowp_bf16)->Name("lowp/bf16")->Apply(lowp_args)->UseRealTime();

}  // namespace

}  // namespace nnzero::bench
