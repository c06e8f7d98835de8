// The model file (DESIGN.md): a safetensors file whose tensors are named and laid out as a
// PyTorch nn.Sequential built from the same layers ("0.weight", "3.running_mean", ...) and
// whose __metadata__ holds "nnzero.spec" (the model spec as JSON) and "nnzero.version".
// Other "nnzero.*" metadata (a table's preprocessing, say) travels along.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nnzero/io/channel_norm.h"
#include "nnzero/io/safetensors.h"
#include "nnzero/model/model.h"
#include "nnzero/model/plan.h"

namespace nnzero {

struct LoadedModel {
  std::unique_ptr<Model> model;
  std::map<std::string, std::string> metadata;
  std::string dtype = "F32";  // the file's: "F32", "F16", "BF16", or "mixed"
};

// Writes atomically: a crash never leaves a half-written model under `path`. With `dtype`
// F16 or BF16 every tensor is stored rounded to that format (half the file); a value that
// does not fit (beyond float16's 65504) is an error and nothing is written.
void save_model(Model& model, const std::string& path,
                const std::map<std::string, std::string>& extra_metadata = {},
                TensorDtype dtype = TensorDtype::F32);
// Builds the network from the file's spec and loads every tensor, checking names, shapes and
// dtypes (F32, F16 or BF16, read into float32). PyTorch's "*.num_batches_tracked" counters are
// ignored; any other tensor the spec does not have is an error.
LoadedModel load_model(const std::string& path, Engine engine = Engine::fast);
// The per-channel input normalisation a model trained on an image folder records in its
// "nnzero.preprocess" metadata (io/channel_norm.h); empty when there is none. Throws naming
// `where` when the metadata is not JSON or its lists are malformed.
ChannelNorm input_norm(const LoadedModel& loaded, const std::string& where);
// The class names a model trained on an image folder records in its "nnzero.classes"
// metadata, one per output; empty when there are none (MNIST's digits are their numbers).
// Throws naming `where` when it is not a JSON list of that many strings.
std::vector<std::string> class_names(const LoadedModel& loaded, const std::string& where);
// What load_weights took from a file: layer names ("3") and, for the rest, why not.
struct LoadedWeights {
  std::vector<std::string> loaded;  // every tensor of the layer came from the file
  std::vector<std::string> fresh;   // kept their initialisation: "6 (6.weight is (10, 50)
                                    // in the file, (2, 50) here)", "7 (not in the file)"
  std::vector<std::string> unused;  // tensors of the file that no layer took
};
// Transfer learning (`--init-from`): copies into `model` every layer whose tensors (parameters
// and buffers) the file holds under the same names and shapes; every other layer keeps its
// initial weights. The file's spec is not read: the two networks may differ (a new head with
// other classes, a layer added). Throws when not one layer matches.
LoadedWeights load_weights(Model& model, const std::string& path);

}  // namespace nnzero
