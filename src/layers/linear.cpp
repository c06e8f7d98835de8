#include "nnzero/layers/linear.h"

#include "nnzero/kernels/matmul.h"

namespace nnzero {

namespace {
// (in) or (T, in): a sequence's vectors each go through the same W, as nn.Linear does.
Shape check_features(const Shape& in) {
  if (in.rank() != 1 && in.rank() != 2) {
    throw Error("linear: needs features (in) or a sequence of them (T, in), got sample shape " +
                in.str() + "; put a flatten layer before it");
  }
  return in;
}
}  // namespace

Linear::Linear(const Shape& in_shape, int64_t out_features, bool bias)
    : Layer(check_features(in_shape), in_shape.with_last(out_features)),
      in_features_(in_shape[in_shape.rank() - 1]),
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
  // A sequence (N, T, in) is N*T rows of features.
  const int64_t rows = x.numel() / in_features_;
  x_ = x.reshape(Shape{rows, in_features_});
  batch_ = x.dim(0);
  matmul_transposed(x_, weight_.value, has_bias_ ? &bias_.value : nullptr, out_, workspace());
  if (in_shape_.rank() > 1) out_ = out_.reshape(out_shape_.with_batch(batch_));
  return out_;
}

const Tensor& Linear::backward(const Tensor& dout) {
  check_dout(dout, batch_);
  const Tensor d = dout.reshape(Shape{x_.dim(0), out_features_});
  add_matmul_transposed_a(d, x_, weight_.grad, workspace());
  if (has_bias_) add_column_sums(d, bias_.grad);
  if (needs_input_grad_) {
    matmul(d, weight_.value, dx_, workspace());
    if (in_shape_.rank() > 1) dx_ = dx_.reshape(in_shape_.with_batch(batch_));
  }
  return dx_;
}

std::vector<Param*> Linear::params() {
  if (has_bias_) return {&weight_, &bias_};
  return {&weight_};
}

double Linear::flops() const {
  return 2.0 * static_cast<double>(in_shape_.numel() * out_features_);
}

}  // namespace nnzero
