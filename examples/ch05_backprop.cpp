// Chapter 5: backpropagation.
//   1. The apples-and-oranges computational graph of section 5.4 with the book's MulLayer and
//      AddLayer: 2 apples at 100 and 3 oranges at 150, tax 1.1: the price 715 and every
//      derivative the backward pass gives (Figure 5-17).
//   2. The same check the book's gradient_check.py does for its two-layer net: the gradients
//      of nnzero's layers (backward) against numerical differentiation, for every parameter
//      of two_layer_net (784-50-10) on a random batch.
//
//   build/examples/ch05_backprop
#include <cstdio>
#include <utility>

#include "nnzero/model/builtin.h"
#include "nnzero/model/sequential.h"
#include "nnzero/rng.h"
#include "nnzero/train/gradcheck.h"

namespace {
// The book's layer_naive.py: a layer remembers its inputs in forward and multiplies the
// upstream derivative by the local one in backward.
class MulLayer {
 public:
  double forward(double x, double y) {
    x_ = x;
    y_ = y;
    return x * y;
  }
  // d(xy)/dx = y, d(xy)/dy = x
  std::pair<double, double> backward(double dout) const { return {dout * y_, dout * x_}; }

 private:
  double x_ = 0, y_ = 0;
};

class AddLayer {
 public:
  double forward(double x, double y) const { return x + y; }
  // d(x+y)/dx = d(x+y)/dy = 1
  std::pair<double, double> backward(double dout) const { return {dout, dout}; }
};

void buy_apple_orange() {
  const double apple = 100, apple_num = 2, orange = 150, orange_num = 3, tax = 1.1;
  MulLayer mul_apple_layer, mul_orange_layer, mul_tax_layer;
  AddLayer add_apple_orange_layer;

  // forward
  const double apple_price = mul_apple_layer.forward(apple, apple_num);
  const double orange_price = mul_orange_layer.forward(orange, orange_num);
  const double all_price = add_apple_orange_layer.forward(apple_price, orange_price);
  const double price = mul_tax_layer.forward(all_price, tax);

  // backward
  const double dprice = 1;
  const auto [dall_price, dtax] = mul_tax_layer.backward(dprice);
  const auto [dapple_price, dorange_price] = add_apple_orange_layer.backward(dall_price);
  const auto [dorange, dorange_num] = mul_orange_layer.backward(dorange_price);
  const auto [dapple, dapple_num] = mul_apple_layer.backward(dapple_price);

  std::printf("apples and oranges (section 5.4.2)\n");
  std::printf("  price: %g\n", price);
  std::printf("  dApple: %g\n  dApple_num: %g\n", dapple, dapple_num);
  std::printf("  dOrange: %g\n  dOrange_num: %g\n", dorange, dorange_num);
  std::printf("  dTax: %g\n\n", dtax);
}

void gradient_check() {
  nnzero::Rng rng(0);
  nnzero::Sequential net(nnzero::builtin_spec("two_layer_net"), rng);
  std::printf("two_layer_net: backpropagation against numerical gradients (section 5.7.3)\n");
  std::printf("  relative error of each parameter's gradient on a random batch of 3\n");
  std::printf("  (at most 300 elements of each, chosen at random):\n");
  nnzero::GradCheckOptions options;
  options.max_elements = 300;
  bool ok = true;
  for (const nnzero::GradCheckResult& r : nnzero::gradcheck_model(net, 3, rng, options)) {
    std::printf("  %-9s %.2e  (%lld elements compared)\n", r.name.c_str(), r.rel_error,
                static_cast<long long>(r.elements));
    ok &= r.rel_error < nnzero::kGradCheckTolerance;
  }
  std::printf("  %s\n", ok ? "backward agrees with the numerical gradient"
                           : "MISMATCH: backward disagrees with the numerical gradient");
}
}  // namespace

int main() {
  buy_apple_orange();
  gradient_check();
  return 0;
}
