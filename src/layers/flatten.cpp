#include "nnzero/layers/flatten.h"

namespace nnzero {

const Tensor& Flatten::forward(const Tensor& x, bool /*train*/) {
  check_input(x);
  out_ = x.reshape(out_shape_.with_batch(x.dim(0)));
  return out_;
}

const Tensor& Flatten::backward(const Tensor& dout) {
  check_dout(dout, out_.dim(0));
  dx_ = dout.reshape(in_shape_.with_batch(dout.dim(0)));
  return dx_;
}

}  // namespace nnzero
