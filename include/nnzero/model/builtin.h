// The built-in models, each the book's network with the book's training hyperparameters
// (in the spec's "train" section; command-line flags override them), and two for 32x32
// colour images with ours:
//   two_layer_net    784-50-10, ReLU, std 0.01, SGD lr 0.1, batch 100, 10,000 steps (ch. 5)
//   multi_layer_net  784-100x4-10, ReLU, He, SGD lr 0.01, batch 100, 20 epochs (ch. 6);
//                    options: hidden sizes, activation, BatchNorm, dropout
//   simple_convnet   conv 30x5x5 - relu - pool - 100 - 10, std 0.01, Adam 0.001 (ch. 7)
//   deep_convnet     the VGG-like 6-conv network of ch. 8, He, Adam 0.001, dropout 0.5
//   lenet5           LeCun et al. 1998, with ReLU and max pooling, padded for 28x28 input
//   alexnet_cifar    the book's AlexNet (ch. 7) scaled to 32x32: 5 convolutions, 3 linear
//   resnet_cifar     ResNet-8: a stem and residual blocks of 16, 32 and 64 channels
//   rnnlm, better_rnnlm            book 2's language models (ch. 6)
//   seq2seq, peeky_seq2seq, attention_seq2seq   book 2's encoder-decoders (ch. 7-8)
#pragma once

#include <string>
#include <vector>

#include "nnzero/model/spec.h"

namespace nnzero {

struct MultiLayerOptions {
  // Empty: the model's own (multi_layer_net 100,100,100,100; better_rnnlm 650; the seq2seq
  // models 128, attention_seq2seq 256).
  std::vector<int64_t> hidden = {};
  std::string activation = "relu";  // relu, leaky_relu, sigmoid, tanh
  bool batchnorm = false;
  float dropout = 0.0f;  // 0: no dropout layers
  std::string init = "he";
};

std::vector<std::string> builtin_model_names();
// Throws an Error listing the known names if `name` is not one.
ModelSpec builtin_spec(const std::string& name, const MultiLayerOptions& options = {});

}  // namespace nnzero
