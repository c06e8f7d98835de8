// Sequential: layers applied in order, then a loss (the book's MultiLayerNet, section 6.1).
// Built from a ModelSpec: the layer registry makes each layer, the planning step (plan.h)
// decides how they run. Parameters are named as PyTorch's nn.Sequential names them,
// "<layer index>.weight" and so on.
//
// One training step, as the trainer runs it:
//   loss(x, t, true)   each step's forward in turn, then the loss layer's
//   backward()         the loss layer's backward, then each step's backward in reverse
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nnzero/layers/layer.h"
#include "nnzero/layers/loss.h"
#include "nnzero/model/model.h"
#include "nnzero/model/plan.h"
#include "nnzero/model/precision.h"
#include "nnzero/model/spec.h"
#include "nnzero/workspace.h"

namespace nnzero {

class Sequential : public Model {
 public:
  // Builds the layers of `spec` and draws initial weights from `rng`.
  Sequential(const ModelSpec& spec, Rng& rng, Engine engine = Engine::fast);

  const ModelSpec& spec() const override { return spec_; }
  const Shape& input_shape() const override { return spec_.input; }
  const Shape& output_shape() const override;

  const Tensor& forward(const Tensor& x, bool train) override;
  double loss(const Tensor& x, const Target& target, bool train) override;
  void backward() override;
  const Tensor& prediction() const override { return loss_->prediction(); }
  std::vector<NamedLayer> named_layers() override;

  bool prepares_input(int64_t batch) const override;
  bool prepare_input(const Tensor& x, Tensor& prepared) const override;
  void use_prepared(const Tensor* prepared) override;

  // The spec's layers (what holds the parameters), and the steps that run them.
  size_t size() const { return layers_.size(); }
  Layer& layer(size_t i) { return *layers_[i]; }
  const Layer& layer(size_t i) const { return *layers_[i]; }
  const std::vector<Layer*>& steps() const { return steps_; }
  // Evaluation (forward with train false) in fp16 or bf16 rounds the input and every step's
  // output to the format (model/precision.h; round_state rounds the weights).
  void set_activation_precision(Precision p) { activation_precision_ = p; }
  // Training in bf16 (mixed precision; fp32 is the default, fp16 and int8 are refused): each
  // step multiplies bfloat16 operands and sums in float32. The weights (every parameter of
  // rank 2 or more) are rounded for the step while float32 master copies keep the values the
  // optimizer updates; the input, every step's output and every dL/dx passed down are rounded
  // too. A product of two bfloat16 values is exact in float32, so the float32 kernels given
  // rounded operands compute the sums of bf16 hardware, in their own order.
  void set_training_precision(Precision p);
  Precision training_precision() const { return training_precision_; }
  Loss& loss_layer() { return *loss_; }
  Engine engine() const { return engine_; }

 private:
  void share_input_grads(int64_t batch);
  void freeze_layers();
  void tie_output_to_embedding();
  void round_weights_for_step();  // saves the master copies first
  void restore_master_weights();

  ModelSpec spec_;
  Engine engine_;
  Workspace workspace_;  // shared by the layers, which run one after another
  Precision activation_precision_ = Precision::fp32;
  Precision training_precision_ = Precision::fp32;
  std::vector<Param*> product_weights_;  // the weights rounded for a bf16 training step
  std::vector<Tensor> master_weights_;   // their float32 values meanwhile
  bool weights_rounded_ = false;
  Tensor rounded_input_;
  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<std::unique_ptr<Layer>> fused_;  // fused steps (plan.h)
  std::vector<Layer*> steps_;
  std::unique_ptr<Loss> loss_;
  int64_t shared_grads_batch_ = 0;  // the batch the shared gradient buffers hold
};

// The model a spec describes: a Sequential, or a Seq2seq for a "seq2seq" spec.
std::unique_ptr<Model> make_model(const ModelSpec& spec, Rng& rng, Engine engine = Engine::fast);

// The same network with the same state (parameters, BatchNorm's statistics), run by `engine`;
// the tensors only that engine's layers have (the int8 scales) keep their initial values.
std::unique_ptr<Sequential> rebuild(Sequential& model, Engine engine);

}  // namespace nnzero
