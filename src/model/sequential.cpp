#include "nnzero/model/sequential.h"

#include <algorithm>
#include <map>

#include "nnzero/layers/embedding.h"
#include "nnzero/layers/linear.h"
#include "nnzero/layers/mse.h"
#include "nnzero/layers/softmax_cross_entropy.h"
#include "nnzero/model/gpt.h"
#include "nnzero/model/seq2seq.h"

namespace nnzero {

Sequential::Sequential(const ModelSpec& spec, Rng& rng, Engine engine)
    : spec_(spec), engine_(engine) {
  if (spec.seq2seq || spec.gpt) {
    throw Error("model \"" + spec.name + "\" is " + (spec.gpt ? "a GPT" : "an encoder-decoder") +
                ", not a stack of layers: this command does not support it");
  }
  Shape shape = spec.input;
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    const LayerSpec& ls = spec.layers[i];
    const std::string where = "layer " + std::to_string(i) + " (" + ls.type + ")";
    if (ls.type == "embedding" && i > 0) {
      throw Error("model \"" + spec.name + "\": " + where +
                  ": an embedding reads token ids, so it must be the first layer");
    }
    layers_.push_back(plan_layer(ls, shape, rng, i, engine, where));
    Layer& layer = *layers_.back();
    layer.use_workspace(&workspace_);
    const std::string init = ls.init().empty() ? spec.init : ls.init();
    for (Param* p : layer.params()) {
      if (p->fan_in > 0) rng.fill_normal(p->value, 0.0f, init_std(init, p->fan_in));
    }
    shape = layer.out_shape();
  }
  if (shape.rank() != 1 && shape.rank() != 2) {
    throw Error("model \"" + spec.name + "\": the last layer outputs samples of shape " +
                shape.str() +
                "; the loss needs scores (classes) or a sequence of them (T, classes): add "
                "flatten and linear layers");
  }
  if (spec.tie_weights) tie_output_to_embedding();
  freeze_layers();
  steps_ = plan_steps(layers_, engine, fused_);
  if (spec.loss == "mse") {
    loss_ = std::make_unique<MeanSquaredError>();
  } else {
    loss_ = std::make_unique<SoftmaxCrossEntropy>();
  }
}

// The last linear layer's weight (V, D) becomes the embedding's (V, D): one tensor, and one
// gradient both layers add into.
void Sequential::tie_output_to_embedding() {
  auto* embed = dynamic_cast<Embedding*>(layers_.front().get());
  auto* out = dynamic_cast<Linear*>(layers_.back().get());
  if (embed == nullptr || out == nullptr) {
    throw Error(
        "model \"" + spec_.name +
        "\": \"tie_weights\" needs an embedding as the first layer and a linear as the last");
  }
  Param& e = embed->weight();
  Param& w = out->weight();
  if (!(e.value.shape() == w.value.shape())) {
    throw Error("model \"" + spec_.name + "\": \"tie_weights\": the embedding's weight is " +
                e.value.shape().str() + " but the last linear layer's is " + w.value.shape().str() +
                " (it must map the embedding's size D back to its V tokens)");
  }
  w.value = e.value;
  w.grad = e.grad;
}

// Marks the parameters of the layers the spec freezes. Nothing reads dL/d(data), nor the
// dL/dx of the lowest layer that trains (only frozen layers are below it): layers up to that
// one compute none, and backward stops there.
void Sequential::freeze_layers() {
  size_t lowest = layers_.size() - 1;
  for (size_t i = layers_.size(); i-- > 0;) {
    const std::vector<Param*> params = layers_[i]->params();
    for (Param* p : params) p->frozen = !spec_.layers[i].trainable();
    if (!params.empty() && spec_.layers[i].trainable()) lowest = i;
  }
  for (size_t i = 0; i <= lowest; ++i) layers_[i]->set_needs_input_grad(false);
}

const Shape& Sequential::output_shape() const {
  return layers_.back()->out_shape();
}

void Sequential::set_training_precision(Precision p) {
  if (p == Precision::fp16) {
    throw Error(
        "training in fp16 is not offered: its smallest normal value, 6e-5, and its largest, "
        "65504, need loss scaling to keep the gradients; bf16 has float32's range (use bf16)");
  }
  if (p == Precision::int8) throw Error("int8 models are quantized from trained ones, not trained");
  training_precision_ = p;
  product_weights_.clear();
  for (const NamedParam& np : named_params()) {
    if (np.param->value.rank() >= 2) product_weights_.push_back(np.param);
  }
  master_weights_.resize(product_weights_.size());
}

void Sequential::round_weights_for_step() {
  if (weights_rounded_) return;
  for (size_t i = 0; i < product_weights_.size(); ++i) {
    Tensor& w = product_weights_[i]->value;
    master_weights_[i].resize(w.shape());
    master_weights_[i].copy_from(w);
    round_values(w.span(), training_precision_);
  }
  weights_rounded_ = true;
}

void Sequential::restore_master_weights() {
  if (!weights_rounded_) return;
  // Last first: of two tied weights (one tensor), the first saved the float32 values.
  for (size_t i = product_weights_.size(); i-- > 0;)
    product_weights_[i]->value.copy_from(master_weights_[i]);
  weights_rounded_ = false;
}

const Tensor& Sequential::forward(const Tensor& x, bool train) {
  if (!train) restore_master_weights();  // a training step that never reached backward
  const Precision p = train ? training_precision_ : activation_precision_;
  if (p == Precision::fp32) {
    const Tensor* h = &x;
    for (Layer* step : steps_) h = &step->forward(*h, train);
    return *h;
  }
  if (train) round_weights_for_step();
  rounded_input_.resize(x.shape());
  rounded_input_.copy_from(x);
  round_values(rounded_input_.span(), p);
  const Tensor* h = &rounded_input_;
  for (Layer* step : steps_) {
    // The output is the step's own buffer, read next by the step above: stored in 16 bits.
    Tensor& out = const_cast<Tensor&>(step->forward(*h, train));
    round_values(out.span(), p);
    h = &out;
  }
  return *h;
}

double Sequential::loss(const Tensor& x, const Target& target, bool train) {
  return loss_->forward(forward(x, train), target) + weight_decay_loss();
}

void Sequential::backward() {
  const Tensor* d = &loss_->backward();
  if (d->dim(0) > shared_grads_batch_) share_input_grads(d->dim(0));
  // Down to the first step that needs no dL/dx: below it nothing is trained.
  for (size_t i = steps_.size(); i-- > 0;) {
    // In bf16 the dL/dx a step reads is stored in 16 bits too (its own buffer, a view).
    round_values(const_cast<Tensor&>(*d).span(), training_precision_);
    d = &steps_[i]->backward(*d);
    if (!steps_[i]->needs_input_grad()) break;
  }
  restore_master_weights();  // the optimizer updates the float32 weights
  add_weight_decay_grad();
}

// Each step's dL/dx is read only by the step below it that owns a gradient buffer, which
// writes its own: so two buffers, taken in turn going down, serve every step (deep_convnet
// at batch 100: 12 MB of gradients in two buffers of 5 MB). Reshared only when a larger
// batch comes: a smaller one fits (Tensor::resize keeps the storage).
void Sequential::share_input_grads(int64_t batch) {
  const auto owns = [](Layer* s) {
    return s->needs_input_grad() && s->input_grad_buffer() != nullptr;
  };
  int64_t need[2] = {0, 0};
  int turn = 0;
  for (size_t i = steps_.size(); i-- > 0;) {
    if (!owns(steps_[i])) continue;
    need[turn] = std::max(need[turn], batch * steps_[i]->in_shape().numel());
    turn ^= 1;
  }
  const Tensor shared[2] = {Tensor(Shape{need[0]}), Tensor(Shape{need[1]})};
  turn = 0;
  for (size_t i = steps_.size(); i-- > 0;) {
    Layer* s = steps_[i];
    if (!owns(s)) continue;
    Tensor* dx = s->input_grad_buffer();
    *dx = shared[turn];
    dx->resize(s->in_shape().with_batch(batch));
    turn ^= 1;
  }
  shared_grads_batch_ = batch;
}

std::vector<NamedLayer> Sequential::named_layers() {
  std::vector<NamedLayer> out;
  for (size_t i = 0; i < layers_.size(); ++i) out.push_back({std::to_string(i), layers_[i].get()});
  return out;
}

bool Sequential::prepares_input(int64_t batch) const {
  return steps_.front()->prepares_input(batch);
}

bool Sequential::prepare_input(const Tensor& x, Tensor& prepared) const {
  return steps_.front()->prepare_input(x, prepared);
}

void Sequential::use_prepared(const Tensor* prepared) {
  steps_.front()->use_prepared(prepared);
}

std::unique_ptr<Model> make_model(const ModelSpec& spec, Rng& rng, Engine engine) {
  if (spec.seq2seq) return std::make_unique<Seq2seq>(spec, rng);
  if (spec.gpt) return std::make_unique<Gpt>(spec, rng);
  return std::make_unique<Sequential>(spec, rng, engine);
}

std::unique_ptr<Sequential> rebuild(Sequential& model, Engine engine) {
  Rng rng(0);  // its draws are all overwritten
  auto copy = std::make_unique<Sequential>(model.spec(), rng, engine);
  std::map<std::string, Tensor*> target;
  for (const NamedTensor& t : copy->state()) target[t.name] = t.tensor;
  for (const NamedTensor& t : model.state()) target.at(t.name)->copy_from(*t.tensor);
  return copy;
}

}  // namespace nnzero
