#include "nnzero/layers/residual_block.h"

#include <algorithm>

#include "nnzero/error.h"
#include "nnzero/layers/conv2d.h"
#include "nnzero/parallel.h"

namespace nnzero {

namespace {
Shape checked_input(const Shape& in, int64_t out_channels, int64_t stride) {
  if (in.rank() != 3) {
    throw Error("residual_block: needs samples of shape (C, H, W), got " + in.str());
  }
  if (out_channels < 1) throw Error("residual_block: out_channels must be at least 1");
  if (stride < 1) throw Error("residual_block: stride must be at least 1");
  return in;
}

}  // namespace

std::unique_ptr<Layer> ResidualBlock::book_conv(const Shape& in, int64_t out_channels,
                                                int64_t kernel, int64_t stride, int64_t padding) {
  return std::make_unique<Conv2d>(in, out_channels, kernel, kernel, stride, padding, false);
}

ResidualBlock::ResidualBlock(const Shape& in_shape, int64_t out_channels, int64_t stride,
                             const ConvMaker& make_conv)
    : Layer(checked_input(in_shape, out_channels, stride), Shape{}), stride_(stride) {
  conv1_ = make_conv(in_shape, out_channels, 3, stride, 1);
  bn1_ = std::make_unique<BatchNorm>(conv1_->out_shape());
  relu1_ = std::make_unique<ReLU>(conv1_->out_shape());
  conv2_ = make_conv(conv1_->out_shape(), out_channels, 3, 1, 1);
  bn2_ = std::make_unique<BatchNorm>(conv2_->out_shape());
  out_shape_ = conv2_->out_shape();
  if (stride != 1 || out_channels != in_shape[0]) {
    proj_ = make_conv(in_shape, out_channels, 1, stride, 0);
    proj_bn_ = std::make_unique<BatchNorm>(proj_->out_shape());
  }
  parts_ = {{conv1_.get(), "conv1."},
            {bn1_.get(), "bn1."},
            {relu1_.get(), "relu1."},
            {conv2_.get(), "conv2."},
            {bn2_.get(), "bn2."}};
  if (proj_)
    parts_.insert(parts_.end(), {{proj_.get(), "shortcut.0."}, {proj_bn_.get(), "shortcut.1."}});
  // PyTorch's names: "conv1.weight".
  for (const Part& part : parts_) {
    for (Param* p : part.layer->params()) p->name = part.prefix + p->name;
  }
}

std::vector<Param*> ResidualBlock::params() {
  std::vector<Param*> out;
  for (const Part& part : parts_) {
    for (Param* p : part.layer->params()) out.push_back(p);
  }
  return out;
}

std::vector<Buffer> ResidualBlock::buffers() {
  std::vector<Buffer> out;
  for (const Part& part : parts_) {
    for (const Buffer& b : part.layer->buffers()) out.push_back({part.prefix + b.name, b.value});
  }
  return out;
}

double ResidualBlock::flops() const {
  return conv1_->flops() + conv2_->flops() + (proj_ ? proj_->flops() : 0.0);
}

const Tensor& ResidualBlock::forward(const Tensor& x, bool train) {
  check_input(x);
  // The parts run one after another: they share this block's work space (the model's).
  for (const Part& part : parts_) part.layer->use_workspace(&workspace());
  const Tensor& h = relu1_->forward(bn1_->forward(conv1_->forward(x, train), train), train);
  const Tensor& f = bn2_->forward(conv2_->forward(h, train), train);
  const Tensor& s = proj_ ? proj_bn_->forward(proj_->forward(x, train), train) : x;
  out_.resize(f.shape());
  const float *fp = f.data(), *sp = s.data();
  float* y = out_.data();
  parallel_for(out_.numel(), [=](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) y[i] = std::max(fp[i] + sp[i], 0.0f);
  });
  return out_;
}

// The inner layers' dL/dx in the model's shared gradient tensors (workspace.h): g in the
// first, and down the main path the layers' dL/dx alternate between the other two (each
// reads the one above and writes the other), conv1's last, kept for the sum; the shortcut's
// BatchNorm writes the other, its convolution into dx_ itself. A model's blocks so share
// three buffers of the largest block's size instead of seven or eight each.
void ResidualBlock::share_gradients(int64_t batch) {
  Workspace& ws = workspace();
  const int64_t most = batch * std::max(in_shape_.numel(), out_shape_.numel());
  g_ = ws.gradient(0, batch * out_shape_.numel());
  const Tensor a = ws.gradient(1, most), b = ws.gradient(2, most);
  *bn2_->input_grad_buffer() = a;
  *conv2_->input_grad_buffer() = b;
  *relu1_->input_grad_buffer() = a;
  *bn1_->input_grad_buffer() = b;
  *conv1_->input_grad_buffer() = a;
  if (proj_) {
    *proj_bn_->input_grad_buffer() = b;
    if (needs_input_grad_) dx_.resize(in_shape_.with_batch(batch));  // storage proj_ writes in
    *proj_->input_grad_buffer() = dx_;
  }
}

const Tensor& ResidualBlock::backward(const Tensor& dout) {
  check_dout(dout, out_.dim(0));
  share_gradients(dout.dim(0));
  g_.resize(dout.shape());
  const float *d = dout.data(), *y = out_.data();
  float* g = g_.data();
  parallel_for(g_.numel(), [=](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) g[i] = y[i] > 0.0f ? d[i] : 0.0f;
  });
  // Below a block that needs no dL/dx nothing trains: its first convolutions need none either.
  conv1_->set_needs_input_grad(needs_input_grad_);
  const Tensor& dmain =
      conv1_->backward(bn1_->backward(relu1_->backward(conv2_->backward(bn2_->backward(g_)))));
  if (proj_) {
    proj_->set_needs_input_grad(needs_input_grad_);
    proj_->backward(proj_bn_->backward(g_));  // into dx_ (share_gradients)
  }
  if (!needs_input_grad_) return dx_;
  dx_.resize(dmain.shape());
  const float *a = dmain.data(), *b = proj_ ? dx_.data() : g_.data();
  float* dx = dx_.data();
  parallel_for(dx_.numel(), [=](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) dx[i] = a[i] + b[i];
  });
  return dx_;
}

}  // namespace nnzero
