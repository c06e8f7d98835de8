#include "nnzero/layers/recurrent_cells.h"

#include "nnzero/functions/exp_float.h"

namespace nnzero::cells {

namespace {
// Through exp_float, so that the loops over a step's units become vector code (libm's tanh
// and exp are calls, one value at a time).
inline float sigmoid(float a) {
  return 1.0f / (1.0f + exp_float(-a));
}
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

void lstm_forward(int64_t n, int64_t H, float* gates, const float* c_prev, float* c, float* h) {
  for (int64_t r = 0; r < n; ++r) {
    float* i = gates + r * 4 * H;
    float* f = i + H;
    float* g = f + H;
    float* o = g + H;
    const float* cp = c_prev + r * H;
    float* cr = c + r * H;
    float* hr = h + r * H;
    for (int64_t j = 0; j < H; ++j) {
      i[j] = sigmoid(i[j]);
      f[j] = sigmoid(f[j]);
      g[j] = tanh_of(g[j]);
      o[j] = sigmoid(o[j]);
      cr[j] = f[j] * cp[j] + i[j] * g[j];
      hr[j] = o[j] * tanh_of(cr[j]);
    }
  }
}

void lstm_backward(int64_t n, int64_t H, const float* gates, const float* c_prev, const float* c,
                   const float* dh, float* dc, float* dgates) {
  for (int64_t r = 0; r < n; ++r) {
    const float* i = gates + r * 4 * H;
    const float* f = i + H;
    const float* g = f + H;
    const float* o = g + H;
    float* di = dgates + r * 4 * H;
    float* df = di + H;
    float* dg = df + H;
    float* d_o = dg + H;
    const float* cp = c_prev + r * H;
    const float* cr = c + r * H;
    const float* dhr = dh + r * H;
    float* dcr = dc + r * H;
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
    float* rg = gates + r * 3 * H;
    float* z = rg + H;
    float* cand = z + H;
    const float* hr = hidden + r * 3 * H;
    const float* hz = hr + H;
    const float* hn = hz + H;
    const float* hp = h_prev + r * H;
    float* out = h + r * H;
    for (int64_t j = 0; j < H; ++j) {
      rg[j] = sigmoid(rg[j] + hr[j]);
      z[j] = sigmoid(z[j] + hz[j]);
      cand[j] = tanh_of(cand[j] + rg[j] * hn[j]);
      out[j] = (1.0f - z[j]) * cand[j] + z[j] * hp[j];
    }
  }
}

void gru_backward(int64_t n, int64_t H, const float* gates, const float* hidden,
                  const float* h_prev, const float* dh, float* dgates, float* dhidden,
                  float* dh_prev) {
  for (int64_t r = 0; r < n; ++r) {
    const float* rg = gates + r * 3 * H;
    const float* z = rg + H;
    const float* cand = z + H;
    const float* hn = hidden + r * 3 * H + 2 * H;
    const float* hp = h_prev + r * H;
    const float* d = dh + r * H;
    float* dxr = dgates + r * 3 * H;
    float* dxz = dxr + H;
    float* dxn = dxz + H;
    float* dhr = dhidden + r * 3 * H;
    float* dhz = dhr + H;
    float* dhn = dhz + H;
    float* dp = dh_prev + r * H;
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
