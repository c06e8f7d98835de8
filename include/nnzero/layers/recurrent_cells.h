// One time step of each recurrent cell, element-wise (book 2's RNN, LSTM and GRU classes,
// without their matrix products, which the Recurrent layer does for all rows and steps at
// once). N rows of H units; a row's gates are side by side in PyTorch's order.
//
// The pre-activations arrive summed: a = x W_ih^T + b_ih + h_prev W_hh^T + b_hh, except for the
// GRU, whose candidate needs the hidden part apart: n = tanh(x_n + r * (h_prev W_hn^T + b_hn)).
#pragma once

#include <cstdint>

namespace nnzero::cells {

// RNN (book 2, section 5.3): h = tanh(a). a (N, H).
void rnn_forward(int64_t count, const float* a, float* h);
// da = dh (1 - h^2).
void rnn_backward(int64_t count, const float* h, const float* dh, float* da);

// LSTM (book 2, section 6.3), gates (N, 4H) in order i, f, g, o (the book's order is f, g, i, o):
//   i = sigmoid(a_i), f = sigmoid(a_f), g = tanh(a_g), o = sigmoid(a_o)
//   c = f * c_prev + i * g,   h = o * tanh(c)
// `gates` holds the pre-activations a on entry and the activated gates on return.
void lstm_forward(int64_t n, int64_t H, float* gates, const float* c_prev, float* c, float* h);
// Given dL/dh of this step (from above and from step t+1) and dc, dL/dc from step t+1 (the
// book's dnext_c), writes dL/da into dgates and replaces dc with dL/dc_prev = dc_total * f:
//   dc_total = dc + dh * o * (1 - tanh(c)^2)
//   do = dh tanh(c),  di = dc_total g,  dg = dc_total i,  df = dc_total c_prev,
// each times its activation's derivative.
void lstm_backward(int64_t n, int64_t H, const float* gates, const float* c_prev, const float* c,
                   const float* dh, float* dc, float* dgates);

// GRU (PyTorch's nn.GRU; book 2's appendix C), gates (N, 3H) in order r, z, n:
//   r = sigmoid(x_r + h_r), z = sigmoid(x_z + h_z), n = tanh(x_n + r * h_n)
//   h = (1 - z) * n + z * h_prev
// where x_* = x W_i*^T + b_i* (in `gates` on entry; r, z, n on return) and
// h_* = h_prev W_h*^T + b_h* (`hidden`).
void gru_forward(int64_t n, int64_t H, float* gates, const float* hidden, const float* h_prev,
                 float* h);
// dL/d(x_*) into dgates, dL/d(h_*) into dhidden and the direct part of dL/dh_prev, dh z, into
// dh_prev (the caller adds dhidden W_hh).
void gru_backward(int64_t n, int64_t H, const float* gates, const float* hidden,
                  const float* h_prev, const float* dh, float* dgates, float* dhidden,
                  float* dh_prev);

}  // namespace nnzero::cells
