// The MNIST-style preprocessing of `nnzero predict` (io/digit_preprocess.h), on synthetic
// images whose answer is known, and on MNIST digits disguised as photos (enlarged, black on
// white, off-centre), which must come back as the MNIST digits they were.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "nnzero/data/mnist.h"
#include "nnzero/io/digit_preprocess.h"
#include "test_data_dir.h"
#include "test_support.h"

using namespace nnzero;
using nnzero_test::error_of;

namespace {
GrayImage blank(int64_t w, int64_t h, float value) {
  return GrayImage{w, h, std::vector<float>(static_cast<size_t>(w * h), value)};
}

void fill_rect(GrayImage& img, int64_t x0, int64_t y0, int64_t w, int64_t h, float value) {
  for (int64_t y = y0; y < y0 + h; ++y) {
    for (int64_t x = x0; x < x0 + w; ++x)
      img.pixels[static_cast<size_t>(y * img.width + x)] = value;
  }
}

struct Stats {
  int64_t x0 = 28, y0 = 28, x1 = -1, y1 = -1;  // bounding box of non-zero pixels
  double cx = 0, cy = 0, mass = 0;
};

Stats stats(const std::vector<float>& p) {
  Stats s;
  for (int64_t y = 0; y < 28; ++y) {
    for (int64_t x = 0; x < 28; ++x) {
      const double v = p[static_cast<size_t>(y * 28 + x)];
      if (v <= 0.0) continue;
      s.x0 = std::min(s.x0, x), s.x1 = std::max(s.x1, x), s.y0 = std::min(s.y0, y),
      s.y1 = std::max(s.y1, y);
      s.mass += v, s.cx += v * static_cast<double>(x), s.cy += v * static_cast<double>(y);
    }
  }
  s.cx /= s.mass, s.cy /= s.mass;
  return s;
}
}  // namespace

TEST(DigitResize, SameSizeIsTheIdentityAndHalvingAveragesBlocks) {
  const std::vector<float> src = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  EXPECT_EQ(resize_area(src, 4, 4, 4, 4), src);
  const std::vector<float> half = resize_area(src, 4, 4, 2, 2);
  EXPECT_FLOAT_EQ(half[0], (0 + 1 + 4 + 5) / 4.0f);
  EXPECT_FLOAT_EQ(half[3], (10 + 11 + 14 + 15) / 4.0f);
  // 3 -> 2 pixels: each output covers 1.5 inputs, the middle one split between them.
  const std::vector<float> row = resize_area(std::vector<float>{3, 6, 9}, 3, 1, 2, 1);
  EXPECT_FLOAT_EQ(row[0], (3 + 0.5f * 6) / 1.5f);
  EXPECT_FLOAT_EQ(row[1], (0.5f * 6 + 9) / 1.5f);
  // A rectangle of a larger image, through the stride.
  const std::vector<float> inner =
      resize_area(std::span<const float>(src).subspan(5), 2, 2, 1, 1, 4);
  EXPECT_FLOAT_EQ(inner[0], (5 + 6 + 9 + 10) / 4.0f);
}

TEST(DigitResize, KeepsTheMeanForAnyFactor) {
  std::vector<float> src(37 * 23);
  for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<float>((i * 7919) % 101) / 100.0f;
  const double mean =
      std::accumulate(src.begin(), src.end(), 0.0) / static_cast<double>(src.size());
  for (auto [w, h] : {std::pair{20, 13}, {7, 5}, {1, 1}, {50, 40}}) {
    const auto out = resize_area(src, 37, 23, w, h);
    ASSERT_EQ(out.size(), static_cast<size_t>(w * h));
    EXPECT_NEAR(std::accumulate(out.begin(), out.end(), 0.0) / static_cast<double>(out.size()),
                mean, 1e-5)
        << w << "x" << h;
    EXPECT_GE(*std::min_element(out.begin(), out.end()), 0.0f);
    EXPECT_LE(*std::max_element(out.begin(), out.end()), 1.0f);
  }
  EXPECT_HAS(error_of([&] { resize_area(src, 37, 23, 0, 5); }), "resize_area: bad sizes");
  EXPECT_HAS(error_of([&] { resize_area(src, 37, 24, 5, 5); }), "resize_area: bad sizes");
}

TEST(DigitPreprocess, DarkBarOnWhiteBecomesACentredWhiteBarTwentyPixelsLong) {
  // A 60 x 200 black bar, off-centre, on a 400 x 300 white page.
  GrayImage page = blank(400, 300, 1.0f);
  fill_rect(page, 30, 50, 60, 200, 0.0f);
  DigitInfo info;
  const auto p = mnist_digit(page, &info);
  EXPECT_TRUE(info.inverted);
  EXPECT_EQ(info.box_x, 30);
  EXPECT_EQ(info.box_y, 50);
  EXPECT_EQ(info.box_width, 60);
  EXPECT_EQ(info.box_height, 200);
  EXPECT_EQ(info.scaled_width, 6);
  EXPECT_EQ(info.scaled_height, 20);
  const Stats s = stats(p);
  EXPECT_EQ(s.y1 - s.y0 + 1, 20);  // the longer side fills the 20-pixel box
  EXPECT_EQ(s.x1 - s.x0 + 1, 6);   // aspect ratio kept
  EXPECT_NEAR(s.cx, 14.0, 0.5);    // centre of mass on (14, 14), as in MNIST
  EXPECT_NEAR(s.cy, 14.0, 0.5);
  EXPECT_FLOAT_EQ(*std::max_element(p.begin(), p.end()), 1.0f);
  EXPECT_FLOAT_EQ(p[0], 0.0f);
}

TEST(DigitPreprocess, CentresTheMassNotTheBox) {
  // An "L": a tall thin stroke and a foot. The mass sits left and low of the box centre.
  GrayImage img = blank(100, 100, 0.0f);
  fill_rect(img, 10, 10, 8, 80, 1.0f);
  fill_rect(img, 10, 82, 60, 8, 1.0f);
  const Stats s = stats(mnist_digit(img));
  EXPECT_NEAR(s.cx, 14.0, 0.5);
  EXPECT_NEAR(s.cy, 14.0, 0.5);
  // The box is not centred: it lies right of and above the centre.
  EXPECT_GT((s.x0 + s.x1) / 2.0, 15.0);
  EXPECT_LT((s.y0 + s.y1) / 2.0, 13.0);
}

TEST(DigitPreprocess, WhiteOnBlackAndBlackOnWhiteAndGreyPaperAgree) {
  GrayImage dark = blank(90, 120, 0.0f);
  fill_rect(dark, 20, 15, 40, 90, 1.0f);
  fill_rect(dark, 30, 30, 20, 60, 0.0f);  // a "0": a ring
  GrayImage light = dark, grey = dark;
  for (float& v : light.pixels) v = 1.0f - v;
  for (float& v : grey.pixels) v = v > 0.5f ? 0.15f : 0.8f;  // dark ink on grey paper
  DigitInfo a, b, c;
  const auto pd = mnist_digit(dark, &a), pl = mnist_digit(light, &b), pg = mnist_digit(grey, &c);
  EXPECT_FALSE(a.inverted);
  EXPECT_TRUE(b.inverted);
  EXPECT_TRUE(c.inverted);
  for (size_t i = 0; i < pd.size(); ++i) {
    EXPECT_NEAR(pd[i], pl[i], 1e-6f) << i;
    EXPECT_NEAR(pd[i], pg[i], 1e-5f) << i;  // contrast stretched: the same digit
  }
}

TEST(DigitPreprocess, FaintNoiseDoesNotWidenTheBox) {
  GrayImage img = blank(200, 200, 1.0f);
  fill_rect(img, 80, 40, 30, 120, 0.0f);
  // Specks 10 % darker than the paper (JPEG noise, paper grain) in the corners.
  fill_rect(img, 2, 2, 3, 3, 0.9f);
  fill_rect(img, 190, 190, 4, 4, 0.9f);
  DigitInfo info;
  mnist_digit(img, &info);
  EXPECT_EQ(info.box_x, 80);
  EXPECT_EQ(info.box_width, 30);
  EXPECT_EQ(info.box_height, 120);
}

TEST(DigitPreprocess, TinyAndExtremeShapes) {
  GrayImage dot = blank(5, 5, 0.0f);
  fill_rect(dot, 2, 2, 1, 1, 1.0f);  // one pixel, enlarged to 20 x 20
  Stats s = stats(mnist_digit(dot));
  EXPECT_EQ(s.x1 - s.x0 + 1, 20);
  EXPECT_EQ(s.y1 - s.y0 + 1, 20);
  GrayImage line = blank(3000, 3, 1.0f);
  fill_rect(line, 100, 1, 2800, 1, 0.0f);  // a long horizontal line: 20 x 1
  s = stats(mnist_digit(line));
  EXPECT_EQ(s.x1 - s.x0 + 1, 20);
  EXPECT_EQ(s.y1 - s.y0 + 1, 1);
  EXPECT_NEAR(s.cy, 14.0, 0.5);
}

TEST(DigitPreprocess, BlankImagesAreAnError) {
  EXPECT_HAS(error_of([] { mnist_digit(blank(50, 40, 1.0f)); }),
             "no digit found: the image is blank");
  EXPECT_HAS(error_of([] { mnist_digit(blank(50, 40, 0.0f)); }), "blank");
  GrayImage faint = blank(50, 40, 0.5f);
  fill_rect(faint, 10, 10, 5, 5, 0.45f);  // 5 % contrast
  EXPECT_HAS(error_of([&] { mnist_digit(faint); }), "blank");
  EXPECT_HAS(error_of([] { mnist_digit(blank(1, 1, 0.0f)); }), "blank");
  EXPECT_HAS(error_of([] { mnist_digit(GrayImage{3, 3, {}}); }), "holds 0 values");
}

TEST(DigitPreprocess, RawOnlyResizes) {
  GrayImage img = blank(56, 56, 0.0f);
  fill_rect(img, 0, 0, 28, 56, 1.0f);  // left half white
  const auto p = raw_digit(img);
  ASSERT_EQ(p.size(), 784u);
  EXPECT_FLOAT_EQ(p[0], 1.0f);
  EXPECT_FLOAT_EQ(p[13], 1.0f);
  EXPECT_FLOAT_EQ(p[14], 0.0f);
  // A light image stays light: no inversion.
  EXPECT_FLOAT_EQ(raw_digit(blank(10, 10, 0.9f))[100], 0.9f);
}

TEST(DigitPreprocess, MnistDigitsDisguisedAsPhotosComeBack) {
  NNZERO_MNIST_DIR_OR_SKIP(dir);
  const Dataset test = load_mnist(dir).test;
  // Each digit enlarged 3x (nearest neighbour), inverted to black on white, on a page with
  // uneven margins: the preprocessing must undo all of it.
  const int64_t n = 300, k = 3;
  double total_diff = 0.0, com_error = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const std::vector<uint8_t> digit = test.pixels.unpack(i);
    const uint8_t* px = digit.data();
    GrayImage page = blank(28 * k + 70, 28 * k + 35, 1.0f);
    std::vector<float> original(784);
    for (int64_t y = 0; y < 28; ++y) {
      for (int64_t x = 0; x < 28; ++x) {
        const float v = static_cast<float>(px[y * 28 + x]) / 255.0f;
        original[static_cast<size_t>(y * 28 + x)] = v;
        fill_rect(page, 50 + x * k, 10 + y * k, k, k, 1.0f - v);
      }
    }
    const auto p = mnist_digit(page);
    double diff = 0.0;
    for (size_t j = 0; j < p.size(); ++j) diff += std::abs(p[j] - original[j]);
    total_diff += diff / 784.0;
    const Stats s = stats(p);
    com_error += std::hypot(s.cx - 14.0, s.cy - 14.0);
  }
  const double mean_diff = total_diff / n, mean_com = com_error / n;
  std::printf("MNIST round trip: mean |pixel difference| %.4f, mean centre-of-mass distance %.3f\n",
              mean_diff, mean_com);
  EXPECT_LT(mean_diff, 0.03);
  EXPECT_LT(mean_com, 0.5);
}
