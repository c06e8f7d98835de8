// Sequential: layers applied in order, then a loss (the book's MultiLayerNet, section 6.1).
// Built from a ModelSpec or layer by layer from code. Owns the parameter registry: every
// tensor has the name PyTorch's nn.Sequential gives it, "<layer index>.weight" and so on.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nnzero/layers/layer.h"
#include "nnzero/layers/loss.h"
#include "nnzero/layers/maxpool2d.h"
#include "nnzero/model/spec.h"

namespace nnzero {

class Linear;

struct NamedParam {
  std::string name;  // "0.weight"
  Param* param;
};
struct NamedTensor {
  std::string name;  // "0.weight", "1.running_mean"
  Tensor* tensor;
};

class Sequential {
 public:
  // Builds the layers of `spec` and draws initial weights from `rng`.
  Sequential(const ModelSpec& spec, Rng& rng);

  const ModelSpec& spec() const { return spec_; }
  const Shape& input_shape() const { return spec_.input; }
  const Shape& output_shape() const;
  size_t size() const { return layers_.size(); }
  Layer& layer(size_t i) { return *layers_[i]; }
  const Layer& layer(size_t i) const { return *layers_[i]; }
  Loss& loss_layer() { return *loss_; }

  // x: (N, input...) -> scores (N, outputs).
  const Tensor& forward(const Tensor& x, bool train);
  // forward + loss; adds the weight-decay term 1/2 lambda sum ||W||^2 when lambda > 0.
  // prepared: what prepare_input(x) wrote, or nullptr.
  double loss(const Tensor& x, const Target& target, bool train, const Tensor* prepared = nullptr);
  // The work of the first layer's forward on x that does not depend on the weights, done
  // ahead (a BatchLoader's thread does it for the next batch): for a first Linear layer
  // that takes the sparse path, x transposed (Linear::prepare). False when there is none.
  bool prepare_input(const Tensor& x, Tensor& prepared) const;
  // Whether prepare_input has work for batches of n: then a BatchLoader gathers and prepares
  // them ahead, on a second thread. (Not for the CNNs: their steps use both cores, and a
  // gather in between only delayed one of them: simple_convnet 28.0k samples/s, 29.5k
  // gathered inline.)
  bool prepares_input(int64_t n) const;
  // Backpropagates the last loss() through every layer, adding into the gradients; adds
  // lambda W to each weight's gradient when weight decay is on.
  void backward();
  // Class probabilities / regression values of the last loss() call.
  const Tensor& prediction() const { return loss_->prediction(); }

  void zero_grad();
  void set_weight_decay(float lambda) { weight_decay_ = lambda; }
  float weight_decay() const { return weight_decay_; }

  std::vector<NamedParam> named_params();
  // Everything saved in a model file: parameters then buffers, in layer order.
  std::vector<NamedTensor> state();
  int64_t num_params() const;
  // Forward FLOPs of one sample (multiply-adds x 2 of linear and conv layers).
  double flops_per_sample() const;

 private:
  Linear* first_linear() const;

  ModelSpec spec_;
  std::vector<std::unique_ptr<Layer>> layers_;
  std::unique_ptr<Loss> loss_;
  // Every layer's parameters, in order, gathered once: Layer::params() returns a new vector,
  // and the per-step loops (zero_grad, weight decay) must not allocate.
  std::vector<Param*> params_;
  float weight_decay_ = 0.0f;
  int64_t shared_grads_batch_ = 0;  // the batch the shared gradient buffers hold
  // pooled_[i]: the MaxPool2d that layer i (a Conv2d, then a fused ReLU) runs fused with.
  std::vector<MaxPool2d*> pooled_;

  bool owns_input_grad(size_t i);
  void share_input_grads(int64_t batch);
};

// Builds one layer for samples of shape `in`; `where` ("layer 3") prefixes errors.
std::unique_ptr<Layer> make_layer(const LayerSpec& spec, const Shape& in, Rng& rng,
                                  const std::string& where);

}  // namespace nnzero
