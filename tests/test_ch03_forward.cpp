// The book's chapter 3 three-layer network (section 3.4.3) with its hand-set weights:
// forward([1.0, 0.5]) = [0.31682708, 0.69627909]. The same computation as
// examples/ch03_forward.cpp, and a check that the example prints that value (to float32's
// precision, next to the book's float64 digits).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

#include "nnzero/functions/activation.h"
#include "nnzero/kernels/gemm.h"
#include "nnzero/tensor.h"

using namespace nnzero;

namespace {
// a = x W + b for one sample x (1 x in) and the book's W (in x out).
Tensor affine(const Tensor& x, const Tensor& W, const Tensor& b) {
  const int in = static_cast<int>(W.dim(0)), out = static_cast<int>(W.dim(1));
  Tensor a = b.clone();
  gemm(Trans::No, Trans::No, 1, out, in, 1.0f, x.data(), in, W.data(), out, 1.0f, a.data(), out);
  return a;
}

void expect_values(const Tensor& t, std::initializer_list<float> expected, const char* what) {
  ASSERT_EQ(t.numel(), static_cast<int64_t>(expected.size())) << what;
  int64_t i = 0;
  for (float e : expected) {
    EXPECT_NEAR(t[i], e, 1e-6f) << what << "[" << i << "]";
    ++i;
  }
}
}  // namespace

TEST(Ch03Forward, ThreeLayerNetworkBookValues) {
  // init_network()
  const Tensor W1(Shape{2, 3}, {0.1f, 0.3f, 0.5f, 0.2f, 0.4f, 0.6f});
  const Tensor b1(Shape{3}, {0.1f, 0.2f, 0.3f});
  const Tensor W2(Shape{3, 2}, {0.1f, 0.4f, 0.2f, 0.5f, 0.3f, 0.6f});
  const Tensor b2(Shape{2}, {0.1f, 0.2f});
  const Tensor W3(Shape{2, 2}, {0.1f, 0.3f, 0.2f, 0.4f});
  const Tensor b3(Shape{2}, {0.1f, 0.2f});
  const Tensor x(Shape{2}, {1.0f, 0.5f});

  // Section 3.4.2 prints the intermediate values of the first layer.
  const Tensor a1 = affine(x, W1, b1);
  expect_values(a1, {0.3f, 0.7f, 1.1f}, "a1");
  const Tensor z1 = sigmoid(a1);
  expect_values(z1, {0.57444252f, 0.66818777f, 0.75026011f}, "z1");
  const Tensor a2 = affine(z1, W2, b2);
  expect_values(a2, {0.51615984f, 1.21402696f}, "a2");
  const Tensor z2 = sigmoid(a2);
  expect_values(z2, {0.62624937f, 0.7710107f}, "z2");
  const Tensor y = identity_function(affine(z2, W3, b3));
  expect_values(y, {0.31682708f, 0.69627909f}, "y");
}

TEST(Ch03Forward, ExamplePrintsTheBookValue) {
  const std::filesystem::path exe =
      std::filesystem::path(NNZERO_BINARY_DIR) / "examples" / "ch03_forward";
  if (!std::filesystem::exists(exe)) GTEST_SKIP() << exe << " is not built";
  FILE* pipe = popen(exe.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  std::array<char, 256> buf{};
  while (fgets(buf.data(), static_cast<int>(buf.size()), pipe) != nullptr) out += buf.data();
  EXPECT_EQ(pclose(pipe), 0) << out;
  // "y = [0.3168271 0.6962791]": float32 printed as NumPy prints float32.
  const size_t at = out.find("y = [");
  ASSERT_NE(at, std::string::npos) << out;
  float y0 = 0.0f, y1 = 0.0f;
  ASSERT_EQ(std::sscanf(out.c_str() + at, "y = [%f %f]", &y0, &y1), 2) << out;
  EXPECT_NEAR(y0, 0.31682708f, 1e-7f) << out;
  EXPECT_NEAR(y1, 0.69627909f, 1e-7f) << out;
  EXPECT_NE(out.find("[0.31682708 0.69627909]"), std::string::npos) << out;
}
