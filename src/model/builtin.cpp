#include "nnzero/model/builtin.h"

#include "nnzero/error.h"
#include "nnzero/strings.h"

namespace nnzero {

namespace {
// The layers of the built-in models go through the same parser as a spec file's.
LayerSpec layer(const nlohmann::json& j) {
  return parse_layer_spec(j, "built-in model");
}
LayerSpec linear(int64_t out) {
  return layer({{"type", "linear"}, {"out_features", out}});
}
LayerSpec conv(int64_t out, int64_t kernel, int64_t padding) {
  return layer(
      {{"type", "conv2d"}, {"out_channels", out}, {"kernel", kernel}, {"padding", padding}});
}
LayerSpec maxpool(int64_t kernel) {
  return layer({{"type", "maxpool2d"}, {"kernel", kernel}});
}
LayerSpec dropout(float p) {
  return layer({{"type", "dropout"}, {"p", p}});
}
LayerSpec simple(const std::string& type) {
  return layer({{"type", type}});
}

ModelSpec two_layer_net() {
  ModelSpec s;
  s.name = "two_layer_net";
  s.input = Shape{784};
  s.layers = {linear(50), simple("relu"), linear(10)};
  s.init = "std:0.01";
  s.train = {.optimizer = "sgd",
             .lr_schedule = {},
             .lr = 0.1,
             .weight_decay = {},
             .batch = 100,
             .epochs = 17,
             .max_steps = 10000,
             .crop_padding = {},
             .horizontal_flip = {}};
  return s;
}

ModelSpec multi_layer_net(const MultiLayerOptions& o) {
  if (o.hidden.empty()) throw Error("multi_layer_net: needs at least one hidden layer");
  if (o.activation != "relu" && o.activation != "leaky_relu" && o.activation != "sigmoid" &&
      o.activation != "tanh") {
    throw Error("multi_layer_net: unknown activation \"" + o.activation +
                "\" (use relu, leaky_relu, sigmoid or tanh)");
  }
  if (!(o.dropout >= 0.0f && o.dropout < 1.0f)) {
    throw Error("multi_layer_net: dropout must be in [0, 1)");
  }
  check_init(o.init, "multi_layer_net");
  ModelSpec s;
  s.name = "multi_layer_net";
  s.input = Shape{784};
  for (int64_t h : o.hidden) {
    if (h < 1) throw Error("multi_layer_net: hidden sizes must be at least 1");
    s.layers.push_back(linear(h));
    if (o.batchnorm) s.layers.push_back(simple("batchnorm1d"));
    s.layers.push_back(simple(o.activation));
    if (o.dropout > 0.0f) s.layers.push_back(dropout(o.dropout));
  }
  s.layers.push_back(linear(10));
  s.init = o.init;
  s.train = {.optimizer = "sgd",
             .lr_schedule = {},
             .lr = 0.01,
             .weight_decay = {},
             .batch = 100,
             .epochs = 20,
             .max_steps = {},
             .crop_padding = {},
             .horizontal_flip = {}};
  return s;
}

ModelSpec simple_convnet() {
  ModelSpec s;
  s.name = "simple_convnet";
  s.input = Shape{1, 28, 28};
  s.layers = {conv(30, 5, 0), simple("relu"), maxpool(2), simple("flatten"),
              linear(100),    simple("relu"), linear(10)};
  s.init = "std:0.01";
  s.train = {.optimizer = "adam",
             .lr_schedule = {},
             .lr = 0.001,
             .weight_decay = {},
             .batch = 100,
             .epochs = 20,
             .max_steps = {},
             .crop_padding = {},
             .horizontal_flip = {}};
  return s;
}

ModelSpec deep_convnet() {
  ModelSpec s;
  s.name = "deep_convnet";
  s.input = Shape{1, 28, 28};
  s.layers = {conv(16, 3, 1),    simple("relu"), conv(16, 3, 1), simple("relu"), maxpool(2),
              conv(32, 3, 1),    simple("relu"), conv(32, 3, 2), simple("relu"), maxpool(2),
              conv(64, 3, 1),    simple("relu"), conv(64, 3, 1), simple("relu"), maxpool(2),
              simple("flatten"), linear(50),     simple("relu"), dropout(0.5f),  linear(10),
              dropout(0.5f)};
  s.init = "he";
  s.train = {.optimizer = "adam",
             .lr_schedule = {},
             .lr = 0.001,
             .weight_decay = {},
             .batch = 100,
             .epochs = 20,
             .max_steps = {},
             .crop_padding = {},
             .horizontal_flip = {}};
  return s;
}

ModelSpec lenet5() {
  ModelSpec s;
  s.name = "lenet5";
  s.input = Shape{1, 28, 28};
  s.layers = {conv(6, 5, 2),  simple("relu"), maxpool(2),        conv(16, 5, 0),
              simple("relu"), maxpool(2),     simple("flatten"), linear(120),
              simple("relu"), linear(84),     simple("relu"),    linear(10)};
  s.init = "he";
  s.train = {.optimizer = "adam",
             .lr_schedule = {},
             .lr = 0.001,
             .weight_decay = {},
             .batch = 100,
             .epochs = 20,
             .max_steps = {},
             .crop_padding = {},
             .horizontal_flip = {}};
  return s;
}
}  // namespace

std::vector<std::string> builtin_model_names() {
  return {"two_layer_net", "multi_layer_net", "simple_convnet", "deep_convnet", "lenet5"};
}

ModelSpec builtin_spec(const std::string& name, const MultiLayerOptions& options) {
  if (name == "two_layer_net") return two_layer_net();
  if (name == "multi_layer_net") return multi_layer_net(options);
  if (name == "simple_convnet") return simple_convnet();
  if (name == "deep_convnet") return deep_convnet();
  if (name == "lenet5") return lenet5();
  throw Error("unknown model \"" + name +
              "\" (built-in models: " + join(builtin_model_names(), ", ") + ")");
}

}  // namespace nnzero
