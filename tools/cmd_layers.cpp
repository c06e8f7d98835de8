// nnzero layers: the layer types a model spec may use, from the layer registry: each type's
// fields with their defaults, and the PyTorch module it maps onto.
#include <cstdio>

#include "common.h"
#include "nnzero/model/layer_registry.h"

namespace nnzero::cli {

namespace {
void run_layers() {
  const nlohmann::json types = registry_json();
  for (const nlohmann::json& t : types) {
    std::fprintf(stderr, "%-18s nn.%-18s %s\n", t["type"].get<std::string>().c_str(),
                 t["torch_module"].get<std::string>().c_str(),
                 t["summary"].get<std::string>().c_str());
    for (const nlohmann::json& f : t["fields"]) {
      std::string fallback = f.contains("default") ? "default " + f["default"].dump()
                             : f.contains("default_from")
                                 ? "default: " + f["default_from"].get<std::string>()
                             : f.contains("optional") ? "optional"
                                                      : "required";
      std::fprintf(stderr, "    %-16s %-8s %-22s %s\n", f["name"].get<std::string>().c_str(),
                   f["kind"].get<std::string>().c_str(), fallback.c_str(),
                   f["doc"].get<std::string>().c_str());
    }
  }
  print_result({{"layers", types}});
}
}  // namespace

void add_layers_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand(
      "layers", "The layer types of the model spec: fields, defaults, PyTorch modules");
  cmd->callback([] { run_layers(); });
}

}  // namespace nnzero::cli
