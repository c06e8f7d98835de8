#include "nnzero/layers/batchnorm.h"

#include <cmath>

#include "nnzero/parallel.h"

namespace nnzero {

namespace {
Shape check_bn_shape(const Shape& in) {
  if (in.rank() != 1 && in.rank() != 3) {
    throw Error("batchnorm: expects samples of shape (C) or (C, H, W), got " + in.str());
  }
  return in;
}
}  // namespace

BatchNorm::BatchNorm(const Shape& in_shape, float eps, float momentum)
    : Layer(check_bn_shape(in_shape), in_shape),
      channels_(in_shape[0]),
      spatial_(in_shape.numel() / std::max<int64_t>(in_shape[0], 1)),
      eps_(eps),
      momentum_(momentum),
      running_mean_(Shape{in_shape[0]}, 0.0f),
      running_var_(Shape{in_shape[0]}, 1.0f),
      inv_std_(Shape{in_shape[0]}) {
  if (!(eps > 0.0f)) throw Error("batchnorm: eps must be positive");
  if (!(momentum >= 0.0f && momentum <= 1.0f)) throw Error("batchnorm: momentum must be in [0, 1]");
  gamma_ = Param{"weight", Tensor(Shape{channels_}, 1.0f), Tensor(Shape{channels_}), 0, false};
  beta_ = Param{"bias", Tensor(Shape{channels_}), Tensor(Shape{channels_}), 0, false};
}

const char* BatchNorm::type() const {
  return in_shape_.rank() == 1 ? "batchnorm1d" : "batchnorm2d";
}

std::vector<Buffer> BatchNorm::buffers() {
  return {{"running_mean", &running_mean_}, {"running_var", &running_var_}};
}

namespace {
// Sample n's values of channel c in a (N, C, S) tensor: S contiguous floats.
const float* row(const float* t, int64_t n, int64_t c, int64_t C, int64_t S) {
  return t + (n * C + c) * S;
}
float* row(float* t, int64_t n, int64_t c, int64_t C, int64_t S) {
  return t + (n * C + c) * S;
}

// The sum of term(s) over s in [0, S) with 16 partial sums, which the compiler keeps in
// vector registers: one chain of dependent additions through every value would bound the
// layer by the adder's latency. Accumulated in double, as the book's float64 code does.
template <class Term>
double row_sum(int64_t S, Term term) {
  constexpr int64_t kLanes = 16;
  double acc[kLanes] = {};
  int64_t s = 0;
  for (; s + kLanes <= S; s += kLanes) {
    for (int64_t j = 0; j < kLanes; ++j) acc[j] += term(s + j);
  }
  double sum = 0.0;
  for (; s < S; ++s) sum += term(s);
  for (const double a : acc) sum += a;
  return sum;
}

// Channels are normalized in parallel from this many values in all.
constexpr int64_t kSplitValues = 32768;
}  // namespace

const Tensor& BatchNorm::forward(const Tensor& x, bool train) {
  check_input(x);
  // Frozen (transfer learning), it normalises with its running statistics and keeps them, as
  // in evaluation: the layers above were trained on inputs normalised that way.
  train_ = train && !gamma_.frozen;
  const int64_t N = x.dim(0), S = spatial_;
  if (train && N * S < 2) {
    throw Error("batchnorm: training needs more than one value per channel (batch of " +
                std::to_string(N) + ")");
  }
  out_.resize(x.shape());
  xhat_.resize(x.shape());
  parallel_for(
      channels_,
      [&](int64_t c0, int64_t c1) {
        for (int64_t c = c0; c < c1; ++c) normalize_channel(x, c);
      },
      min_items(kSplitValues, N * S));
  return out_;
}

// Channel c: its statistics (the batch's when training, updating the running ones; the
// running ones in evaluation), then xhat and y.
void BatchNorm::normalize_channel(const Tensor& x, int64_t c) {
  const int64_t N = x.dim(0), C = channels_, S = spatial_;
  const int64_t m = N * S;  // values per channel
  double mean, var;
  if (train_) {
    double sum = 0.0, sumsq = 0.0;
    for (int64_t n = 0; n < N; ++n) {
      const float* xr = row(x.data(), n, c, C, S);
      sum += row_sum(S, [xr](int64_t s) { return double{xr[s]}; });
    }
    mean = sum / static_cast<double>(m);
    for (int64_t n = 0; n < N; ++n) {
      const float* xr = row(x.data(), n, c, C, S);
      sumsq += row_sum(S, [xr, mean](int64_t s) { return (xr[s] - mean) * (xr[s] - mean); });
    }
    var = sumsq / static_cast<double>(m);
    const float mo = momentum_;
    running_mean_[c] = (1.0f - mo) * running_mean_[c] + mo * static_cast<float>(mean);
    running_var_[c] =
        (1.0f - mo) * running_var_[c] +
        mo * static_cast<float>(var * static_cast<double>(m) / static_cast<double>(m - 1));
  } else {
    mean = running_mean_[c];
    var = running_var_[c];
  }
  const auto inv_std = static_cast<float>(1.0 / std::sqrt(var + eps_));
  const auto mu = static_cast<float>(mean);
  inv_std_[c] = inv_std;
  const float g = gamma_.value[c], b = beta_.value[c];
  for (int64_t n = 0; n < N; ++n) {
    const float* xr = row(x.data(), n, c, C, S);
    float* xh = row(xhat_.data(), n, c, C, S);
    float* y = row(out_.data(), n, c, C, S);
    for (int64_t s = 0; s < S; ++s) {
      xh[s] = (xr[s] - mu) * inv_std;
      y[s] = g * xh[s] + b;
    }
  }
}

const Tensor& BatchNorm::backward(const Tensor& dout) {
  check_dout(dout, out_.dim(0));
  dx_.resize(dout.shape());
  parallel_for(
      channels_,
      [&](int64_t c0, int64_t c1) {
        for (int64_t c = c0; c < c1; ++c) backward_channel(dout, c);
      },
      min_items(kSplitValues, dout.dim(0) * spatial_));
  return dx_;
}

// Channel c: dbeta, dgamma, and dx by the formula of the header (or, in evaluation mode,
// where the statistics are constants, dx = gamma * inv_std * dout).
void BatchNorm::backward_channel(const Tensor& dout, int64_t c) {
  const int64_t N = dout.dim(0), C = channels_, S = spatial_;
  const auto m = static_cast<float>(N * S);
  double dbeta = 0.0, dgamma = 0.0;
  for (int64_t n = 0; n < N; ++n) {
    const float* d = row(dout.data(), n, c, C, S);
    const float* xh = row(xhat_.data(), n, c, C, S);
    dbeta += row_sum(S, [d](int64_t s) { return double{d[s]}; });
    dgamma += row_sum(S, [d, xh](int64_t s) { return double{d[s]} * xh[s]; });
  }
  beta_.grad[c] += static_cast<float>(dbeta);
  gamma_.grad[c] += static_cast<float>(dgamma);
  const float g = gamma_.value[c];
  // In evaluation mode the statistics are constants: dx = gamma * inv_std * dout.
  const float k = train_ ? g * inv_std_[c] / m : g * inv_std_[c];
  const auto db = static_cast<float>(dbeta), dg = static_cast<float>(dgamma);
  for (int64_t n = 0; n < N; ++n) {
    const float* d = row(dout.data(), n, c, C, S);
    const float* xh = row(xhat_.data(), n, c, C, S);
    float* dx = row(dx_.data(), n, c, C, S);
    if (!train_) {
      for (int64_t s = 0; s < S; ++s) dx[s] = k * d[s];
    } else {
      for (int64_t s = 0; s < S; ++s) dx[s] = k * (m * d[s] - db - xh[s] * dg);
    }
  }
}

}  // namespace nnzero
