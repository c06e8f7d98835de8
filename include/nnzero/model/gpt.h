// Gpt: a GPT-style decoder-only transformer (Radford et al. 2018, 2019), the step past book 2
// that its chapter 8 points to: attention alone, without recurrence, reading characters. It is
// nanoGPT's model.py (Karpathy) written out with nnzero's layers:
//
//   x = wte[ids] + wpe[0..T-1]                       token and position vectors   (N, T, C)
//   each of the L blocks:
//     x = x + attn(ln_1(x))                          causal multi-head self-attention
//     x = x + mlp(ln_2(x))      mlp = c_proj(gelu(c_fc(.)))   C -> 4C -> C
//   scores = ln_f(x) wte^T                           lm_head shares wte's weight   (N, T, V)
//
// Every position predicts the next token from itself and the ones before it (the attention is
// causal), so one forward over T tokens trains T predictions. The residual sums carry the
// gradient past every block unchanged; layer normalisation before each branch ("pre-LN",
// GPT-2) keeps the sums' scale in check.
//
// Parameters are named as nanoGPT's GPT module names them (transformer.wte.weight,
// transformer.h.0.attn.c_attn.weight, lm_head.weight, ...): tools/torch_interop.py builds the
// same module. Initialisation is nanoGPT's: every weight N(0, 0.02), the two projections that
// end a residual branch (c_proj) N(0, 0.02 / sqrt(2 L)), layer-norm weights 1, biases 0.
#pragma once

#include <memory>
#include <vector>

#include "nnzero/layers/causal_self_attention.h"
#include "nnzero/layers/embedding.h"
#include "nnzero/layers/gelu.h"
#include "nnzero/layers/layer_norm.h"
#include "nnzero/layers/linear.h"
#include "nnzero/layers/loss.h"
#include "nnzero/layers/position_embedding.h"
#include "nnzero/model/model.h"

namespace nnzero {

class Gpt : public Model {
 public:
  Gpt(const ModelSpec& spec, Rng& rng);

  const ModelSpec& spec() const override { return spec_; }
  const Shape& input_shape() const override { return spec_.input; }
  const Shape& output_shape() const override { return output_shape_; }
  const Tensor& forward(const Tensor& x, bool train) override;
  double loss(const Tensor& x, const Target& target, bool train) override;
  void backward() override;
  const Tensor& prediction() const override { return loss_->prediction(); }
  std::vector<NamedLayer> named_layers() override;
  bool prepares_input(int64_t) const override { return false; }
  bool prepare_input(const Tensor&, Tensor&) const override { return false; }
  void use_prepared(const Tensor*) override {}

  const GptSpec& shape() const { return *spec_.gpt; }

  // Sampling one token at a time (batch 1): step(token) feeds the token at the next position
  // and returns the scores (V) of the token after it. Each block's attention keeps the keys
  // and values of the positions fed so far (a key/value cache), so a step computes one
  // position, not the whole context again. At most `context` positions: reset_cache() starts
  // over (TextGenerator slides the window by running forward() on the last `context` tokens).
  void reset_cache();
  const Tensor& step(int32_t token);
  int64_t cached() const { return cached_; }

 private:
  // One transformer block. The *_step copies read one position (shape (1, C)) and share the
  // weights of the full ones; attn's own cache serves both.
  struct Block {
    std::unique_ptr<LayerNorm> ln_1, ln_2;
    std::unique_ptr<CausalSelfAttention> attn;
    std::unique_ptr<Linear> c_fc, c_proj;
    std::unique_ptr<Gelu> gelu;
    std::unique_ptr<LayerNorm> ln_1_step, ln_2_step;
    std::unique_ptr<Linear> c_fc_step, c_proj_step;
    std::unique_ptr<Gelu> gelu_step;
    Tensor mid, out, dmid, dx;  // mid = x + attn(ln_1(x)); out = mid + mlp(ln_2(mid))
  };
  Block make_block() const;
  const Tensor& block_forward(Block& b, const Tensor& x, bool train);
  const Tensor& block_backward(Block& b, const Tensor& dout);
  const Tensor& block_step(Block& b, const Tensor& x);

  ModelSpec spec_;
  Shape output_shape_;
  std::unique_ptr<Embedding> wte_;
  std::unique_ptr<PositionEmbedding> wpe_;
  std::vector<Block> blocks_;
  std::unique_ptr<LayerNorm> ln_f_, ln_f_step_;
  std::unique_ptr<Linear> lm_head_, lm_head_step_;
  std::unique_ptr<Loss> loss_;
  Workspace workspace_;  // the layers' scratch memory, shared
  int64_t cached_ = 0;
  Tensor step_x_, step_scores_;
};

}  // namespace nnzero
