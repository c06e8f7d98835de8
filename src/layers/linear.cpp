#include "nnzero/layers/linear.h"

#include "nnzero/kernels/gemm.h"

namespace nnzero {

namespace {
Shape check_flat(const Shape& in) {
  if (in.rank() != 1) {
    throw Error("linear: needs a flat input (features), got sample shape " + in.str() +
                "; put a flatten layer before it");
  }
  return in;
}
}  // namespace

Linear::Linear(const Shape& in_shape, int64_t out_features, bool bias)
    : Layer(check_flat(in_shape), Shape{out_features}),
      in_features_(in_shape[0]),
      out_features_(out_features),
      has_bias_(bias) {
  if (out_features < 1) throw Error("linear: out_features must be at least 1");
  weight_ = Param{"weight", Tensor(Shape{out_features_, in_features_}),
                  Tensor(Shape{out_features_, in_features_}), in_features_, true};
  if (has_bias_) {
    bias_ = Param{"bias", Tensor(Shape{out_features_}), Tensor(Shape{out_features_}), 0, false};
  }
}

const Tensor& Linear::forward(const Tensor& x, bool /*train*/) {
  check_input(x);
  x_ = x;
  const auto n = static_cast<int>(x.dim(0));
  out_.resize(Shape{n, out_features_});
  float* out = out_.data();
  // out = b (broadcast over rows), then out += x W^T
  if (has_bias_) {
    for (int i = 0; i < n; ++i) {
      std::copy(bias_.value.begin(), bias_.value.end(),
                out + static_cast<int64_t>(i) * out_features_);
    }
  }
  gemm(Trans::No, Trans::Yes, n, static_cast<int>(out_features_), static_cast<int>(in_features_),
       1.0f, x.data(), static_cast<int>(in_features_), weight_.value.data(),
       static_cast<int>(in_features_), has_bias_ ? 1.0f : 0.0f, out,
       static_cast<int>(out_features_));
  return out_;
}

const Tensor& Linear::backward(const Tensor& dout) {
  const auto n = static_cast<int>(x_.dim(0));
  check_dout(dout, n);
  const auto in = static_cast<int>(in_features_);
  const auto out = static_cast<int>(out_features_);
  // dW (out, in) += dout^T (out, N) x (N, in)
  gemm(Trans::Yes, Trans::No, out, in, n, 1.0f, dout.data(), out, x_.data(), in, 1.0f,
       weight_.grad.data(), in);
  if (has_bias_) {
    float* db = bias_.grad.data();
    for (int i = 0; i < n; ++i) {
      const float* row = dout.data() + static_cast<int64_t>(i) * out;
      for (int j = 0; j < out; ++j) db[j] += row[j];
    }
  }
  if (!needs_input_grad_) return dx_;
  // dx (N, in) = dout (N, out) W (out, in)
  dx_.resize(Shape{n, in_features_});
  gemm(Trans::No, Trans::No, n, in, out, 1.0f, dout.data(), out, weight_.value.data(), in, 0.0f,
       dx_.data(), in);
  return dx_;
}

std::vector<Param*> Linear::params() {
  if (has_bias_) return {&weight_, &bias_};
  return {&weight_};
}

double Linear::flops() const {
  return 2.0 * static_cast<double>(in_features_ * out_features_);
}

}  // namespace nnzero
