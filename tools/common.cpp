#include "common.h"

#include <algorithm>
#include <cctype>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <numeric>

#include "nnzero/error.h"
#include "nnzero/model/sequential.h"
#include "nnzero/parallel.h"
#include "nnzero/train/trainer.h"

namespace nnzero::cli {

namespace {
extern "C" void on_sigint(int) {
  request_stop();
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C stops at once
}
}  // namespace

void ModelChoice::add_flags(CLI::App& cmd, bool with_multi_layer_options) {
  cmd.add_option("--model", model, "Built-in model: " + join(builtin_model_names(), ", "));
  cmd.add_option("--spec", spec_file, "Model spec (JSON file, see docs/spec.md)");
  cmd.add_option("--engine", engine,
                 "fast (default: the planned fast layers) or book (every layer as the book "
                 "computes it, one by one)");
  if (!with_multi_layer_options) return;
  cmd.add_option("--hidden", hidden, "multi_layer_net: hidden sizes, e.g. 100,100,100");
  cmd.add_option("--activation", activation, "multi_layer_net: relu, leaky_relu, sigmoid or tanh");
  cmd.add_flag("--batchnorm", batchnorm, "multi_layer_net: BatchNorm after each hidden layer");
  cmd.add_option("--dropout", dropout, "multi_layer_net: dropout ratio after each hidden layer");
  cmd.add_option("--init", init, "Weight init: he, xavier or std:<s> (overrides the model's)");
}

ModelSpec ModelChoice::resolve() const {
  if (model.empty() == spec_file.empty()) {
    throw Error("give exactly one of --model NAME or --spec FILE");
  }
  const bool multi_options = !hidden.empty() || !activation.empty() || batchnorm || dropout != 0.0;
  const bool sized_lm = (model == "better_rnnlm" || model.ends_with("seq2seq")) &&
                        activation.empty() && !batchnorm &&
                        (model == "better_rnnlm" || dropout == 0.0);
  if (multi_options && model != "multi_layer_net" && !sized_lm) {
    throw Error(
        "--hidden, --activation, --batchnorm and --dropout apply to --model multi_layer_net "
        "(--hidden N and --dropout P also to better_rnnlm, --hidden N to the seq2seq models)");
  }
  ModelSpec spec;
  if (!spec_file.empty()) {
    spec = ModelSpec::load(spec_file);
    try {  // shape errors (layers that do not chain) surface when the network is built
      Rng rng(0);
      make_model(spec, rng);
    } catch (const Error& e) {
      throw Error(spec_file + ": " + e.what());
    }
  } else {
    MultiLayerOptions o;
    if (!hidden.empty()) o.hidden = parse_sizes(hidden, "--hidden");
    if (!activation.empty()) o.activation = activation;
    o.batchnorm = batchnorm;
    o.dropout = static_cast<float>(dropout);
    spec = builtin_spec(model, o);
  }
  if (!init.empty()) {
    check_init(init, "--init");
    spec.init = init;
  }
  return spec;
}

std::string resolve_data_dir(const std::string& flag) {
  return flag.empty() ? default_mnist_dir() : flag;
}

Mnist load_mnist_for(const std::string& dir) {
  return load_mnist(dir);
}

std::vector<int64_t> parse_sizes(const std::string& text, const std::string& flag) {
  std::vector<int64_t> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t comma = text.find(',', pos);
    const std::string item =
        text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    size_t used = 0;
    int64_t v = 0;
    try {
      v = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || v < 1) {
      throw Error(flag + ": expected positive sizes separated by commas, got \"" + text + "\"");
    }
    out.push_back(v);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

void apply_threads(int threads) {
  if (threads < 0) throw Error("--threads must be at least 1, got " + std::to_string(threads));
  if (threads > 0) {
    try {
      set_num_threads(threads);
    } catch (const Error& e) {
      throw Error("--threads " + std::to_string(threads) + ": " + e.what());
    }
  }
}

bool given(const CLI::App& cmd, const char* flag) {
  const CLI::Option* o = cmd.get_option_no_throw(flag);
  return o != nullptr && o->count() > 0;
}

std::vector<Tensor> calibration_batches(const Dataset& data, int64_t n, const Shape& input) {
  std::vector<Tensor> batches;
  for (int64_t begin = 0; begin < std::min(n, data.size()); begin += 100) {
    std::vector<int32_t> idx(static_cast<size_t>(std::min<int64_t>(100, n - begin)));
    std::iota(idx.begin(), idx.end(), static_cast<int32_t>(begin));
    batches.emplace_back();
    gather_images(data, idx, input, batches.back());
  }
  return batches;
}

void add_precision_flag(CLI::App& cmd, std::string& value) {
  cmd.add_option("--precision", value,
                 "fp32 (default), fp16 or bf16: the weights, the input and every layer's output "
                 "stored in that 16-bit format (products in float32), as the book's section "
                 "8.3.4; an int8 model file (nnzero quantize) runs in int8");
}

// The model's name made safe for a folder name: a spec's name is the user's text ("../../x"
// must not lead out of runs/).
std::string default_run_dir(const std::string& name) {
  std::string safe;
  for (char c : name) {
    safe += std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ? c : '_';
  }
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::localtime(&now));
  return "runs/" + (safe.empty() ? std::string("model") : safe) + "-" + stamp;
}

// A folder that holds a run's files: training into it again would replace them.
bool holds_a_run(const std::string& dir) {
  namespace fs = std::filesystem;
  for (const char* file : {"model.safetensors", "checkpoint.safetensors", "metrics.csv"}) {
    if (fs::exists(fs::path(dir) / file)) return true;
  }
  return false;
}

std::string run_dir(const CLI::App& cmd, const std::string& model_name) {
  if (!given(cmd, "--out")) return default_run_dir(model_name);
  const std::string dir = cmd.get_option("--out")->as<std::string>();
  if (dir.empty()) throw Error("--out: give a folder name (it is empty)");
  if (holds_a_run(dir) && !given(cmd, "--force")) {
    throw Error(dir + ": already holds a run (model.safetensors, checkpoint, metrics); " +
                "continue it with --resume " + dir + ", or pass --force to replace it");
  }
  return dir;
}

StopOnCtrlC::StopOnCtrlC() {
  clear_stop_request();
  std::signal(SIGINT, on_sigint);
}

StopOnCtrlC::~StopOnCtrlC() {
  std::signal(SIGINT, SIG_DFL);
}

}  // namespace nnzero::cli
