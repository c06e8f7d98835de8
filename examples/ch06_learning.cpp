// Chapter 6: the techniques of learning, in numbers.
//   1. Section 6.1: SGD, Momentum, AdaGrad and Adam (nnzero's Optimizer classes, the book's
//      learning rates 0.95, 0.1, 1.5, 0.3) minimising f(x, y) = x^2 / 20 + y^2 from (-7, 2):
//      where each stands after 30 steps, and how SGD zig-zags in y.
//   2. Section 6.2: the activations of five sigmoid layers of 100 units for 1,000 random
//      inputs, with weights N(0, 1), N(0, 0.01^2) and Xavier: the share of activations within
//      0.1 of 0 or 1 (vanishing gradients) and their spread (lost expressiveness).
//   nnzero book optimizer-paths / init-histograms-sigmoid draw the same as pictures.
//
//   build/examples/ch06_learning
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <vector>

#include "nnzero/model/sequential.h"
#include "nnzero/rng.h"
#include "nnzero/train/optimizer.h"

namespace {
void optimizer_paths() {
  struct Method {
    const char* name;
    float lr;
  };
  const Method methods[] = {{"sgd", 0.95f}, {"momentum", 0.1f}, {"adagrad", 1.5f}, {"adam", 0.3f}};
  std::printf("f(x, y) = x^2/20 + y^2 from (-7, 2), 30 steps (section 6.1)\n");
  for (const Method& m : methods) {
    nnzero::Param p{.name = "xy",
                    .value = nnzero::Tensor(nnzero::Shape{2}, {-7.0f, 2.0f}),
                    .grad = nnzero::Tensor(nnzero::Shape{2})};
    std::unique_ptr<nnzero::Optimizer> opt = nnzero::make_optimizer(m.name, {&p}, m.lr);
    int y_turns = 0;
    float last_dy = 0.0f;
    for (int step = 0; step < 30; ++step) {
      p.grad[0] = p.value[0] / 10.0f;  // df/dx
      p.grad[1] = 2.0f * p.value[1];   // df/dy
      const float y = p.value[1];
      opt->step();
      const float dy = p.value[1] - y;
      if (step > 0 && (dy > 0) != (last_dy > 0)) ++y_turns;
      last_dy = dy;
    }
    std::printf("  %-8s lr %-4g  after 30 steps (%8.4f, %8.4f)  y-direction reversed %2d times\n",
                m.name, m.lr, p.value[0], p.value[1], y_turns);
  }
  std::printf("\n");
}

void activation_distribution() {
  std::printf("sigmoid activations of 5 layers x 100 units, 1000 inputs (section 6.2)\n");
  std::printf("  %-39s layer 1  layer 2  layer 3  layer 4  layer 5\n", "");
  const char* inits[] = {"std:1", "std:0.01", "xavier"};
  for (const char* init : inits) {
    nnzero::ModelSpec spec;
    spec.input = nnzero::Shape{100};
    for (int i = 0; i < 5; ++i) {
      nnzero::LayerSpec linear, act;
      linear.type = "linear";
      linear.fields["out_features"] = 100;
      linear.fields["bias"] = false;
      act.type = "sigmoid";
      spec.layers.push_back(linear);
      spec.layers.push_back(act);
    }
    spec.init = init;
    nnzero::Rng rng(0);
    nnzero::Sequential net(spec, rng);
    nnzero::Tensor x(nnzero::Shape{1000, 100});
    rng.fill_normal(x, 0.0f, 1.0f);
    std::vector<double> near_ends, spread;
    const nnzero::Tensor* h = &x;
    for (size_t l = 0; l < 5; ++l) {
      h = &net.layer(2 * l).forward(*h, false);
      h = &net.layer(2 * l + 1).forward(*h, false);
      double ends = 0, mean = 0, sq = 0;
      for (float v : h->span()) {
        ends += v < 0.1f || v > 0.9f;
        mean += v;
        sq += static_cast<double>(v) * v;
      }
      const auto n = static_cast<double>(h->numel());
      near_ends.push_back(100.0 * ends / n);
      spread.push_back(std::sqrt(std::max(0.0, sq / n - (mean / n) * (mean / n))));
    }
    std::printf("  weights %-9s within 0.1 of 0 or 1:", init);
    for (double v : near_ends) std::printf(" %5.1f %%", v);
    std::printf("\n  %-17s standard deviation:  ", "");
    for (double v : spread) std::printf(" %7.3f", v);
    std::printf("\n");
  }
}
}  // namespace

int main() {
  optimizer_paths();
  activation_distribution();
  return 0;
}
