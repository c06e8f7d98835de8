#include "nnzero/layers/recurrent_cells.h"

#include "nnzero/functions/exp_float.h"

namespace nnzero::cells {

namespace {
// Through exp_float, so that the loops over a step's units become vector code (libm's tanh
// and exp are calls, one value at a time). The rows' pointers are __restrict: they never
// overlap, and without the promise the compiler leaves the LSTM and GRU loops scalar.
inline float tanh_of(float a) {
  return 1.0f - 2.0f / (exp_float(2.0f * a) + 1.0f);
}
}  // namespace

void rnn_forward(int64_t count, const float* a, float* h) {
  for (int64_t i = 0; i < count; ++i) h[i] = tanh_of(a[i]);
}

void rnn_backward(int64_t count, const float* h, const float* dh, float* da) {
  for (int64_t i = 0; i < count; ++i) da[i] = dh[i] * (1.0f - h[i] * h[i]);
}

namespace {
// c = f c_prev + i g and h = o tanh(c) for one row, given its activated gates.
void lstm_state(int64_t H, const float* __restrict i, const float* __restrict f,
                const float* __restrict g, const float* __restrict o,
                const float* __restrict c_prev, float* __restrict c, float* __restrict h) {
  for (int64_t j = 0; j < H; ++j) {
    c[j] = f[j] * c_prev[j] + i[j] * g[j];
    h[j] = o[j] * tanh_of(c[j]);
  }
}
}  // namespace

void lstm_forward(int64_t n, int64_t H, float* gates, const float* c_prev, float* c, float* h) {
  for (int64_t r = 0; r < n; ++r) {
    // The activations, each over a contiguous block of the row: i and f, then g, then o.
    float* a = gates + r * 4 * H;
    for (int64_t j = 0; j < 2 * H; ++j) a[j] = sigmoid_float(a[j]);
    for (int64_t j = 2 * H; j < 3 * H; ++j) a[j] = tanh_of(a[j]);
    for (int64_t j = 3 * H; j < 4 * H; ++j) a[j] = sigmoid_float(a[j]);
    lstm_state(H, a, a + H, a + 2 * H, a + 3 * H, c_prev + r * H, c + r * H, h + r * H);
  }
}

void lstm_backward(int64_t n, int64_t H, const float* gates, const float* c_prev, const float* c,
                   const float* dh, float* dc, float* dgates) {
  for (int64_t r = 0; r < n; ++r) {
    const float* __restrict i = gates + r * 4 * H;
    const float* __restrict f = i + H;
    const float* __restrict g = f + H;
    const float* __restrict o = g + H;
    float* __restrict di = dgates + r * 4 * H;
    float* __restrict df = di + H;
    float* __restrict dg = df + H;
    float* __restrict d_o = dg + H;
    const float* __restrict cp = c_prev + r * H;
    const float* __restrict cr = c + r * H;
    const float* __restrict dhr = dh + r * H;
    float* __restrict dcr = dc + r * H;
    for (int64_t j = 0; j < H; ++j) {
      const float tc = tanh_of(cr[j]);
      const float ds = dcr[j] + dhr[j] * o[j] * (1.0f - tc * tc);
      d_o[j] = dhr[j] * tc * o[j] * (1.0f - o[j]);
      di[j] = ds * g[j] * i[j] * (1.0f - i[j]);
      dg[j] = ds * i[j] * (1.0f - g[j] * g[j]);
      df[j] = ds * cp[j] * f[j] * (1.0f - f[j]);
      dcr[j] = ds * f[j];
    }
  }
}

void gru_forward(int64_t n, int64_t H, float* gates, const float* hidden, const float* h_prev,
                 float* h) {
  for (int64_t r = 0; r < n; ++r) {
    float* __restrict rg = gates + r * 3 * H;
    float* __restrict z = rg + H;
    float* __restrict cand = z + H;
    const float* __restrict hr = hidden + r * 3 * H;
    const float* __restrict hz = hr + H;
    const float* __restrict hn = hz + H;
    const float* __restrict hp = h_prev + r * H;
    float* __restrict out = h + r * H;
    for (int64_t j = 0; j < H; ++j) {
      rg[j] = sigmoid_float(rg[j] + hr[j]);
      z[j] = sigmoid_float(z[j] + hz[j]);
      cand[j] = tanh_of(cand[j] + rg[j] * hn[j]);
      out[j] = (1.0f - z[j]) * cand[j] + z[j] * hp[j];
    }
  }
}

void gru_backward(int64_t n, int64_t H, const float* gates, const float* hidden,
                  const float* h_prev, const float* dh, float* dgates, float* dhidden,
                  float* dh_prev) {
  for (int64_t r = 0; r < n; ++r) {
    const float* __restrict rg = gates + r * 3 * H;
    const float* __restrict z = rg + H;
    const float* __restrict cand = z + H;
    const float* __restrict hn = hidden + r * 3 * H + 2 * H;
    const float* __restrict hp = h_prev + r * H;
    const float* __restrict d = dh + r * H;
    float* __restrict dxr = dgates + r * 3 * H;
    float* __restrict dxz = dxr + H;
    float* __restrict dxn = dxz + H;
    float* __restrict dhr = dhidden + r * 3 * H;
    float* __restrict dhz = dhr + H;
    float* __restrict dhn = dhz + H;
    float* __restrict dp = dh_prev + r * H;
    for (int64_t j = 0; j < H; ++j) {
      const float dn = d[j] * (1.0f - z[j]) * (1.0f - cand[j] * cand[j]);
      const float dz = d[j] * (hp[j] - cand[j]) * z[j] * (1.0f - z[j]);
      const float dr = dn * hn[j] * rg[j] * (1.0f - rg[j]);
      dxr[j] = dhr[j] = dr;
      dxz[j] = dhz[j] = dz;
      dxn[j] = dn;
      dhn[j] = dn * rg[j];
      dp[j] = d[j] * z[j];
    }
  }
}

}  // namespace nnzero::cells
