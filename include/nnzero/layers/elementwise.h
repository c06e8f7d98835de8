// The element-wise activations (sections 3.2 and 5.5) share one skeleton: forward computes
// y = f(x) for every element, backward dx = dout * f'(x), which each activation writes from
// x, y and dout. An activation is a small struct holding its two formulas,
//
//   struct SigmoidMath {
//     static constexpr const char* kType = "sigmoid";        // the spec's type name
//     float y(float x) const { return 1 / (1 + exp(-x)); }    // forward
//     float dx(float x, float y, float dout) const { return dout * y * (1 - y); }  // backward
//   };
//   using Sigmoid = Elementwise<SigmoidMath>;
//
// and its .cpp instantiates the skeleton once (`template class Elementwise<SigmoidMath>;`).
// forward keeps x and y as they are (views, not copies) for backward.
#pragma once

#include "nnzero/layers/layer.h"

namespace nnzero {

template <class Math>
class Elementwise : public Layer {
 public:
  explicit Elementwise(const Shape& in_shape, Math math = {})
      : Layer(in_shape, in_shape), math_(math) {}
  const char* type() const override { return Math::kType; }
  const Tensor& forward(const Tensor& x, bool train) override;
  const Tensor& backward(const Tensor& dout) override;
  Tensor* input_grad_buffer() override { return &dx_; }
  const Math& math() const { return math_; }

 private:
  Math math_;
  Tensor x_, out_, dx_;
};

}  // namespace nnzero
