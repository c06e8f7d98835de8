// The book's chapter 2: a perceptron outputs 1 when w1*x1 + w2*x2 + b > 0, else 0.
// AND, NAND and OR are one perceptron each, differing only in weights and bias; XOR is not
// linearly separable and needs two layers: XOR(x1, x2) = AND(NAND(x1, x2), OR(x1, x2)).
#pragma once

namespace nnzero {

struct Perceptron {
  float w1, w2, b;
  int operator()(int x1, int x2) const {
    const float sum = w1 * static_cast<float>(x1) + w2 * static_cast<float>(x2) + b;
    return sum > 0.0f ? 1 : 0;
  }
};

// The book's weights (section 2.3.3).
inline int AND(int x1, int x2) {
  return Perceptron{0.5f, 0.5f, -0.7f}(x1, x2);
}
inline int NAND(int x1, int x2) {
  return Perceptron{-0.5f, -0.5f, 0.7f}(x1, x2);
}
inline int OR(int x1, int x2) {
  return Perceptron{0.5f, 0.5f, -0.2f}(x1, x2);
}
// A two-layer perceptron (section 2.5.2).
inline int XOR(int x1, int x2) {
  return AND(NAND(x1, x2), OR(x1, x2));
}

}  // namespace nnzero
