// The book's chapter 4 learning algorithm (section 4.5): a two-layer net (affine - sigmoid -
// affine - softmax with loss) trained by SGD on gradients obtained by numerical
// differentiation alone, on a small slice of the real MNIST.
//
// Numerical gradients cost two forward passes per parameter, so the network is kept small:
// the images are first averaged over 4x4 blocks (28x28 -> 7x7, a fixed layer without
// parameters), giving a 49-10-10 net of 610 parameters; 100 samples, a few steps.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "nnzero/data/batch_loader.h"
#include "nnzero/data/dataset.h"
#include "nnzero/data/mnist.h"
#include "nnzero/functions/numerical_gradient.h"
#include "nnzero/model/sequential.h"
#include "nnzero/model/spec.h"
#include "nnzero/rng.h"
#include "test_data_dir.h"

using namespace nnzero;

namespace {
constexpr const char* kSpec = R"({
  "name": "two_layer_net_ch4",
  "input": [1, 28, 28],
  "layers": [
    {"type": "avgpool2d", "kernel": 4},
    {"type": "flatten"},
    {"type": "linear", "out_features": 10},
    {"type": "sigmoid"},
    {"type": "linear", "out_features": 10}
  ],
  "loss": "softmax_cross_entropy",
  "init": "xavier"
})";

Batch first_test_samples(const std::string& dir, int32_t n) {
  const Dataset test = load_idx_dataset(find_idx_file(dir, "t10k-images-idx3-ubyte"),
                                        find_idx_file(dir, "t10k-labels-idx1-ubyte"));
  std::vector<int32_t> idx(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i) idx[static_cast<size_t>(i)] = i;
  Batch b;
  gather_images(test, idx, Shape{1, 28, 28}, b.x);
  gather_labels(test, idx, b.labels);
  return b;
}
}  // namespace

TEST(TwoLayerNetNumerical, LossFallsWithNumericalGradients) {
  NNZERO_MNIST_DIR_OR_SKIP(dir);
  const Batch batch = first_test_samples(dir, 100);
  Rng rng(42);
  Sequential net(ModelSpec::parse(kSpec, "two_layer_net_ch4"), rng);
  std::vector<NamedParam> params = net.named_params();
  ASSERT_EQ(params.size(), 4u);  // 2.weight, 2.bias, 4.weight, 4.bias
  EXPECT_EQ(net.num_params(), 49 * 10 + 10 + 10 * 10 + 10);

  // The loss as a function of the network's parameters (numerical_gradient perturbs them in
  // place through the tensor it is given, which shares storage with the parameter).
  const ScalarFunction loss_w = [&](const Tensor&) {
    return net.loss(batch.x, Target{batch.labels}, true);
  };

  const float lr = 2.0f;
  constexpr int kSteps = 8;
  std::vector<double> losses;
  for (int step = 0; step < kSteps; ++step) {
    losses.push_back(loss_w(Tensor()));
    ASSERT_TRUE(std::isfinite(losses.back()));
    // grads = net.numerical_gradient(x_batch, t_batch); then W -= lr * dW for every W.
    std::vector<Tensor> grads;
    for (NamedParam& p : params) grads.push_back(numerical_gradient(loss_w, p.param->value));
    if (step == 0) {
      // The numerical gradient is the gradient: backprop agrees with it (loosely: the loss
      // is float32, so the difference quotient carries ~1e-3 of rounding noise).
      net.zero_grad();
      net.loss(batch.x, Target{batch.labels}, true);
      net.backward();
      for (size_t k = 0; k < params.size(); ++k) {
        const Tensor& analytic = params[k].param->grad;
        float max_abs = 0.0f;
        for (float g : analytic) max_abs = std::max(max_abs, std::abs(g));
        EXPECT_GT(max_abs, 1e-3f) << params[k].name << ": a gradient worth checking";
        for (int64_t i = 0; i < analytic.numel(); ++i) {
          ASSERT_NEAR(grads[k][i], analytic[i], 3e-3f) << params[k].name << "[" << i << "]";
        }
      }
    }
    for (size_t k = 0; k < params.size(); ++k) {
      Tensor& w = params[k].param->value;
      for (int64_t i = 0; i < w.numel(); ++i) w[i] -= lr * grads[k][i];
    }
  }
  losses.push_back(loss_w(Tensor()));

  std::string trace;
  for (double l : losses) trace += std::to_string(l) + " ";
  // Starts near ln 10 = 2.303 (ten classes, nearly uniform scores) and falls at every step.
  EXPECT_NEAR(losses.front(), std::log(10.0), 0.15) << trace;
  for (size_t i = 1; i < losses.size(); ++i) {
    EXPECT_LT(losses[i], losses[i - 1]) << "step " << i << ": " << trace;
  }
  EXPECT_LT(losses.back(), losses.front() - 0.1) << trace;
}
