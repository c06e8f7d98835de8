// libtorch_bench: the LibTorch side of bench/compare_pytorch.py. Builds the network of a
// model spec (docs/spec.md's JSON; compare_pytorch.py writes the built-in ones) as a
// torch::nn::Sequential with nnzero's initialisation, and measures it as `nnzero bench`
// does (tools/cmd_bench.cpp): `warmup` then `steps` timed training steps on consecutive
// real MNIST batches of a seeded permutation (gather and convert the uint8 images, forward,
// cross-entropy, backward, update); the median of single-image forward passes in eval mode
// under NoGradGuard; the throughput of 1000-image forward passes over the test set (the
// first pass not timed); the peak resident memory after training. Prints one JSON line with
// nnzero bench's keys.
//
//   build/bench/libtorch_bench --spec SPEC.json --data DIR --threads 1 --optimizer adam --lr 0.001
//
// Set OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and MKL_NUM_THREADS too (compare_pytorch.py
// does): torch's own setting does not limit OpenBLAS.
//
// A spec whose input has 3 channels (alexnet_cifar, resnet_cifar) reads CIFAR-10's binary
// batches from --data instead (data_batch_1.bin ... as many as there are, test_batch.bin),
// normalised per channel with the training images' mean and standard deviation, as nnzero
// normalises an image folder; residual_block is the pytorch-cifar BasicBlock that
// tools/torch_interop.py builds.
#include <torch/torch.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "nnzero/process_stats.h"

namespace {

using json = nlohmann::json;
using Clock = nnzero::BenchClock;
using nnzero::cpu_seconds;
using nnzero::peak_rss_mb;
using nnzero::seconds_since;

struct Args {
  std::string spec, data, optimizer = "sgd";
  double lr = 0.01;
  int threads = 1;
  int64_t batch = 100, steps = 50, warmup = 5, latency_runs = 300, infer_images = 10000;
  bool channels_last = false;  // PyTorch's tuning guide for CNNs on CPU: oneDNN's NHWC kernels
};

// --- MNIST-format IDX files, raw or .gz (gzread reads both) ---

std::vector<uint8_t> read_file(const std::string& dir, const std::string& name) {
  for (const std::string& path : {dir + "/" + name, dir + "/" + name + ".gz"}) {
    gzFile f = gzopen(path.c_str(), "rb");
    if (f == nullptr) continue;
    std::vector<uint8_t> data;
    uint8_t buf[1 << 16];
    int n = 0;
    while ((n = gzread(f, buf, sizeof buf)) > 0) data.insert(data.end(), buf, buf + n);
    gzclose(f);
    if (n < 0) throw std::runtime_error(path + ": read error");
    return data;
  }
  throw std::runtime_error(dir + "/" + name + "(.gz): not found");
}

uint32_t big_endian(const std::vector<uint8_t>& d, size_t at) {
  return uint32_t{d[at]} << 24 | uint32_t{d[at + 1]} << 16 | uint32_t{d[at + 2]} << 8 | d[at + 3];
}

// IDX of unsigned bytes: magic 0x0000080D (D dimensions), D big-endian sizes, then the data.
// Returns a uint8 tensor (count, rest...) owning a copy.
torch::Tensor read_idx(const std::string& dir, const std::string& name) {
  const std::vector<uint8_t> d = read_file(dir, name);
  if (d.size() < 4 || big_endian(d, 0) >> 8 != 0x08) {
    throw std::runtime_error(name + ": not an IDX file of unsigned bytes");
  }
  const size_t dims = d[3];
  std::vector<int64_t> shape;
  size_t count = 1;
  for (size_t i = 0; i < dims; ++i) {
    shape.push_back(big_endian(d, 4 + 4 * i));
    count *= static_cast<size_t>(shape.back());
  }
  const size_t header = 4 + 4 * dims;
  if (d.size() != header + count) throw std::runtime_error(name + ": wrong size");
  return torch::from_blob(const_cast<uint8_t*>(d.data() + header), shape, torch::kUInt8).clone();
}

struct Split {
  torch::Tensor images;     // uint8 (N, 28, 28) or (N, 3, 32, 32)
  torch::Tensor labels;     // int64 (N)
  torch::Tensor mean, std;  // per channel, (1, C, 1, 1), in [0, 1]; undefined: no normalisation
};

Split load_split(const std::string& dir, const std::string& prefix) {
  return {read_idx(dir, prefix + "-images-idx3-ubyte"),
          read_idx(dir, prefix + "-labels-idx1-ubyte").to(torch::kLong),
          {},
          {}};
}

// CIFAR-10 binary records (a label byte, then 3 x 32 x 32 bytes) of the files `names`.
Split load_cifar(const std::string& dir, const std::vector<std::string>& names) {
  std::vector<torch::Tensor> records;
  for (const std::string& name : names) {
    std::vector<uint8_t> d = read_file(dir, name);
    if (d.empty() || d.size() % 3073 != 0)
      throw std::runtime_error(name + ": not CIFAR-10 records");
    records.push_back(
        torch::from_blob(d.data(), {static_cast<int64_t>(d.size() / 3073), 3073}, torch::kUInt8)
            .clone());
  }
  const torch::Tensor all = torch::cat(records);
  return {all.slice(1, 1).reshape({-1, 3, 32, 32}).contiguous(),
          all.select(1, 0).to(torch::kLong),
          {},
          {}};
}

// Training batches data_batch_1.bin, data_batch_2.bin, ... as far as they go; the test batch
// normalised with the training images' statistics.
std::pair<Split, Split> load_cifar_splits(const std::string& dir) {
  std::vector<std::string> names;
  for (int i = 1; std::ifstream(dir + "/data_batch_" + std::to_string(i) + ".bin"); ++i) {
    names.push_back("data_batch_" + std::to_string(i) + ".bin");
  }
  Split train = load_cifar(dir, names), test = load_cifar(dir, {"test_batch.bin"});
  // Per-channel statistics 1,000 images at a time: a float copy of the whole set would count
  // in the peak memory (nnzero measures them as it reads).
  torch::Tensor total = torch::zeros({3}, torch::kDouble),
                squares = torch::zeros({3}, torch::kDouble);
  const int64_t n = train.images.size(0);
  for (int64_t i = 0; i < n; i += 1000) {
    const torch::Tensor chunk =
        train.images.slice(0, i, std::min(n, i + 1000)).to(torch::kDouble).div_(255.0);
    total += chunk.sum({0, 2, 3});
    squares += chunk.square().sum({0, 2, 3});
  }
  const torch::Tensor mean = total / static_cast<double>(n * 32 * 32);
  train.mean = test.mean = mean.to(torch::kFloat).view({1, 3, 1, 1});
  train.std = test.std = (squares / static_cast<double>(n * 32 * 32) - mean.square())
                             .sqrt()
                             .to(torch::kFloat)
                             .view({1, 3, 1, 1});
  return {train, test};
}

// Images idx of a split as the float batch (n, input...) in [0, 1] (normalised where the
// split has statistics), converted per batch as nnzero does (the dataset stays bytes).
torch::Tensor gather(const Split& s, const torch::Tensor& idx, const std::vector<int64_t>& input,
                     bool channels_last) {
  std::vector<int64_t> shape{idx.size(0)};
  shape.insert(shape.end(), input.begin(), input.end());
  torch::Tensor x = s.images.index_select(0, idx).to(torch::kFloat).div_(255.0f).view(shape);
  if (s.mean.defined()) x.sub_(s.mean).div_(s.std);
  return channels_last ? x.contiguous(torch::MemoryFormat::ChannelsLast) : x;
}

// --- the network of a model spec ---

double init_std(const std::string& init, int64_t fan_in) {
  if (init == "he") return std::sqrt(2.0 / static_cast<double>(fan_in));
  if (init == "xavier") return std::sqrt(1.0 / static_cast<double>(fan_in));
  if (init.rfind("std:", 0) == 0) return std::stod(init.substr(4));
  throw std::runtime_error("unknown init \"" + init + "\"");
}

// nnzero's initialisation: weights N(0, std(init, fan_in)^2), biases 0.
void init_weight(torch::Tensor& w, torch::Tensor& b, const std::string& init, int64_t fan_in) {
  torch::NoGradGuard no_grad;
  w.normal_(0.0, init_std(init, fan_in));
  if (b.defined()) b.zero_();
}

// ResNet's basic block as pytorch-cifar writes it (nnzero's residual_block):
// relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), a 1x1 convolution + BatchNorm as the
// shortcut where the shape changes.
struct BasicBlockImpl : torch::nn::Module {
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  torch::nn::Sequential shortcut;

  BasicBlockImpl(int64_t in, int64_t out, int64_t stride, const std::string& init) {
    auto conv = [&](int64_t from, int64_t k, int64_t s) {
      torch::nn::Conv2d c(
          torch::nn::Conv2dOptions(from, out, k).stride(s).padding(k / 2).bias(false));
      init_weight(c->weight, c->bias, init, from * k * k);
      return c;
    };
    conv1 = register_module("conv1", conv(in, 3, stride));
    bn1 = register_module("bn1", torch::nn::BatchNorm2d(out));
    conv2 = register_module("conv2", conv(out, 3, 1));
    bn2 = register_module("bn2", torch::nn::BatchNorm2d(out));
    if (stride != 1 || in != out) {
      shortcut->push_back(conv(in, 1, stride));
      shortcut->push_back(torch::nn::BatchNorm2d(out));
    }
    register_module("shortcut", shortcut);
  }

  torch::Tensor forward(const torch::Tensor& x) {
    const torch::Tensor out = bn2(conv2(torch::relu(bn1(conv1(x)))));
    return torch::relu(out + (shortcut->is_empty() ? x : shortcut->forward(x)));
  }
};
TORCH_MODULE(BasicBlock);

torch::nn::Sequential build(const json& spec, std::vector<int64_t>& input) {
  input = spec.at("input").get<std::vector<int64_t>>();
  std::vector<int64_t> shape = input;  // one sample's shape as the layers go
  const std::string model_init = spec.value("init", "he");
  torch::nn::Sequential net;
  for (const json& l : spec.at("layers")) {
    const std::string type = l.at("type");
    const std::string init = l.value("init", model_init);
    if (type == "linear") {
      const int64_t out = l.at("out_features");
      torch::nn::Linear m(torch::nn::LinearOptions(shape[0], out).bias(l.value("bias", true)));
      init_weight(m->weight, m->bias, init, shape[0]);
      net->push_back(m);
      shape = {out};
    } else if (type == "conv2d") {
      const int64_t oc = l.at("out_channels"), k = l.at("kernel");
      const int64_t stride = l.value("stride", int64_t{1}), pad = l.value("padding", int64_t{0});
      torch::nn::Conv2d m(torch::nn::Conv2dOptions(shape[0], oc, k)
                              .stride(stride)
                              .padding(pad)
                              .bias(l.value("bias", true)));
      init_weight(m->weight, m->bias, init, shape[0] * k * k);
      net->push_back(m);
      shape = {oc, (shape[1] + 2 * pad - k) / stride + 1, (shape[2] + 2 * pad - k) / stride + 1};
    } else if (type == "maxpool2d" || type == "avgpool2d") {
      const int64_t k = l.at("kernel"), pad = l.value("padding", int64_t{0});
      int64_t stride = l.value("stride", int64_t{0});
      if (stride == 0) stride = k;
      if (type == "maxpool2d") {
        net->push_back(
            torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(k).stride(stride).padding(pad)));
      } else {
        net->push_back(
            torch::nn::AvgPool2d(torch::nn::AvgPool2dOptions(k).stride(stride).padding(pad)));
      }
      shape = {shape[0], (shape[1] + 2 * pad - k) / stride + 1,
               (shape[2] + 2 * pad - k) / stride + 1};
    } else if (type == "flatten") {
      net->push_back(torch::nn::Flatten());
      int64_t n = 1;
      for (int64_t d : shape) n *= d;
      shape = {n};
    } else if (type == "relu") {
      net->push_back(torch::nn::ReLU());
    } else if (type == "leaky_relu") {
      net->push_back(torch::nn::LeakyReLU(
          torch::nn::LeakyReLUOptions().negative_slope(l.value("negative_slope", 0.01))));
    } else if (type == "sigmoid") {
      net->push_back(torch::nn::Sigmoid());
    } else if (type == "tanh") {
      net->push_back(torch::nn::Tanh());
    } else if (type == "dropout") {
      net->push_back(torch::nn::Dropout(torch::nn::DropoutOptions(l.value("p", 0.5))));
    } else if (type == "batchnorm1d" || type == "batchnorm2d") {
      const auto opts = torch::nn::BatchNormOptions(shape[0])
                            .eps(l.value("eps", 1e-5))
                            .momentum(l.value("momentum", 0.1));
      if (type == "batchnorm1d") {
        net->push_back(torch::nn::BatchNorm1d(opts));
      } else {
        net->push_back(torch::nn::BatchNorm2d(opts));
      }
    } else if (type == "residual_block") {
      const int64_t out = l.at("out_channels"), stride = l.value("stride", int64_t{1});
      net->push_back(BasicBlock(shape[0], out, stride, init));
      shape = {out, (shape[1] - 1) / stride + 1, (shape[2] - 1) / stride + 1};
    } else if (type == "global_avgpool2d") {
      net->push_back(torch::nn::AdaptiveAvgPool2d(torch::nn::AdaptiveAvgPool2dOptions(1)));
      shape = {shape[0], 1, 1};
    } else {
      throw std::runtime_error("libtorch_bench: layer type \"" + type + "\" not supported");
    }
  }
  return net;
}

// --- measurements ---

// The BLAS library this process loaded (Debian's LibTorch reaches it through libblas.so.3).
std::string loaded_blas() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    const size_t slash = line.rfind('/');
    if (slash != std::string::npos && line.find("blas", slash) != std::string::npos) {
      const std::string path = line.substr(line.find('/'));
      char real[4096];
      return realpath(path.c_str(), real) != nullptr ? std::string(real) : path;
    }
  }
  return "";
}

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string key = argv[i];
    if (i + 1 >= argc) throw std::runtime_error("missing value after " + key);
    const std::string v = argv[++i];
    if (key == "--spec")
      a.spec = v;
    else if (key == "--data")
      a.data = v;
    else if (key == "--optimizer")
      a.optimizer = v;
    else if (key == "--lr")
      a.lr = std::stod(v);
    else if (key == "--threads")
      a.threads = std::stoi(v);
    else if (key == "--batch")
      a.batch = std::stoll(v);
    else if (key == "--steps")
      a.steps = std::stoll(v);
    else if (key == "--warmup")
      a.warmup = std::stoll(v);
    else if (key == "--latency-runs")
      a.latency_runs = std::stoll(v);
    else if (key == "--infer-images")
      a.infer_images = std::stoll(v);
    else if (key == "--channels-last")
      a.channels_last = std::stoi(v) != 0;
    else
      throw std::runtime_error("unknown option " + key);
  }
  if (a.spec.empty() || a.data.empty()) throw std::runtime_error("--spec and --data are required");
  if (a.infer_images < 2000) throw std::runtime_error("--infer-images must be at least 2000");
  return a;
}

void run(const Args& a) {
  torch::set_num_threads(a.threads);
  torch::manual_seed(0);
  std::ifstream spec_file(a.spec);
  if (!spec_file) throw std::runtime_error(a.spec + ": cannot open");
  const json spec = json::parse(spec_file);
  std::vector<int64_t> input;
  torch::nn::Sequential model = build(spec, input);
  int64_t params = 0;
  for (const auto& p : model->parameters()) params += p.numel();
  if (a.channels_last) {  // what Python's model.to(memory_format=torch.channels_last) does
    torch::NoGradGuard no_grad;
    for (auto& p : model->parameters()) {
      if (p.dim() == 4) p.set_data(p.contiguous(torch::MemoryFormat::ChannelsLast));
    }
  }

  const auto [train, test] =
      input.size() == 3 && input[0] == 3
          ? load_cifar_splits(a.data)
          : std::pair{load_split(a.data, "train"), load_split(a.data, "t10k")};
  std::unique_ptr<torch::optim::Optimizer> opt;
  if (a.optimizer == "sgd") {
    opt = std::make_unique<torch::optim::SGD>(model->parameters(), torch::optim::SGDOptions(a.lr));
  } else if (a.optimizer == "momentum" || a.optimizer == "nesterov") {
    opt = std::make_unique<torch::optim::SGD>(
        model->parameters(),
        torch::optim::SGDOptions(a.lr).momentum(0.9).nesterov(a.optimizer == "nesterov"));
  } else if (a.optimizer == "adam") {
    // nnzero's (and the book's) Adam adds 1e-7 to sqrt(v), PyTorch's default is 1e-8.
    opt = std::make_unique<torch::optim::Adam>(model->parameters(),
                                               torch::optim::AdamOptions(a.lr).eps(1e-7));
  } else {
    throw std::runtime_error("optimizer \"" + a.optimizer +
                             "\" not supported (sgd, momentum, nesterov, adam)");
  }

  // Training steps on consecutive batches of a permutation, wrapping around.
  const int64_t n = train.images.size(0);
  const torch::Tensor order = torch::randperm(n, torch::kLong);
  int64_t cursor = 0;
  model->train();
  auto train_step = [&] {
    if (cursor + a.batch > n) cursor = 0;
    const torch::Tensor idx = order.slice(0, cursor, cursor + a.batch);
    cursor += a.batch;
    const torch::Tensor x = gather(train, idx, input, a.channels_last);
    const torch::Tensor y = train.labels.index_select(0, idx);
    opt->zero_grad();
    torch::Tensor loss = torch::nn::functional::cross_entropy(model->forward(x), y);
    loss.backward();
    opt->step();
  };
  for (int64_t i = 0; i < a.warmup; ++i) train_step();
  const auto t0 = Clock::now();
  const double cpu0 = cpu_seconds();
  for (int64_t i = 0; i < a.steps; ++i) train_step();
  const double train_s = seconds_since(t0), train_cpu_s = cpu_seconds() - cpu0;
  const double train_rss_mb = peak_rss_mb();

  // Single-image latency: median over different test images, eval mode, no autograd.
  model->eval();
  torch::NoGradGuard no_grad;
  const int64_t n_test = test.images.size(0);
  std::vector<double> latencies;
  for (int64_t i = 0; i < a.latency_runs + 10; ++i) {
    const torch::Tensor x =
        gather(test, torch::tensor({i % n_test}, torch::kLong), input, a.channels_last);
    const auto t = Clock::now();
    model->forward(x);
    if (i >= 10) latencies.push_back(seconds_since(t) * 1e6);
  }
  std::nth_element(latencies.begin(),
                   latencies.begin() + static_cast<int64_t>(latencies.size() / 2), latencies.end());
  const double latency_us = latencies[latencies.size() / 2];

  // Batch-1000 throughput; the first pass is not timed.
  double infer_s = 0.0;
  int64_t inferred = 0;
  const int64_t images = std::min(a.infer_images, n_test);
  for (int64_t start = 0; start + 1000 <= images; start += 1000) {
    const torch::Tensor x =
        gather(test, torch::arange(start, start + 1000, torch::kLong), input, a.channels_last);
    const auto t = Clock::now();
    model->forward(x);
    if (start > 0) {
      infer_s += seconds_since(t);
      inferred += 1000;
    }
  }

  const double samples = static_cast<double>(a.steps * a.batch);
  const json result = {{"system", "libtorch"},
                       {"version", TORCH_VERSION},
                       {"channels_last", a.channels_last ? 1 : 0},
                       {"model", spec.value("name", "model")},
                       {"batch", a.batch},
                       {"steps", a.steps},
                       {"threads", torch::get_num_threads()},
                       {"params", params},
                       {"train_samples_per_s", samples / train_s},
                       {"infer_latency_us_b1", latency_us},
                       {"infer_samples_per_s_b1000", static_cast<double>(inferred) / infer_s},
                       {"peak_rss_mb", train_rss_mb},
                       {"train_samples_per_cpu_s", samples / train_cpu_s},
                       {"blas", loaded_blas()}};
  std::cout << result.dump() << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    run(parse_args(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
  return 0;
}
