// Chapter 3: the forward pass of a three-layer network with the book's hand-set weights
// (section 3.4.3, init_network and forward). With x = [1.0, 0.5] the book prints
// [0.31682708 0.69627909]; in float32 this is [0.3168271 0.6962791].
//
//   build/examples/ch03_forward
//
// Shapes follow the book: one sample x is a row (1 x 2) and a = x W + b, W (in x out).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>

#include "nnzero/functions/activation.h"
#include "nnzero/kernels/gemm.h"
#include "nnzero/tensor.h"

using nnzero::Shape;
using nnzero::Tensor;

namespace {
struct Network {
  Tensor W1, b1, W2, b2, W3, b3;
};

Network init_network() {
  return {
      Tensor(Shape{2, 3}, {0.1f, 0.3f, 0.5f, 0.2f, 0.4f, 0.6f}),
      Tensor(Shape{3}, {0.1f, 0.2f, 0.3f}),
      Tensor(Shape{3, 2}, {0.1f, 0.4f, 0.2f, 0.5f, 0.3f, 0.6f}),
      Tensor(Shape{2}, {0.1f, 0.2f}),
      Tensor(Shape{2, 2}, {0.1f, 0.3f, 0.2f, 0.4f}),
      Tensor(Shape{2}, {0.1f, 0.2f}),
  };
}

// np.dot(x, W) + b for one sample: a (1 x out) = x (1 x in) W (in x out) + b.
Tensor affine(const Tensor& x, const Tensor& W, const Tensor& b) {
  const int in = static_cast<int>(W.dim(0)), out = static_cast<int>(W.dim(1));
  Tensor a = b.clone();  // beta = 1 adds the product onto b
  nnzero::gemm(nnzero::Trans::No, nnzero::Trans::No, 1, out, in, 1.0f, x.data(), in, W.data(), out,
               1.0f, a.data(), out);
  return a;
}

Tensor forward(const Network& network, const Tensor& x) {
  const Tensor a1 = affine(x, network.W1, network.b1);
  const Tensor z1 = nnzero::sigmoid(a1);
  const Tensor a2 = affine(z1, network.W2, network.b2);
  const Tensor z2 = nnzero::sigmoid(a2);
  const Tensor a3 = affine(z2, network.W3, network.b3);
  return nnzero::identity_function(a3);
}

// NumPy's way of printing a float32 vector: the shortest digits that read back as the same
// float, [0.3168271 0.6962791].
void print(const char* name, const Tensor& t) {
  std::string line = std::string(name) + "[";
  for (int64_t i = 0; i < t.numel(); ++i) {
    char buf[32];
    const auto end = std::to_chars(buf, buf + sizeof buf, t[i]).ptr;
    if (i > 0) line += ' ';
    line.append(buf, end);
  }
  std::printf("%s]\n", line.c_str());
}
}  // namespace

int main() {
  const Network network = init_network();
  const Tensor x(Shape{2}, {1.0f, 0.5f});

  // Section 3.4.2, layer by layer: a1 = x W1 + b1, z1 = sigmoid(a1).
  const Tensor a1 = affine(x, network.W1, network.b1);
  print("a1 = ", a1);
  print("z1 = ", nnzero::sigmoid(a1));

  const Tensor y = forward(network, x);
  print("y = ", y);  // the book's print(y)

  // The book computes in float64 and prints 8 digits; float32 holds about 7.
  const double book[] = {0.31682708, 0.69627909};
  std::printf("the book (NumPy, float64): [%.8f %.8f]\n", book[0], book[1]);
  std::printf("largest difference: %.1e\n",
              std::max(std::abs(y[0] - book[0]), std::abs(y[1] - book[1])));
  return 0;
}
