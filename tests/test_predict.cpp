// nnzero predict and the Classifier API: MNIST digits disguised as photos (PNG, JPEG, BMP,
// PGM; enlarged, black on white) get the classes the model gives the original digits; every
// kind of bad input exits with status 2 and a message naming the file or the shapes. The
// README's example program (examples/classify_digit.cpp) runs, and the README shows it as it is.
#include <gtest/gtest.h>
#include <stb/stb_image_write.h>  // the implementation is in libstb, linked by nnzero_lib

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "nnzero/data/mnist.h"
#include "nnzero/model/builtin.h"
#include "nnzero/model/classifier.h"
#include "nnzero/model/sequential.h"
#include "nnzero/train/trainer.h"
#include "test_data_dir.h"
#include "test_support.h"

using namespace nnzero;
using nnzero_test::error_of;
using nnzero_test::run_cli;
using nnzero_test::ScratchDir;

namespace {
// An untrained model file for `spec_json`, optionally with extra metadata.
std::string save_untrained(const ScratchDir& dir, const std::string& name,
                           const std::string& spec_json,
                           const std::map<std::string, std::string>& metadata = {}) {
  Rng rng(1);
  Sequential model(ModelSpec::parse(spec_json), rng);
  const std::string path = dir / name;
  save_model(model, path, metadata);
  return path;
}

const char* kFlatSpec = R"({"input": [784], "layers": [{"type": "linear", "out_features": 10}]})";

// MNIST and two_layer_net after one epoch on 10,000 of its digits (about 90 % accurate),
// made once for all the tests here.
struct Trained {
  Mnist mnist;
  ScratchDir dir;
  std::string model;
};
std::string train_small_model(const Mnist& mnist, const ScratchDir& dir);
const Trained& trained(const std::string& data) {
  static const std::unique_ptr<Trained> t = [&] {
    auto p = std::unique_ptr<Trained>(new Trained{load_mnist(data), {}, {}});
    p->model = train_small_model(p->mnist, p->dir);
    return p;
  }();
  return *t;
}

std::string train_small_model(const Mnist& mnist, const ScratchDir& dir) {
  Rng rng(7);
  Sequential model(builtin_spec("two_layer_net"), rng);
  std::vector<int32_t> first(10000);
  std::iota(first.begin(), first.end(), 0);
  const Dataset train = subset(mnist.train, first);
  TrainOptions o;
  o.optimizer = "adam";
  o.lr = 0.005f;
  o.log_epochs = false;
  o.train_eval_samples = 100;
  Trainer(model, train, nullptr, o).run();
  const std::string path = dir / "model.safetensors";
  save_model(model, path);
  return path;
}

// MNIST digit i as 8-bit grey pixels: enlarged k times and inverted (black on white) on a
// page with margins when `photo`, else as stored.
std::vector<uint8_t> digit_page(const Dataset& d, int64_t i, bool photo, int& w, int& h) {
  const std::vector<uint8_t> digit = d.pixels.unpack(i);
  const uint8_t* px = digit.data();
  if (!photo) {
    w = h = 28;
    return std::vector<uint8_t>(px, px + 784);
  }
  const int k = 3, left = 40, top = 15;
  w = 28 * k + 60, h = 28 * k + 30;
  std::vector<uint8_t> page(static_cast<size_t>(w * h), 255);
  for (int y = 0; y < 28 * k; ++y) {
    for (int x = 0; x < 28 * k; ++x) {
      page[static_cast<size_t>((top + y) * w + left + x)] =
          static_cast<uint8_t>(255 - px[(y / k) * 28 + x / k]);
    }
  }
  return page;
}

void write_pgm(const std::string& path, const std::vector<uint8_t>& px, int w, int h) {
  nnzero_test::spit(path, "P5\n" + std::to_string(w) + " " + std::to_string(h) + "\n255\n" +
                              std::string(px.begin(), px.end()));
}
}  // namespace

TEST(PredictCli, ClassifiesPhotosOfDigitsLikeTheOriginals) {
  NNZERO_MNIST_DIR_OR_SKIP(data);
  const Mnist& mnist = trained(data).mnist;
  ScratchDir dir;
  std::filesystem::copy_file(trained(data).model, dir / "model.safetensors");
  Classifier classifier(dir / "model.safetensors");
  const int n = 12;
  std::string files;
  std::vector<int32_t> expected;
  for (int i = 0; i < n; ++i) {
    int w = 0, h = 0;
    const auto page = digit_page(mnist.test, i, true, w, h);
    std::vector<uint8_t> rgb;  // the BMP and JPEG in colour: grey RGB
    for (uint8_t v : page) rgb.insert(rgb.end(), {v, v, v});
    const std::string name = "digit" + std::to_string(i) +
                             (i % 4 == 0   ? ".png"
                              : i % 4 == 1 ? ".jpg"
                              : i % 4 == 2 ? ".bmp"
                                           : ".pgm");
    const std::string path = dir / name;
    int ok = 1;
    if (i % 4 == 0) ok = stbi_write_png(path.c_str(), w, h, 1, page.data(), w);
    if (i % 4 == 1) ok = stbi_write_jpg(path.c_str(), w, h, 3, rgb.data(), 95);
    if (i % 4 == 2) ok = stbi_write_bmp(path.c_str(), w, h, 3, rgb.data());
    if (i % 4 == 3) write_pgm(path, page, w, h);
    ASSERT_TRUE(ok) << path;
    files += " " + name;
    int ow = 0, oh = 0;
    expected.push_back(classifier.classify(digit_page(mnist.test, i, false, ow, oh)).label);
  }
  const auto r = run_cli("predict model.safetensors" + files + " --threads 1", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = r.json();
  EXPECT_EQ(j["model"], "two_layer_net");
  EXPECT_EQ(j["preprocess"], "mnist");
  ASSERT_EQ(j["predictions"].size(), static_cast<size_t>(n));
  int agree = 0, correct = 0;
  for (int i = 0; i < n; ++i) {
    const auto& p = j["predictions"][static_cast<size_t>(i)];
    EXPECT_EQ(p["file"].get<std::string>().substr(0, 5 + std::to_string(i).size()),
              "digit" + std::to_string(i));
    EXPECT_EQ(p["inverted"], true);
    const auto probs = p["probabilities"].get<std::vector<double>>();
    ASSERT_EQ(probs.size(), 10u);
    EXPECT_NEAR(std::accumulate(probs.begin(), probs.end(), 0.0), 1.0, 1e-5);
    const int32_t cls = p["class"].get<int32_t>();
    EXPECT_EQ(std::max_element(probs.begin(), probs.end()) - probs.begin(), cls);
    EXPECT_EQ(p["scores"].size(), 10u);
    agree += cls == expected[static_cast<size_t>(i)];
    correct += cls == mnist.test.labels[static_cast<size_t>(i)];
  }
  EXPECT_GE(agree, n - 1) << "predictions on the photos differ from those on the originals";
  EXPECT_GE(correct, n - 2);
  EXPECT_HAS(r.err, "digit0.png: ");
  EXPECT_HAS(r.err, " %)");
}

TEST(PredictCli, RawKeepsMnistImagesAsTheyAre) {
  NNZERO_MNIST_DIR_OR_SKIP(data);
  const Mnist& mnist = trained(data).mnist;
  ScratchDir dir;
  const std::string model_path = dir / "model.safetensors";
  std::filesystem::copy_file(trained(data).model, model_path);
  int w = 0, h = 0;
  const auto px = digit_page(mnist.test, 0, false, w, h);
  write_pgm(dir / "seven.pgm", px, w, h);
  const auto r = run_cli("predict model.safetensors seven.pgm --raw", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = r.json();
  const auto& p = j["predictions"][0];
  EXPECT_EQ(j["preprocess"], "raw");
  EXPECT_FALSE(p.contains("inverted"));
  const Classification c = Classifier(model_path).classify(px);
  EXPECT_EQ(p["class"], c.label);
  for (size_t k = 0; k < 10; ++k) EXPECT_NEAR(p["scores"][k].get<double>(), c.scores[k], 1e-5);
}

TEST(PredictCli, BadImagesAndModelsExit2NamingTheProblem) {
  ScratchDir dir;
  save_untrained(dir, "flat.safetensors", kFlatSpec);
  save_untrained(
      dir, "colour.safetensors",
      R"({"input": [3, 32, 32], "layers": [{"type": "flatten"}, {"type": "linear", "out_features": 10}]})");
  save_untrained(dir, "small.safetensors",
                 R"({"input": [100], "layers": [{"type": "linear", "out_features": 10}]})");
  nnzero_test::spit(dir / "empty.png", "");
  nnzero_test::spit(dir / "text.jpg", "hello, world\n");
  nnzero_test::spit(dir / "huge.pgm", "P5\n10000 10000\n255\n");
  nnzero_test::spit(dir / "white.pgm", "P5\n4 4\n255\n" + std::string(16, '\xff'));
  nnzero_test::spit(dir / "ok.pgm",
                    "P5\n4 4\n255\n" + std::string(8, '\xff') + std::string(8, '\0'));
  struct Case {
    std::string args, message;
  };
  for (const Case& c : std::vector<Case>{
           {"predict flat.safetensors empty.png", "empty.png: empty file, not an image"},
           {"predict flat.safetensors text.jpg", "text.jpg: not an image nnzero can read"},
           {"predict flat.safetensors huge.pgm", "huge.pgm: image is 10000 x 10000 pixels"},
           {"predict flat.safetensors missing.png", "missing.png: cannot open"},
           {"predict flat.safetensors white.pgm", "white.pgm: no digit found: the image is blank"},
           {"predict flat.safetensors ok.pgm missing.png", "missing.png: cannot open"},
           {"predict colour.safetensors ok.pgm",
            "colour.safetensors: the model takes samples of shape (3, 32, 32); classifying images "
            "needs a model taking (1, 28, 28) or (784)"},
           {"predict small.safetensors ok.pgm", "takes samples of shape (100)"},
           {"predict ok.pgm ok.pgm", "ok.pgm: "},
           {"predict missing.safetensors ok.pgm", "missing.safetensors: cannot open"},
           {"predict flat.safetensors ok.pgm --out x.csv", "--out applies to table models"},
           {"predict flat.safetensors", "IMAGE is required"},
       }) {
    const auto r = run_cli(c.args, dir);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.err;
    EXPECT_HAS(r.err, "error: ") << c.args;
    EXPECT_HAS(r.err, c.message) << c.args;
    EXPECT_EQ(r.json(), nullptr) << c.args << ": no result line after an error";
  }
}

TEST(PredictCli, TableModelsTakeTheTablePath) {
  ScratchDir dir;
  save_untrained(dir, "table.safetensors",
                 R"({"input": [4], "layers": [{"type": "linear", "out_features": 3}]})",
                 {{"nnzero.table", "{}"}});
  nnzero_test::spit(dir / "rows.csv", "a,b,c,d\n1,2,3,4\n");
  const auto r = run_cli("predict table.safetensors rows.csv --out out.csv", dir);
  // Whatever the table path answers, the image path (which would refuse the input shape)
  // must not have been taken.
  EXPECT_EQ(r.err.find("takes samples of shape"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("not an image"), std::string::npos) << r.err;
}

TEST(PredictApi, BytesFloatsAndBatchesAgree) {
  ScratchDir dir;
  Classifier classifier(save_untrained(dir, "flat.safetensors", kFlatSpec));
  std::vector<uint8_t> bytes(784);
  std::vector<float> floats(784), two(2 * 784);
  for (size_t i = 0; i < 784; ++i) {
    bytes[i] = static_cast<uint8_t>((i * 37) % 256);
    floats[i] = static_cast<float>(bytes[i]) * (1.0f / 255.0f);
    two[i] = 0.0f;
    two[784 + i] = floats[i];
  }
  const Classification a = classifier.classify(bytes), b = classifier.classify(floats);
  const auto batch = classifier.classify_batch(two);
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(a.label, b.label);
  EXPECT_EQ(a.scores, b.scores);
  EXPECT_EQ(batch[1].label, a.label);
  for (size_t k = 0; k < 10; ++k) EXPECT_NEAR(batch[1].scores[k], a.scores[k], 1e-5f);
  EXPECT_NEAR(std::accumulate(a.probabilities.begin(), a.probabilities.end(), 0.0), 1.0, 1e-5);
  EXPECT_EQ(std::max_element(a.scores.begin(), a.scores.end()) - a.scores.begin(), a.label);
  EXPECT_HAS(error_of([&] { classifier.classify(std::vector<float>(100)); }),
             "needs 28 x 28 = 784 values, got 100");
  EXPECT_HAS(error_of([&] { classifier.classify_batch(std::vector<float>(785)); }),
             "784 values per image");
}

TEST(PredictApi, ImageModelsOnlyAndSoftmaxOutputsKept) {
  ScratchDir dir;
  const std::string conv = save_untrained(
      dir, "conv.safetensors",
      R"({"input": [1, 28, 28], "layers": [{"type": "conv2d", "out_channels": 2, "kernel": 5}, {"type": "flatten"},
          {"type": "linear", "out_features": 10}, {"type": "softmax"}]})");
  Classifier classifier(conv);
  const Classification c = classifier.classify(std::vector<float>(784, 0.5f));
  EXPECT_EQ(c.probabilities, c.scores);  // the model's own softmax, not applied twice
  EXPECT_NEAR(std::accumulate(c.scores.begin(), c.scores.end(), 0.0), 1.0, 1e-5);
  const std::string wide = save_untrained(
      dir, "wide.safetensors",
      R"({"input": [28, 28], "layers": [{"type": "flatten"}, {"type": "linear", "out_features": 10}]})");
  EXPECT_HAS(error_of([&] { Classifier{wide}; }),
             "wide.safetensors: the model takes samples of shape (28, 28)");
  GrayImage img{40, 40, std::vector<float>(1600, 1.0f)};
  for (int y = 5; y < 35; ++y) img.pixels[static_cast<size_t>(y * 40 + 20)] = 0.0f;
  EXPECT_EQ(classifier.classify_image(img).label, classifier.classify(mnist_digit(img)).label);
  EXPECT_EQ(classifier.classify_image(img, true).scores,
            classifier.classify(raw_digit(img)).scores);
}

// The README's C++ example, examples/classify_digit.cpp, built with the project: it gives a
// photo of a digit the class and probability the Classifier gives it.
TEST(ClassifyDigitExample, ClassifiesAPhotoAsTheClassifierDoes) {
  NNZERO_MNIST_DIR_OR_SKIP(data);
  const Mnist& mnist = trained(data).mnist;
  const std::string& model = trained(data).model;
  ScratchDir dir;
  int w = 0, h = 0;
  const auto page = digit_page(mnist.test, 0, true, w, h);  // a 7, black on white, enlarged
  ASSERT_TRUE(stbi_write_png((dir / "digit.png").c_str(), w, h, 1, page.data(), w));
  const auto r =
      nnzero_test::run_program(std::string(NNZERO_BINARY_DIR) + "/examples/classify_digit",
                               "'" + model + "' digit.png", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Classification c = Classifier(model).classify_image(load_image(dir / "digit.png"));
  char expected[64];
  std::snprintf(expected, sizeof expected, "%d %.4f\n", c.label,
                static_cast<double>(c.probabilities[static_cast<size_t>(c.label)]));
  EXPECT_EQ(r.out, expected);
  EXPECT_EQ(c.label, mnist.test.labels[0]);
}

TEST(ClassifyDigitExample, BadUsageAndInputExit2) {
  ScratchDir dir;
  save_untrained(dir, "flat.safetensors", kFlatSpec);
  nnzero_test::spit(dir / "white.pgm", "P5\n4 4\n255\n" + std::string(16, '\xff'));
  const std::string example = std::string(NNZERO_BINARY_DIR) + "/examples/classify_digit";
  struct Case {
    std::string args, message;
  };
  for (const Case& c : std::vector<Case>{
           {"flat.safetensors", "usage: "},
           {"missing.safetensors white.pgm", "error: missing.safetensors: cannot open"},
           {"flat.safetensors missing.png", "error: missing.png: cannot open"},
           {"flat.safetensors white.pgm", "error: no digit found"},
       }) {
    const auto r = nnzero_test::run_program(example, c.args, dir);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.err;
    EXPECT_HAS(r.err, c.message) << c.args;
    EXPECT_EQ(r.out, "") << c.args;
  }
}

// The README shows the example verbatim, so the two cannot drift apart, and it stays under
// 30 lines as issue 5 asks.
TEST(ClassifyDigitExample, TheReadmeShowsItVerbatim) {
  const std::string code =
      nnzero_test::slurp(std::string(NNZERO_SOURCE_DIR) + "/examples/classify_digit.cpp");
  const std::string readme = nnzero_test::slurp(std::string(NNZERO_SOURCE_DIR) + "/README.md");
  ASSERT_FALSE(code.empty());
  EXPECT_LT(std::count(code.begin(), code.end(), '\n'), 30);
  EXPECT_HAS(readme, "```cpp\n" + code + "```\n");
}
