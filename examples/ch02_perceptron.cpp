// Chapter 2: perceptrons. AND, NAND and OR are one perceptron each (section 2.3), differing
// only in weights and bias; XOR is not linearly separable (section 2.4) and needs two layers:
// XOR(x1, x2) = AND(NAND(x1, x2), OR(x1, x2)) (section 2.5).
//
//   build/examples/ch02_perceptron
#include <cstdio>
#include <initializer_list>

#include "nnzero/perceptron.h"

namespace {
void print_truth_table(const char* name, int (*gate)(int, int)) {
  std::printf("%s\n", name);
  for (int x1 : {0, 1}) {
    for (int x2 : {0, 1}) std::printf("  %s(%d, %d) = %d\n", name, x1, x2, gate(x1, x2));
  }
}
}  // namespace

int main() {
  // y = 1 if w1*x1 + w2*x2 + b > 0 else 0; the book's (w1, w2, b):
  std::printf("AND  (w1, w2, b) = (0.5, 0.5, -0.7)\n");
  std::printf("NAND (w1, w2, b) = (-0.5, -0.5, 0.7)\n");
  std::printf("OR   (w1, w2, b) = (0.5, 0.5, -0.2)\n\n");
  print_truth_table("AND", nnzero::AND);
  print_truth_table("NAND", nnzero::NAND);
  print_truth_table("OR", nnzero::OR);

  // Section 2.5.2: the two-layer perceptron. Layer 1: s1 = NAND(x1, x2), s2 = OR(x1, x2);
  // layer 2: y = AND(s1, s2).
  std::printf("XOR (two layers: s1 = NAND, s2 = OR, y = AND(s1, s2))\n");
  std::printf("  x1 x2 | s1 s2 | y\n");
  for (int x1 : {0, 1}) {
    for (int x2 : {0, 1}) {
      const int s1 = nnzero::NAND(x1, x2), s2 = nnzero::OR(x1, x2);
      std::printf("   %d  %d |  %d  %d | %d\n", x1, x2, s1, s2, nnzero::XOR(x1, x2));
    }
  }
  return 0;
}
