#include "nnzero/layers/linear.h"

#include "nnzero/kernels/matmul.h"

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
  matmul_transposed(x, weight_.value, has_bias_ ? &bias_.value : nullptr, out_, workspace());
  return out_;
}

const Tensor& Linear::backward(const Tensor& dout) {
  check_dout(dout, x_.dim(0));
  add_matmul_transposed_a(dout, x_, weight_.grad, workspace());
  if (has_bias_) add_column_sums(dout, bias_.grad);
  if (needs_input_grad_) matmul(dout, weight_.value, dx_, workspace());
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
