#include "nnzero/model/gpt.h"

#include <cmath>
#include <string>

#include "nnzero/layers/softmax_cross_entropy.h"

namespace nnzero {

namespace {

// out = a + b, element by element (a residual sum).
void add(const Tensor& a, const Tensor& b, Tensor& out) {
  out.resize(a.shape());
  const float* pa = a.data();
  const float* pb = b.data();
  float* po = out.data();
  for (int64_t i = 0; i < a.numel(); ++i) po[i] = pa[i] + pb[i];
}

}  // namespace

Gpt::Gpt(const ModelSpec& spec, Rng& rng) : spec_(spec) {
  if (!spec.gpt) throw Error("model \"" + spec.name + "\" is not a GPT");
  const GptSpec& g = *spec.gpt;
  const int64_t T = g.context, C = g.width, V = g.vocab;
  output_shape_ = Shape{T, V};
  wte_ = std::make_unique<Embedding>(Shape{T}, V, C);
  wpe_ = std::make_unique<PositionEmbedding>(Shape{T, C});
  for (int64_t i = 0; i < g.layers; ++i) blocks_.push_back(make_block());
  ln_f_ = std::make_unique<LayerNorm>(Shape{T, C}, g.bias);
  lm_head_ = std::make_unique<Linear>(Shape{T, C}, V, false);
  ln_f_step_ = std::make_unique<LayerNorm>(Shape{1, C}, g.bias);
  lm_head_step_ = std::make_unique<Linear>(Shape{1, C}, V, false);
  share_params(*wte_, *lm_head_);  // weight tying: wte (V, C) is also the output layer's W
  share_params(*ln_f_, *ln_f_step_);
  share_params(*lm_head_, *lm_head_step_);

  // nanoGPT's _init_weights, then its scaled init of the residual projections. AdamW decays
  // the matrices (rank 2: weights, embeddings), never the biases and layer-norm gains.
  const float residual_std = 0.02f / std::sqrt(2.0f * static_cast<float>(g.layers));
  for (const NamedParam& p : named_params()) {
    Tensor& w = p.param->value;
    p.param->decay = w.rank() >= 2;
    if (p.name.ends_with(".bias")) {
      w.zero();
    } else if (w.rank() >= 2) {
      rng.fill_normal(w, 0.0f, p.name.ends_with("c_proj.weight") ? residual_std : 0.02f);
    }
  }
  for (const NamedLayer& l : named_layers()) l.layer->use_workspace(&workspace_);
  loss_ = std::make_unique<SoftmaxCrossEntropy>();
}

Gpt::Block Gpt::make_block() const {
  const GptSpec& g = *spec_.gpt;
  const int64_t T = g.context, C = g.width;
  Block b;
  b.ln_1 = std::make_unique<LayerNorm>(Shape{T, C}, g.bias);
  b.attn = std::make_unique<CausalSelfAttention>(Shape{T, C}, g.heads, g.bias);
  b.ln_2 = std::make_unique<LayerNorm>(Shape{T, C}, g.bias);
  b.c_fc = std::make_unique<Linear>(Shape{T, C}, 4 * C, g.bias);
  b.gelu = std::make_unique<Gelu>(Shape{T, 4 * C});
  b.c_proj = std::make_unique<Linear>(Shape{T, 4 * C}, C, g.bias);
  b.ln_1_step = std::make_unique<LayerNorm>(Shape{1, C}, g.bias);
  b.ln_2_step = std::make_unique<LayerNorm>(Shape{1, C}, g.bias);
  b.c_fc_step = std::make_unique<Linear>(Shape{1, C}, 4 * C, g.bias);
  b.gelu_step = std::make_unique<Gelu>(Shape{1, 4 * C});
  b.c_proj_step = std::make_unique<Linear>(Shape{1, 4 * C}, C, g.bias);
  share_params(*b.ln_1, *b.ln_1_step);
  share_params(*b.ln_2, *b.ln_2_step);
  share_params(*b.c_fc, *b.c_fc_step);
  share_params(*b.c_proj, *b.c_proj_step);
  return b;
}

std::vector<NamedLayer> Gpt::named_layers() {
  std::vector<NamedLayer> out = {{"transformer.wte", wte_.get()}, {"transformer.wpe", wpe_.get()}};
  for (size_t i = 0; i < blocks_.size(); ++i) {
    const std::string h = "transformer.h." + std::to_string(i) + ".";
    Block& b = blocks_[i];
    out.insert(out.end(), {{h + "ln_1", b.ln_1.get()},
                           {h + "attn", b.attn.get()},
                           {h + "ln_2", b.ln_2.get()},
                           {h + "mlp.c_fc", b.c_fc.get()},
                           {h + "mlp.gelu", b.gelu.get()},
                           {h + "mlp.c_proj", b.c_proj.get()}});
  }
  out.insert(out.end(), {{"transformer.ln_f", ln_f_.get()}, {"lm_head", lm_head_.get()}});
  return out;
}

const Tensor& Gpt::block_forward(Block& b, const Tensor& x, bool train) {
  add(x, b.attn->forward(b.ln_1->forward(x, train), train), b.mid);
  const Tensor& h = b.c_fc->forward(b.ln_2->forward(b.mid, train), train);
  add(b.mid, b.c_proj->forward(b.gelu->forward(h, train), train), b.out);
  return b.out;
}

// The residual sums hand dout to both of their terms: dmid = dout + (the MLP branch's
// backward of dout), dx = dmid + (the attention branch's backward of dmid).
const Tensor& Gpt::block_backward(Block& b, const Tensor& dout) {
  const Tensor& dh = b.c_fc->backward(b.gelu->backward(b.c_proj->backward(dout)));
  add(dout, b.ln_2->backward(dh), b.dmid);
  add(b.dmid, b.ln_1->backward(b.attn->backward(b.dmid)), b.dx);
  return b.dx;
}

const Tensor& Gpt::forward(const Tensor& x, bool train) {
  const Tensor* h = &wpe_->forward(wte_->forward(x, train), train);
  for (Block& b : blocks_) h = &block_forward(b, *h, train);
  return lm_head_->forward(ln_f_->forward(*h, train), train);
}

double Gpt::loss(const Tensor& x, const Target& target, bool train) {
  return loss_->forward(forward(x, train), target) + weight_decay_loss();
}

void Gpt::backward() {
  add_weight_decay_grad();
  const Tensor* d = &ln_f_->backward(lm_head_->backward(loss_->backward()));
  for (size_t i = blocks_.size(); i-- > 0;) d = &block_backward(blocks_[i], *d);
  wte_->backward(wpe_->backward(*d));
}

void Gpt::reset_cache() {
  for (Block& b : blocks_) b.attn->reset_cache();
  cached_ = 0;
}

const Tensor& Gpt::block_step(Block& b, const Tensor& x) {
  add(x, b.attn->step(b.ln_1_step->forward(x, false)), b.mid);
  const Tensor& h = b.c_fc_step->forward(b.ln_2_step->forward(b.mid, false), false);
  add(b.mid, b.c_proj_step->forward(b.gelu_step->forward(h, false), false), b.out);
  return b.out;
}

const Tensor& Gpt::step(int32_t token) {
  const GptSpec& g = shape();
  if (cached_ >= g.context) {
    throw Error("gpt: the model reads at most " + std::to_string(g.context) +
                " positions and all of them are fed: reset_cache() before the next");
  }
  if (token < 0 || token >= g.vocab) {
    throw Error("gpt: token " + std::to_string(token) + " is not in [0, " +
                std::to_string(g.vocab) + ")");
  }
  const int64_t C = g.width;
  step_x_.resize(Shape{1, 1, C});
  const float* e = wte_->weight().value.data() + token * C;
  const float* p = wpe_->weight().value.data() + cached_ * C;
  for (int64_t j = 0; j < C; ++j) step_x_[j] = e[j] + p[j];
  const Tensor* h = &step_x_;
  for (Block& b : blocks_) h = &block_step(b, *h);
  ++cached_;
  return lm_head_step_->forward(ln_f_step_->forward(*h, false), false);
}

}  // namespace nnzero
