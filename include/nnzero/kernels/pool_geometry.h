// Window geometry shared by MaxPool2d and AvgPool2d (section 7.3): windows of K x K with a
// stride and zero padding on each side; OH = (H + 2*pad - K) / stride + 1, as PyTorch
// computes it (floor mode).
#pragma once

#include <algorithm>
#include <string>

#include "nnzero/error.h"
#include "nnzero/shape.h"

namespace nnzero {

struct PoolGeometry {
  int64_t C, H, W, K, stride, pad, OH, OW;

  static PoolGeometry make(const char* layer, const Shape& in, int64_t kernel, int64_t stride,
                           int64_t pad) {
    const std::string name(layer);
    if (in.rank() != 3) throw Error(name + ": needs samples of shape (C, H, W), got " + in.str());
    if (kernel < 1) throw Error(name + ": kernel must be at least 1");
    if (stride < 1)
      throw Error(name + ": stride must be at least 1, got " + std::to_string(stride));
    if (pad < 0 || 2 * pad > kernel) {
      throw Error(name + ": padding must be between 0 and half the kernel, got " +
                  std::to_string(pad));
    }
    if (kernel > in[1] + 2 * pad || kernel > in[2] + 2 * pad) {
      throw Error(name + ": window " + std::to_string(kernel) +
                  " is larger than the padded input " + std::to_string(in[1] + 2 * pad) + "x" +
                  std::to_string(in[2] + 2 * pad));
    }
    const int64_t oh = (in[1] + 2 * pad - kernel) / stride + 1;
    const int64_t ow = (in[2] + 2 * pad - kernel) / stride + 1;
    return {in[0], in[1], in[2], kernel, stride, pad, oh, ow};
  }
  Shape out_shape() const { return Shape{C, OH, OW}; }
};

}  // namespace nnzero
