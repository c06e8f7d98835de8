// The book's chapter 2 gates: AND, NAND and OR as single perceptrons, XOR as two layers.
#include <gtest/gtest.h>

#include <initializer_list>

#include "nnzero/perceptron.h"

using namespace nnzero;

namespace {
// Truth table rows (x1, x2) in the book's order.
constexpr int kInputs[4][2] = {{0, 0}, {1, 0}, {0, 1}, {1, 1}};

template <class Gate>
void expect_truth_table(Gate gate, const int (&expected)[4], const char* name) {
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(gate(kInputs[i][0], kInputs[i][1]), expected[i])
        << name << "(" << kInputs[i][0] << ", " << kInputs[i][1] << ")";
  }
}
}  // namespace

TEST(Perceptron, And) {
  expect_truth_table(AND, {0, 0, 0, 1}, "AND");
}
TEST(Perceptron, Nand) {
  expect_truth_table(NAND, {1, 1, 1, 0}, "NAND");
}
TEST(Perceptron, Or) {
  expect_truth_table(OR, {0, 1, 1, 1}, "OR");
}
TEST(Perceptron, XorIsTwoLayers) {
  expect_truth_table(XOR, {0, 1, 1, 0}, "XOR");
}

TEST(Perceptron, OutputsOneOnlyAboveThreshold) {
  // w1 x1 + w2 x2 + b > 0, strictly: a sum of exactly 0 gives 0.
  const Perceptron p{1.0f, 1.0f, -1.0f};
  EXPECT_EQ(p(0, 0), 0);
  EXPECT_EQ(p(1, 0), 0);  // sum 0
  EXPECT_EQ(p(1, 1), 1);  // sum 1
  const Perceptron negative{-2.0f, 1.0f, 0.5f};
  EXPECT_EQ(negative(0, 0), 1);
  EXPECT_EQ(negative(1, 0), 0);
  EXPECT_EQ(negative(0, 1), 1);
}
