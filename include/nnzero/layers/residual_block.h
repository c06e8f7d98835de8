// Residual block (He et al. 2016, "Deep Residual Learning"; the book's section 8.2.4 names
// ResNet as what made very deep networks train): the layers learn a correction F(x) that is
// added to the block's input, so the gradient reaches lower layers through the sum unchanged.
// The "basic block" of ResNets for CIFAR-10:
//   main:     h = relu(bn1(conv1(x)))        conv1: 3x3, stride s, padding 1, no bias
//             F = bn2(conv2(h))               conv2: 3x3, stride 1, padding 1, no bias
//   shortcut: S = x when the shape is kept (s = 1 and C_out = C_in), else
//             S = bn(conv(x))                 a 1x1 convolution of stride s ("projection")
//   out = relu(F + S)
// backward: the sum hands the same gradient to both paths, g = dout where out > 0 (else 0);
//   dx = (the main path's backward of g) + (the shortcut's backward of g, or g itself).
// The convolutions carry no bias: BatchNorm's beta, right after them, plays that part.
//
// Shapes: (C, H, W) -> (C_out, ceil(H / s), ceil(W / s)).
// Parameter names are PyTorch's for the same module (the BasicBlock of tools/torch_interop.py,
// as in the widely used pytorch-cifar code): "conv1.weight", "bn1.weight", "bn1.bias",
// "bn1.running_mean", "bn1.running_var", "conv2.weight", "bn2.*", and for a projection
// "shortcut.0.weight" (the convolution) and "shortcut.1.*" (its BatchNorm).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nnzero/layers/batchnorm.h"
#include "nnzero/layers/relu.h"

namespace nnzero {

class ResidualBlock : public Layer {
 public:
  // Makes a convolution without bias of the given output channels, kernel, stride and
  // padding for inputs of shape `in`: the book's Conv2d, or the planning step's FastConv2d.
  using ConvMaker = std::function<std::unique_ptr<Layer>(
      const Shape& in, int64_t out_channels, int64_t kernel, int64_t stride, int64_t padding)>;
  static std::unique_ptr<Layer> book_conv(const Shape& in, int64_t out_channels, int64_t kernel,
                                          int64_t stride, int64_t padding);

  // in_shape: (C, H, W).
  ResidualBlock(const Shape& in_shape, int64_t out_channels, int64_t stride,
                const ConvMaker& make_conv = book_conv);

  const char* type() const override { return "residual_block"; }
  const Tensor& forward(const Tensor& x, bool train) override;
  const Tensor& backward(const Tensor& dout) override;
  Tensor* input_grad_buffer() override { return &dx_; }
  std::vector<Param*> params() override;
  std::vector<Buffer> buffers() override;
  double flops() const override;

  int64_t out_channels() const { return out_shape_[0]; }
  int64_t stride() const { return stride_; }
  bool has_projection() const { return proj_ != nullptr; }
  const Layer& conv1() const { return *conv1_; }

 private:
  // A layer of the block and the prefix of its tensors' names ("bn1.").
  struct Part {
    Layer* layer;
    std::string prefix;
  };

  int64_t stride_;
  std::unique_ptr<Layer> conv1_, conv2_, proj_;  // proj_: nullptr for the identity shortcut
  std::unique_ptr<BatchNorm> bn1_, bn2_, proj_bn_;
  std::unique_ptr<ReLU> relu1_;
  std::vector<Part> parts_;  // every layer above, in forward order
  void share_gradients(int64_t batch);
  Tensor out_, g_, dx_;  // out = relu(F + S); g = dL/d(F + S)
};

}  // namespace nnzero
