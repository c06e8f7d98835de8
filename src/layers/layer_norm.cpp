#include "nnzero/layers/layer_norm.h"

#include <cmath>

#include "nnzero/parallel.h"

namespace nnzero {

namespace {

Shape check_layer_norm_shape(const Shape& in) {
  if (in.rank() < 1) {
    throw Error("layer_norm: needs samples of shape (..., C), got " + in.str());
  }
  return in;
}

// The sum of term(c) over c in [0, C) with 16 partial sums, which the compiler keeps in a
// vector register (one running float sum would have to be added in order, unvectorised).
template <class Term>
float lane_sum(int64_t C, Term term) {
  constexpr int64_t kLanes = 16;
  float acc[kLanes] = {};
  int64_t c = 0;
  for (; c + kLanes <= C; c += kLanes) {
    for (int64_t j = 0; j < kLanes; ++j) acc[j] += term(c + j);
  }
  float sum = 0.0f;
  for (; c < C; ++c) sum += term(c);
  for (const float a : acc) sum += a;
  return sum;
}

// Rows are split over the threads from this many values in all: a row is read two or three
// times, so the split pays sooner than an element-wise layer's (kParallelMinElements).
constexpr int64_t kSplitValues = 32768;

}  // namespace

LayerNorm::LayerNorm(const Shape& in_shape, bool bias, float eps)
    : Layer(check_layer_norm_shape(in_shape), in_shape),
      features_(in_shape[in_shape.rank() - 1]),
      has_bias_(bias),
      eps_(eps) {
  if (!(eps > 0.0f)) throw Error("layer_norm: eps must be positive");
  weight_ = Param{"weight", Tensor(Shape{features_}, 1.0f), Tensor(Shape{features_}), 0, false};
  if (has_bias_) {
    bias_ = Param{"bias", Tensor(Shape{features_}), Tensor(Shape{features_}), 0, false};
  }
}

std::vector<Param*> LayerNorm::params() {
  if (has_bias_) return {&weight_, &bias_};
  return {&weight_};
}

const Tensor& LayerNorm::forward(const Tensor& x, bool /*train*/) {
  check_input(x);
  const int64_t C = features_, rows = x.numel() / C;
  out_.resize(x.shape());
  xhat_.resize(Shape{rows, C});
  inv_std_.resize(Shape{rows});
  const float* xs = x.data();
  const float* w = weight_.value.data();
  const float* b = has_bias_ ? bias_.value.data() : nullptr;
  float* xh = xhat_.data();
  float* y = out_.data();
  float* rstd = inv_std_.data();
  const float eps = eps_;
  // x: (rows, C) -> xhat, y: (rows, C), rstd: (rows); each row on its own.
  parallel_for(
      rows,
      [=](int64_t r0, int64_t r1) {
        const auto n = static_cast<float>(C);
        for (int64_t r = r0; r < r1; ++r) {
          const float* xr = xs + r * C;
          float* xhr = xh + r * C;
          float* yr = y + r * C;
          const float mean = lane_sum(C, [xr](int64_t c) { return xr[c]; }) / n;
          const float var =
              lane_sum(C, [xr, mean](int64_t c) { return (xr[c] - mean) * (xr[c] - mean); }) / n;
          const float inv = 1.0f / std::sqrt(var + eps);
          rstd[r] = inv;
          for (int64_t c = 0; c < C; ++c) xhr[c] = (xr[c] - mean) * inv;
          if (b != nullptr) {
            for (int64_t c = 0; c < C; ++c) yr[c] = w[c] * xhr[c] + b[c];
          } else {
            for (int64_t c = 0; c < C; ++c) yr[c] = w[c] * xhr[c];
          }
        }
      },
      min_items(kSplitValues, C));
  return out_;
}

const Tensor& LayerNorm::backward(const Tensor& dout) {
  check_dout(dout, out_.dim(0));
  const int64_t C = features_, rows = dout.numel() / C;
  const float* d = dout.data();
  const float* xh = xhat_.data();
  // dweight += sum over rows of dout * xhat, dbias += sum of dout: split over the columns, so
  // that every sum adds its rows in the same order on any number of threads.
  float* dw = weight_.grad.data();
  float* db = has_bias_ ? bias_.grad.data() : nullptr;
  parallel_for(
      C,
      [=](int64_t c0, int64_t c1) {
        for (int64_t r = 0; r < rows; ++r) {
          const float* dr = d + r * C;
          const float* xhr = xh + r * C;
          for (int64_t c = c0; c < c1; ++c) dw[c] += dr[c] * xhr[c];
          if (db != nullptr) {
            for (int64_t c = c0; c < c1; ++c) db[c] += dr[c];
          }
        }
      },
      min_items(kSplitValues, rows));
  if (!needs_input_grad_) return dx_;
  // dx = (g - mean(g) - xhat * mean(g * xhat)) / sigma with g = dout * weight, row by row.
  dx_.resize(dout.shape());
  const float* w = weight_.value.data();
  const float* rstd = inv_std_.data();
  float* dx = dx_.data();
  parallel_for(
      rows,
      [=](int64_t r0, int64_t r1) {
        const auto n = static_cast<float>(C);
        for (int64_t r = r0; r < r1; ++r) {
          const float* dr = d + r * C;
          const float* xhr = xh + r * C;
          float* dxr = dx + r * C;
          const float mean_g = lane_sum(C, [dr, w](int64_t c) { return dr[c] * w[c]; }) / n;
          const float mean_gx =
              lane_sum(C, [dr, w, xhr](int64_t c) { return dr[c] * w[c] * xhr[c]; }) / n;
          const float inv = rstd[r];
          for (int64_t c = 0; c < C; ++c) {
            dxr[c] = inv * (dr[c] * w[c] - mean_g - xhr[c] * mean_gx);
          }
        }
      },
      min_items(kSplitValues, C));
  return dx_;
}

}  // namespace nnzero
