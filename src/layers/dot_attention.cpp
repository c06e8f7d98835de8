#include "nnzero/layers/dot_attention.h"

#include <algorithm>
#include <cmath>

#include "nnzero/error.h"
#include "nnzero/parallel.h"

namespace nnzero {

namespace {

// Sixteen running sums, one per vector lane: the compiler vectorizes a fixed-width inner loop,
// where one float sum would have to be added in order.
float dot(const float* x, const float* y, int64_t n) {
  float lanes[16] = {};
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) {
    for (int k = 0; k < 16; ++k) lanes[k] += x[j + k] * y[j + k];
  }
  float sum = 0.0f;
  for (; j < n; ++j) sum += x[j] * y[j];
  for (float v : lanes) sum += v;
  return sum;
}

// y += alpha x
void add_scaled(float alpha, const float* x, int64_t n, float* y) {
  for (int64_t j = 0; j < n; ++j) y[j] += alpha * x[j];
}

void softmax_rows(float* x, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    float* row = x + r * cols;
    const float top = *std::max_element(row, row + cols);
    float sum = 0.0f;
    for (int64_t j = 0; j < cols; ++j) sum += row[j] = std::exp(row[j] - top);
    for (int64_t j = 0; j < cols; ++j) row[j] /= sum;
  }
}

}  // namespace

const Tensor& DotAttention::forward(const Tensor& hs_enc, const Tensor& h_dec) {
  if (hs_enc.rank() != 3 || h_dec.rank() != 3 || hs_enc.dim(0) != h_dec.dim(0) ||
      hs_enc.dim(2) != h_dec.dim(2)) {
    throw Error("attention: needs encoder states (N, Tq, H) and decoder states (N, T, H), got " +
                hs_enc.shape().str() + " and " + h_dec.shape().str());
  }
  enc_ = &hs_enc;
  dec_ = &h_dec;
  const int64_t n = hs_enc.dim(0);
  weights_.resize(Shape{n, h_dec.dim(1), hs_enc.dim(1)});
  context_.resize(h_dec.shape());
  parallel_for(
      n,
      [this](int64_t b0, int64_t b1) {
        for (int64_t b = b0; b < b1; ++b) forward_sample(b);
      },
      1);
  return context_;
}

// S (T, Tq) = H_dec (T, H) Hs_enc^T (H, Tq); A = softmax of each row of S; C = A Hs_enc.
// The products are small (T and Tq are tens): plain loops over contiguous rows, one sample
// per thread (OpenBLAS called from inside a parallel loop would contend for its buffers).
void DotAttention::forward_sample(int64_t b) {
  const int64_t tq = enc_->dim(1), t = dec_->dim(1), h = enc_->dim(2);
  const float* enc = enc_->data() + b * tq * h;
  const float* dec = dec_->data() + b * t * h;
  float* a = weights_.data() + b * t * tq;
  float* c = context_.data() + b * t * h;
  for (int64_t r = 0; r < t; ++r) {
    for (int64_t i = 0; i < tq; ++i) a[r * tq + i] = dot(dec + r * h, enc + i * h, h);
  }
  softmax_rows(a, t, tq);
  for (int64_t r = 0; r < t; ++r) {
    std::fill(c + r * h, c + (r + 1) * h, 0.0f);
    for (int64_t i = 0; i < tq; ++i) add_scaled(a[r * tq + i], enc + i * h, h, c + r * h);
  }
}

void DotAttention::backward(const Tensor& dcontext, Tensor& dhs_enc, Tensor& dh_dec) {
  if (!(dhs_enc.shape() == enc_->shape()) || !(dh_dec.shape() == dec_->shape()) ||
      !(dcontext.shape() == dec_->shape())) {
    throw Error("attention: backward's gradients must have the shapes of forward's inputs");
  }
  dweights_.resize(weights_.shape());
  parallel_for(
      enc_->dim(0),
      [&](int64_t b0, int64_t b1) {
        for (int64_t b = b0; b < b1; ++b) backward_sample(b, dcontext, dhs_enc, dh_dec);
      },
      1);
}

void DotAttention::backward_sample(int64_t b, const Tensor& dcontext, Tensor& dhs_enc,
                                   Tensor& dh_dec) {
  const int64_t tq = enc_->dim(1), t = dec_->dim(1), h = enc_->dim(2);
  const float* enc = enc_->data() + b * tq * h;
  const float* dec = dec_->data() + b * t * h;
  const float* dc = dcontext.data() + b * t * h;
  const float* a = weights_.data() + b * t * tq;
  float* ds = dweights_.data() + b * t * tq;
  float* denc = dhs_enc.data() + b * tq * h;
  float* ddec = dh_dec.data() + b * t * h;
  // dA = dC Hs_enc^T; through the weighted sum, dHs_enc += A^T dC.
  for (int64_t r = 0; r < t; ++r) {
    for (int64_t i = 0; i < tq; ++i) {
      ds[r * tq + i] = dot(dc + r * h, enc + i * h, h);
      add_scaled(a[r * tq + i], dc + r * h, h, denc + i * h);
    }
  }
  // dS = A * (dA - rowsum(A * dA)); then through S = H_dec Hs_enc^T to both inputs.
  for (int64_t r = 0; r < t; ++r) {
    float sum = 0.0f;
    for (int64_t i = 0; i < tq; ++i) sum += a[r * tq + i] * ds[r * tq + i];
    for (int64_t i = 0; i < tq; ++i) {
      ds[r * tq + i] = a[r * tq + i] * (ds[r * tq + i] - sum);
      add_scaled(ds[r * tq + i], dec + r * h, h, denc + i * h);
      add_scaled(ds[r * tq + i], enc + i * h, h, ddec + r * h);
    }
  }
}

}  // namespace nnzero
