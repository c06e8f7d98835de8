// nnzero info MODEL: the layers with their output shapes and parameters, the parameter count
// and the forward FLOPs per sample. MODEL is a model file, a spec file or a built-in name.
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "common.h"
#include "nnzero/model/model_file.h"

namespace nnzero::cli {

namespace {
struct InfoArgs {
  std::string model;
};

bool is_builtin(const std::string& name) {
  const auto names = builtin_model_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

void run_info(const InfoArgs& a) {
  std::unique_ptr<Sequential> model;
  Rng rng(0);
  // A file of that name wins over a built-in model; a folder never does. Either way, when
  // the name could mean both, stderr says which was used.
  const bool folder = std::filesystem::is_directory(a.model);
  const bool file = std::filesystem::exists(a.model) && !folder;
  if (is_builtin(a.model) && (file || folder)) {
    std::fprintf(stderr,
                 file ? "note: reading the file ./%s, not the built-in model of that name\n"
                      : "note: ./%s is a folder; showing the built-in model of that name\n",
                 a.model.c_str());
  }
  if (file && a.model.ends_with(".json")) {
    model = std::make_unique<Sequential>(ModelSpec::load(a.model), rng);
  } else if (file) {
    model = load_model(a.model).model;
  } else if (is_builtin(a.model)) {
    model = std::make_unique<Sequential>(builtin_spec(a.model), rng);
  } else {
    throw Error(a.model + (folder ? ": is a folder, not a model file" : ": no such file") +
                ", and not a built-in model (" + join(builtin_model_names(), ", ") + ")");
  }
  nlohmann::json layers = nlohmann::json::array();
  std::fprintf(stderr, "%-4s %-18s %-16s %12s %14s\n", "#", "layer", "output", "parameters",
               "FLOPs");
  std::fprintf(stderr, "%-4s %-18s %-16s\n", "", "input", model->input_shape().str().c_str());
  for (size_t i = 0; i < model->size(); ++i) {
    Layer& layer = model->layer(i);
    int64_t params = 0;
    for (Param* p : layer.params()) params += p->value.numel();
    std::fprintf(stderr, "%-4zu %-18s %-16s %12lld %14.0f\n", i, layer.type(),
                 layer.out_shape().str().c_str(), static_cast<long long>(params), layer.flops());
    layers.push_back(
        {{"index", i},
         {"type", layer.type()},
         {"output", std::vector<int64_t>(layer.out_shape().begin(), layer.out_shape().end())},
         {"params", params},
         {"flops", layer.flops()}});
  }
  std::fprintf(stderr, "total: %lld parameters, %.3f MFLOPs per sample (forward), loss %s\n",
               static_cast<long long>(model->num_params()), model->flops_per_sample() / 1e6,
               model->spec().loss.c_str());
  print_result(
      {{"model", model->spec().name},
       {"input", std::vector<int64_t>(model->input_shape().begin(), model->input_shape().end())},
       {"layers", layers},
       {"params", model->num_params()},
       {"flops_per_sample", model->flops_per_sample()},
       {"loss", model->spec().loss}});
}
}  // namespace

void add_info_command(CLI::App& app) {
  auto args = std::make_shared<InfoArgs>();
  CLI::App* cmd =
      app.add_subcommand("info", "Layers, output shapes, parameter count and FLOPs of a model");
  cmd->add_option("MODEL", args->model, "Model file, spec file (.json) or built-in model name")
      ->required();
  cmd->callback([args] { run_info(*args); });
}

}  // namespace nnzero::cli
