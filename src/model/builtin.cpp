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
  const std::vector<int64_t> hidden =
      o.hidden.empty() ? std::vector<int64_t>{100, 100, 100, 100} : o.hidden;
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
  for (int64_t h : hidden) {
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

// The book's AlexNet (section 7.7.2: conv-ReLU-pool stacks, then three fully connected
// layers with dropout), scaled to 32x32 colour images and to a 2-core CPU: 5 convolutions of
// 32-96 channels instead of 96-384, fully connected 256 and 128 instead of 4096.
ModelSpec alexnet_cifar() {
  ModelSpec s;
  s.name = "alexnet_cifar";
  s.input = Shape{3, 32, 32};
  s.layers = {conv(32, 5, 2), simple("relu"), maxpool(2),     conv(64, 5, 2),    simple("relu"),
              maxpool(2),     conv(96, 3, 1), simple("relu"), conv(96, 3, 1),    simple("relu"),
              conv(64, 3, 1), simple("relu"), maxpool(2),     simple("flatten"), dropout(0.5f),
              linear(256),    simple("relu"), dropout(0.5f),  linear(128),       simple("relu"),
              linear(10)};
  s.init = "he";
  s.train = {.optimizer = "adam",
             .lr_schedule = "cosine",
             .lr = 0.001,
             .weight_decay = {},
             .batch = 100,
             .epochs = 20,
             .max_steps = {},
             .crop_padding = 4,
             .horizontal_flip = true};
  return s;
}

LayerSpec residual(int64_t out, int64_t stride) {
  return layer({{"type", "residual_block"}, {"out_channels", out}, {"stride", stride}});
}

// A small ResNet for 32x32 colour images, shaped like He et al.'s CIFAR-10 networks with one
// block per stage (ResNet-8), with 1x1 projection shortcuts where the shape changes (as the
// pytorch-cifar code; He et al. pad with zeros there): a 3x3 stem of 16 channels, blocks of 16, 32
// (stride 2) and 64 (stride 2) channels, global average pooling, one linear layer. 78,000
// parameters, 25 MFLOPs an image.
ModelSpec resnet_cifar() {
  ModelSpec s;
  s.name = "resnet_cifar";
  s.input = Shape{3, 32, 32};
  s.layers = {layer({{"type", "conv2d"},
                     {"out_channels", 16},
                     {"kernel", 3},
                     {"padding", 1},
                     {"bias", false}}),
              simple("batchnorm2d"),
              simple("relu"),
              residual(16, 1),
              residual(32, 2),
              residual(64, 2),
              simple("global_avgpool2d"),
              simple("flatten"),
              linear(10)};
  s.init = "he";
  s.train = {.optimizer = "nesterov",
             .lr_schedule = "cosine",
             .lr = 0.05,
             .weight_decay = 5e-4,
             .batch = 128,
             .epochs = 15,
             .max_steps = {},
             .crop_padding = 4,
             .horizontal_flip = true};
  return s;
}
// Book 2's Rnnlm (ch06/rnnlm.py, train_rnnlm.py): embedding 100, one LSTM of 100, an affine
// layer to the vocabulary; 35 time steps, batch 20, SGD lr 20, gradients clipped to 0.25, 4
// epochs. Initialised as the book: embedding N(0, 0.01^2), the rest N(0, 1/fan_in) (Xavier),
// biases 0. The vocabulary size is the corpus's (10,000 for PTB), set when training.
ModelSpec rnnlm() {
  ModelSpec s;
  s.name = "rnnlm";
  s.input = Shape{35};
  s.layers = {layer({{"type", "embedding"},
                     {"num_embeddings", 10000},
                     {"embedding_dim", 100},
                     {"init", "std:0.01"}}),
              layer({{"type", "lstm"}, {"hidden_size", 100}}), linear(10000)};
  s.init = "xavier";
  s.train = {.optimizer = "sgd",
             .lr_schedule = {},
             .lr = 20.0,
             .weight_decay = {},
             .batch = 20,
             .epochs = 4,
             .max_steps = {},
             .crop_padding = {},
             .horizontal_flip = {},
             .clip = 0.25};
  return s;
}
// Book 2's BetterRnnlm (ch06/better_rnnlm.py, train_better_rnnlm.py): two LSTM layers of 650
// with dropout 0.5 after the embedding, between the LSTMs and before the output layer, which
// shares the embedding's weight; SGD lr 20 divided by 4 whenever validation perplexity does
// not improve, clip 0.25, batch 20 x 35, 40 epochs. --hidden N sets both sizes (the tied
// weight needs them equal), --dropout P the ratio.
ModelSpec better_rnnlm(const MultiLayerOptions& o) {
  const int64_t size = o.hidden.empty() ? 650 : o.hidden.front();
  const float p = o.dropout > 0.0f ? o.dropout : 0.5f;
  ModelSpec s;
  s.name = "better_rnnlm";
  s.input = Shape{35};
  s.layers = {layer({{"type", "embedding"},
                     {"num_embeddings", 10000},
                     {"embedding_dim", size},
                     {"init", "std:0.01"}}),
              dropout(p),
              layer({{"type", "lstm"}, {"hidden_size", size}, {"num_layers", 2}, {"dropout", p}}),
              dropout(p), linear(10000)};
  s.init = "xavier";
  s.tie_weights = true;
  s.train = {.optimizer = "sgd",
             .lr_schedule = {},
             .lr = 20.0,
             .weight_decay = {},
             .batch = 20,
             .epochs = 40,
             .max_steps = {},
             .crop_padding = {},
             .horizontal_flip = {},
             .clip = 0.25,
             .lr_decay = 4.0};
  return s;
}
// Book 2's encoder-decoders (ch07/train_seq2seq.py, ch08/train.py): characters embedded in
// 16, LSTMs of 128 (the attention model's 256, as its date-format run), Adam lr 0.001,
// gradients clipped to 5, batch 128, 25 epochs (attention: 10, reading the question
// reversed). The vocabulary and the lengths are the data's, set when training (here
// addition.txt's: 13 characters, questions of 7, answers of 5 with the start token).
ModelSpec seq2seq(const std::string& name, const std::string& decoder, const MultiLayerOptions& o) {
  const bool attention = decoder == "attention";
  ModelSpec s;
  s.name = name;
  s.seq2seq = Seq2seqSpec{.decoder = decoder,
                          .vocab = 13,
                          .wordvec = 16,
                          .hidden = o.hidden.empty() ? (attention ? 256 : 128) : o.hidden.front(),
                          .question = 7,
                          .answer = 5,
                          .reverse = attention,
                          .bidirectional = false};
  s.input = Shape{s.seq2seq->question + s.seq2seq->answer - 1};
  s.init = "xavier";
  s.train = {.optimizer = "adam",
             .lr_schedule = {},
             .lr = 0.001,
             .weight_decay = {},
             .batch = 128,
             .epochs = attention ? 10 : 25,
             .max_steps = {},
             .crop_padding = {},
             .horizontal_flip = {},
             .clip = 5.0};
  return s;
}
// A GPT-style character model (model/gpt.h) with nanoGPT's documented CPU setting for tiny
// Shakespeare: 4 blocks of 4 heads, width 128, context 64, no biases, no dropout; AdamW lr
// 1e-3 (beta2 0.99, weight decay 0.1), 100 warm-up steps then cosine to 1e-4, clip 1, batch
// 12 random windows, 2,000 steps (8 "epochs" of 250 steps, validated after each). The
// vocabulary is the text's, set when training (tiny Shakespeare's 65 characters here).
ModelSpec gpt_char() {
  ModelSpec s;
  s.name = "gpt_char";
  s.gpt = GptSpec{.vocab = 65, .context = 64, .layers = 4, .heads = 4, .width = 128, .bias = false};
  s.input = Shape{s.gpt->context};
  s.train = {.optimizer = "adamw",
             .lr_schedule = "cosine",
             .lr = 1e-3,
             .weight_decay = 0.1,
             .batch = 12,
             .epochs = 8,
             .max_steps = {},
             .crop_padding = {},
             .horizontal_flip = {},
             .clip = 1.0,
             .lr_decay = {},
             .warmup_steps = 100,
             .steps_per_epoch = 250,
             .min_lr = 1e-4};
  return s;
}
}  // namespace

std::vector<std::string> builtin_model_names() {
  return {"two_layer_net", "multi_layer_net",   "simple_convnet", "deep_convnet", "lenet5",
          "alexnet_cifar", "resnet_cifar",      "rnnlm",          "better_rnnlm", "seq2seq",
          "peeky_seq2seq", "attention_seq2seq", "gpt_char"};
}

ModelSpec builtin_spec(const std::string& name, const MultiLayerOptions& options) {
  if (name == "two_layer_net") return two_layer_net();
  if (name == "multi_layer_net") return multi_layer_net(options);
  if (name == "simple_convnet") return simple_convnet();
  if (name == "deep_convnet") return deep_convnet();
  if (name == "lenet5") return lenet5();
  if (name == "alexnet_cifar") return alexnet_cifar();
  if (name == "resnet_cifar") return resnet_cifar();
  if (name == "rnnlm") return rnnlm();
  if (name == "better_rnnlm") return better_rnnlm(options);
  if (name == "seq2seq") return seq2seq(name, "plain", options);
  if (name == "peeky_seq2seq") return seq2seq(name, "peeky", options);
  if (name == "attention_seq2seq") return seq2seq(name, "attention", options);
  if (name == "gpt_char") return gpt_char();
  throw Error("unknown model \"" + name +
              "\" (built-in models: " + join(builtin_model_names(), ", ") + ")");
}

}  // namespace nnzero
