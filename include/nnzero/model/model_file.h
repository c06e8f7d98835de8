// The model file (DESIGN.md): a safetensors file whose tensors are named and laid out as a
// PyTorch nn.Sequential built from the same layers ("0.weight", "3.running_mean", ...) and
// whose __metadata__ holds "nnzero.spec" (the model spec as JSON) and "nnzero.version".
// Other "nnzero.*" metadata (a table's preprocessing, say) travels along.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "nnzero/model/model.h"
#include "nnzero/model/plan.h"

namespace nnzero {

struct LoadedModel {
  std::unique_ptr<Model> model;
  std::map<std::string, std::string> metadata;
};

// Writes atomically: a crash never leaves a half-written model under `path`.
void save_model(Model& model, const std::string& path,
                const std::map<std::string, std::string>& extra_metadata = {});
// Builds the network from the file's spec and loads every tensor, checking names, shapes and
// dtypes. PyTorch's "*.num_batches_tracked" counters are ignored; any other tensor the spec
// does not have is an error.
LoadedModel load_model(const std::string& path, Engine engine = Engine::fast);
// Copies the weights of a model file into `model` (fine-tuning); the architectures must match.
void load_weights(Model& model, const std::string& path);

}  // namespace nnzero
