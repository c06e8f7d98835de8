// nnzero bench: training and inference speed of a built-in model on real batches: MNIST for
// the digit models, an image folder or CIFAR-10's binary batches (data/image_folder.h) for
// the colour ones. Training: `steps` full steps (gather the batch, forward, loss, backward, update)
// after a warm-up; inference: the median latency of single-image forward passes, and the throughput
// of 1000-image forward passes. Prints one JSON line; peak_rss_mb is the process's peak
// resident memory by the end of the training phase (the dataset included).
//
// --precision sets the format of the inference phase (model/precision.h): the trained
// model is copied to fp16 or bf16, or quantized to int8 with its input scales calibrated on
// the first 500 training images, as nnzero quantize does. Training runs in fp32, or with
// bf16 in bf16 mixed precision (Sequential::set_training_precision).
#include <algorithm>
#include <chrono>
#include <numeric>

#include "common.h"
#include "nnzero/data/batch_loader.h"
#include "nnzero/data/cifar_binary.h"
#include "nnzero/data/image_folder.h"
#include "nnzero/kernels/blas_setup.h"
#include "nnzero/model/quantize.h"
#include "nnzero/model/sequential.h"
#include "nnzero/parallel.h"
#include "nnzero/process_stats.h"
#include "nnzero/train/optimizer.h"

namespace nnzero::cli {

namespace {
using Clock = BenchClock;

struct BenchArgs {
  ModelChoice choice;
  std::string data, precision = "fp32";
  int64_t batch = 100, steps = 50, warmup = 5, latency_runs = 300;
  int threads = 0;
};

// The data set of --data shaped for the model's input: an image folder (or CIFAR-10's
// binary batches) decoded to it, else MNIST. Without --data, a colour model reads
// default_cifar10_dir() (where `nnzero data fetch cifar10` puts it), the others MNIST.
Mnist load_bench_data(const std::string& flag, const Shape& input) {
  const bool colour = input.rank() == 3 && input[0] == 3;
  const std::string dir = !flag.empty() ? flag
                          : colour      ? default_cifar10_dir()
                                        : resolve_data_dir("");
  if (colour && !is_image_folder(dir)) {
    throw Error(dir +
                ": no image folder or CIFAR-10 batches for this colour model (--data DIR, "
                "or `nnzero data fetch cifar10`)");
  }
  if (!is_image_folder(dir)) return load_mnist_for(dir);
  ImageFolderOptions o;
  o.input = input;
  ImageFolder folder = load_image_folder(dir, o);
  return {std::move(folder.train), std::move(folder.test)};
}

// The trained `model` as it evaluates in `p` (int8: calibrated on 500 training images).
std::unique_ptr<Sequential> inference_model(Sequential& model, Precision p, const Dataset& train) {
  if (p == Precision::int8) {
    return quantize(model, calibration_batches(train, 500, model.input_shape()));
  }
  return copy_in_precision(model, p);
}

void run_bench(const BenchArgs& a) {
  if (a.batch < 1 || a.steps < 1) throw Error("--batch and --steps must be at least 1");
  const Precision precision = parse_precision(a.precision, "--precision");
  apply_threads(a.threads);
  const ModelSpec spec = a.choice.resolve();
  const Mnist mnist = load_bench_data(a.data, spec.input);
  if (mnist.train.size() < a.batch || mnist.test.size() < 2000) {
    throw Error(
        "bench needs at least --batch training images and 2,000 test images (the first "
        "1,000-image pass is not timed); the data has " +
        std::to_string(mnist.train.size()) + " and " + std::to_string(mnist.test.size()));
  }
  Rng rng(0);
  Sequential model(spec, rng, a.choice.resolve_engine());
  if (precision == Precision::bf16) model.set_training_precision(precision);
  std::vector<Param*> params;
  for (const NamedParam& np : model.named_params()) params.push_back(np.param);
  auto opt = make_optimizer(spec.train.optimizer.value_or("sgd"), params,
                            static_cast<float>(spec.train.lr.value_or(0.0)));

  // Training steps on consecutive real batches (wrapping around the training set).
  const int64_t n = mnist.train.size();
  std::vector<int32_t> order = rng.permutation(static_cast<int32_t>(n));
  // As Trainer does: with two or more threads, a model whose first layer prepares its input
  // (two_layer_net) gets the next batch gathered and prepared during the step.
  BatchLoader loader(mnist.train, model.input_shape(),
                     num_threads() > 1 && model.prepares_input(a.batch),
                     [&model](const Tensor& x, Tensor& p) { return model.prepare_input(x, p); });
  int64_t cursor = 0;
  auto batch_at = [&](int64_t start) {
    return std::span<const int32_t>(order.data() + start, static_cast<size_t>(a.batch));
  };
  auto train_step = [&] {
    if (cursor + a.batch > n) cursor = 0;
    const Batch& batch = loader.take(batch_at(cursor));
    cursor += a.batch;
    loader.prefetch(batch_at(cursor + a.batch > n ? 0 : cursor));
    model.zero_grad();
    model.use_prepared(batch.prepared_input());
    model.loss(batch.x, batch.target(), true);
    model.backward();
    opt->step();
  };
  for (int64_t i = 0; i < a.warmup; ++i) train_step();
  const auto t0 = Clock::now();
  const double cpu0 = cpu_seconds();
  for (int64_t i = 0; i < a.steps; ++i) train_step();
  const double train_s = seconds_since(t0);
  const double train_cpu_s = cpu_seconds() - cpu0;
  const double train_rate = static_cast<double>(a.steps * a.batch) / train_s;
  const double train_rss_mb = peak_rss_mb();  // the high-water mark of training, data included

  std::unique_ptr<Sequential> inference = inference_model(model, precision, mnist.train);

  // Single-image latency: median of many forward passes over different test images.
  std::vector<double> latencies;
  std::vector<int32_t> one(1);
  Tensor x;
  for (int64_t i = 0; i < a.latency_runs + 10; ++i) {
    one[0] = static_cast<int32_t>(i % mnist.test.size());
    gather_images(mnist.test, one, model.input_shape(), x);
    const auto t = Clock::now();
    inference->forward(x, false);
    if (i >= 10) latencies.push_back(seconds_since(t) * 1e6);
  }
  std::nth_element(latencies.begin(),
                   latencies.begin() + static_cast<int64_t>(latencies.size() / 2), latencies.end());
  const double latency_us = latencies[latencies.size() / 2];

  // Batch-1000 throughput over the test set.
  std::vector<int32_t> idx(1000);
  double infer_s = 0.0;
  int64_t inferred = 0;
  for (int64_t start = 0; start + 1000 <= mnist.test.size(); start += 1000) {
    std::iota(idx.begin(), idx.end(), static_cast<int32_t>(start));
    gather_images(mnist.test, idx, model.input_shape(), x);
    const auto t = Clock::now();
    inference->forward(x, false);
    if (start > 0) {  // the first pass sizes the buffers
      infer_s += seconds_since(t);
      inferred += 1000;
    }
  }
  const double infer_rate = static_cast<double>(inferred) / infer_s;

  print_result({{"model", spec.name},
                {"engine", a.choice.resolve_engine() == Engine::book ? "book" : "fast"},
                {"precision", precision_name(precision)},
                {"batch", a.batch},
                {"steps", a.steps},
                {"threads", num_threads()},
                {"train_samples_per_s", train_rate},
                {"infer_latency_us_b1", latency_us},
                {"infer_samples_per_s_b1000", infer_rate},
                {"gflops_per_s", model.flops_per_sample() * train_rate / 1e9},
                {"peak_rss_mb", train_rss_mb},
                {"train_samples_per_cpu_s", static_cast<double>(a.steps * a.batch) / train_cpu_s},
                {"blas_core", blas_core_name()}});
}
}  // namespace

void add_bench_command(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand(
      "bench",
      "Training and inference speed on real batches: MNIST, or an image folder / CIFAR-10 for "
      "colour models (one JSON line)");
  args->choice.add_flags(*cmd, false);
  cmd->add_option("--data", args->data,
                  "MNIST folder, or an image folder / CIFAR-10 binary batches (default: "
                  "$NNZERO_DATA/mnist, or $NNZERO_DATA/cifar10 for a colour model)");
  cmd->add_option("--batch", args->batch, "Training batch size (default 100)");
  cmd->add_option("--steps", args->steps, "Timed training steps (default 50)");
  cmd->add_option("--threads", args->threads, "Threads (default: all cores)");
  cmd->add_option("--precision", args->precision,
                  "fp32 (default), fp16, bf16 or int8: the format of the inference phase "
                  "(int8 calibrated on the first 500 training images); training runs in fp32, or "
                  "in bf16 mixed precision with bf16");
  cmd->callback([args] { run_bench(*args); });
}

}  // namespace nnzero::cli
