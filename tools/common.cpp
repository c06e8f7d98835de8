#include "common.h"

#include <iostream>

#include "nnzero/error.h"
#include "nnzero/model/sequential.h"
#include "nnzero/parallel.h"

namespace nnzero::cli {

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
  if (multi_options && model != "multi_layer_net") {
    throw Error(
        "--hidden, --activation, --batchnorm and --dropout apply to --model multi_layer_net");
  }
  ModelSpec spec;
  if (!spec_file.empty()) {
    spec = ModelSpec::load(spec_file);
    try {  // shape errors (layers that do not chain) surface when the network is built
      Rng rng(0);
      Sequential probe(spec, rng);
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

}  // namespace nnzero::cli
