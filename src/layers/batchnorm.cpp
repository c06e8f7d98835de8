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

// Element (n, c, s) of a (N, C, S) tensor.
static inline int64_t at(int64_t n, int64_t c, int64_t s, int64_t C, int64_t S) {
  return (n * C + c) * S + s;
}

namespace {
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
      for (int64_t s = 0; s < S; ++s) sum += x[at(n, c, s, C, S)];
    }
    mean = sum / static_cast<double>(m);
    for (int64_t n = 0; n < N; ++n) {
      for (int64_t s = 0; s < S; ++s) {
        const double d = x[at(n, c, s, C, S)] - mean;
        sumsq += d * d;
      }
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
    for (int64_t s = 0; s < S; ++s) {
      const int64_t i = at(n, c, s, C, S);
      xhat_[i] = (x[i] - mu) * inv_std;
      out_[i] = g * xhat_[i] + b;
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
    for (int64_t s = 0; s < S; ++s) {
      const int64_t i = at(n, c, s, C, S);
      dbeta += dout[i];
      dgamma += dout[i] * xhat_[i];
    }
  }
  beta_.grad[c] += static_cast<float>(dbeta);
  gamma_.grad[c] += static_cast<float>(dgamma);
  const float g = gamma_.value[c];
  if (!train_) {
    for (int64_t n = 0; n < N; ++n) {
      for (int64_t s = 0; s < S; ++s) {
        const int64_t i = at(n, c, s, C, S);
        dx_[i] = g * inv_std_[c] * dout[i];
      }
    }
    return;
  }
  const float k = g * inv_std_[c] / m;
  const auto db = static_cast<float>(dbeta), dg = static_cast<float>(dgamma);
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t s = 0; s < S; ++s) {
      const int64_t i = at(n, c, s, C, S);
      dx_[i] = k * (m * dout[i] - db - xhat_[i] * dg);
    }
  }
}

}  // namespace nnzero
