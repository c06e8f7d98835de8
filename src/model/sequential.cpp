#include "nnzero/model/sequential.h"

#include <algorithm>

#include "nnzero/layers/avgpool2d.h"
#include "nnzero/layers/batchnorm.h"
#include "nnzero/layers/conv2d.h"
#include "nnzero/layers/dropout.h"
#include "nnzero/layers/flatten.h"
#include "nnzero/layers/global_avgpool2d.h"
#include "nnzero/layers/leaky_relu.h"
#include "nnzero/layers/linear.h"
#include "nnzero/layers/maxpool2d.h"
#include "nnzero/layers/mse.h"
#include "nnzero/layers/relu.h"
#include "nnzero/layers/sigmoid.h"
#include "nnzero/layers/softmax.h"
#include "nnzero/layers/softmax_cross_entropy.h"
#include "nnzero/layers/tanh.h"
#include "nnzero/parallel.h"

namespace nnzero {

namespace {
void check_declared(const std::optional<int64_t>& declared, int64_t actual, const char* field,
                    const Shape& in) {
  if (declared && *declared != actual) {
    throw Error(std::string("\"") + field + "\" is " + std::to_string(*declared) +
                " but the input to this layer has shape " + in.str());
  }
}

std::unique_ptr<Layer> build(const LayerSpec& s, const Shape& in, Rng& rng) {
  const std::string& t = s.type;
  if (t == "linear") {
    if (in.rank() == 1) check_declared(s.in_features, in[0], "in_features", in);
    return std::make_unique<Linear>(in, s.out_features, s.bias);
  }
  if (t == "conv2d") {
    if (in.rank() == 3) check_declared(s.in_channels, in[0], "in_channels", in);
    return std::make_unique<Conv2d>(in, s.out_channels, s.kernel, s.kernel, s.stride, s.padding,
                                    s.bias);
  }
  if (t == "maxpool2d") return std::make_unique<MaxPool2d>(in, s.kernel, s.stride, s.padding);
  if (t == "avgpool2d") return std::make_unique<AvgPool2d>(in, s.kernel, s.stride, s.padding);
  if (t == "global_avgpool2d") return std::make_unique<GlobalAvgPool2d>(in);
  if (t == "flatten") return std::make_unique<Flatten>(in);
  if (t == "relu") return std::make_unique<ReLU>(in);
  if (t == "leaky_relu") return std::make_unique<LeakyReLU>(in, s.negative_slope);
  if (t == "sigmoid") return std::make_unique<Sigmoid>(in);
  if (t == "tanh") return std::make_unique<Tanh>(in);
  if (t == "softmax") return std::make_unique<Softmax>(in);
  if (t == "dropout") return std::make_unique<Dropout>(in, s.p, rng.next_u64());
  if (t == "batchnorm1d" || t == "batchnorm2d") {
    const int want = t == "batchnorm1d" ? 1 : 3;
    if (in.rank() != want) {
      throw Error(t + ": expects samples of shape " + (want == 1 ? "(C)" : "(C, H, W)") + ", got " +
                  in.str());
    }
    check_declared(s.num_features, in[0], "num_features", in);
    return std::make_unique<BatchNorm>(in, s.eps, s.momentum);
  }
  throw Error("unknown layer type \"" + t + "\"");
}
}  // namespace

std::unique_ptr<Layer> make_layer(const LayerSpec& spec, const Shape& in, Rng& rng,
                                  const std::string& where) {
  try {
    return build(spec, in, rng);
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());
  }
}

Sequential::Sequential(const ModelSpec& spec, Rng& rng) : spec_(spec) {
  Shape shape = spec.input;
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    const LayerSpec& ls = spec.layers[i];
    const std::string where = "layer " + std::to_string(i) + " (" + ls.type + ")";
    layers_.push_back(make_layer(ls, shape, rng, where));
    Layer& layer = *layers_.back();
    const std::string& init = ls.init.empty() ? spec.init : ls.init;
    for (Param* p : layer.params()) {
      if (p->fan_in > 0) rng.fill_normal(p->value, 0.0f, init_std(init, p->fan_in));
    }
    shape = layer.out_shape();
    for (Param* p : layer.params()) params_.push_back(p);
  }
  if (shape.rank() != 1) {
    throw Error("model \"" + spec.name + "\": the last layer outputs samples of shape " +
                shape.str() + "; the loss needs a flat output (add flatten and linear layers)");
  }
  layers_.front()->set_needs_input_grad(false);
  // Conv2d followed by ReLU: the convolution applies it while its output is in cache.
  for (size_t i = 0; i + 1 < layers_.size(); ++i) {
    auto* relu = dynamic_cast<ReLU*>(layers_[i + 1].get());
    if (relu != nullptr && layers_[i]->fuse_relu()) relu->set_fused(true);
  }
  // ... and then MaxPool2d: fused into one pass (Conv2d::forward_pooled).
  pooled_.resize(layers_.size());
  for (size_t i = 0; i + 2 < layers_.size(); ++i) {
    auto* conv = dynamic_cast<Conv2d*>(layers_[i].get());
    auto* relu = dynamic_cast<ReLU*>(layers_[i + 1].get());
    auto* pool = dynamic_cast<MaxPool2d*>(layers_[i + 2].get());
    if (conv == nullptr || relu == nullptr || !relu->fused() || pool == nullptr) continue;
    conv->set_relu_mask_downstream(true);
    pool->set_input_from_relu(true);
    pooled_[i] = pool;
  }
  if (spec.loss == "mse") {
    loss_ = std::make_unique<MeanSquaredError>();
  } else {
    loss_ = std::make_unique<SoftmaxCrossEntropy>();
  }
}

const Shape& Sequential::output_shape() const {
  return layers_.back()->out_shape();
}

const Tensor& Sequential::forward(const Tensor& x, bool train) {
  const Tensor* h = &x;
  for (size_t i = 0; i < layers_.size(); ++i) {
    if (pooled_[i] != nullptr) {  // Conv2d, ReLU (fused), MaxPool2d in one pass
      h = &static_cast<Conv2d&>(*layers_[i]).forward_pooled(*h, *pooled_[i]);
      i += 2;
    } else {
      h = &layers_[i]->forward(*h, train);
    }
  }
  return *h;
}

// The first layer if it is a Linear: the only layer whose input is prepared ahead.
Linear* Sequential::first_linear() const {
  return dynamic_cast<Linear*>(layers_.front().get());
}

bool Sequential::prepare_input(const Tensor& x, Tensor& prepared) const {
  const Linear* first = first_linear();
  return first != nullptr && first->prepare(x, prepared);
}

bool Sequential::prepares_input(int64_t n) const {
  const Linear* first = first_linear();
  return first != nullptr && first->sparse_candidate(n);
}

double Sequential::loss(const Tensor& x, const Target& target, bool train, const Tensor* prepared) {
  if (prepared != nullptr) {
    Linear* first = first_linear();
    if (first == nullptr) throw Error("loss: a prepared input, but the first layer is no linear");
    first->use_prepared(prepared);
  }
  double l = loss_->forward(forward(x, train), target);
  if (weight_decay_ > 0.0f) {
    double sum_sq = 0.0;
    for (Param* p : params_) {
      if (!p->decay) continue;
      for (float w : p->value) sum_sq += static_cast<double>(w) * w;
    }
    l += 0.5 * weight_decay_ * sum_sq;
  }
  return l;
}

// Whether backward writes layer i's dL/dx into a buffer of its own (a fused pooling's
// gradient goes straight into the convolution's work space instead).
bool Sequential::owns_input_grad(size_t i) {
  const bool fused_pool = i >= 2 && pooled_[i - 2] != nullptr;
  return layers_[i]->needs_input_grad() && layers_[i]->input_grad_buffer() != nullptr &&
         !fused_pool;
}

// Each layer's dL/dx is read only by the next layer down that owns a gradient buffer, which
// writes its own: so two buffers, taken in turn going down, serve every layer (deep_convnet
// at batch 100: 12 MB of gradients in two buffers of 5 MB). Reshared only when a larger
// batch comes: a smaller one fits (Tensor::resize keeps the storage).
void Sequential::share_input_grads(int64_t batch) {
  int64_t need[2] = {0, 0};
  int turn = 0;
  for (size_t i = layers_.size(); i-- > 0;) {
    const Layer& l = *layers_[i];
    if (!owns_input_grad(i)) continue;
    need[turn] = std::max(need[turn], batch * l.in_shape().numel());
    turn ^= 1;
  }
  const Tensor shared[2] = {Tensor(Shape{need[0]}), Tensor(Shape{need[1]})};
  turn = 0;
  for (size_t i = layers_.size(); i-- > 0;) {
    if (!owns_input_grad(i)) continue;
    Layer& l = *layers_[i];
    Tensor* dx = l.input_grad_buffer();
    *dx = shared[turn];
    dx->resize(l.in_shape().with_batch(batch));
    turn ^= 1;
  }
  shared_grads_batch_ = batch;
}

void Sequential::backward() {
  const Tensor* d = &loss_->backward();
  if (d->dim(0) > shared_grads_batch_) share_input_grads(d->dim(0));
  for (size_t i = layers_.size(); i-- > 0;) {
    if (i >= 2 && pooled_[i - 2] != nullptr) {  // the MaxPool2d of a fused triple
      d = &static_cast<Conv2d&>(*layers_[i - 2]).backward_pooled(*d, *pooled_[i - 2]);
      i -= 2;
    } else {
      d = &layers_[i]->backward(*d);
    }
  }
  if (weight_decay_ > 0.0f) {
    for (Param* p : params_) {
      if (!p->decay) continue;
      for (int64_t j = 0; j < p->value.numel(); ++j) p->grad[j] += weight_decay_ * p->value[j];
    }
  }
}

void Sequential::zero_grad() {
  // Split over the threads when big (simple_convnet's 4320 x 100 weights: 1.7 MB, 2.5 % of a
  // step on one thread while the other waited).
  for (Param* p : params_) {
    float* g = p->grad.data();
    parallel_for(p->grad.numel(), [=](int64_t i0, int64_t i1) { std::fill(g + i0, g + i1, 0.0f); });
  }
}

std::vector<NamedParam> Sequential::named_params() {
  std::vector<NamedParam> out;
  for (size_t i = 0; i < layers_.size(); ++i) {
    for (Param* p : layers_[i]->params()) out.push_back({std::to_string(i) + "." + p->name, p});
  }
  return out;
}

std::vector<NamedTensor> Sequential::state() {
  std::vector<NamedTensor> out;
  for (size_t i = 0; i < layers_.size(); ++i) {
    for (Param* p : layers_[i]->params()) {
      out.push_back({std::to_string(i) + "." + p->name, &p->value});
    }
    for (const Buffer& b : layers_[i]->buffers()) {
      out.push_back({std::to_string(i) + "." + b.name, b.value});
    }
  }
  return out;
}

int64_t Sequential::num_params() const {
  int64_t n = 0;
  for (const auto& layer : layers_) {
    for (Param* p : layer->params()) n += p->value.numel();
  }
  return n;
}

double Sequential::flops_per_sample() const {
  double f = 0.0;
  for (const auto& layer : layers_) f += layer->flops();
  return f;
}

}  // namespace nnzero
