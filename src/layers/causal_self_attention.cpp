#include "nnzero/layers/causal_self_attention.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "nnzero/functions/exp_float.h"
#include "nnzero/kernels/attention_kernels.h"
#include "nnzero/kernels/matmul.h"
#include "nnzero/parallel.h"

namespace nnzero {

namespace {

using namespace attention_kernels;

Shape check_attention_shape(const Shape& in, int64_t heads) {
  if (in.rank() != 2) {
    throw Error("causal_self_attention: needs a sequence (T, C), got sample shape " + in.str());
  }
  if (heads < 1) throw Error("causal_self_attention: heads must be at least 1");
  if (in[1] % heads != 0) {
    throw Error("causal_self_attention: C = " + std::to_string(in[1]) +
                " is not divisible by heads = " + std::to_string(heads) + " (input " + in.str() +
                ")");
  }
  return in;
}

// A (sample, head) pair's attention goes to one thread from this many multiply-adds (T^2 hs)
// in all: below it, waking the pool costs more than the products.
constexpr int64_t kSplitMacs = 1 << 15;

// a[0, n) = softmax(scale a[0, n)), in place.
void softmax_prefix(float* __restrict a, int64_t n, float scale) {
  float top = a[0];
  for (int64_t j = 1; j < n; ++j) top = std::max(top, a[j]);
  constexpr int64_t kLanes = 16;
  float acc[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (int64_t l = 0; l < kLanes; ++l) {
      acc[l] += a[j + l] = exp_float(scale * (a[j + l] - top));
    }
  }
  float sum = 0.0f;
  for (; j < n; ++j) sum += a[j] = exp_float(scale * (a[j] - top));
  for (const float v : acc) sum += v;
  const float inv = 1.0f / sum;
  for (int64_t l = 0; l < n; ++l) a[l] *= inv;
}

// The rows of one head: q, k, v and their gradients are rows of (T, 3C) matrices at stride
// `ld` = 3C, starting at the head's columns; y and dy rows of (T, C) at stride `ldy` = C.
struct Head {
  int64_t T, hs, ld, ldy;
  float scale;  // 1 / sqrt(hs)
};

// Scores of the rows [i0, i0 + rows) against the keys held transposed (hs, T): the columns j
// up to the block's last row, rounded up to a whole vector (those past a row's own i are
// masked by the softmax).
Span score_span(const Head& g, int64_t i0, int64_t rows) {
  return {0, g.hs, std::min(g.T, (i0 + rows + 15) / 16 * 16)};
}

// att (T, T) = the causal softmax of q k^T / sqrt(hs), zero above the diagonal;
// y = att v. kt: scratch of hs * T floats.
void head_forward(const Head& g, const float* q, const float* k, const float* v, float* att,
                  float* y, float* kt) {
  const int64_t T = g.T;
  transpose(k, g.ld, T, g.hs, kt);
  causal_product(T, q, g.ld, kt, T, att, T,
                 [&](int64_t i0, int64_t rows) { return score_span(g, i0, rows); });
  for (int64_t i = 0; i < T; ++i) {
    softmax_prefix(att + i * T, i + 1, g.scale);
    std::fill(att + i * T + i + 1, att + (i + 1) * T, 0.0f);
  }
  // y_i = sum over j <= i of att[i, j] v_j.
  causal_product(T, att, T, v, g.ld, y, g.ldy, [&](int64_t i0, int64_t rows) {
    return Span{0, i0 + rows, g.hs};
  });
}

// The gradients of one head (see the header): datt = dy v^T, ds = att * (datt - rowsum(att *
// datt)), dq = ds k / sqrt(hs), dk = ds^T q / sqrt(hs), dv = att^T dy. Writes dq, dk, dv.
// scratch: hs * T + 3 T^2 floats.
void head_backward(const Head& g, const float* q, const float* k, const float* v, const float* att,
                   const float* dy, float* dq, float* dk, float* dv, float* scratch) {
  const int64_t T = g.T;
  float* vt = scratch;          // (hs, T)
  float* ds = vt + g.hs * T;    // (T, T)
  float* ds_t = ds + T * T;     // (T, T)
  float* att_t = ds_t + T * T;  // (T, T)
  transpose(v, g.ld, T, g.hs, vt);
  causal_product(T, dy, g.ldy, vt, T, ds, T,
                 [&](int64_t i0, int64_t rows) { return score_span(g, i0, rows); });
  for (int64_t i = 0; i < T; ++i) {
    const float* a = att + i * T;
    float* d = ds + i * T;
    const float sum = dot(a, d, i + 1);
    // ds / sqrt(hs): the scale of the scores, carried into dq and dk.
    for (int64_t j = 0; j <= i; ++j) d[j] = a[j] * (d[j] - sum) * g.scale;
    std::fill(d + i + 1, d + T, 0.0f);
  }
  // dq_i = sum over j <= i of ds[i, j] k_j.
  causal_product(T, ds, T, k, g.ld, dq, g.ld, [&](int64_t i0, int64_t rows) {
    return Span{0, i0 + rows, g.hs};
  });
  // dk_j = sum over i >= j of ds[i, j] q_i, dv_j = sum over i >= j of att[i, j] dy_i.
  transpose(ds, T, T, T, ds_t);
  transpose(att, T, T, T, att_t);
  causal_product(T, ds_t, T, q, g.ld, dk, g.ld, [&](int64_t j0, int64_t) {
    return Span{j0, T, g.hs};
  });
  causal_product(T, att_t, T, dy, g.ldy, dv, g.ld, [&](int64_t j0, int64_t) {
    return Span{j0, T, g.hs};
  });
}

}  // namespace

CausalSelfAttention::CausalSelfAttention(const Shape& in_shape, int64_t heads, bool bias)
    : Layer(check_attention_shape(in_shape, heads), in_shape),
      seq_len_(in_shape[0]),
      channels_(in_shape[1]),
      heads_(heads),
      head_size_(in_shape[1] / heads),
      has_bias_(bias) {
  const int64_t C = channels_;
  attn_weight_ = Param{"c_attn.weight", Tensor(Shape{3 * C, C}), Tensor(Shape{3 * C, C}), C, true};
  proj_weight_ = Param{"c_proj.weight", Tensor(Shape{C, C}), Tensor(Shape{C, C}), C, true};
  if (has_bias_) {
    attn_bias_ = Param{"c_attn.bias", Tensor(Shape{3 * C}), Tensor(Shape{3 * C}), 0, false};
    proj_bias_ = Param{"c_proj.bias", Tensor(Shape{C}), Tensor(Shape{C}), 0, false};
  }
}

std::vector<Param*> CausalSelfAttention::params() {
  if (has_bias_) return {&attn_weight_, &attn_bias_, &proj_weight_, &proj_bias_};
  return {&attn_weight_, &proj_weight_};
}

double CausalSelfAttention::flops() const {
  const auto T = static_cast<double>(seq_len_), C = static_cast<double>(channels_);
  return 8.0 * T * C * C + 4.0 * T * T * C;
}

const Tensor& CausalSelfAttention::forward(const Tensor& x, bool /*train*/) {
  check_input(x);
  const int64_t N = x.dim(0), T = seq_len_, C = channels_, H = heads_, hs = head_size_;
  batch_ = N;
  x_ = x.reshape(Shape{N * T, C});
  matmul_transposed(x_, attn_weight_.value, has_bias_ ? &attn_bias_.value : nullptr, qkv_,
                    workspace());
  att_.resize(Shape{N, H, T, T});
  y_.resize(Shape{N * T, C});
  // One (sample, head) pair at a time, each on one thread with its own scratch: plain loops
  // (OpenBLAS called from inside a parallel loop contends for its buffers).
  const int threads = num_threads();
  float* scratch = workspace().per_thread(Workspace::kScratch, hs * T, threads);
  const int64_t stride = Workspace::stride(hs * T);
  const Head g{T, hs, 3 * C, C, 1.0f / std::sqrt(static_cast<float>(hs))};
  const float* qkv = qkv_.data();
  float* att = att_.data();
  float* y = y_.data();
  parallel_pieces(
      N * H,
      [=](int t, int64_t b0, int64_t b1) {
        for (int64_t b = b0; b < b1; ++b) {
          const int64_t n = b / H, h = b % H;
          const float* q = qkv + n * T * 3 * C + h * hs;
          head_forward(g, q, q + C, q + 2 * C, att + b * T * T, y + n * T * C + h * hs,
                       scratch + t * stride);
        }
      },
      min_items(kSplitMacs, T * T * hs));
  matmul_transposed(y_, proj_weight_.value, has_bias_ ? &proj_bias_.value : nullptr, out_,
                    workspace());
  out_ = out_.reshape(Shape{N, T, C});
  return out_;
}

const Tensor& CausalSelfAttention::backward(const Tensor& dout) {
  check_dout(dout, batch_);
  const int64_t N = batch_, T = seq_len_, C = channels_, H = heads_, hs = head_size_;
  const Tensor d = dout.reshape(Shape{N * T, C});
  // Through c_proj: dW += dout^T y, db += sum dout, dy = dout W.
  add_matmul_transposed_a(d, y_, proj_weight_.grad, workspace());
  if (has_bias_) add_column_sums(d, proj_bias_.grad);
  matmul(d, proj_weight_.value, dy_, workspace());
  // Through the attention of every (sample, head) pair into dqkv.
  dqkv_.resize(Shape{N * T, 3 * C});
  const int threads = num_threads();
  const int64_t per_thread = hs * T + 3 * T * T;
  float* scratch = workspace().per_thread(Workspace::kScratch, per_thread, threads);
  const int64_t stride = Workspace::stride(per_thread);
  const Head g{T, hs, 3 * C, C, 1.0f / std::sqrt(static_cast<float>(hs))};
  const float* qkv = qkv_.data();
  const float* att = att_.data();
  const float* dy = dy_.data();
  float* dqkv = dqkv_.data();
  parallel_pieces(
      N * H,
      [=](int t, int64_t b0, int64_t b1) {
        for (int64_t b = b0; b < b1; ++b) {
          const int64_t n = b / H, h = b % H;
          const int64_t offset = n * T * 3 * C + h * hs;
          const float* q = qkv + offset;
          float* dq = dqkv + offset;
          head_backward(g, q, q + C, q + 2 * C, att + b * T * T, dy + n * T * C + h * hs, dq,
                        dq + C, dq + 2 * C, scratch + t * stride);
        }
      },
      min_items(kSplitMacs, T * T * hs));
  // Through c_attn: dW += dqkv^T x, db += sum dqkv, dx = dqkv W.
  add_matmul_transposed_a(dqkv_, x_, attn_weight_.grad, workspace());
  if (has_bias_) add_column_sums(dqkv_, attn_bias_.grad);
  if (needs_input_grad_) {
    matmul(dqkv_, attn_weight_.value, dx_, workspace());
    dx_ = dx_.reshape(Shape{N, T, C});
  }
  return dx_;
}

void CausalSelfAttention::reset_cache() {
  cached_ = 0;
  cache_batch_ = 0;
}

const Tensor& CausalSelfAttention::step(const Tensor& x) {
  const int64_t T = seq_len_, C = channels_, H = heads_, hs = head_size_;
  if (x.rank() != 3 || x.dim(1) != 1 || x.dim(2) != C) {
    throw Error("causal_self_attention: step expects one position (N, 1, " + std::to_string(C) +
                "), got " + x.shape().str());
  }
  const int64_t N = x.dim(0);
  if (cached_ > 0 && N != cache_batch_) {
    throw Error("causal_self_attention: step on a batch of " + std::to_string(N) +
                " sequences, but the cache holds " + std::to_string(cache_batch_) +
                "; call reset_cache() to start new sequences");
  }
  if (cached_ >= T) {
    throw Error("causal_self_attention: the key/value cache is full (" + std::to_string(T) +
                " positions, the layer's T); call reset_cache() to start again");
  }
  if (cached_ == 0) {
    cache_batch_ = N;
    k_cache_.resize(Shape{N, T, C});
    v_cache_.resize(Shape{N, T, C});
  }
  matmul_transposed(x.reshape(Shape{N, C}), attn_weight_.value,
                    has_bias_ ? &attn_bias_.value : nullptr, step_qkv_, workspace());
  const int64_t p = cached_;
  for (int64_t n = 0; n < N; ++n) {
    const float* row = step_qkv_.data() + n * 3 * C;
    std::copy(row + C, row + 2 * C, k_cache_.data() + (n * T + p) * C);
    std::copy(row + 2 * C, row + 3 * C, v_cache_.data() + (n * T + p) * C);
  }
  step_y_.resize(Shape{N, C});
  step_scores_.resize(Shape{T});
  float* s = step_scores_.data();
  const float scale = 1.0f / std::sqrt(static_cast<float>(hs));
  // Row p of head_forward, with the cached keys and values of positions 0..p.
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t h = 0; h < H; ++h) {
      const float* q = step_qkv_.data() + n * 3 * C + h * hs;
      const float* k = k_cache_.data() + n * T * C + h * hs;
      const float* v = v_cache_.data() + n * T * C + h * hs;
      for (int64_t j = 0; j <= p; ++j) s[j] = dot(q, k + j * C, hs);
      softmax_prefix(s, p + 1, scale);
      float* y = step_y_.data() + n * C + h * hs;
      std::fill(y, y + hs, 0.0f);
      for (int64_t j = 0; j <= p; ++j) {
        for (int64_t d = 0; d < hs; ++d) y[d] += s[j] * v[j * C + d];
      }
    }
  }
  matmul_transposed(step_y_, proj_weight_.value, has_bias_ ? &proj_bias_.value : nullptr, step_out_,
                    workspace());
  step_out_ = step_out_.reshape(Shape{N, 1, C});
  ++cached_;
  return step_out_;
}

}  // namespace nnzero
