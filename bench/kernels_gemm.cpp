// GEMM benchmarks (nnzero::gemm, i.e. OpenBLAS sgemm), reporting FLOP/s:
//   gemm_peak/n:1024/threads:T  a large square product C = A B, the machine's float32 peak
//                               as docs/benchmarks.md quotes it (T = 1 and 2);
//   gemm/MODEL/LAYER/PASS/...   every product a training step of two_layer_net,
//                               simple_convnet and deep_convnet makes, in the shapes and
//                               transposes the layers use (batch 100; a convolution's products
//                               are per image, on the padded-width "wide" grid for stride 1).
// FLOPs are 2 M N K per product, the wide grid's dropped columns included.
#include <memory>
#include <string>
#include <vector>

#include "kernels_support.h"
#include "nnzero/kernels/gemm.h"
#include "nnzero/layers/conv2d.h"
#include "nnzero/layers/linear.h"
#include "nnzero/model/builtin.h"
#include "nnzero/model/sequential.h"
#include "nnzero/parallel.h"

namespace nnzero::bench {

namespace {

constexpr int64_t kBatch = 100;

struct GemmShape {
  std::string name;  // "gemm/deep_convnet/2.conv2d/dW"
  Trans ta, tb;
  int M, N, K;
  float beta;  // 1: accumulates into C (bias already there, or dW +=)
};

// One C = op(A) op(B) + beta C on row-major matrices, timed in a loop.
void run_gemm(benchmark::State& state, const GemmShape& s) {
  const int lda = s.ta == Trans::No ? s.K : s.M;
  const int ldb = s.tb == Trans::No ? s.N : s.K;
  const Tensor A = random_tensor(Shape{s.M, s.K}, 1);
  const Tensor B = random_tensor(Shape{s.K, s.N}, 2);
  Tensor C(Shape{s.M, s.N});
  for (auto _ : state) {
    gemm(s.ta, s.tb, s.M, s.N, s.K, 1.0f, A.data(), lda, B.data(), ldb, s.beta, C.data(), s.N);
    benchmark::DoNotOptimize(C.data());
    benchmark::ClobberMemory();
  }
  set_flops(state, 2.0 * s.M * s.N * s.K);
  state.SetLabel(std::string(s.ta == Trans::No ? "N" : "T") + (s.tb == Trans::No ? "N" : "T") +
                 " M=" + std::to_string(s.M) + " N=" + std::to_string(s.N) +
                 " K=" + std::to_string(s.K));
}

// The products of one training step of a built-in model, layer by layer.
std::vector<GemmShape> model_gemms(const std::string& model_name) {
  Rng rng(0);
  Sequential model(builtin_spec(model_name), rng);
  std::vector<GemmShape> out;
  for (size_t i = 0; i < model.size(); ++i) {
    Layer& layer = model.layer(i);
    const std::string prefix =
        "gemm/" + model_name + "/" + std::to_string(i) + "." + layer.type() + "/";
    auto add = [&](const char* pass, Trans ta, Trans tb, int64_t M, int64_t N, int64_t K,
                   float beta) {
      out.push_back({prefix + pass, ta, tb, static_cast<int>(M), static_cast<int>(N),
                     static_cast<int>(K), beta});
    };
    if (auto* conv = dynamic_cast<Conv2d*>(&layer)) {
      // Per image: out (OC, cols) = W (OC, K) col (K, cols); dW += d col^T; dcol = W^T d.
      const ConvGeometry& g = conv->geometry();
      const int64_t OC = conv->out_channels(), K = g.col_rows();
      const int64_t cols = g.stride == 1 ? wide_cols(g) : g.col_cols();
      add("forward", Trans::No, Trans::No, OC, cols, K, 1.0f);
      add("dW", Trans::No, Trans::Yes, OC, K, cols, 1.0f);
      if (layer.needs_input_grad()) add("dx", Trans::Yes, Trans::No, K, cols, OC, 0.0f);
    } else if (dynamic_cast<Linear*>(&layer) != nullptr) {
      // out (N, out) = x (N, in) W^T; dW (out, in) += dout^T x; dx (N, in) = dout W.
      const int64_t in = layer.in_shape()[0], outf = layer.out_shape()[0];
      add("forward", Trans::No, Trans::Yes, kBatch, outf, in, 1.0f);
      add("dW", Trans::Yes, Trans::No, outf, in, kBatch, 1.0f);
      if (layer.needs_input_grad()) add("dx", Trans::No, Trans::No, kBatch, in, outf, 0.0f);
    }
  }
  return out;
}

// The float32 peak: a square product big enough that OpenBLAS runs at full speed, with the
// thread count as the second argument.
void gemm_peak(benchmark::State& state) {
  const auto n = static_cast<int>(state.range(0));
  set_num_threads(static_cast<int>(state.range(1)));
  const Tensor A = random_tensor(Shape{n, n}, 1), B = random_tensor(Shape{n, n}, 2);
  Tensor C(Shape{n, n});
  for (auto _ : state) {
    gemm(Trans::No, Trans::No, n, n, n, 1.0f, A.data(), n, B.data(), n, 0.0f, C.data(), n);
    benchmark::DoNotOptimize(C.data());
    benchmark::ClobberMemory();
  }
  set_flops(state, 2.0 * n * n * n);
  set_num_threads(bench_threads());
}
BENCHMARK(gemm_peak)
    ->ArgNames({"n", "threads"})
    ->Args({1024, 1})
    ->Args({1024, 2})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

void register_gemm_benchmarks() {
  for (const char* model : {"two_layer_net", "simple_convnet", "deep_convnet"}) {
    for (const GemmShape& s : model_gemms(model)) {
      benchmark::RegisterBenchmark(s.name.c_str(),
                                   [s](benchmark::State& state) { run_gemm(state, s); })
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
    }
  }
}

}  // namespace nnzero::bench
