// The optimizers against the book's update formulas, computed by hand for two steps of a
// scalar parameter w = 1 with a constant gradient g = 2 and lr = 0.1.
#include <gtest/gtest.h>

#include <cmath>

#include "nnzero/train/optimizer.h"
#include "test_support.h"

using namespace nnzero;

namespace {
// w after each of two steps.
std::pair<float, float> two_steps(const std::string& name) {
  Param p{"weight", Tensor(Shape{1}, 1.0f), Tensor(Shape{1}, 2.0f), 1, true};
  auto opt = make_optimizer(name, {&p}, 0.1f);
  opt->step();
  const float w1 = p.value[0];
  opt->step();
  return {w1, p.value[0]};
}
}  // namespace

TEST(Optimizer, Sgd) {
  const auto [w1, w2] = two_steps("sgd");  // w -= lr g
  EXPECT_NEAR(w1, 0.8f, 1e-6);
  EXPECT_NEAR(w2, 0.6f, 1e-6);
}

TEST(Optimizer, Momentum) {
  const auto [w1, w2] = two_steps("momentum");  // v = 0.9 v - lr g; w += v
  EXPECT_NEAR(w1, 0.8f, 1e-6);                  // v = -0.2
  EXPECT_NEAR(w2, 0.42f, 1e-6);                 // v = -0.38
}

TEST(Optimizer, Nesterov) {
  const auto [w1, w2] = two_steps("nesterov");  // w += 0.81 v - 1.9 lr g
  EXPECT_NEAR(w1, 1.0f - 0.162f - 0.38f, 1e-6);
  EXPECT_NEAR(w2, 1.0f - 0.542f - 0.3078f - 0.38f, 1e-6);
}

TEST(Optimizer, AdaGrad) {
  const auto [w1, w2] = two_steps("adagrad");  // h += g^2; w -= lr g / sqrt(h)
  EXPECT_NEAR(w1, 0.9f, 1e-6);
  EXPECT_NEAR(w2, 0.9f - 0.2f / std::sqrt(8.0f), 1e-6);
}

TEST(Optimizer, RmsProp) {
  const auto [w1, w2] = two_steps("rmsprop");  // h = 0.99 h + 0.01 g^2
  EXPECT_NEAR(w1, 0.0f, 1e-5);                 // h = 0.04: step 0.2 / 0.2
  EXPECT_NEAR(w2, -0.2f / std::sqrt(0.0796f), 1e-5);
}

TEST(Optimizer, Adam) {
  // With a constant gradient the bias-corrected step is lr each time.
  const auto [w1, w2] = two_steps("adam");
  EXPECT_NEAR(w1, 0.9f, 1e-5);
  EXPECT_NEAR(w2, 0.8f, 1e-5);
}

TEST(Optimizer, EachMinimisesAQuadratic) {
  // f(w) = sum (w - 3)^2 / 2 from w = 0: every optimizer must get close to 3.
  for (const std::string& name : optimizer_names()) {
    Param p{"weight", Tensor(Shape{4}), Tensor(Shape{4}), 4, true};
    // AdaGrad's steps shrink as its sum of squares grows: it needs a larger rate.
    auto opt = make_optimizer(name, {&p}, name == "adagrad" ? 0.5f : name == "adam" ? 0.1f : 0.05f);
    for (int step = 0; step < 2000; ++step) {
      for (int64_t i = 0; i < 4; ++i) p.grad[i] = p.value[i] - 3.0f;
      opt->step();
    }
    for (float w : p.value) EXPECT_NEAR(w, 3.0f, 0.05f) << name;
  }
}

TEST(Optimizer, DefaultsAndErrors) {
  EXPECT_FLOAT_EQ(default_lr("adam"), 0.001f);
  EXPECT_FLOAT_EQ(default_lr("sgd"), 0.01f);
  Param p{"weight", Tensor(Shape{1}), Tensor(Shape{1}), 1, true};
  EXPECT_FLOAT_EQ(make_optimizer("momentum", {&p})->lr(), 0.01f);
  EXPECT_HAS(nnzero_test::error_of([&] { make_optimizer("lamb", {&p}); }),
             "unknown optimizer \"lamb\"");
  EXPECT_HAS(nnzero_test::error_of([&] { make_optimizer("sgd", {&p}, std::nanf("")); }),
             "learning rate");
  // Adam keeps two slots per parameter, momentum one, SGD none: what a checkpoint saves.
  EXPECT_EQ(make_optimizer("adam", {&p})->state().size(), 2u);
  EXPECT_EQ(make_optimizer("momentum", {&p})->state().size(), 1u);
  EXPECT_EQ(make_optimizer("sgd", {&p})->state().size(), 0u);
}
