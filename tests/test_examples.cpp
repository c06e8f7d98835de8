// The chapter programs in examples/ (built by the default build): each runs and prints the
// book's own worked numbers. (ch03_forward and classify_digit have tests of their own in
// test_ch03_forward.cpp and test_predict.cpp.)
#include <gtest/gtest.h>

#include <cstdio>

#include "nnzero/data/mnist.h"
#include "nnzero/model/builtin.h"
#include "nnzero/model/model_file.h"
#include "nnzero/model/sequential.h"
#include "nnzero/train/evaluate.h"
#include "test_data_dir.h"
#include "test_support.h"

using nnzero_test::CliResult;
using nnzero_test::ScratchDir;

namespace {
CliResult run_example(const std::string& name, const std::string& args, const ScratchDir& dir) {
  return nnzero_test::run_program(std::string(NNZERO_BINARY_DIR) + "/examples/" + name, args, dir);
}
}  // namespace

TEST(Examples, Ch02PerceptronGates) {
  ScratchDir dir;
  const CliResult r = run_example("ch02_perceptron", "", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Sections 2.3 and 2.5: the truth tables, XOR through NAND and OR into AND.
  for (const char* line : {"AND(1, 1) = 1", "AND(0, 1) = 0", "NAND(1, 1) = 0", "OR(0, 1) = 1",
                           "   1  1 |  0  1 | 0", "   0  1 |  1  1 | 1"}) {
    EXPECT_HAS(r.out, line);
  }
}

TEST(Examples, Ch04NumericalGradient) {
  NNZERO_MNIST_DIR_OR_SKIP(mnist);
  ScratchDir dir;
  const CliResult r = run_example("ch04_numerical_gradient", "'" + mnist + "' 1", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Section 4.4: the book's gradients of x0^2 + x1^2 at (3, 4), (0, 2), (3, 0).
  EXPECT_HAS(r.out, "at [3, 4]: [6.0");
  EXPECT_HAS(r.out, "at [0, 2]: [0.0");
  EXPECT_HAS(r.out, "at [3, 0]: [6.0");
  EXPECT_HAS(r.out, "   1  ");  // one numerical-gradient training step
}

TEST(Examples, Ch05ApplesOrangesAndTheGradientCheck) {
  ScratchDir dir;
  const CliResult r = run_example("ch05_backprop", "", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Section 5.4.2 / Figure 5-17: the book prints 715, 110, 2.2, 3.3, 165, 650.
  for (const char* line : {"price: 715\n", "dApple: 2.2\n", "dApple_num: 110\n", "dOrange: 3.3\n",
                           "dOrange_num: 165\n", "dTax: 650\n"}) {
    EXPECT_HAS(r.out, line);
  }
  EXPECT_HAS(r.out, "backward agrees with the numerical gradient");
  EXPECT_HAS(r.out, "0.weight");
}

TEST(Examples, Ch06OptimizersAndActivations) {
  ScratchDir dir;
  const CliResult r = run_example("ch06_learning", "", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_HAS(r.out, "y-direction reversed 29 times");  // SGD's zig-zag (Figure 6-3)
  EXPECT_HAS(r.out, "weights std:1");
  EXPECT_HAS(r.out, "weights xavier");
  int near_ends = 0;  // std 1: most sigmoid outputs within 0.1 of 0 or 1 (Figure 6-10)
  const size_t at = r.out.find("weights std:1");
  ASSERT_EQ(std::sscanf(r.out.c_str() + at, "weights std:1 within 0.1 of 0 or 1: %d", &near_ends),
            1);
  EXPECT_GT(near_ends, 50);
}

TEST(Examples, Ch07ConvolutionPoolingIm2col) {
  ScratchDir dir;
  const CliResult r = run_example("ch07_convolution", "", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_HAS(r.out, "(Figure 7-4)\n  [ 15  16]\n  [  6  15]\n");
  EXPECT_HAS(r.out, "(Figure 7-5)\n  [ 18  19]\n  [  9  18]\n");
  EXPECT_HAS(r.out,
             "(Figure 7-6)\n  [  7  12  10   2]\n  [  4  15  16  10]\n"
             "  [ 10   6  15   6]\n  [  8  10   4   3]\n");
  EXPECT_HAS(r.out, "(Figure 7-14)\n  [  2   3]\n  [  4   2]\n");
  EXPECT_HAS(r.out, "the book's col has shape (9, 75)");
}

TEST(Examples, Ch08ShowsTheMistakesOfADeepConvNet) {
  NNZERO_MNIST_DIR_OR_SKIP(mnist);
  ScratchDir dir;
  nnzero::Rng rng(1);
  nnzero::Sequential model(nnzero::builtin_spec("deep_convnet"), rng);  // untrained: many mistakes
  nnzero::save_model(model, dir / "deep.safetensors");
  const CliResult r = run_example("ch08_deep_convnet", "deep.safetensors '" + mnist + "' 200", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nnzero::Mnist data = nnzero::load_mnist(mnist);
  const nnzero::EvalResult e = nnzero::evaluate(model, data.test, 100, 200);
  char expected[64];
  std::snprintf(expected, sizeof expected, "on 200 test images: accuracy %.4f", e.accuracy);
  EXPECT_HAS(r.out, expected);
  EXPECT_HAS(r.out, "test image ");
  EXPECT_HAS(r.out, "@");  // a digit drawn in characters

  const CliResult usage = run_example("ch08_deep_convnet", "", dir);
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_HAS(usage.err, "usage:");
}
