// Chapter 4: learning from data with numerical gradients.
//   1. The gradient of f(x0, x1) = x0^2 + x1^2 by central difference (section 4.4).
//   2. Gradient descent on f from (-3, 4) (section 4.4.1).
//   3. The two-layer net of section 4.5 (affine - sigmoid - affine - softmax with loss) on
//      MNIST, each gradient by numerical differentiation: the loss falls, slowly, and each
//      step costs two forward passes per parameter, which is why chapter 5 exists.
//
//   build/examples/ch04_numerical_gradient [MNIST_DIR] [STEPS]
//
// MNIST_DIR defaults to $NNZERO_DATA/mnist, then ./data/mnist.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "nnzero/data/dataset.h"
#include "nnzero/data/mnist.h"
#include "nnzero/functions/numerical_gradient.h"
#include "nnzero/model/sequential.h"
#include "nnzero/model/spec.h"
#include "nnzero/rng.h"

using nnzero::Shape;
using nnzero::Tensor;

namespace {
double function_2(const Tensor& x) {
  return static_cast<double>(x[0]) * x[0] + static_cast<double>(x[1]) * x[1];
}

void gradient_examples() {
  std::printf("numerical_gradient(function_2, x)\n");
  const float points[][2] = {{3.0f, 4.0f}, {0.0f, 2.0f}, {3.0f, 0.0f}};
  for (const auto& p : points) {
    Tensor x(Shape{2}, {p[0], p[1]});
    const Tensor g = nnzero::numerical_gradient(function_2, x);
    std::printf("  at [%g, %g]: [%.8f %.8f]\n", p[0], p[1], g[0], g[1]);
  }
  const Tensor init_x(Shape{2}, {-3.0f, 4.0f});
  const Tensor x = nnzero::gradient_descent(function_2, init_x, 0.1f, 100);
  std::printf("gradient_descent(function_2, init_x=[-3, 4], lr=0.1, step_num=100)\n");
  std::printf("  [%.8e %.8e]\n\n", x[0], x[1]);
}

// The book's TwoLayerNet(input_size=784, hidden_size=50, output_size=10) as a model spec,
// smaller (hidden 10) so that a numerical-gradient step takes seconds, not minutes. Xavier
// initialisation and a learning rate of 1 instead of the book's std 0.01 and 0.1 make the
// loss move visibly within a few steps.
constexpr const char* kTwoLayerNet = R"({
  "name": "two_layer_net_ch4",
  "input": [784],
  "layers": [
    {"type": "linear", "out_features": 10},
    {"type": "sigmoid"},
    {"type": "linear", "out_features": 10}
  ],
  "loss": "softmax_cross_entropy",
  "init": "xavier"
})";

void train_with_numerical_gradients(const std::string& dir, int steps) {
  const nnzero::Mnist mnist = nnzero::load_mnist(dir);
  std::printf("MNIST from %s: %lld training images\n", dir.c_str(),
              static_cast<long long>(mnist.train.size()));

  nnzero::Rng rng(0);
  nnzero::Sequential network(nnzero::ModelSpec::parse(kTwoLayerNet), rng);
  std::printf("network 784-10-10, %lld parameters: %lld forward passes per step\n",
              static_cast<long long>(network.num_params()),
              2 * static_cast<long long>(network.num_params()));

  // One mini-batch (20 samples, not the book's 100, again for time), kept fixed so that the
  // falling loss shows above the batch-to-batch noise.
  constexpr int32_t kBatch = 20;
  const float learning_rate = 1.0f;
  const std::vector<int32_t> batch_mask = rng.permutation(static_cast<int32_t>(mnist.train.size()));
  const std::vector<int32_t> batch(batch_mask.begin(), batch_mask.begin() + kBatch);
  Tensor x_batch;
  std::vector<int32_t> t_batch;
  nnzero::gather_images(mnist.train, batch, Shape{784}, x_batch);
  nnzero::gather_labels(mnist.train, batch, t_batch);

  // loss_W = lambda W: net.loss(x, t); each parameter tensor shares storage with the network,
  // so numerical_gradient's perturbations of it are seen by the forward pass.
  const nnzero::ScalarFunction loss_W = [&](const Tensor&) {
    return network.loss(x_batch, nnzero::Target{t_batch}, true);
  };

  std::printf("step  loss      seconds\n");
  std::printf("%4d  %.6f\n", 0, loss_W(Tensor()));
  for (int step = 1; step <= steps; ++step) {
    const auto start = std::chrono::steady_clock::now();
    std::vector<Tensor> grads;
    for (nnzero::NamedParam& p : network.named_params()) {
      grads.push_back(nnzero::numerical_gradient(loss_W, p.param->value));
    }
    size_t k = 0;
    for (nnzero::NamedParam& p : network.named_params()) {
      Tensor& W = p.param->value;
      const Tensor& dW = grads[k++];
      for (int64_t i = 0; i < W.numel(); ++i) W[i] -= learning_rate * dW[i];
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%4d  %.6f  %.2f\n", step, loss_W(Tensor()), seconds);
    std::fflush(stdout);
  }
}
}  // namespace

int main(int argc, char** argv) {
  gradient_examples();
  const std::string dir = argc > 1 ? argv[1] : nnzero::default_mnist_dir();
  const int steps = argc > 2 ? std::atoi(argv[2]) : 5;
  try {
    train_with_numerical_gradients(dir, steps);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
  return 0;
}
