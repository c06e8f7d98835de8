#include "nnzero/model/layer_registry.h"

#include <optional>

#include "nnzero/error.h"
#include "nnzero/layers/avgpool2d.h"
#include "nnzero/layers/batchnorm.h"
#include "nnzero/layers/causal_self_attention.h"
#include "nnzero/layers/conv2d.h"
#include "nnzero/layers/dropout.h"
#include "nnzero/layers/embedding.h"
#include "nnzero/layers/flatten.h"
#include "nnzero/layers/gelu.h"
#include "nnzero/layers/global_avgpool2d.h"
#include "nnzero/layers/layer_norm.h"
#include "nnzero/layers/leaky_relu.h"
#include "nnzero/layers/linear.h"
#include "nnzero/layers/maxpool2d.h"
#include "nnzero/layers/recurrent.h"
#include "nnzero/layers/relu.h"
#include "nnzero/layers/residual_block.h"
#include "nnzero/layers/sigmoid.h"
#include "nnzero/layers/softmax.h"
#include "nnzero/layers/tanh.h"
#include "nnzero/strings.h"

namespace nnzero {

using nlohmann::json;

namespace {

// The fields several types share.
FieldDef bias_field() {
  return {.name = "bias",
          .kind = FieldDef::boolean,
          .fallback = true,
          .torch_name = "bias",
          .doc = "learn a bias"};
}
FieldDef init_field() {
  return {.name = "init",
          .kind = FieldDef::string,
          .rule = FieldRule::init,
          .optional = true,
          .doc = "weight init for this layer (overrides the model's)"};
}
// PyTorch's constructor argument that names the input size: optional in the spec, checked
// against the input when given.
FieldDef declared_input(const char* name) {
  return {.name = name,
          .kind = FieldDef::integer,
          .optional = true,
          .doc = "when given, must match the input"};
}
std::vector<FieldDef> pool_fields() {
  return {{.name = "kernel",
           .kind = FieldDef::integer,
           .rule = FieldRule::positive,
           .torch_name = "kernel_size",
           .doc = "window size K (K x K)"},
          {.name = "stride",
           .kind = FieldDef::integer,
           .rule = FieldRule::positive,
           .fallback_from = "kernel",
           .torch_name = "stride",
           .doc = "step (default: kernel)"},
          {.name = "padding",
           .kind = FieldDef::integer,
           .fallback = 0,
           .rule = FieldRule::non_negative,
           .torch_name = "padding",
           .doc = "padding on each side, at most kernel / 2"}};
}
std::vector<FieldDef> batchnorm_fields() {
  return {{.name = "eps",
           .kind = FieldDef::number,
           .fallback = 1e-5,
           .rule = FieldRule::positive_number,
           .torch_name = "eps",
           .doc = "added to the variance"},
          {.name = "momentum",
           .kind = FieldDef::number,
           .fallback = 0.1,
           .rule = FieldRule::unit_interval,
           .torch_name = "momentum",
           .doc = "running = (1 - m) running + m batch"},
          declared_input("num_features")};
}

// Throws unless the spec's declared input size (in_features, in_channels, num_features)
// matches the input's dimension `dim` (the first; -1: the last).
void check_declared(const LayerSpec& s, const char* field, const Shape& in, int dim = 0) {
  if (s.has(field) && s.integer(field) != in[dim < 0 ? in.rank() + dim : dim]) {
    throw Error(std::string("\"") + field + "\" is " + std::to_string(s.integer(field)) +
                " but the input to this layer has shape " + in.str());
  }
}

std::unique_ptr<Layer> make_batchnorm(const LayerSpec& s, const Shape& in) {
  const int want = s.type == "batchnorm1d" ? 1 : 3;
  if (in.rank() != want) {
    throw Error(s.type + ": expects samples of shape " + (want == 1 ? "(C)" : "(C, H, W)") +
                ", got " + in.str());
  }
  check_declared(s, "num_features", in);
  return std::make_unique<BatchNorm>(in, s.number("eps"), s.number("momentum"));
}

// rnn, lstm, gru: nn.RNN / nn.LSTM / nn.GRU with batch_first=True.
LayerType recurrent(const char* name, CellType cell, const char* summary, const char* torch) {
  return {.name = name,
          .summary = summary,
          .fields = {{.name = "hidden_size",
                      .kind = FieldDef::integer,
                      .rule = FieldRule::positive,
                      .torch_name = "hidden_size",
                      .doc = "hidden units H"},
                     {.name = "num_layers",
                      .kind = FieldDef::integer,
                      .fallback = 1,
                      .rule = FieldRule::positive,
                      .torch_name = "num_layers",
                      .doc = "layers stacked, each reading the one below"},
                     {.name = "dropout",
                      .kind = FieldDef::number,
                      .fallback = 0.0,
                      .rule = FieldRule::probability,
                      .torch_name = "dropout",
                      .doc = "dropout on the outputs of each layer but the last, while training"},
                     {.name = "bidirectional",
                      .kind = FieldDef::boolean,
                      .fallback = false,
                      .torch_name = "bidirectional",
                      .doc = "also read the sequence backwards (outputs 2H per step)"},
                     declared_input("input_size"),
                     init_field()},
          .make =
              [cell](const LayerSpec& s, const Shape& in, Rng& rng) {
                if (in.rank() == 2) check_declared(s, "input_size", in, -1);
                return std::make_unique<Recurrent>(cell, in, s.integer("hidden_size"),
                                                   s.integer("num_layers"), s.number("dropout"),
                                                   s.boolean("bidirectional"), rng.next_u64());
              },
          .torch_module = torch,
          .torch_from_input = {{"input_size", -1}},
          .torch_fixed = {{"batch_first", true}},
          .example_fields = {{"hidden_size", 3},
                             {"num_layers", 2},
                             {"dropout", 0.25},
                             {"bidirectional", true}},
          .example_input = Shape{4, 2}};
}

// An element-wise layer of class L with no fields.
template <class L>
LayerType activation(const char* name, const char* summary, const char* torch_module) {
  return {.name = name,
          .summary = summary,
          .make = [](const LayerSpec&, const Shape& in, Rng&) { return std::make_unique<L>(in); },
          .torch_module = torch_module,
          .example_input = Shape{2, 3}};
}

std::vector<LayerType> build_registry() {
  std::vector<LayerType> t;
  t.push_back(
      {.name = "linear",
       .summary = "the book's Affine layer: out = x W^T + b (features, or each step of a sequence)",
       .fields = {{.name = "out_features",
                   .kind = FieldDef::integer,
                   .rule = FieldRule::positive,
                   .torch_name = "out_features",
                   .doc = "outputs"},
                  bias_field(),
                  declared_input("in_features"),
                  init_field()},
       .make =
           [](const LayerSpec& s, const Shape& in, Rng&) {
             if (in.rank() >= 1) check_declared(s, "in_features", in, -1);
             return std::make_unique<Linear>(in, s.integer("out_features"), s.boolean("bias"));
           },
       .torch_module = "Linear",
       .torch_from_input = {{"in_features", -1}},
       .example_fields = {{"out_features", 3}},
       .example_input = Shape{5}});
  t.push_back({.name = "conv2d",
               .summary = "2-D convolution (cross-correlation) with stride and zero padding",
               .fields = {{.name = "out_channels",
                           .kind = FieldDef::integer,
                           .rule = FieldRule::positive,
                           .torch_name = "out_channels",
                           .doc = "output channels"},
                          {.name = "kernel",
                           .kind = FieldDef::integer,
                           .rule = FieldRule::positive,
                           .torch_name = "kernel_size",
                           .doc = "kernel size K (K x K)"},
                          {.name = "stride",
                           .kind = FieldDef::integer,
                           .fallback = 1,
                           .rule = FieldRule::positive,
                           .torch_name = "stride",
                           .doc = "step"},
                          {.name = "padding",
                           .kind = FieldDef::integer,
                           .fallback = 0,
                           .rule = FieldRule::non_negative,
                           .torch_name = "padding",
                           .doc = "zeros on each side"},
                          bias_field(),
                          declared_input("in_channels"),
                          init_field()},
               .make =
                   [](const LayerSpec& s, const Shape& in, Rng&) {
                     if (in.rank() == 3) check_declared(s, "in_channels", in);
                     const int64_t k = s.integer("kernel");
                     return std::make_unique<Conv2d>(in, s.integer("out_channels"), k, k,
                                                     s.integer("stride"), s.integer("padding"),
                                                     s.boolean("bias"));
                   },
               .torch_module = "Conv2d",
               .torch_from_input = {{"in_channels", 0}},
               .example_fields = {{"out_channels", 2}, {"kernel", 3}, {"padding", 1}},
               .example_input = Shape{2, 5, 4}});
  t.push_back({.name = "maxpool2d",
               .summary = "max pooling over K x K windows",
               .fields = pool_fields(),
               .make =
                   [](const LayerSpec& s, const Shape& in, Rng&) {
                     return std::make_unique<MaxPool2d>(in, s.integer("kernel"),
                                                        s.integer("stride"), s.integer("padding"));
                   },
               .torch_module = "MaxPool2d",
               .example_fields = {{"kernel", 2}},
               .example_input = Shape{2, 4, 6}});
  t.push_back({.name = "avgpool2d",
               .summary = "average pooling over K x K windows (padded zeros count)",
               .fields = pool_fields(),
               .make =
                   [](const LayerSpec& s, const Shape& in, Rng&) {
                     return std::make_unique<AvgPool2d>(in, s.integer("kernel"),
                                                        s.integer("stride"), s.integer("padding"));
                   },
               .torch_module = "AvgPool2d",
               .torch_fixed = {{"count_include_pad", true}},
               .example_fields = {{"kernel", 2}},
               .example_input = Shape{2, 4, 6}});
  t.push_back({.name = "global_avgpool2d",
               .summary = "the mean of each channel: (C, H, W) -> (C, 1, 1)",
               .make = [](const LayerSpec&, const Shape& in,
                          Rng&) { return std::make_unique<GlobalAvgPool2d>(in); },
               .torch_module = "AdaptiveAvgPool2d",
               .torch_fixed = {{"output_size", 1}},
               .example_input = Shape{2, 3, 3}});
  t.push_back({.name = "flatten",
               .summary = "(C, H, W) -> (C*H*W)",
               .make = [](const LayerSpec&, const Shape& in,
                          Rng&) { return std::make_unique<Flatten>(in); },
               .torch_module = "Flatten",
               .example_input = Shape{2, 3, 2}});
  t.push_back(activation<ReLU>("relu", "max(0, x)", "ReLU"));
  t.push_back(
      {.name = "leaky_relu",
       .summary = "x if x > 0 else negative_slope * x",
       .fields = {{.name = "negative_slope",
                   .kind = FieldDef::number,
                   .fallback = 0.01,
                   .torch_name = "negative_slope",
                   .doc = "slope for x < 0"}},
       .make = [](const LayerSpec& s, const Shape& in,
                  Rng&) { return std::make_unique<LeakyReLU>(in, s.number("negative_slope")); },
       .torch_module = "LeakyReLU",
       .example_fields = {{"negative_slope", 0.1}},
       .example_input = Shape{2, 3}});
  t.push_back(activation<Sigmoid>("sigmoid", "1 / (1 + exp(-x))", "Sigmoid"));
  t.push_back(activation<Tanh>("tanh", "tanh(x)", "Tanh"));
  t.push_back(activation<Gelu>("gelu", "x * Phi(x), the exact (erf) form", "GELU"));
  t.push_back({.name = "softmax",
               .summary = "exp(x_k) / sum_i exp(x_i) over the features (flat inputs)",
               .make = [](const LayerSpec&, const Shape& in,
                          Rng&) { return std::make_unique<Softmax>(in); },
               .torch_module = "Softmax",
               .torch_fixed = {{"dim", 1}},
               .example_input = Shape{5}});
  t.push_back({.name = "dropout",
               .summary = "inverted dropout: zero with probability p while training",
               .fields = {{.name = "p",
                           .kind = FieldDef::number,
                           .fallback = 0.5,
                           .rule = FieldRule::probability,
                           .torch_name = "p",
                           .doc = "probability of zeroing"}},
               .make =
                   [](const LayerSpec& s, const Shape& in, Rng& rng) {
                     return std::make_unique<Dropout>(in, s.number("p"), rng.next_u64());
                   },
               .torch_module = "Dropout",
               .example_fields = {{"p", 0.3}},
               .example_input = Shape{6}});
  t.push_back(
      {.name = "batchnorm1d",
       .summary = "Batch Normalization of (C) features",
       .fields = batchnorm_fields(),
       .make = [](const LayerSpec& s, const Shape& in, Rng&) { return make_batchnorm(s, in); },
       .torch_module = "BatchNorm1d",
       .torch_from_input = {{"num_features", 0}},
       .example_input = Shape{4}});
  t.push_back(
      {.name = "batchnorm2d",
       .summary = "Batch Normalization of (C, H, W) images, per channel",
       .fields = batchnorm_fields(),
       .make = [](const LayerSpec& s, const Shape& in, Rng&) { return make_batchnorm(s, in); },
       .torch_module = "BatchNorm2d",
       .torch_from_input = {{"num_features", 0}},
       .example_input = Shape{2, 3, 3}});
  t.push_back({.name = "residual_block",
               .summary = "ResNet's basic block: relu(bn(conv(relu(bn(conv(x))))) + shortcut(x))",
               .fields = {{.name = "out_channels",
                           .kind = FieldDef::integer,
                           .rule = FieldRule::positive,
                           .torch_name = "planes",
                           .doc = "output channels"},
                          {.name = "stride",
                           .kind = FieldDef::integer,
                           .fallback = 1,
                           .rule = FieldRule::positive,
                           .torch_name = "stride",
                           .doc = "the first convolution's step (and the shortcut's)"},
                          declared_input("in_channels"),
                          init_field()},
               .make =
                   [](const LayerSpec& s, const Shape& in, Rng&) {
                     if (in.rank() == 3) check_declared(s, "in_channels", in);
                     return std::make_unique<ResidualBlock>(in, s.integer("out_channels"),
                                                            s.integer("stride"));
                   },
               .torch_module = "BasicBlock",
               .torch_from_input = {{"in_planes", 0}},
               .example_fields = {{"out_channels", 3}, {"stride", 2}},
               .example_input = Shape{2, 5, 4}});
  t.push_back({.name = "embedding",
               .summary = "book 2's Embedding: token ids (T) -> their rows of W, (T, D)",
               .fields = {{.name = "num_embeddings",
                           .kind = FieldDef::integer,
                           .rule = FieldRule::positive,
                           .torch_name = "num_embeddings",
                           .doc = "vocabulary size V"},
                          {.name = "embedding_dim",
                           .kind = FieldDef::integer,
                           .rule = FieldRule::positive,
                           .torch_name = "embedding_dim",
                           .doc = "vector size D"},
                          init_field()},
               .make =
                   [](const LayerSpec& s, const Shape& in, Rng&) {
                     return std::make_unique<Embedding>(in, s.integer("num_embeddings"),
                                                        s.integer("embedding_dim"));
                   },
               .torch_module = "Embedding",
               .example_fields = {{"num_embeddings", 7}, {"embedding_dim", 3}},
               .example_input = Shape{4}});
  t.push_back({.name = "layer_norm",
               .summary = "Layer Normalization over the last dimension C of each sample",
               .fields = {bias_field()},
               .make = [](const LayerSpec& s, const Shape& in,
                          Rng&) { return std::make_unique<LayerNorm>(in, s.boolean("bias")); },
               .torch_module = "LayerNorm",
               .torch_from_input = {{"ndim", -1}},
               .example_fields = {{"bias", false}},
               .example_input = Shape{3, 5}});
  t.push_back({.name = "causal_self_attention",
               .summary = "nanoGPT's causal multi-head self-attention: (T, C) -> (T, C)",
               .fields = {{.name = "heads",
                           .kind = FieldDef::integer,
                           .rule = FieldRule::positive,
                           .torch_name = "heads",
                           .doc = "attention heads H (C must be a multiple of H)"},
                          bias_field(),
                          init_field()},
               .make =
                   [](const LayerSpec& s, const Shape& in, Rng&) {
                     return std::make_unique<CausalSelfAttention>(in, s.integer("heads"),
                                                                  s.boolean("bias"));
                   },
               .torch_module = "CausalSelfAttention",
               .torch_from_input = {{"width", -1}, {"context", 0}},
               .example_fields = {{"heads", 2}},
               .example_input = Shape{4, 6}});
  t.push_back(recurrent("rnn", CellType::rnn, "book 2's TimeRNN: h_t = tanh(x_t Wx + h_t-1 Wh + b)",
                        "RNN"));
  t.push_back(recurrent("lstm", CellType::lstm,
                        "book 2's TimeLSTM: gated cell c_t and hidden h_t over the sequence",
                        "LSTM"));
  t.push_back(recurrent("gru", CellType::gru,
                        "gated recurrent unit (PyTorch's GRU; book 2 appendix C)", "GRU"));
  return t;
}

}  // namespace

const std::vector<LayerType>& layer_types() {
  static const std::vector<LayerType> types = build_registry();
  return types;
}

const LayerType& layer_type(const std::string& name) {
  for (const LayerType& t : layer_types()) {
    if (t.name == name) return t;
  }
  std::vector<std::string> known;
  for (const LayerType& t : layer_types()) known.push_back(t.name);
  throw Error("unknown layer type \"" + name + "\" (known: " + join(known, ", ") + ")");
}

std::unique_ptr<Layer> make_layer(const LayerSpec& spec, const Shape& in, Rng& rng,
                                  const std::string& where) {
  try {
    return layer_type(spec.type).make(spec, in, rng);
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());
  }
}

json torch_args(const LayerSpec& spec, const Shape& in) {
  const LayerType& type = layer_type(spec.type);
  json args = type.torch_fixed;
  for (const auto& [name, dim] : type.torch_from_input.items()) {
    const int d = dim.get<int>();  // -1: the last dimension
    args[name] = in[d < 0 ? in.rank() + d : d];
  }
  for (const FieldDef& d : type.fields) {
    if (!d.torch_name.empty() && spec.has(d.name)) args[d.torch_name] = spec.fields.at(d.name);
  }
  return args;
}

json registry_json() {
  json types = json::array();
  for (const LayerType& t : layer_types()) {
    json fields = json::array();
    for (const FieldDef& d : t.fields) {
      static const char* kKinds[] = {"integer", "number", "boolean", "string"};
      json f = {{"name", d.name}, {"kind", kKinds[d.kind]}, {"doc", d.doc}};
      if (!d.fallback.is_null()) f["default"] = d.fallback;
      if (!d.fallback_from.empty()) f["default_from"] = d.fallback_from;
      if (d.optional) f["optional"] = true;
      if (!d.torch_name.empty()) f["torch"] = d.torch_name;
      fields.push_back(f);
    }
    types.push_back({{"type", t.name},
                     {"summary", t.summary},
                     {"fields", fields},
                     {"torch_module", t.torch_module},
                     {"torch_from_input", t.torch_from_input},
                     {"torch_fixed", t.torch_fixed}});
  }
  return types;
}

}  // namespace nnzero
