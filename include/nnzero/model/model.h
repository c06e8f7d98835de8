// Model: what the trainer, model files, `info`, `gradcheck` and `bench` need of a network.
// Sequential (the book's MultiLayerNet: layers in a row, then a loss) implements it; a
// network of another shape (an encoder-decoder) implements it too and is trained, saved and
// inspected the same way. (A residual block is one layer of a Sequential: layers/residual_block.h.)
//
// Parameters are named as PyTorch names the same module's ("0.weight", "3.running_mean",
// "encoder.lstm.weight_ih_l0"): those names are the model file's tensor names.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nnzero/layers/layer.h"
#include "nnzero/model/spec.h"
#include "nnzero/target.h"

namespace nnzero {

struct NamedParam {
  std::string name;  // "0.weight"
  Param* param;
};
struct NamedTensor {
  std::string name;  // "0.weight", "1.running_mean"
  Tensor* tensor;
};
struct NamedLayer {
  std::string name;  // "0", "encoder.lstm"
  Layer* layer;
};

class Model {
 public:
  virtual ~Model() = default;

  // The description the model was built from, saved in model files ("nnzero.spec").
  virtual const ModelSpec& spec() const = 0;
  virtual const Shape& input_shape() const = 0;
  virtual const Shape& output_shape() const = 0;

  // x: (N, input...) -> scores (N, outputs...).
  virtual const Tensor& forward(const Tensor& x, bool train) = 0;
  // forward, then the loss against `target` (the mean over the batch), plus the weight-decay
  // term 1/2 lambda sum ||W||^2 when lambda > 0.
  virtual double loss(const Tensor& x, const Target& target, bool train) = 0;
  // Backpropagates the last loss() through every layer, adding into the gradients (and
  // lambda W into each weight's gradient when weight decay is on).
  virtual void backward() = 0;
  // Class probabilities / regression values of the last loss() call.
  virtual const Tensor& prediction() const = 0;

  // Every layer, named as its parameters are (their prefix).
  virtual std::vector<NamedLayer> named_layers() = 0;

  // The first layer's input preparation (Layer's hook): work on the data alone, done ahead
  // by a data loader's thread. use_prepared hands the next forward what prepare_input wrote.
  virtual bool prepares_input(int64_t batch) const = 0;
  virtual bool prepare_input(const Tensor& x, Tensor& prepared) const = 0;
  virtual void use_prepared(const Tensor* prepared) = 0;

  // Parameters, in order ("<layer>.<param>").
  std::vector<NamedParam> named_params();
  // Everything saved in a model file: each layer's parameters then its buffers, in order.
  std::vector<NamedTensor> state();
  // Random generators saved in checkpoints (dropout masks), in layer order.
  std::vector<Rng*> rngs();
  int64_t num_params();
  // Forward FLOPs of one sample (multiply-adds x 2 of linear and conv layers).
  double flops_per_sample();

  void zero_grad();
  void set_weight_decay(float lambda) { weight_decay_ = lambda; }
  float weight_decay() const { return weight_decay_; }

 protected:
  // The weight-decay pieces (book section 6.4.1), for loss() and backward().
  double weight_decay_loss();
  void add_weight_decay_grad();
  // Gathered once: the per-step loops (zero_grad, weight decay) must not allocate.
  std::vector<Param*>& all_params();

 private:
  float weight_decay_ = 0.0f;
  std::vector<Param*> params_;
  bool params_gathered_ = false;
};

// Every parameter of `to` takes the storage (value and gradient) of the same parameter of
// `from`: two layers of different input lengths computing with one set of weights (a model's
// one-step copy for generation).
void share_params(Layer& from, Layer& to);

}  // namespace nnzero
