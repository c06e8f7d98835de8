// Causal multi-head self-attention, nanoGPT's CausalSelfAttention (karpathy/nanoGPT model.py;
// Vaswani et al. 2017) without dropout: the scaled dot-product attention of book 2's section 8.1
// where queries, keys and values all come from the same sequence, and position i sees only
// positions j <= i. With H heads of hs = C / H features each:
//   qkv = x c_attn^T + b_attn                      x (T, C), c_attn (3C, C) -> qkv (T, 3C)
//   q, k, v = the columns [0, C), [C, 2C), [2C, 3C) of qkv; head h takes columns
//             [h hs, (h + 1) hs) of each
//   att[i, j] = softmax over j <= i of q_i . k_j / sqrt(hs)   (j > i: 0)       att (T, T)
//   y_i = sum_j att[i, j] v_j                      heads side by side, in order -> y (T, C)
//   out = y c_proj^T + b_proj                      c_proj (C, C) -> out (T, C)
// backward, per head, with s = the scaled scores and dy from dout through c_proj:
//   datt = dy v^T, ds = att * (datt - sum_j att * datt) (softmax's Jacobian, row by row),
//   dq = ds k / sqrt(hs), dk = ds^T q / sqrt(hs), dv = att^T dy; then through c_attn.
// Shapes: x (N, T, C) -> (N, T, C). Tensor names are nanoGPT's: "c_attn.weight", "c_attn.bias",
// "c_proj.weight", "c_proj.bias".
//
// For sampling one token at a time, step() runs one position with a cache of the keys and
// values of the positions before it (x (N, 1, C) -> (N, 1, C)), as forward computes that
// position of the whole sequence.
#pragma once

#include "nnzero/layers/layer.h"

namespace nnzero {

class CausalSelfAttention : public Layer {
 public:
  // in_shape (T, C): sequences of T positions of C features; C % heads == 0.
  CausalSelfAttention(const Shape& in_shape, int64_t heads, bool bias = true);

  const char* type() const override { return "causal_self_attention"; }
  const Tensor& forward(const Tensor& x, bool train) override;
  const Tensor& backward(const Tensor& dout) override;
  Tensor* input_grad_buffer() override { return &dx_; }
  std::vector<Param*> params() override;
  // Multiply-adds x 2 of one sequence: the projections, 8 T C^2, and the two products of the
  // attention, 4 T^2 C, counted over all (i, j) although the causal mask skips half of them.
  double flops() const override;

  // The key/value cache: forget every position (a new sequence, or a new batch size).
  void reset_cache();
  // Positions the cache holds: the next step() is position cached().
  int64_t cached() const { return cached_; }
  // x (N, 1, C), position cached() of N sequences -> its output (N, 1, C); appends its key and
  // value to the cache. Throws when the cache holds T positions already, or when N differs from
  // the steps before it without reset_cache().
  const Tensor& step(const Tensor& x);

  int64_t heads() const { return heads_; }
  int64_t head_size() const { return head_size_; }
  bool has_bias() const { return has_bias_; }
  // The last forward's attention weights (N, H, T, T), zero above the diagonal.
  const Tensor& attention() const { return att_; }
  Param& attn_weight() { return attn_weight_; }
  Param& attn_bias() { return attn_bias_; }
  Param& proj_weight() { return proj_weight_; }
  Param& proj_bias() { return proj_bias_; }

 private:
  int64_t seq_len_, channels_, heads_, head_size_;  // T, C, H, hs
  bool has_bias_;
  Param attn_weight_, attn_bias_, proj_weight_, proj_bias_;
  int64_t batch_ = 0;
  Tensor x_;     // the input of the last forward as rows (N*T, C), a view
  Tensor qkv_;   // (N*T, 3C)
  Tensor att_;   // (N, H, T, T)
  Tensor y_;     // (N*T, C): the heads' outputs, before c_proj
  Tensor out_;   // (N, T, C)
  Tensor dy_;    // (N*T, C)
  Tensor dqkv_;  // (N*T, 3C)
  Tensor dx_;
  // The cache of step(): keys and values (N, T, C), the first cached_ positions filled.
  Tensor k_cache_, v_cache_;
  int64_t cached_ = 0, cache_batch_ = 0;
  Tensor step_qkv_, step_y_, step_out_, step_scores_;
};

}  // namespace nnzero
