// Recurrent layers (book 2, chapters 5-6): `rnn` (tanh), `lstm` and `gru` over a whole
// sequence, the book's TimeRNN / TimeLSTM, laid out as PyTorch's nn.RNN / nn.LSTM / nn.GRU with
// batch_first=True: stacked num_layers deep, with dropout between layers, in one or both
// directions.
//
// Shapes: x (N, T, in) -> every step's hidden state (N, T, D*H), D = 2 when bidirectional
// (forward direction first). Weights, per layer k and direction: weight_ih_l<k> (G*H, in_k),
// weight_hh_l<k> (G*H, H), bias_ih_l<k>, bias_hh_l<k> (G*H), "_reverse" for the backward
// direction; G = 1, 4 (i, f, g, o) or 3 (r, z, n) gates.
//
// How it runs: the input's products for all T steps are one matrix product
// (T*N rows, in) x W_ih^T, so only h_prev W_hh^T is left inside the time loop; the cell's
// element-wise math is in recurrent_cells.h. Backward runs the steps in reverse (BPTT) and then
// forms dW_ih, dW_hh and dx as one product each over all steps. Internally everything is
// time-major (T, N, ...): a step's rows are then contiguous.
#pragma once

#include "nnzero/layers/layer.h"

namespace nnzero {

enum class CellType { rnn, lstm, gru };

class Recurrent : public Layer {
 public:
  // in_shape: (T, in).
  Recurrent(CellType cell, const Shape& in_shape, int64_t hidden_size, int64_t num_layers,
            float dropout, bool bidirectional, uint64_t seed);

  const char* type() const override;
  const Tensor& forward(const Tensor& x, bool train) override;
  const Tensor& backward(const Tensor& dout) override;
  Tensor* input_grad_buffer() override { return &dx_; }
  std::vector<Param*> params() override;
  Rng* rng() override { return &rng_; }
  double flops() const override;
  void set_carry_state(bool carry) override;
  void reset_state() override;

  int64_t hidden_size() const { return H_; }

  // Encoder-decoder (book 2's Decoder.set_state): forwards start from the hidden state h0
  // (N, H), with a zero cell state, until set_initial_state(nullptr); backward then also
  // computes dL/dh0. It takes precedence over a carried state. One layer, one direction.
  void set_initial_state(const Tensor* h0);
  const Tensor& initial_state_grad() const { return dh0_; }

 private:
  // One layer in one direction: its weights, and what forward keeps for backward.
  struct Direction {
    Param w_ih, w_hh, b_ih, b_hh;
    Tensor gates;   // (T, N, G*H): the activated gates (for rnn, the pre-activation)
    Tensor hidden;  // gru: (T, N, 3H), h_prev W_hh^T + b_hh
    Tensor cells;   // lstm: (T, N, H), c
    // (T + 2, N, H): slot t + 1 holds h_t; slot 0 the forward direction's initial state,
    // slot T + 1 the reverse direction's, so the h_prev of all steps are T contiguous slots.
    Tensor states;
    Tensor c0;                    // lstm: the initial cell state (N, H)
    Tensor carried_h, carried_c;  // the final state, for the next forward when carrying
    Tensor dgates, dhidden;       // backward scratch (T, N, G*H)
  };
  Direction& dir(int64_t layer, int64_t d) { return dirs_[static_cast<size_t>(layer * D_ + d)]; }
  int64_t input_size(int64_t layer) const { return layer == 0 ? in_ : D_ * H_; }
  void forward_direction(int64_t layer, int64_t d, int64_t n);
  void backward_direction(int64_t layer, int64_t d, int64_t n, const Tensor& dtop, Tensor* dx);
  void stack_outputs(int64_t layer, int64_t n, Tensor& y_time_major);
  void dropout_between_layers(int64_t layer, bool train);

  CellType cell_;
  int64_t T_, in_, H_, G_, L_, D_;
  float p_;
  Rng rng_;
  bool carry_ = false, train_ = false;
  const Tensor* h0_ = nullptr;  // set_initial_state's
  std::vector<Direction> dirs_;
  std::vector<Tensor> inputs_;  // each layer's input, time-major (T, N, in_k)
  std::vector<Tensor> masks_;   // dropout masks of layers 1.. (0 or 1/(1-p))
  Tensor out_, dx_, dtop_, dlayer_, dh_, dh_next_, dc_, dh0_;
};

}  // namespace nnzero
