// ModelSpec: the architecture as the JSON model spec of DESIGN.md describes it, parsed and
// validated. Every layer maps one-to-one onto a PyTorch module, so a spec is also an
// nn.Sequential. Unknown keys and types are errors, not ignored.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nnzero/shape.h"

namespace nnzero {

struct LayerSpec {
  std::string type;
  // linear
  int64_t out_features = 0;
  // conv2d
  int64_t out_channels = 0;
  // conv2d, maxpool2d, avgpool2d (stride 0 means: the default, 1 for conv2d and kernel for
  // pooling)
  int64_t kernel = 0, stride = 0, padding = 0;
  bool bias = true;                    // linear, conv2d
  float negative_slope = 0.01f;        // leaky_relu
  float p = 0.5f;                      // dropout
  float eps = 1e-5f, momentum = 0.1f;  // batchnorm1d, batchnorm2d
  std::string init;                    // linear, conv2d: overrides the model's init
  // Optional checks (PyTorch's constructor arguments): when given, must match the input.
  std::optional<int64_t> in_features, in_channels, num_features;
};

// Training hyperparameters a spec may carry (the built-in models carry the book's); each
// is optional and the command line overrides it.
struct TrainDefaults {
  std::optional<std::string> optimizer, lr_schedule;
  std::optional<double> lr, weight_decay;
  std::optional<int64_t> batch, epochs, max_steps;
};

struct ModelSpec {
  std::string name = "model";
  Shape input;  // one sample, e.g. (1, 28, 28) or (784)
  std::vector<LayerSpec> layers;
  std::string loss = "softmax_cross_entropy";
  std::string init = "he";
  TrainDefaults train;

  // Parses and validates JSON text; `where` (a file name) prefixes error messages.
  static ModelSpec parse(const std::string& json_text, const std::string& where = "spec");
  static ModelSpec load(const std::string& path);
  // Canonical JSON (every field of every layer, defaults filled in).
  std::string to_json(bool pretty = false) const;
};

// Throws unless `init` is "he", "xavier" or "std:<positive number>".
void check_init(const std::string& init, const std::string& where);
// The standard deviation of N(0, s^2) that `init` gives a weight with `fan_in` inputs:
// he: sqrt(2 / fan_in) (He et al. 2015, for ReLU), xavier: sqrt(1 / fan_in) (the book's
// form of Glorot and Bengio 2010), std:s: s.
float init_std(const std::string& init, int64_t fan_in);

}  // namespace nnzero
