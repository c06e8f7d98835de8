// nnzero info MODEL: the layers with their output shapes, parameters and PyTorch modules, the
// parameter count and the forward FLOPs per sample. MODEL is a model file, a spec file or a
// built-in name. For a model file it also names the dtype its tensors are stored in.
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "common.h"
#include "nnzero/model/layer_registry.h"
#include "nnzero/model/model_file.h"
#include "nnzero/model/sequential.h"

namespace nnzero::cli {

namespace {

struct InfoArgs {
  std::string model;
};

bool is_builtin(const std::string& name) {
  const auto names = builtin_model_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

// A file of that name wins over a built-in model; a folder never does. Either way, when the
// name could mean both, stderr says which was used.
// `dtype` becomes the file's tensors' dtype, or stays empty for a spec or built-in model.
std::unique_ptr<Model> open_model(const std::string& name, std::string& dtype) {
  Rng rng(0);
  const bool folder = std::filesystem::is_directory(name);
  const bool file = std::filesystem::exists(name) && !folder;
  if (is_builtin(name) && (file || folder)) {
    std::fprintf(stderr,
                 file ? "note: reading the file ./%s, not the built-in model of that name\n"
                      : "note: ./%s is a folder; showing the built-in model of that name\n",
                 name.c_str());
  }
  if (file && name.ends_with(".json")) return make_model(ModelSpec::load(name), rng);
  if (file) {
    LoadedModel loaded = load_model(name);
    dtype = loaded.dtype;
    return std::move(loaded.model);
  }
  if (is_builtin(name)) return make_model(builtin_spec(name), rng);
  throw Error(name + (folder ? ": is a folder, not a model file" : ": no such file") +
              ", and not a built-in model (" + join(builtin_model_names(), ", ") + ")");
}

// The layer's PyTorch module and constructor arguments, when the model is a spec's layers
// in a row (layer i = spec layer i).
nlohmann::json torch_module(const Model& model, size_t i, const Layer& layer) {
  const std::vector<LayerSpec>& specs = model.spec().layers;
  if (i >= specs.size() || specs[i].type != layer.type()) return nullptr;
  return {{"module", layer_type(specs[i].type).torch_module},
          {"args", torch_args(specs[i], layer.in_shape())}};
}

void run_info(const InfoArgs& a) {
  std::string dtype;
  std::unique_ptr<Model> model = open_model(a.model, dtype);
  nlohmann::json layers = nlohmann::json::array();
  std::fprintf(stderr, "%-4s %-18s %-16s %12s %14s\n", "#", "layer", "output", "parameters",
               "FLOPs");
  std::fprintf(stderr, "%-4s %-18s %-16s\n", "", "input", model->input_shape().str().c_str());
  const std::vector<NamedLayer> named = model->named_layers();
  for (size_t i = 0; i < named.size(); ++i) {
    const Layer& layer = *named[i].layer;
    int64_t params = 0;
    bool frozen = false;  // "trainable": false (transfer learning)
    for (Param* p : named[i].layer->params()) {
      params += p->value.numel();
      frozen |= p->frozen;
    }
    std::fprintf(stderr, "%-4s %-18s %-16s %12lld %14.0f%s\n", named[i].name.c_str(), layer.type(),
                 layer.out_shape().str().c_str(), static_cast<long long>(params), layer.flops(),
                 frozen ? "  frozen" : "");
    nlohmann::json entry = {
        {"index", i},
        {"name", named[i].name},
        {"type", layer.type()},
        {"output", std::vector<int64_t>(layer.out_shape().begin(), layer.out_shape().end())},
        {"params", params},
        {"flops", layer.flops()}};
    if (frozen) entry["frozen"] = true;
    if (nlohmann::json torch = torch_module(*model, i, layer); !torch.is_null()) {
      entry["torch"] = torch;
    }
    layers.push_back(entry);
  }
  std::fprintf(stderr, "total: %lld parameters, %.3f MFLOPs per sample (forward), loss %s\n",
               static_cast<long long>(model->num_params()), model->flops_per_sample() / 1e6,
               model->spec().loss.c_str());
  nlohmann::json result = {
      {"model", model->spec().name},
      {"input", std::vector<int64_t>(model->input_shape().begin(), model->input_shape().end())},
      {"layers", layers},
      {"params", model->num_params()},
      {"flops_per_sample", model->flops_per_sample()},
      {"loss", model->spec().loss}};
  if (!dtype.empty()) result["dtype"] = dtype;
  print_result(result);
}

}  // namespace

void add_info_command(CLI::App& app) {
  auto args = std::make_shared<InfoArgs>();
  CLI::App* cmd = app.add_subcommand(
      "info", "Layers, output shapes, parameters, FLOPs and PyTorch modules of a model");
  cmd->add_option("MODEL", args->model, "Model file, spec file (.json) or built-in model name")
      ->required();
  cmd->callback([args] { run_info(*args); });
}

}  // namespace nnzero::cli
