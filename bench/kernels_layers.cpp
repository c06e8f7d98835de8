// Layer benchmarks, batch 100, forward (training mode) and backward timed separately:
//   layer/MODEL/INDEX.TYPE/forward|backward  every conv2d and maxpool2d layer of
//       simple_convnet and deep_convnet, taken from a Sequential built from the built-in
//       spec, so each runs as it does in training (a ReLU that follows a conv is fused into
//       it; the first layer skips dx). Conv reports FLOP/s: forward 2 N OC OH OW C KH KW;
//       backward twice that (dW and dx), once for a first layer (dW only). Pooling reports
//       GB/s: its input and output each read or written once.
//   batchnorm1d/..., batchnorm2d/...  BatchNorm in training mode, GB/s of the input and output.
//   softmax_cross_entropy/...         the loss on (100, 10) scores, in samples/s.
//   layer/two_layer_net/0.linear/forward|backward  the first layer on 100 real MNIST images
//       ($NNZERO_DATA/mnist; without it, random ones 19 % nonzero, MNIST's share), the
//       sparse-input path (kernels/sparse_rows.h). FLOP/s counts the dense product's
//       2 N in out (per pass), so they compare with gemm/two_layer_net/0.linear/forward|dW,
//       the OpenBLAS products the path replaces.
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "kernels_support.h"
#include "nnzero/data/dataset.h"
#include "nnzero/data/mnist.h"
#include "nnzero/fast/sparse_input_linear.h"
#include "nnzero/kernels/sparse_rows.h"
#include "nnzero/layers/batchnorm.h"
#include "nnzero/layers/linear.h"
#include "nnzero/layers/softmax_cross_entropy.h"
#include "nnzero/model/builtin.h"
#include "nnzero/model/sequential.h"

namespace nnzero::bench {

namespace {

constexpr int64_t kBatch = 100;

std::string shapes_label(const Layer& layer) {
  return layer.in_shape().str() + " -> " + layer.out_shape().str();
}

// Bytes of one batch's input plus output.
double in_out_bytes(const Layer& layer) {
  return 4.0 * static_cast<double>(kBatch * (layer.in_shape().numel() + layer.out_shape().numel()));
}

bool is_conv(const Layer& layer) {
  return std::string(layer.type()) == "conv2d";
}

void layer_forward(benchmark::State& state, Layer& layer) {
  const Tensor x = random_tensor(layer.in_shape().with_batch(kBatch), 1);
  for (auto _ : state) {
    benchmark::DoNotOptimize(layer.forward(x, true).data());
    benchmark::ClobberMemory();
  }
  if (is_conv(layer)) {
    set_flops(state, static_cast<double>(kBatch) * layer.flops());
  } else {
    set_bytes(state, in_out_bytes(layer));
  }
  state.SetLabel(shapes_label(layer));
}

void layer_backward(benchmark::State& state, Layer& layer) {
  const Tensor x = random_tensor(layer.in_shape().with_batch(kBatch), 1);
  const Tensor dout = random_tensor(layer.out_shape().with_batch(kBatch), 2);
  layer.forward(x, true);
  for (auto _ : state) {
    benchmark::DoNotOptimize(layer.backward(dout).data());
    benchmark::ClobberMemory();
  }
  if (is_conv(layer)) {
    const double passes = layer.needs_input_grad() ? 2.0 : 1.0;  // dW, and dx unless first
    set_flops(state, passes * static_cast<double>(kBatch) * layer.flops());
  } else {
    set_bytes(state, in_out_bytes(layer));
  }
  state.SetLabel(shapes_label(layer));
}

void register_model_layers(const std::string& model_name) {
  Rng rng(0);
  // Shared by the benchmarks of its layers, alive until the program ends.
  auto model = std::make_shared<Sequential>(builtin_spec(model_name), rng);
  for (size_t i = 0; i < model->size(); ++i) {
    const std::string type = model->layer(i).type();
    if (type != "conv2d" && type != "maxpool2d") continue;
    const std::string name = "layer/" + model_name + "/" + std::to_string(i) + "." + type;
    benchmark::RegisterBenchmark(
        (name + "/forward").c_str(),
        [model, i](benchmark::State& s) { layer_forward(s, model->layer(i)); })
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(
        (name + "/backward").c_str(),
        [model, i](benchmark::State& s) { layer_backward(s, model->layer(i)); })
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
  }
}

void register_batchnorm(const Shape& sample) {
  std::string name = sample.rank() == 1 ? "batchnorm1d/" : "batchnorm2d/";  // batchnorm2d/16x28x28
  for (int d = 0; d < sample.rank(); ++d) {
    if (d > 0) name += 'x';
    name += std::to_string(sample[d]);
  }
  auto bn = std::make_shared<BatchNorm>(sample);
  benchmark::RegisterBenchmark((name + "/forward").c_str(),
                               [bn](benchmark::State& s) { layer_forward(s, *bn); })
      ->UseRealTime()
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark((name + "/backward").c_str(),
                               [bn](benchmark::State& s) { layer_backward(s, *bn); })
      ->UseRealTime()
      ->Unit(benchmark::kMicrosecond);
}

void softmax_cross_entropy(benchmark::State& state, bool backward) {
  constexpr int64_t kClasses = 10;
  const Tensor score = random_tensor(Shape{kBatch, kClasses}, 1);
  std::vector<int32_t> labels(kBatch);
  for (int64_t i = 0; i < kBatch; ++i)
    labels[static_cast<size_t>(i)] = static_cast<int32_t>(i % 10);
  SoftmaxCrossEntropy loss;
  loss.forward(score, Target{labels, nullptr});
  for (auto _ : state) {
    if (backward) {
      benchmark::DoNotOptimize(loss.backward().data());
    } else {
      benchmark::DoNotOptimize(loss.forward(score, Target{labels, nullptr}));
    }
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetLabel("(100, 10) scores");
}
BENCHMARK_CAPTURE(softmax_cross_entropy, forward, false)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(softmax_cross_entropy, backward, true)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// 100 training images from the MNIST folder under `data`, as the trainer gathers them;
// random ones with MNIST's density when `data` is nullptr.
Tensor mnist_batch(const char* data) {
  Tensor x(Shape{kBatch, 784});
  if (data != nullptr) {
    const Mnist mnist = load_mnist(std::string(data) + "/mnist");
    std::vector<int32_t> idx(static_cast<size_t>(kBatch));
    for (int64_t i = 0; i < kBatch; ++i) idx[static_cast<size_t>(i)] = static_cast<int32_t>(i);
    gather_images(mnist.train, idx, Shape{784}, x);
    return x;
  }
  Rng rng(1);
  for (int64_t i = 0; i < x.numel(); ++i) x[i] = rng.uniform() < 0.19f ? rng.uniform() : 0.0f;
  return x;
}

// FLOP/s of the dense product, and which path the layer took.
void report_first_layer(benchmark::State& s, Layer& first, double flops, const std::string& label) {
  set_flops(s, flops);
  const bool sparse = static_cast<SparseInputLinear&>(first).last_input_sparse();
  s.SetLabel(label + (sparse ? ", sparse path" : ", dense path"));
}

void register_sparse_first_layer() {
  Rng rng(0);
  auto model = std::make_shared<Sequential>(builtin_spec("two_layer_net"), rng);
  const char* data = std::getenv("NNZERO_DATA");
  auto x = std::make_shared<Tensor>(mnist_batch(data));
  const double flops = static_cast<double>(kBatch) * model->layer(0).flops();
  const std::string label =
      std::string(data != nullptr ? "MNIST, " : "random, ") +
      std::to_string(100 * count_nonzeros(x->data(), x->numel()) / x->numel()) + " % nonzero";
  benchmark::RegisterBenchmark("layer/two_layer_net/0.linear/forward",
                               [model, x, flops, label](benchmark::State& s) {
                                 Layer& first = model->layer(0);
                                 for (auto _ : s) {
                                   benchmark::DoNotOptimize(first.forward(*x, true).data());
                                   benchmark::ClobberMemory();
                                 }
                                 report_first_layer(s, first, flops, label);
                               })
      ->UseRealTime()
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("layer/two_layer_net/0.linear/backward",
                               [model, x, flops, label](benchmark::State& s) {
                                 Layer& first = model->layer(0);
                                 const Tensor dout =
                                     random_tensor(first.out_shape().with_batch(kBatch), 2);
                                 first.forward(*x, true);
                                 for (auto _ : s) {
                                   benchmark::DoNotOptimize(first.backward(dout).data());
                                   benchmark::ClobberMemory();
                                 }
                                 report_first_layer(s, first, flops, label);
                               })
      ->UseRealTime()
      ->Unit(benchmark::kMicrosecond);
}

}  // namespace

void register_layer_benchmarks() {
  register_sparse_first_layer();
  register_model_layers("simple_convnet");
  register_model_layers("deep_convnet");
  register_batchnorm(Shape{100});         // multi_layer_net --batchnorm: after each Linear(100)
  register_batchnorm(Shape{16, 28, 28});  // the size of deep_convnet's first activations
  register_batchnorm(Shape{64, 8, 8});    // and of its last conv block
}

}  // namespace nnzero::bench
