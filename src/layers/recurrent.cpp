#include "nnzero/layers/recurrent.h"

#include <algorithm>
#include <string>

#include "nnzero/kernels/gemm.h"
#include "nnzero/layers/recurrent_cells.h"

namespace nnzero {

namespace {

int64_t gates_of(CellType c) {
  return c == CellType::lstm ? 4 : c == CellType::gru ? 3 : 1;
}

const char* name_of(CellType c) {
  return c == CellType::lstm ? "lstm" : c == CellType::gru ? "gru" : "rnn";
}

Shape check_sequence(CellType c, const Shape& in) {
  if (in.rank() != 2) {
    throw Error(std::string(name_of(c)) + ": needs a sequence (T, features) per sample, got " +
                in.str() + "; put an embedding layer before it");
  }
  return in;
}

int to_int(int64_t v) {
  return static_cast<int>(v);
}

// (A, B, C) <-> (B, A, C): batch-first to time-major and back.
void swap_first_two(const float* src, int64_t a, int64_t b, int64_t c, float* dst) {
  for (int64_t i = 0; i < a; ++i) {
    for (int64_t j = 0; j < b; ++j) {
      std::copy(src + (i * b + j) * c, src + (i * b + j + 1) * c, dst + (j * a + i) * c);
    }
  }
}

void add_row_to_all(const Tensor& row, int64_t rows, float* out) {
  const int64_t k = row.numel();
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < k; ++j) out[r * k + j] += row[j];
  }
}

void add_column_sums(const float* a, int64_t rows, Tensor& sums) {
  const int64_t k = sums.numel();
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < k; ++j) sums[j] += a[r * k + j];
  }
}

}  // namespace

Recurrent::Recurrent(CellType cell, const Shape& in_shape, int64_t hidden_size, int64_t num_layers,
                     float dropout, bool bidirectional, uint64_t seed)
    : Layer(check_sequence(cell, in_shape),
            Shape{in_shape[0], (bidirectional ? 2 : 1) * hidden_size}),
      cell_(cell),
      T_(in_shape[0]),
      in_(in_shape[1]),
      H_(hidden_size),
      G_(gates_of(cell)),
      L_(num_layers),
      D_(bidirectional ? 2 : 1),
      p_(dropout),
      rng_(seed) {
  if (H_ < 1 || L_ < 1)
    throw Error(std::string(type()) + ": hidden_size and num_layers must be >= 1");
  if (!(p_ >= 0.0f && p_ < 1.0f)) {
    throw Error(std::string(type()) + ": dropout must be in [0, 1), got " + std::to_string(p_));
  }
  dirs_.resize(static_cast<size_t>(L_ * D_));
  for (int64_t k = 0; k < L_; ++k) {
    for (int64_t d = 0; d < D_; ++d) {
      const std::string suffix = "_l" + std::to_string(k) + (d == 1 ? "_reverse" : "");
      const Shape wi{G_ * H_, input_size(k)}, wh{G_ * H_, H_}, b{G_ * H_};
      Direction& r = dir(k, d);
      r.w_ih = Param{"weight_ih" + suffix, Tensor(wi), Tensor(wi), input_size(k), true};
      r.w_hh = Param{"weight_hh" + suffix, Tensor(wh), Tensor(wh), H_, true};
      r.b_ih = Param{"bias_ih" + suffix, Tensor(b), Tensor(b), 0, false};
      r.b_hh = Param{"bias_hh" + suffix, Tensor(b), Tensor(b), 0, false};
    }
  }
  inputs_.resize(static_cast<size_t>(L_));
  masks_.resize(static_cast<size_t>(L_));
}

const char* Recurrent::type() const {
  return name_of(cell_);
}

std::vector<Param*> Recurrent::params() {
  std::vector<Param*> out;
  for (Direction& r : dirs_) {
    for (Param* p : {&r.w_ih, &r.w_hh, &r.b_ih, &r.b_hh}) out.push_back(p);
  }
  return out;
}

double Recurrent::flops() const {
  double f = 0.0;
  for (int64_t k = 0; k < L_; ++k) {
    f += 2.0 * static_cast<double>(T_ * D_ * G_ * H_ * (input_size(k) + H_));
  }
  return f;
}

void Recurrent::set_carry_state(bool carry) {
  carry_ = carry && D_ == 1;  // a backward direction reads the sequence from its end
  reset_state();
}

void Recurrent::reset_state() {
  for (Direction& r : dirs_) {
    r.carried_h.resize(Shape{0});
    r.carried_c.resize(Shape{0});
  }
}

void Recurrent::set_initial_state(const Tensor* h0) {
  if (h0 != nullptr && (L_ != 1 || D_ != 1)) {
    throw Error(std::string(type()) + ": an initial state needs one layer in one direction");
  }
  h0_ = h0;
}

const Tensor& Recurrent::forward(const Tensor& x, bool train) {
  check_input(x);
  const int64_t n = x.dim(0);
  train_ = train;
  inputs_[0].resize(Shape{T_, n, in_});
  swap_first_two(x.data(), n, T_, in_, inputs_[0].data());
  for (int64_t k = 0; k < L_; ++k) {
    if (k > 0) {
      stack_outputs(k - 1, n, inputs_[static_cast<size_t>(k)]);
      dropout_between_layers(k, train);
    }
    for (int64_t d = 0; d < D_; ++d) forward_direction(k, d, n);
  }
  Tensor& top = dlayer_;  // scratch: the last layer's outputs, time-major
  stack_outputs(L_ - 1, n, top);
  out_.resize(out_shape_.with_batch(n));
  swap_first_two(top.data(), T_, n, D_ * H_, out_.data());
  return out_;
}

// The hidden states of both directions side by side, (T, N, D*H), time-major.
void Recurrent::stack_outputs(int64_t layer, int64_t n, Tensor& y) {
  y.resize(Shape{T_, n, D_ * H_});
  for (int64_t d = 0; d < D_; ++d) {
    const Tensor& s = dir(layer, d).states;
    for (int64_t t = 0; t < T_; ++t) {
      for (int64_t r = 0; r < n; ++r) {
        const float* h = s.data() + ((t + 1) * n + r) * H_;
        std::copy(h, h + H_, y.data() + (t * n + r) * D_ * H_ + d * H_);
      }
    }
  }
}

void Recurrent::dropout_between_layers(int64_t layer, bool train) {
  Tensor& x = inputs_[static_cast<size_t>(layer)];
  if (!train || p_ == 0.0f) return;
  Tensor& mask = masks_[static_cast<size_t>(layer)];
  mask.resize(x.shape());
  const float scale = 1.0f / (1.0f - p_);
  for (int64_t i = 0; i < x.numel(); ++i) {
    mask[i] = rng_.uniform() >= p_ ? scale : 0.0f;
    x[i] *= mask[i];
  }
}

void Recurrent::forward_direction(int64_t layer, int64_t d, int64_t n) {
  Direction& r = dir(layer, d);
  const int64_t in = input_size(layer), GH = G_ * H_, NH = n * H_;
  const Tensor& x = inputs_[static_cast<size_t>(layer)];
  // All steps' input products at once: (T*N, in) x W_ih^T + b_ih (+ b_hh but for the GRU).
  r.gates.resize(Shape{T_, n, GH});
  gemm(Trans::No, Trans::Yes, to_int(T_ * n), to_int(GH), to_int(in), 1.0f, x.data(), to_int(in),
       r.w_ih.value.data(), to_int(in), 0.0f, r.gates.data(), to_int(GH));
  add_row_to_all(r.b_ih.value, T_ * n, r.gates.data());
  if (cell_ != CellType::gru) add_row_to_all(r.b_hh.value, T_ * n, r.gates.data());

  r.states.resize(Shape{T_ + 2, n, H_});
  const int64_t first = d == 0 ? 0 : T_ + 1;  // the initial state's slot
  float* h0 = r.states.data() + first * NH;
  const bool carried = h0_ == nullptr && carry_ && r.carried_h.numel() == NH;
  if (h0_ != nullptr) {
    if (!(h0_->shape() == Shape{n, H_})) {
      throw Error(std::string(type()) + ": the initial state must be " + Shape{n, H_}.str() +
                  ", got " + h0_->shape().str());
    }
    std::copy(h0_->begin(), h0_->end(), h0);
  } else if (carried) {
    std::copy(r.carried_h.begin(), r.carried_h.end(), h0);
  } else {
    std::fill(h0, h0 + NH, 0.0f);
  }
  if (cell_ == CellType::lstm) {
    r.cells.resize(Shape{T_, n, H_});
    r.c0.resize(Shape{n, H_});
    if (carried) {
      r.c0.copy_from(r.carried_c);
    } else {
      r.c0.zero();
    }
  }
  if (cell_ == CellType::gru) r.hidden.resize(Shape{T_, n, GH});

  for (int64_t s = 0; s < T_; ++s) {
    const int64_t t = d == 0 ? s : T_ - 1 - s;
    const float* h_prev = r.states.data() + (d == 0 ? t : t + 2) * NH;
    float* h = r.states.data() + (t + 1) * NH;
    float* a = r.gates.data() + t * n * GH;
    if (cell_ == CellType::gru) {
      float* hid = r.hidden.data() + t * n * GH;
      for (int64_t row = 0; row < n; ++row) {
        std::copy(r.b_hh.value.begin(), r.b_hh.value.end(), hid + row * GH);
      }
      gemm(Trans::No, Trans::Yes, to_int(n), to_int(GH), to_int(H_), 1.0f, h_prev, to_int(H_),
           r.w_hh.value.data(), to_int(H_), 1.0f, hid, to_int(GH));
      cells::gru_forward(n, H_, a, hid, h_prev, h);
      continue;
    }
    gemm(Trans::No, Trans::Yes, to_int(n), to_int(GH), to_int(H_), 1.0f, h_prev, to_int(H_),
         r.w_hh.value.data(), to_int(H_), 1.0f, a, to_int(GH));
    if (cell_ == CellType::rnn) {
      cells::rnn_forward(NH, a, h);
    } else {
      const float* c_prev = s == 0 ? r.c0.data() : r.cells.data() + (d == 0 ? t - 1 : t + 1) * NH;
      cells::lstm_forward(n, H_, a, c_prev, r.cells.data() + t * NH, h);
    }
  }
  if (carry_) {  // resize keeps the storage: a steady run allocates nothing
    r.carried_h.resize(Shape{n, H_});
    std::copy(r.states.data() + T_ * NH, r.states.data() + (T_ + 1) * NH, r.carried_h.data());
    if (cell_ == CellType::lstm) {
      r.carried_c.resize(Shape{n, H_});
      std::copy(r.cells.data() + (T_ - 1) * NH, r.cells.data() + T_ * NH, r.carried_c.data());
    }
  }
}

const Tensor& Recurrent::backward(const Tensor& dout) {
  const int64_t n = out_.dim(0);
  check_dout(dout, n);
  dtop_.resize(Shape{T_, n, D_ * H_});
  swap_first_two(dout.data(), n, T_, D_ * H_, dtop_.data());
  for (int64_t k = L_; k-- > 0;) {
    const bool need_dx = k > 0 || needs_input_grad_;
    Tensor& dx = dlayer_;
    if (need_dx) dx.resize(Shape{T_, n, input_size(k)});
    for (int64_t d = 0; d < D_; ++d) backward_direction(k, d, n, dtop_, need_dx ? &dx : nullptr);
    if (!need_dx) break;
    if (k == 0) {
      dx_.resize(in_shape_.with_batch(n));
      swap_first_two(dx.data(), T_, n, in_, dx_.data());
      break;
    }
    if (train_ && p_ > 0.0f) {
      const Tensor& mask = masks_[static_cast<size_t>(k)];
      for (int64_t i = 0; i < dx.numel(); ++i) dx[i] *= mask[i];
    }
    std::swap(dtop_, dlayer_);
  }
  return dx_;
}

void Recurrent::backward_direction(int64_t layer, int64_t d, int64_t n, const Tensor& dtop,
                                   Tensor* dx) {
  Direction& r = dir(layer, d);
  const int64_t in = input_size(layer), GH = G_ * H_, NH = n * H_;
  r.dgates.resize(Shape{T_, n, GH});
  Tensor& dhid = cell_ == CellType::gru ? r.dhidden : r.dgates;  // dL/d(h_prev W_hh^T + b_hh)
  if (cell_ == CellType::gru) r.dhidden.resize(Shape{T_, n, GH});
  dh_.resize(Shape{n, H_});
  dh_next_.resize(Shape{n, H_});
  dh_next_.zero();
  if (cell_ == CellType::lstm) {
    dc_.resize(Shape{n, H_});
    dc_.zero();
  }
  for (int64_t s = T_; s-- > 0;) {
    const int64_t t = d == 0 ? s : T_ - 1 - s;
    // dL/dh_t: from the layer above (or the loss) and from step t + 1 through W_hh.
    for (int64_t row = 0; row < n; ++row) {
      const float* above = dtop.data() + (t * n + row) * D_ * H_ + d * H_;
      const float* later = dh_next_.data() + row * H_;
      float* dh = dh_.data() + row * H_;
      for (int64_t j = 0; j < H_; ++j) dh[j] = above[j] + later[j];
    }
    const float* h_prev = r.states.data() + (d == 0 ? t : t + 2) * NH;
    const float* h = r.states.data() + (t + 1) * NH;
    float* da = r.dgates.data() + t * n * GH;
    float* dha = dhid.data() + t * n * GH;
    float beta = 0.0f;
    if (cell_ == CellType::rnn) {
      cells::rnn_backward(NH, h, dh_.data(), da);
    } else if (cell_ == CellType::lstm) {
      const float* c_prev = s == 0 ? r.c0.data() : r.cells.data() + (d == 0 ? t - 1 : t + 1) * NH;
      cells::lstm_backward(n, H_, r.gates.data() + t * n * GH, c_prev, r.cells.data() + t * NH,
                           dh_.data(), dc_.data(), da);
    } else {
      cells::gru_backward(n, H_, r.gates.data() + t * n * GH, r.hidden.data() + t * n * GH, h_prev,
                          dh_.data(), da, dha, dh_next_.data());
      beta = 1.0f;
    }
    // The initial state's gradient is needed only when it came from outside (an encoder); a
    // carried state's is cut (truncated BPTT).
    if (s > 0 || h0_ != nullptr) {
      gemm(Trans::No, Trans::No, to_int(n), to_int(H_), to_int(GH), 1.0f, dha, to_int(GH),
           r.w_hh.value.data(), to_int(H_), beta, dh_next_.data(), to_int(H_));
    }
  }
  if (h0_ != nullptr) {
    dh0_.resize(dh_next_.shape());
    dh0_.copy_from(dh_next_);
  }
  // The products over all steps: dW_ih += dA^T X, dW_hh += dA_h^T H_prev, dX (+)= dA W_ih.
  const Tensor& x = inputs_[static_cast<size_t>(layer)];
  const float* h_prevs = r.states.data() + (d == 0 ? 0 : 2) * NH;
  gemm(Trans::Yes, Trans::No, to_int(GH), to_int(in), to_int(T_ * n), 1.0f, r.dgates.data(),
       to_int(GH), x.data(), to_int(in), 1.0f, r.w_ih.grad.data(), to_int(in));
  gemm(Trans::Yes, Trans::No, to_int(GH), to_int(H_), to_int(T_ * n), 1.0f, dhid.data(), to_int(GH),
       h_prevs, to_int(H_), 1.0f, r.w_hh.grad.data(), to_int(H_));
  add_column_sums(r.dgates.data(), T_ * n, r.b_ih.grad);
  add_column_sums(dhid.data(), T_ * n, r.b_hh.grad);
  if (dx != nullptr) {
    gemm(Trans::No, Trans::No, to_int(T_ * n), to_int(in), to_int(GH), 1.0f, r.dgates.data(),
         to_int(GH), r.w_ih.value.data(), to_int(in), d == 0 ? 0.0f : 1.0f, dx->data(), to_int(in));
  }
}

}  // namespace nnzero
