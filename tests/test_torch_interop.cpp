// PyTorch interoperability (tools/torch_interop.py): an nnzero model file runs in PyTorch
// with the same outputs, and a model trained in PyTorch and saved by the script runs in
// nnzero with the accuracy PyTorch measured. Skipped when /usr/bin/python3 has no torch.
//
// nnzero's outputs come from the C++ API (load_model, forward in evaluation mode), PyTorch's
// from `torch_interop.py logits`, both on the first 1000 MNIST test images.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "nnzero/data/mnist.h"
#include "nnzero/data/text_corpus.h"
#include "nnzero/io/safetensors.h"
#include "nnzero/model/builtin.h"
#include "nnzero/model/gpt.h"
#include "nnzero/model/layer_registry.h"
#include "nnzero/model/model_file.h"
#include "nnzero/model/seq2seq.h"
#include "nnzero/model/sequential.h"
#include "nnzero/train/gradcheck.h"
#include "nnzero/train/trainer.h"
#include "test_data_dir.h"
#include "test_support.h"

using namespace nnzero;
using nnzero_test::CliResult;
using nnzero_test::ScratchDir;

namespace {
const std::string kPython = "/usr/bin/python3";
const std::string kScript = std::string(NNZERO_SOURCE_DIR) + "/tools/torch_interop.py";
constexpr int64_t kImages = 1000;

bool have_torch() {
  static const bool ok = std::system((kPython + " -c 'import torch' >/dev/null 2>&1").c_str()) == 0;
  return ok;
}

#define SKIP_WITHOUT_TORCH()                                                                \
  if (!have_torch()) {                                                                      \
    GTEST_SKIP() << kPython << " cannot import torch (Debian: apt install python3-torch): " \
                 << "skipping the PyTorch comparison";                                      \
  }

// Runs `python_args` (a script and its arguments) in `dir`.
CliResult run_python(const std::string& python_args, const ScratchDir& dir) {
  const std::string out = dir / "py.stdout", err = dir / "py.stderr";
  const std::string command = "cd '" + dir.path().string() + "' && NNZERO_BIN='" +
                              std::string(NNZERO_BINARY_DIR) + "/nnzero' " + kPython + " " +
                              python_args + " >'" + out + "' 2>'" + err + "' </dev/null";
  const int status = std::system(command.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = nnzero_test::slurp(out);
  r.err = nnzero_test::slurp(err);
  return r;
}

// Runs torch_interop.py with `args` in `dir`, one PyTorch thread.
CliResult run_script(const std::string& args, const ScratchDir& dir) {
  return run_python(kScript + " --threads 1 " + args, dir);
}

// Expects `theirs` (PyTorch's) to equal `ours` within float rounding.
void expect_same_outputs(const Tensor& theirs, const Tensor& ours) {
  ASSERT_EQ(theirs.numel(), ours.numel());
  for (int64_t i = 0; i < ours.numel(); ++i) {
    EXPECT_NEAR(theirs[i], ours[i], 1e-4f * std::max(1.0f, std::abs(ours[i]))) << i;
  }
}

const Mnist& mnist(const std::string& dir) {
  static const Mnist m = load_mnist(dir);
  return m;
}

// The first `n` test images shaped for `model`.
Tensor test_images(const Mnist& m, const Model& model, int64_t n) {
  std::vector<int32_t> idx(static_cast<size_t>(n));
  std::iota(idx.begin(), idx.end(), 0);
  Tensor x;
  gather_images(m.test, idx, model.input_shape(), x);
  return x;
}

struct Comparison {
  double max_abs_diff = 0.0, max_abs_logit = 0.0, accuracy = 0.0;
  int64_t argmax_agree = 0;
};

// nnzero's outputs for the model file at `path` against PyTorch's, on the first kImages.
Comparison compare_with_torch(const std::string& path, const Mnist& m, const std::string& data,
                              const ScratchDir& dir) {
  LoadedModel loaded = load_model(path);
  const Tensor x = test_images(m, *loaded.model, kImages);
  const Tensor y = loaded.model->forward(x, false).clone();
  const CliResult r = run_script(
      "logits '" + path + "' --data '" + data + "' --limit " + std::to_string(kImages), dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = r.json();
  Comparison c;
  if (j.is_null() || !j.contains("logits")) {
    ADD_FAILURE() << "no logits from the script:\n" << r.err;
    return c;
  }
  const auto logits = j["logits"].get<std::vector<std::vector<double>>>();
  EXPECT_EQ(logits.size(), static_cast<size_t>(kImages));
  const int64_t k = y.dim(1);
  int64_t correct = 0;
  for (int64_t i = 0; i < kImages && i < static_cast<int64_t>(logits.size()); ++i) {
    const auto& row = logits[static_cast<size_t>(i)];
    EXPECT_EQ(row.size(), static_cast<size_t>(k));
    int64_t best_torch = 0, best_ours = 0;
    for (int64_t c2 = 0; c2 < k; ++c2) {
      const double ours = y[i * k + c2], theirs = row[static_cast<size_t>(c2)];
      c.max_abs_diff = std::max(c.max_abs_diff, std::abs(ours - theirs));
      c.max_abs_logit = std::max(c.max_abs_logit, std::abs(ours));
      if (theirs > row[static_cast<size_t>(best_torch)]) best_torch = c2;
      if (ours > y[i * k + best_ours]) best_ours = c2;
    }
    c.argmax_agree += best_torch == best_ours;
    correct += best_ours == m.test.labels[static_cast<size_t>(i)];
  }
  c.accuracy = static_cast<double>(correct) / static_cast<double>(kImages);
  return c;
}

// A built-in model after a short training run (Adam, batches of 50, `steps` steps).
std::string train_builtin(const std::string& name, int64_t steps, const Mnist& m,
                          const ScratchDir& dir) {
  Rng rng(11);
  Sequential model(builtin_spec(name), rng);
  std::vector<int32_t> idx(5000);
  std::iota(idx.begin(), idx.end(), 0);
  const Dataset train = subset(m.train, idx);
  TrainOptions o;
  o.optimizer = "adam";
  o.lr = 0.002f;
  o.batch = 50;
  o.max_steps = steps;
  o.log_epochs = false;
  o.train_eval_samples = 50;
  Trainer(model, train, nullptr, o).run();
  const std::string path = dir / (name + ".safetensors");
  save_model(model, path);
  return path;
}
}  // namespace

TEST(TorchInterop, TrainedConvNetsGiveTheSameLogits) {
  SKIP_WITHOUT_TORCH();
  NNZERO_MNIST_DIR_OR_SKIP(data);
  const Mnist& m = mnist(data);
  ScratchDir dir;
  // deep_convnet (dropout before the output) learns slowly at first: 25 steps lift it to
  // about 0.25 (0.249 with the implicit GEMM convolutions; it moves with the order in which
  // the kernels add up floats), above twice chance (0.1), which is all this test needs to
  // know the weights are trained.
  struct Run {
    std::string name;
    int64_t steps;
    double min_accuracy;
  };
  for (const auto& [name, steps, min_accuracy] :
       {Run{"simple_convnet", 40, 0.5}, Run{"deep_convnet", 25, 0.2}}) {
    const std::string path = train_builtin(name, steps, m, dir);
    const Comparison c = compare_with_torch(path, m, data, dir);
    std::printf(
        "%s after %lld steps: max |nnzero - PyTorch| = %.3g over %lld images "
        "(largest |logit| %.3g), argmax agrees on %lld, accuracy %.3f\n",
        name.c_str(), static_cast<long long>(steps), c.max_abs_diff,
        static_cast<long long>(kImages), c.max_abs_logit, static_cast<long long>(c.argmax_agree),
        c.accuracy);
    EXPECT_LE(c.max_abs_diff, 1e-4) << name;
    EXPECT_GT(c.accuracy, min_accuracy) << name << ": the short training run did not train";
    EXPECT_GE(c.argmax_agree, kImages - 1) << name;
  }
}

TEST(TorchInterop, EveryLayerTypeMapsOntoPyTorch) {
  SKIP_WITHOUT_TORCH();
  NNZERO_MNIST_DIR_OR_SKIP(data);
  const Mnist& m = mnist(data);
  ScratchDir dir;
  // Every layer type, with non-default settings where a type has any.
  const ModelSpec spec = ModelSpec::parse(R"({
    "name": "every_layer", "input": [1, 28, 28], "init": "xavier",
    "layers": [
      {"type": "conv2d", "out_channels": 4, "kernel": 3, "padding": 1},
      {"type": "batchnorm2d", "eps": 0.001, "momentum": 0.3},
      {"type": "leaky_relu", "negative_slope": 0.1},
      {"type": "avgpool2d", "kernel": 3, "stride": 2, "padding": 1},
      {"type": "conv2d", "out_channels": 6, "kernel": 3, "stride": 2, "bias": false, "init": "std:0.3"},
      {"type": "tanh"},
      {"type": "maxpool2d", "kernel": 3, "stride": 2, "padding": 1},
      {"type": "dropout", "p": 0.3},
      {"type": "sigmoid"},
      {"type": "conv2d", "out_channels": 8, "kernel": 1},
      {"type": "relu"},
      {"type": "global_avgpool2d"},
      {"type": "flatten"},
      {"type": "linear", "out_features": 20},
      {"type": "batchnorm1d"},
      {"type": "relu"},
      {"type": "linear", "out_features": 10, "bias": false},
      {"type": "softmax"}
    ]})");
  Rng rng(3);
  Sequential model(spec, rng);
  // Running statistics that are not the initial 0 and 1: a few training-mode passes.
  const Tensor x = test_images(m, model, 200);
  for (int i = 0; i < 3; ++i) model.forward(x, true);
  const std::string path = dir / "every_layer.safetensors";
  save_model(model, path);
  const Comparison c = compare_with_torch(path, m, data, dir);
  std::printf("every layer type: max |nnzero - PyTorch| = %.3g (largest output %.3g)\n",
              c.max_abs_diff, c.max_abs_logit);
  EXPECT_LE(c.max_abs_diff, 1e-5);  // softmax outputs in [0, 1]
}

// Every type in the layer registry, each in a network of its own on its registry example
// (flattened when its output is not flat), with PyTorch's module and arguments as the
// registry gives them: the same outputs on a random batch, in one run of the script.
TEST(TorchInterop, EveryRegisteredLayerTypeGivesPyTorchsOutputs) {
  SKIP_WITHOUT_TORCH();
  ScratchDir dir;
  std::string triples;
  std::vector<std::pair<std::string, Tensor>> want;
  for (const LayerType& t : layer_types()) {
    nlohmann::json layer = t.example_fields;
    layer["type"] = t.name;
    nlohmann::json layers = nlohmann::json::array({layer});
    Rng probe_rng(0);
    const Shape out =
        make_layer(parse_layer_spec(layer, t.name), t.example_input, probe_rng, t.name)
            ->out_shape();
    if (out.rank() != 1) layers.push_back({{"type", "flatten"}});
    const nlohmann::json spec = {
        {"name", t.name},
        {"input", std::vector<int64_t>(t.example_input.begin(), t.example_input.end())},
        {"layers", layers}};
    Rng rng(21);
    Sequential model(ModelSpec::parse(spec.dump(), t.name), rng);
    for (const NamedParam& p : model.named_params()) rng.fill_normal(p.param->value, 0.0f, 1.0f);
    Tensor x(model.input_shape().with_batch(6));
    fill_random_input(x, model.layer(0).token_ids_below(), rng);
    for (int i = 0; i < 3; ++i) model.forward(x, true);  // BatchNorm's running statistics move
    const std::string base = dir / t.name;
    save_model(model, base + ".safetensors");
    write_safetensors(base + ".x.safetensors", {{"x", &x}}, {});
    want.emplace_back(t.name, model.forward(x, false).clone());
    triples +=
        " '" + base + ".safetensors' '" + base + ".x.safetensors' '" + base + ".y.safetensors'";
  }
  const CliResult r = run_script("forward" + triples, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto& [name, y] : want) {
    SCOPED_TRACE(name);
    const Tensor theirs = SafetensorsFile::read(dir / name + ".y.safetensors").tensor("y");
    ASSERT_EQ(theirs.numel(), y.numel());
    for (int64_t i = 0; i < y.numel(); ++i) {
      EXPECT_NEAR(theirs[i], y[i], 1e-5f * std::max(1.0f, std::abs(y[i]))) << i;
    }
  }
}

// The colour built-ins (residual blocks: PyTorch's BasicBlock of the script) both ways: the
// model file nnzero writes gives PyTorch nnzero's outputs, and the same network made in
// PyTorch, with its own random weights and statistics and saved by the script, gives nnzero
// PyTorch's outputs.
TEST(TorchInterop, TheColourModelsRoundTripBothWays) {
  SKIP_WITHOUT_TORCH();
  ScratchDir dir;
  nnzero_test::spit(dir / "from_torch.py", R"(import json, sys, torch
sys.path.insert(0, sys.argv[1])
import torch_interop as ti
spec = json.load(open(sys.argv[2]))
torch.manual_seed(0)
model = ti.build_sequential(spec)
ti.init_weights(model, spec)
with torch.no_grad():
    for name, t in model.state_dict().items():
        if name.endswith(("bias", "running_mean")):
            t.normal_(0.0, 0.1)
        elif name.endswith("running_var"):
            t.uniform_(0.5, 2.0)
x = torch.from_numpy(ti.read_safetensors(sys.argv[3])[0]["x"])
y = model.eval()(x).detach()
ti.save_model(model, spec, sys.argv[4])
ti.write_safetensors(sys.argv[5], {"y": y.numpy()}, {})
)");
  const std::string tools = std::string(NNZERO_SOURCE_DIR) + "/tools";
  for (const std::string name : {"resnet_cifar", "alexnet_cifar"}) {
    SCOPED_TRACE(name);
    Rng rng(5);
    Sequential model(builtin_spec(name), rng);
    Tensor x(model.input_shape().with_batch(4));
    rng.fill_normal(x, 0.0f, 1.0f);
    for (int i = 0; i < 3; ++i) model.forward(x, true);  // running statistics move
    const std::string base = dir / name;
    save_model(model, base + ".safetensors");
    write_safetensors(base + ".x.safetensors", {{"x", &x}}, {});
    nnzero_test::spit(base + ".json", model.spec().to_json());
    const CliResult to_torch = run_script("forward '" + base + ".safetensors' '" + base +
                                              ".x.safetensors' '" + base + ".y.safetensors'",
                                          dir);
    ASSERT_EQ(to_torch.exit_code, 0) << to_torch.err;
    expect_same_outputs(SafetensorsFile::read(base + ".y.safetensors").tensor("y"),
                        model.forward(x, false));

    const CliResult from_torch = run_python(
        "from_torch.py '" + tools + "' '" + base + ".json' '" + base + ".x.safetensors' '" + base +
            ".torch.safetensors' '" + base + ".torch_y.safetensors'",
        dir);
    ASSERT_EQ(from_torch.exit_code, 0) << from_torch.err;
    LoadedModel loaded = load_model(base + ".torch.safetensors");
    const Tensor theirs = SafetensorsFile::read(base + ".torch_y.safetensors").tensor("y");
    expect_same_outputs(theirs, loaded.model->forward(x, false));
    // PyTorch's weights, not nnzero's: the outputs differ from the first model's.
    EXPECT_GT(std::abs(theirs[0] - model.forward(x, false)[0]), 1e-3f);
  }
}

// Book 2's rnnlm trained by nnzero on the Penn Treebank gives PyTorch's logits
// (nn.Embedding, nn.LSTM(batch_first=True), nn.Linear) on a batch of the test text, and the
// same network made in PyTorch with its own weights gives nnzero PyTorch's.
TEST(TorchInterop, TrainedRnnlmGivesTheSameLogitsBothWays) {
  SKIP_WITHOUT_TORCH();
  NNZERO_PTB_DIR_OR_SKIP(ptb);
  ScratchDir dir;
  const CliResult trained =
      run_cli("train --model rnnlm --data '" + ptb + "' --max-steps 30 --out run --quiet", dir);
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  LoadedModel ours = load_model(dir / "run/model.safetensors");
  const TextCorpus corpus = load_text_corpus(ptb);
  Tensor x(ours.model->input_shape().with_batch(2));
  for (int64_t i = 0; i < x.numel(); ++i)
    x[i] = static_cast<float>(corpus.test[static_cast<size_t>(i)]);
  write_safetensors(dir / "x.safetensors", {{"x", &x}}, {});
  const CliResult to_torch =
      run_script("forward run/model.safetensors x.safetensors y.safetensors", dir);
  ASSERT_EQ(to_torch.exit_code, 0) << to_torch.err;
  expect_same_outputs(SafetensorsFile::read(dir / "y.safetensors").tensor("y"),
                      ours.model->forward(x, false));

  nnzero_test::spit(dir / "from_torch.py", R"(import json, sys, torch
sys.path.insert(0, sys.argv[1])
import torch_interop as ti
spec = json.load(open(sys.argv[2]))
torch.manual_seed(0)
model = ti.build_sequential(spec)  # PyTorch's own initialisation
x = torch.from_numpy(ti.read_safetensors("x.safetensors")[0]["x"]).long()
y = model.eval()(x).detach()
ti.save_model(model, spec, "torch.safetensors")
ti.write_safetensors("torch_y.safetensors", {"y": y.numpy()}, {})
)");
  nnzero_test::spit(dir / "spec.json", ours.model->spec().to_json());
  const CliResult from_torch =
      run_python("from_torch.py '" + std::string(NNZERO_SOURCE_DIR) + "/tools' spec.json", dir);
  ASSERT_EQ(from_torch.exit_code, 0) << from_torch.err;
  LoadedModel theirs = load_model(dir / "torch.safetensors");
  const Tensor y = SafetensorsFile::read(dir / "torch_y.safetensors").tensor("y");
  expect_same_outputs(y, theirs.model->forward(x, false));
  EXPECT_GT(std::abs(y[0] - ours.model->forward(x, false)[0]), 1e-3f);
}

// Book 2's encoder-decoders (nnzero's Seq2seq: the script's Seq2seq module) with each
// decoder, reversed and bidirectional encoders among them: nnzero's random weights give
// PyTorch nnzero's logits, and the same network made in PyTorch with its own weights gives
// nnzero PyTorch's.
TEST(TorchInterop, Seq2seqModelsGiveTheSameLogitsBothWays) {
  SKIP_WITHOUT_TORCH();
  ScratchDir dir;
  nnzero_test::spit(dir / "from_torch.py", R"(import json, sys, torch
sys.path.insert(0, sys.argv[1])
import torch_interop as ti
base = sys.argv[2]
spec = json.load(open(base + ".json"))
torch.manual_seed(0)
model = ti.build_model(spec)  # PyTorch's own initialisation
assert isinstance(model, ti.Seq2seq)
x = torch.from_numpy(ti.read_safetensors(base + ".x.safetensors")[0]["x"]).long()
y = model.eval()(x).detach()
ti.save_model(model, spec, base + ".torch.safetensors")
ti.write_safetensors(base + ".torch_y.safetensors", {"y": y.numpy()}, {})
)");
  const std::string tools = std::string(NNZERO_SOURCE_DIR) + "/tools";
  for (const auto& [decoder, reverse, bidirectional] : {std::tuple{"plain", false, false},
                                                        {"peeky", true, false},
                                                        {"attention", true, false},
                                                        {"attention", false, true}}) {
    ModelSpec spec = nnzero_test::small_seq2seq_spec(decoder, reverse, bidirectional);
    spec.name = std::string(decoder) + (reverse ? "_reversed" : "") +
                (bidirectional ? "_bidirectional" : "");
    SCOPED_TRACE(spec.name);
    Rng rng(17);
    Seq2seq model(spec, rng);
    for (const NamedParam& p : model.named_params()) rng.fill_normal(p.param->value, 0.0f, 0.8f);
    Tensor x(model.input_shape().with_batch(5));
    fill_random_input(x, 9, rng);
    const std::string base = dir / spec.name;
    save_model(model, base + ".safetensors");
    write_safetensors(base + ".x.safetensors", {{"x", &x}}, {});
    nnzero_test::spit(base + ".json", model.spec().to_json());
    const Tensor ours = model.forward(x, false).clone();
    ASSERT_EQ(ours.shape(), (Shape{5, 2, 9}));
    const CliResult to_torch = run_script("forward '" + base + ".safetensors' '" + base +
                                              ".x.safetensors' '" + base + ".y.safetensors'",
                                          dir);
    ASSERT_EQ(to_torch.exit_code, 0) << to_torch.err;
    const Tensor y = SafetensorsFile::read(base + ".y.safetensors").tensor("y");
    EXPECT_EQ(y.shape(), ours.shape());
    expect_same_outputs(y, ours);

    const CliResult from_torch = run_python("from_torch.py '" + tools + "' '" + base + "'", dir);
    ASSERT_EQ(from_torch.exit_code, 0) << from_torch.err;
    LoadedModel theirs = load_model(base + ".torch.safetensors");
    const Tensor torch_y = SafetensorsFile::read(base + ".torch_y.safetensors").tensor("y");
    expect_same_outputs(torch_y, theirs.model->forward(x, false));
    // PyTorch's weights, not nnzero's: the outputs differ from the first model's.
    EXPECT_GT(std::abs(torch_y[0] - ours[0]), 1e-3f);
  }
}

// A GPT (model/gpt.h) as nanoGPT's module (tools/torch_interop.py's GPT): the same logits
// from nnzero's file in PyTorch and from PyTorch's file in nnzero, with and without biases;
// the tied lm_head stays tied in PyTorch.
TEST(TorchInterop, GptModelsGiveTheSameLogitsBothWays) {
  SKIP_WITHOUT_TORCH();
  ScratchDir dir;
  nnzero_test::spit(dir / "gpt_from_torch.py", R"(import json, sys, torch
sys.path.insert(0, sys.argv[1])
import torch_interop as ti
base = sys.argv[2]
spec = json.load(open(base + ".json"))
torch.manual_seed(0)
model = ti.build_model(spec)  # nanoGPT's initialisation, PyTorch's generator
assert isinstance(model, ti.GPT)
assert model.lm_head.weight is model.transformer.wte.weight
x = torch.from_numpy(ti.read_safetensors(base + ".x.safetensors")[0]["x"]).long()
y = model.eval()(x).detach()
ti.save_model(model, spec, base + ".torch.safetensors")
ti.write_safetensors(base + ".torch_y.safetensors", {"y": y.numpy()}, {})
)");
  const std::string tools = std::string(NNZERO_SOURCE_DIR) + "/tools";
  for (bool bias : {false, true}) {
    const std::string name = bias ? "gpt_bias" : "gpt";
    SCOPED_TRACE(name);
    const ModelSpec spec = ModelSpec::parse(
        R"({"name": ")" + name + R"(", "input": [7], "gpt": {"vocab": 11, "context": 7, "layers": 2,
            "heads": 2, "width": 12, "bias": )" +
        (bias ? "true" : "false") + "}}");
    Rng rng(23);
    Gpt model(spec, rng);
    for (const NamedParam& p : model.named_params()) rng.fill_normal(p.param->value, 0.0f, 0.5f);
    Tensor x(model.input_shape().with_batch(3));
    fill_random_input(x, 11, rng);
    const std::string base = dir / name;
    save_model(model, base + ".safetensors");
    write_safetensors(base + ".x.safetensors", {{"x", &x}}, {});
    nnzero_test::spit(base + ".json", model.spec().to_json());
    const Tensor ours = model.forward(x, false).clone();
    ASSERT_EQ(ours.shape(), (Shape{3, 7, 11}));
    const CliResult to_torch = run_script("forward '" + base + ".safetensors' '" + base +
                                              ".x.safetensors' '" + base + ".y.safetensors'",
                                          dir);
    ASSERT_EQ(to_torch.exit_code, 0) << to_torch.err;
    expect_same_outputs(SafetensorsFile::read(base + ".y.safetensors").tensor("y"), ours);

    const CliResult from_torch =
        run_python("gpt_from_torch.py '" + tools + "' '" + base + "'", dir);
    ASSERT_EQ(from_torch.exit_code, 0) << from_torch.err;
    LoadedModel theirs = load_model(base + ".torch.safetensors");
    const Tensor torch_y = SafetensorsFile::read(base + ".torch_y.safetensors").tensor("y");
    expect_same_outputs(torch_y, theirs.model->forward(x, false));
    EXPECT_GT(std::abs(torch_y[0] - ours[0]), 1e-3f);  // PyTorch's weights, not nnzero's
  }
}

// Tied weights (book 2's BetterRnnlm): the file holds the shared weight under both names, as
// PyTorch's state_dict does; either side reads the other's file with the weights still tied.
TEST(TorchInterop, TiedWeightsRoundTripBothWays) {
  SKIP_WITHOUT_TORCH();
  ScratchDir dir;
  const std::string spec_text =
      R"({"name": "tied", "input": [6], "init": "xavier", "tie_weights": true,
    "layers": [{"type": "embedding", "num_embeddings": 11, "embedding_dim": 5},
               {"type": "dropout", "p": 0.3},
               {"type": "lstm", "hidden_size": 5, "num_layers": 2, "dropout": 0.2},
               {"type": "linear", "out_features": 11}]})";
  nnzero_test::spit(dir / "spec.json", spec_text);
  Rng rng(8);
  Sequential model(ModelSpec::parse(spec_text), rng);
  Tensor x(model.input_shape().with_batch(3));
  fill_random_input(x, 11, rng);
  save_model(model, dir / "tied.safetensors");
  write_safetensors(dir / "x.safetensors", {{"x", &x}}, {});
  const CliResult to_torch =
      run_script("forward tied.safetensors x.safetensors y.safetensors", dir);
  ASSERT_EQ(to_torch.exit_code, 0) << to_torch.err;
  expect_same_outputs(SafetensorsFile::read(dir / "y.safetensors").tensor("y"),
                      model.forward(x, false));

  nnzero_test::spit(dir / "from_torch.py", R"(import json, sys, torch
sys.path.insert(0, sys.argv[1])
import torch_interop as ti
spec = json.load(open("spec.json"))
torch.manual_seed(0)
model = ti.build_sequential(spec)
assert model[-1].weight is model[0].weight
x = torch.from_numpy(ti.read_safetensors("x.safetensors")[0]["x"]).long()
ti.save_model(model, spec, "torch.safetensors")
ti.write_safetensors("torch_y.safetensors", {"y": model.eval()(x).detach().numpy()}, {})
)");
  const CliResult from_torch =
      run_python("from_torch.py '" + std::string(NNZERO_SOURCE_DIR) + "/tools'", dir);
  ASSERT_EQ(from_torch.exit_code, 0) << from_torch.err;
  LoadedModel theirs = load_model(dir / "torch.safetensors");
  expect_same_outputs(SafetensorsFile::read(dir / "torch_y.safetensors").tensor("y"),
                      theirs.model->forward(x, false));
}

TEST(TorchInterop, ModelTrainedInPyTorchRunsInNnzero) {
  SKIP_WITHOUT_TORCH();
  NNZERO_MNIST_DIR_OR_SKIP(data);
  ScratchDir dir;
  nnzero_test::spit(dir / "spec.json", R"({
    "name": "torch_cnn", "input": [1, 28, 28],
    "layers": [
      {"type": "conv2d", "out_channels": 8, "kernel": 3, "padding": 1},
      {"type": "batchnorm2d"},
      {"type": "relu"},
      {"type": "maxpool2d", "kernel": 2},
      {"type": "conv2d", "out_channels": 16, "kernel": 3},
      {"type": "relu"},
      {"type": "maxpool2d", "kernel": 2},
      {"type": "flatten"},
      {"type": "dropout", "p": 0.25},
      {"type": "linear", "out_features": 10}
    ]})");
  const CliResult t =
      run_script("train --spec spec.json --data '" + data +
                     "' --out torch.safetensors --epochs 1 --max-steps 150 "
                     "--batch 64 --optimizer adam --lr 0.003 --lr-schedule cosine --seed 1",
                 dir);
  ASSERT_EQ(t.exit_code, 0) << t.err;
  const double torch_acc = t.json()["test_acc"].get<double>();
  // The file is what nnzero writes: F32 tensors named as the nn.Sequential, no
  // num_batches_tracked, the spec and the version in the metadata.
  const SafetensorsFile file = SafetensorsFile::read(dir / "torch.safetensors");
  EXPECT_TRUE(file.metadata().contains("nnzero.spec"));
  EXPECT_TRUE(file.metadata().contains("nnzero.version"));
  for (const SafetensorsEntry& e : file.entries()) {
    EXPECT_EQ(e.dtype, "F32") << e.name;
    EXPECT_EQ(e.name.find("num_batches_tracked"), std::string::npos);
  }
  EXPECT_NE(file.find("1.running_var"), nullptr);
  const CliResult e = nnzero_test::run_cli("eval torch.safetensors --data '" + data + "'", dir);
  ASSERT_EQ(e.exit_code, 0) << e.err;
  const double ours = e.json()["accuracy"].get<double>();
  std::printf("trained in PyTorch: test accuracy %.4f in PyTorch, %.4f in nnzero\n", torch_acc,
              ours);
  EXPECT_GT(torch_acc, 0.8);
  EXPECT_NEAR(ours, torch_acc, 1e-4);  // at most one of the 10,000 test images differs
}

// The script's `train` honours "trainable": false as nnzero does: the frozen convolution and
// BatchNorm (its running statistics too) are the same after 1 step and after 30, the rest
// is not.
TEST(TorchInterop, TheScriptKeepsFrozenLayersAsTheyAre) {
  SKIP_WITHOUT_TORCH();
  NNZERO_MNIST_DIR_OR_SKIP(data);
  ScratchDir dir;
  nnzero_test::spit(dir / "spec.json", R"({
    "name": "frozen_body", "input": [1, 28, 28],
    "layers": [
      {"type": "conv2d", "out_channels": 4, "kernel": 5, "stride": 2, "trainable": false},
      {"type": "batchnorm2d", "trainable": false},
      {"type": "relu"}, {"type": "flatten"},
      {"type": "linear", "out_features": 10}
    ]})");
  for (const char* steps : {"1", "30"}) {
    const CliResult r = run_script("train --spec spec.json --data '" + data + "' --out s" + steps +
                                       ".safetensors --epochs 1 --max-steps " + steps +
                                       " --batch 32 --optimizer adam --seed 4",
                                   dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  const SafetensorsFile one = SafetensorsFile::read(dir / "s1.safetensors"),
                        many = SafetensorsFile::read(dir / "s30.safetensors");
  for (const SafetensorsEntry& e : one.entries()) {
    SCOPED_TRACE(e.name);
    const Tensor a = one.tensor(e.name), b = many.tensor(e.name);
    const bool same = std::equal(a.begin(), a.end(), b.begin());
    EXPECT_EQ(same, e.name[0] != '4');  // layers 0 and 1 frozen, layer 4 trained
  }
}

TEST(TorchInterop, ScriptErrorsNameTheFile) {
  SKIP_WITHOUT_TORCH();
  ScratchDir dir;
  nnzero_test::spit(dir / "junk.safetensors", "junk");
  const CliResult r = run_script("info junk.safetensors", dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_HAS(r.err, "junk.safetensors: truncated");
}

// F16 and BF16 model files: nnzero's rounding is PyTorch's (.half(), .bfloat16()), bit for
// bit, and a model PyTorch saves in either dtype loads in nnzero with the same weights.
TEST(TorchInterop, SixteenBitModelFilesRoundTripBothWays) {
  SKIP_WITHOUT_TORCH();
  ScratchDir dir;
  const std::string spec_text = R"({"name": "half", "input": [1, 6, 6],
    "layers": [{"type": "conv2d", "out_channels": 3, "kernel": 3}, {"type": "batchnorm2d"},
               {"type": "relu"}, {"type": "flatten"}, {"type": "linear", "out_features": 4}]})";
  Rng rng(12);
  Sequential model(ModelSpec::parse(spec_text), rng);
  for (const NamedTensor& t : model.state()) {  // values with bits below bfloat16's 8
    for (float& v : t.tensor->span()) v = static_cast<float>(rng.normal()) * 3.0f;
  }
  save_model(model, dir / "f32.safetensors");
  save_model(model, dir / "F16.safetensors", {}, TensorDtype::F16);
  save_model(model, dir / "BF16.safetensors", {}, TensorDtype::BF16);
  nnzero_test::spit(dir / "half.py", R"(import json, sys, numpy as np, torch
sys.path.insert(0, sys.argv[1])
import torch_interop as ti
model, spec, _ = ti.load_model("f32.safetensors")
for dtype, convert in (("F16", torch.nn.Module.half), ("BF16", torch.nn.Module.bfloat16)):
    ours, _ = ti.read_safetensors(dtype + ".safetensors")
    assert set(ti.safetensors_dtypes(dtype + ".safetensors").values()) == {dtype}
    theirs = convert(ti.load_model("f32.safetensors")[0])
    for name, value in theirs.state_dict().items():
        if name.endswith("num_batches_tracked"):
            continue
        want = value.float().numpy()
        assert np.array_equal(ours[name].astype(np.float32), want), (dtype, name)
    ti.save_model(theirs, spec, "torch_" + dtype + ".safetensors")
print(json.dumps({"ok": True}))
)");
  const CliResult py = run_python("half.py '" + std::string(NNZERO_SOURCE_DIR) + "/tools'", dir);
  ASSERT_EQ(py.exit_code, 0) << py.err;
  EXPECT_EQ(py.json()["ok"], true);
  for (const std::string dtype : {"F16", "BF16"}) {
    LoadedModel ours = load_model(dir / (dtype + ".safetensors"));
    LoadedModel theirs = load_model(dir / ("torch_" + dtype + ".safetensors"));
    EXPECT_EQ(theirs.dtype, dtype);
    const std::vector<NamedTensor> a = ours.model->state(), b = theirs.model->state();
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      for (int64_t k = 0; k < a[i].tensor->numel(); ++k)
        ASSERT_EQ((*a[i].tensor)[k], (*b[i].tensor)[k]) << dtype << " " << a[i].name;
    }
  }
}
