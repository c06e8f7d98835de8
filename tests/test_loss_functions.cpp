// The book's chapter 4 loss functions, on the book's worked example (section 4.2): the
// correct class is 2; the first output puts 0.6 on it, the second only 0.1.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "nnzero/functions/loss.h"
#include "test_support.h"

using namespace nnzero;
using nnzero_test::error_of;

namespace {
const Tensor kT(Shape{10}, {0, 0, 1, 0, 0, 0, 0, 0, 0, 0});  // one-hot of 2
const Tensor kY1(Shape{10}, {0.1f, 0.05f, 0.6f, 0.0f, 0.05f, 0.1f, 0.0f, 0.1f, 0.0f, 0.0f});
const Tensor kY2(Shape{10}, {0.1f, 0.05f, 0.1f, 0.0f, 0.05f, 0.1f, 0.0f, 0.6f, 0.0f, 0.0f});

// Both samples as a batch of two rows.
Tensor stack(const Tensor& a, const Tensor& b) {
  Tensor out(Shape{2, a.numel()});
  for (int64_t i = 0; i < a.numel(); ++i) {
    out.at(0, i) = a[i];
    out.at(1, i) = b[i];
  }
  return out;
}

// -log(y + 1e-7) for y = 0.6 and 0.1 (as float32, which is what the tensors hold).
const double kCe1 = -std::log(static_cast<double>(0.6f) + 1e-7);  // 0.5108254...
const double kCe2 = -std::log(static_cast<double>(0.1f) + 1e-7);  // 2.3025840...
}  // namespace

TEST(SumSquaredError, BookExample) {
  // 1/2 (0.1^2 + 0.05^2 + 0.4^2 + 0.05^2 + 0.1^2 + 0.1^2) = 0.0975
  EXPECT_NEAR(sum_squared_error(kY1, kT), 0.0975, 1e-7);
  // 1/2 (0.1^2 + 0.05^2 + 0.9^2 + 0.05^2 + 0.1^2 + 0.6^2) = 0.5975
  EXPECT_NEAR(sum_squared_error(kY2, kT), 0.5975, 1e-7);
}

TEST(SumSquaredError, BatchIsTheMean) {
  const Tensor y = stack(kY1, kY2), t = stack(kT, kT);
  EXPECT_NEAR(sum_squared_error(y, t), (0.0975 + 0.5975) / 2, 1e-7);
  EXPECT_EQ(sum_squared_error(y, y), 0.0);
}

TEST(CrossEntropyError, BookExampleOneHot) {
  EXPECT_NEAR(kCe1, 0.5108254, 1e-6);
  EXPECT_NEAR(cross_entropy_error(kY1, kT), 0.510825457, 1e-6);
  EXPECT_NEAR(cross_entropy_error(kY1, kT), kCe1, 1e-9);
  EXPECT_NEAR(cross_entropy_error(kY2, kT), 2.302584093, 1e-6);
}

TEST(CrossEntropyError, BookExampleLabelIndex) {
  const std::vector<int32_t> label{2};
  EXPECT_NEAR(cross_entropy_error(kY1, label), kCe1, 1e-9);
  EXPECT_NEAR(cross_entropy_error(kY2, label), kCe2, 1e-9);
}

TEST(CrossEntropyError, BatchIsTheMean) {
  const Tensor y = stack(kY1, kY2);
  EXPECT_NEAR(cross_entropy_error(y, stack(kT, kT)), (kCe1 + kCe2) / 2, 1e-9);
  const std::vector<int32_t> labels{2, 2};
  EXPECT_NEAR(cross_entropy_error(y, labels), (kCe1 + kCe2) / 2, 1e-9);
  // Other labels pick other columns: 0.1 at class 0 and 0.6 at class 7.
  const std::vector<int32_t> other{0, 7};
  EXPECT_NEAR(cross_entropy_error(y, other), (kCe2 + kCe1) / 2, 1e-9);
}

TEST(CrossEntropyError, ZeroProbabilityIsFinite) {
  // y = 0 at the correct class: the 1e-7 makes it -log(1e-7) = 16.118, not infinity.
  const std::vector<int32_t> label{3};
  const double e = cross_entropy_error(kY1, label);
  EXPECT_TRUE(std::isfinite(e));
  EXPECT_NEAR(e, 16.11809565, 1e-6);
}

TEST(LossFunctions, ShapeErrorsNameBothShapes) {
  const Tensor t9(Shape{9});
  std::string msg = error_of([&] { (void)sum_squared_error(kY1, t9); });
  EXPECT_NE(msg.find("sum_squared_error"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(10)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(9)"), std::string::npos) << msg;
  msg = error_of([&] { (void)cross_entropy_error(stack(kY1, kY2), kT); });
  EXPECT_NE(msg.find("cross_entropy_error"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(2, 10)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(10)"), std::string::npos) << msg;
  const Tensor cube(Shape{2, 5, 1});
  msg = error_of([&] { (void)sum_squared_error(cube, cube); });
  EXPECT_NE(msg.find("(2, 5, 1)"), std::string::npos) << msg;
  msg = error_of([&] { (void)cross_entropy_error(cube, cube); });
  EXPECT_NE(msg.find("(2, 5, 1)"), std::string::npos) << msg;
}

TEST(LossFunctions, LabelErrors) {
  const Tensor y = stack(kY1, kY2);
  // One label per sample.
  const std::vector<int32_t> three{1, 2, 3};
  std::string msg = error_of([&] { (void)cross_entropy_error(y, three); });
  EXPECT_NE(msg.find("3 labels for 2 samples"), std::string::npos) << msg;
  // Labels must name one of the 10 classes.
  const std::vector<int32_t> ten{2, 10};
  msg = error_of([&] { (void)cross_entropy_error(y, ten); });
  EXPECT_NE(msg.find("label 10"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[0, 10)"), std::string::npos) << msg;
  const std::vector<int32_t> negative{-1};
  msg = error_of([&] { (void)cross_entropy_error(kY1, negative); });
  EXPECT_NE(msg.find("label -1"), std::string::npos) << msg;
}
