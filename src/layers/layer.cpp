#include "nnzero/layers/layer.h"

namespace nnzero {

void Layer::check_input(const Tensor& x) const {
  if (x.rank() != in_shape_.rank() + 1 || !(x.shape().drop_first() == in_shape_)) {
    throw Error(std::string(type()) + ": expected input (N, ...) with sample shape " +
                in_shape_.str() + ", got " + x.shape().str());
  }
}

void Layer::check_dout(const Tensor& dout, int64_t batch) const {
  if (!(dout.shape() == out_shape_.with_batch(batch))) {
    throw Error(std::string(type()) + ": backward expected dout of shape " +
                out_shape_.with_batch(batch).str() + ", got " + dout.shape().str());
  }
}

Workspace& Layer::workspace() {
  if (workspace_ != nullptr) return *workspace_;
  if (!own_workspace_) own_workspace_ = std::make_unique<Workspace>();
  return *own_workspace_;
}

}  // namespace nnzero
