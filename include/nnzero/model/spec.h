// ModelSpec: the architecture as the JSON model spec describes it (docs/spec.md), parsed and
// validated. Every layer maps one-to-one onto a PyTorch module, so a spec is also an
// nn.Sequential. Unknown keys and types are errors, not ignored. What fields each layer type
// has, their defaults and their checks come from the layer registry (layer_registry.h).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "nnzero/shape.h"

namespace nnzero {

// One layer: its type and every field of that type (defaults filled in; fields without a
// default only when given). Built by parse_layer_spec, which validates it.
struct LayerSpec {
  std::string type;
  nlohmann::json fields = nlohmann::json::object();

  bool has(const std::string& key) const { return fields.contains(key); }
  int64_t integer(const std::string& key) const;
  float number(const std::string& key) const;
  bool boolean(const std::string& key) const;
  std::string string(const std::string& key, const std::string& fallback = "") const;
  // The layer's weight initialisation when the spec overrides the model's ("" otherwise).
  std::string init() const { return string("init"); }
  // False when the spec freezes the layer ("trainable": false): its parameters keep their
  // values and a BatchNorm its running statistics while the rest of the network trains.
  bool trainable() const { return !has("trainable") || boolean("trainable"); }
};

// Parses one layer of a spec: {"type": ..., fields...}; `where` ("spec: layer 3") prefixes
// errors. The same function builds the layers of the built-in models from C++.
LayerSpec parse_layer_spec(const nlohmann::json& j, const std::string& where);

// Training hyperparameters a spec may carry (the built-in models carry the book's); each
// is optional and the command line overrides it.
struct TrainDefaults {
  std::optional<std::string> optimizer, lr_schedule;
  std::optional<double> lr, weight_decay;
  std::optional<int64_t> batch, epochs, max_steps;
  std::optional<int64_t> crop_padding;  // data augmentation (data/augment.h)
  std::optional<bool> horizontal_flip;
  // Language models (train/language_model.h): the global gradient norm to clip to, and the
  // factor to divide the learning rate by when validation perplexity does not improve.
  std::optional<double> clip = {}, lr_decay = {};
  // GPT training (nanoGPT's): warm-up steps, the cosine schedule's final learning rate, and
  // the steps between two validations (an "epoch" of random windows).
  std::optional<int64_t> warmup_steps = {}, steps_per_epoch = {};
  std::optional<double> min_lr = {};
};

// An encoder-decoder network (book 2, chapters 7-8; model/seq2seq.h): the spec's top-level
// "seq2seq" object instead of "layers". Character ids in, character scores out.
struct Seq2seqSpec {
  std::string decoder = "plain";  // "plain" (ch. 7), "peeky" (ch. 7.3.2), "attention" (ch. 8)
  int64_t vocab = 0;              // characters, the start token '_' among them
  int64_t wordvec = 16;           // embedding size, encoder and decoder
  int64_t hidden = 128;           // LSTM hidden size (the encoder's both directions together)
  int64_t question = 0;           // characters of a question (Tq)
  int64_t answer = 0;             // characters of an answer, its start token included (Ta)
  bool reverse = false;           // the encoder reads the question backwards (ch. 7.3.1)
  bool bidirectional = false;     // the encoder: hidden/2 units each way (ch. 8.4.1)
};

// A GPT-style decoder-only transformer (model/gpt.h): the spec's top-level "gpt" object
// instead of "layers". Token ids (context) in, a score per token of the vocabulary for every
// position out.
struct GptSpec {
  int64_t vocab = 0;     // tokens (characters)
  int64_t context = 64;  // positions T the model reads at once (the input is (T))
  int64_t layers = 4;    // transformer blocks
  int64_t heads = 4;     // attention heads per block; width % heads == 0
  int64_t width = 128;   // C, the size of every position's vector
  bool bias = false;     // biases in the linear and layer-norm layers (nanoGPT's default: none)
};

struct ModelSpec {
  std::string name = "model";
  Shape input;  // one sample, e.g. (1, 28, 28) or (784)
  std::vector<LayerSpec> layers;
  std::string loss = "softmax_cross_entropy";
  std::string init = "he";
  // The output layer uses the embedding's weight (V, D) as its own (Press and Wolf 2017; book
  // 2's BetterRnnlm): the first layer an embedding, the last a linear from D to V.
  bool tie_weights = false;
  // Set for an encoder-decoder: then `layers` is empty and `input` is (Tq + Ta - 1): the
  // question's ids, then the decoder's input (the answer without its last character).
  std::optional<Seq2seqSpec> seq2seq;
  // Set for a GPT: then `layers` is empty and `input` is (context).
  std::optional<GptSpec> gpt;
  TrainDefaults train;

  // Parses and validates JSON text; `where` (a file name) prefixes error messages.
  static ModelSpec parse(const std::string& json_text, const std::string& where = "spec");
  static ModelSpec load(const std::string& path);
  // Canonical JSON (every field of every layer, defaults filled in).
  std::string to_json(bool pretty = false) const;
};

// The learning-rate schedules a spec's "train" section may name (train/lr_schedule.h).
const std::vector<std::string>& lr_schedule_names();

// Throws unless `init` is "he", "xavier" or "std:<s>" with s >= 0 (std:0 is the book's
// all-zero weights, its example of what not to do).
void check_init(const std::string& init, const std::string& where);
// The standard deviation of N(0, s^2) that `init` gives a weight with `fan_in` inputs:
// he: sqrt(2 / fan_in) (He et al. 2015, for ReLU), xavier: sqrt(1 / fan_in) (the book's
// form of Glorot and Bengio 2010), std:s: s.
float init_std(const std::string& init, int64_t fan_in);

}  // namespace nnzero
