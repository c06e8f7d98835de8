// Image folders (data/image_folder.h, io/image_sample.h): the class names and numbers from the
// folder names, every image converted and resized to the model's input exactly, the held-out
// share of --val-split, bad folders and files refused naming them; then for real: MNIST
// digits written out as a folder of PNGs train a convnet through `nnzero train --data DIR`,
// and `nnzero predict` names the classes of new files.
#include <gtest/gtest.h>
#include <stb/stb_image_write.h>  // the implementation is in libstb, linked by nnzero_lib

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "nnzero/data/image_folder.h"
#include "nnzero/data/mnist.h"
#include "nnzero/io/image.h"
#include "nnzero/io/image_sample.h"
#include "nnzero/io/safetensors.h"
#include "test_data_dir.h"
#include "test_support.h"

using namespace nnzero;
using nnzero_test::error_of;
using nnzero_test::run_cli;
using nnzero_test::ScratchDir;
namespace fs = std::filesystem;

namespace {
// Writes a w x h PNG of `comp` channels whose every pixel is `px` (comp values).
void write_png(const fs::path& path, int w, int h, std::vector<uint8_t> px) {
  fs::create_directories(path.parent_path());
  const int comp = static_cast<int>(px.size());
  std::vector<uint8_t> data;
  for (int i = 0; i < w * h; ++i) data.insert(data.end(), px.begin(), px.end());
  ASSERT_TRUE(stbi_write_png(path.c_str(), w, h, comp, data.data(), w * comp));
}

// train/ and test/ with the classes "red" and "blue" (given in that order, numbered by name:
// blue 0, red 1), `per_class` images each, of different sizes, and a file that is no image.
void make_colour_folder(const fs::path& root, int per_class, bool with_test = true) {
  for (const char* split : {"train", "test"}) {
    if (!with_test && std::string(split) == "test") continue;
    for (int i = 0; i < per_class; ++i) {
      const std::string file = std::to_string(i) + ".png";
      write_png(root / split / "red" / file, 3 + i, 5, {250, 0, 0});
      write_png(root / split / "blue" / file, 8, 2 + i, {0, 0, 200});
    }
    nnzero_test::spit(root / split / "red" / "notes.txt", "not an image");
  }
}

ImageFolderOptions options(Shape input) {
  ImageFolderOptions o;
  o.input = input;
  return o;
}

// Every byte of sample i of `data`.
std::vector<uint8_t> sample(const Dataset& data, int64_t i) {
  return data.pixels.unpack(i);
}
}  // namespace

TEST(ImageFolder, ClassesAreTheSortedFolderNamesAndImagesBecomeInputSizedBytes) {
  ScratchDir dir;
  make_colour_folder(dir.path(), 3);
  EXPECT_TRUE(is_image_folder(dir.path()));
  const ImageFolder f = load_image_folder(dir.path(), options({3, 4, 4}));
  EXPECT_EQ(f.classes, (std::vector<std::string>{"blue", "red"}));
  ASSERT_EQ(f.train.size(), 6);
  ASSERT_EQ(f.test.size(), 6);
  EXPECT_EQ(f.train.num_classes, 2);
  EXPECT_EQ(f.train.sample_shape, (Shape{3, 4, 4}));
  for (const Dataset* d : {&f.train, &f.test}) {
    for (int64_t i = 0; i < d->size(); ++i) {
      const std::vector<uint8_t> s = sample(*d, i);
      ASSERT_EQ(s.size(), 48u);
      const bool red = d->labels[static_cast<size_t>(i)] == 1;
      // Planes R, G, B of 16 pixels each: a solid colour stays itself through any resize.
      for (int p = 0; p < 16; ++p) {
        EXPECT_EQ(s[static_cast<size_t>(p)], red ? 250 : 0);
        EXPECT_EQ(s[static_cast<size_t>(16 + p)], 0);
        EXPECT_EQ(s[static_cast<size_t>(32 + p)], red ? 0 : 200);
      }
    }
  }
  // The test images class by class; the training ones mixed (both classes in the first 3).
  EXPECT_EQ(f.test.labels, (std::vector<int32_t>{0, 0, 0, 1, 1, 1}));
  EXPECT_EQ(std::set<int32_t>(f.train.labels.begin(), f.train.labels.begin() + 3).size(), 2u);

  // One grey channel: BT.601 luminance, 0.299 * 250 = 74.75 -> 75 and 0.114 * 200 = 22.8 -> 23.
  const ImageFolder grey = load_image_folder(dir.path(), options({1, 2, 3}));
  for (int64_t i = 0; i < grey.test.size(); ++i) {
    const std::vector<uint8_t> s = sample(grey.test, i);
    ASSERT_EQ(s.size(), 6u);
    for (uint8_t v : s) EXPECT_EQ(v, grey.test.labels[static_cast<size_t>(i)] == 1 ? 75 : 23);
  }
}

TEST(ImageFolder, EachChannelIsNormalisedWithTheMeanAndStdOfTheTrainingImages) {
  ScratchDir dir;
  make_colour_folder(dir.path(), 3);  // red (250, 0, 0) and blue (0, 0, 200), 3 each
  const ImageFolder f = load_image_folder(dir.path(), options({3, 4, 4}));
  // Red: half the pixels 250, half 0: mean and std 125/255. Green: 0 everywhere, no spread
  // (std kept at 1). Blue: half 200: mean and std 100/255.
  const std::vector<float> mean = {125 / 255.0f, 0.0f, 100 / 255.0f};
  const std::vector<float> std = {125 / 255.0f, 1.0f, 100 / 255.0f};
  for (const Dataset* d : {&f.train, &f.test}) {
    ASSERT_EQ(d->norm.mean.size(), 3u);
    for (size_t c = 0; c < 3; ++c) {
      EXPECT_NEAR(d->norm.mean[c], mean[c], 1e-6) << c;
      EXPECT_NEAR(d->norm.std[c], std[c], 1e-6) << c;
    }
  }
  // A red image's planes come out as +1, 0 and -1.
  for (int64_t i = 0; i < f.train.size(); ++i) {
    if (f.train.labels[static_cast<size_t>(i)] != 1) continue;  // red is class 1
    Tensor x;
    const int32_t index = static_cast<int32_t>(i);
    gather_images(f.train, std::span<const int32_t>(&index, 1), Shape{3, 4, 4}, x);
    for (int64_t k = 0; k < 16; ++k) {
      EXPECT_NEAR(x[k], 1.0f, 1e-5);
      EXPECT_NEAR(x[16 + k], 0.0f, 1e-6);
      EXPECT_NEAR(x[32 + k], -1.0f, 1e-5);
    }
    break;
  }
  // Evaluation decodes test/ alone: the model file's statistics are set by the caller.
  ImageFolderOptions test_only = options({3, 4, 4});
  test_only.test_only = true;
  EXPECT_TRUE(load_image_folder(dir.path(), test_only).test.norm.empty());

  // Statistics read back from a model file's metadata are checked.
  const auto from = [](const char* json) {
    return ChannelNorm::from(nlohmann::json::parse(json), 3, "m.safetensors");
  };
  EXPECT_TRUE(from(R"({"kind": "image_folder"})").empty());
  EXPECT_EQ(from(R"({"mean": [0.5, 0.4, 0.3], "std": [0.2, 0.2, 0.1]})").std[2], 0.1f);
  EXPECT_HAS(error_of([&] { from(R"({"mean": [0.5, 0.4], "std": [1, 1, 1]})"); }),
             "m.safetensors: nnzero.preprocess \"mean\" must be a list of 3 numbers");
  EXPECT_HAS(error_of([&] { from(R"({"mean": [0.5, 0.4, 0.3]})"); }), "\"std\" is missing");
  EXPECT_HAS(error_of([&] { from(R"({"mean": [0.5, 0.4, 0.3], "std": [1, 0, 1]})"); }),
             "\"std\" holds 0; each must be a positive number");
  EXPECT_HAS(error_of([&] { from(R"({"mean": [0.5, null, 0.3], "std": [1, 1, 1]})"); }),
             "\"mean\" holds null");
}

TEST(ImageFolder, ResizingAveragesTheSourcePixelsEachOutputPixelCovers) {
  ScratchDir dir;
  // 4 x 2, grey: columns 0-1 white, 2-3 black; shrunk to 2 x 1: white, black. Enlarged to
  // 8 x 4: each source pixel repeated.
  std::vector<uint8_t> px = {255, 255, 0, 0, 255, 255, 0, 0};
  ASSERT_TRUE(stbi_write_png((dir / "half.png").c_str(), 4, 2, 1, px.data(), 4));
  const std::vector<uint8_t> bytes = read_image_file(dir / "half.png");
  EXPECT_EQ(image_sample(bytes, "half.png", {1, 1, 2}), (std::vector<uint8_t>{255, 0}));
  // 3 columns of 4 / 3 source pixels: the middle one half white.
  EXPECT_EQ(image_sample(bytes, "half.png", {1, 1, 3}), (std::vector<uint8_t>{255, 128, 0}));
  const std::vector<uint8_t> big = image_sample(bytes, "half.png", {3, 4, 8});
  ASSERT_EQ(big.size(), 96u);
  for (int c = 0; c < 3; ++c) {
    for (int y = 0; y < 4; ++y) {
      for (int x = 0; x < 8; ++x)
        EXPECT_EQ(big[static_cast<size_t>(c * 32 + y * 8 + x)], x < 4 ? 255 : 0);
    }
  }
  EXPECT_HAS(
      error_of([&] {
        image_sample(bytes, "half.png", {2, 4, 4});
      }),
      "needs a model input of (channels, height, width) with 1 or 3 channels, not (2, 4, 4)");
}

TEST(ImageFolder, TransparentPixelsAreWhiteAndGreyImagesFillEveryColourPlane) {
  ScratchDir dir;
  write_png(dir / "clear.png", 2, 2, {10, 20, 30, 0});  // fully transparent: white
  write_png(dir / "half.png", 2, 2, {0, 0, 0, 128});    // half black over white
  write_png(dir / "grey.png", 2, 2, {90});
  const ImagePlanes clear = decode_image_planes(read_image_file(dir / "clear.png"), "c", 3);
  for (float v : clear.values) EXPECT_FLOAT_EQ(v, 255.0f);
  const ImagePlanes half = decode_image_planes(read_image_file(dir / "half.png"), "h", 3);
  for (float v : half.values) EXPECT_NEAR(v, 127.0f, 0.5f);
  const ImagePlanes grey = decode_image_planes(read_image_file(dir / "grey.png"), "g", 3);
  ASSERT_EQ(grey.values.size(), 12u);
  for (float v : grey.values) EXPECT_FLOAT_EQ(v, 90.0f);
}

TEST(ImageFolder, ValSplitHoldsOutTheSameShareOfEveryClassReproducibly) {
  ScratchDir dir;
  make_colour_folder(dir.path(), 8, /*with_test=*/false);
  EXPECT_HAS(error_of([&] {
               load_image_folder(dir.path(), options({3, 2, 2}));
             }),
             "no test/ folder; hold out part of train/ with --val-split");
  ImageFolderOptions o = options({3, 2, 2});
  o.val_split = 0.25;
  o.seed = 5;
  const ImageFolder a = load_image_folder(dir.path(), o);
  ASSERT_EQ(a.train.size(), 12);
  ASSERT_EQ(a.test.size(), 4);
  EXPECT_EQ(std::count(a.test.labels.begin(), a.test.labels.end(), 0), 2);
  const ImageFolder b = load_image_folder(dir.path(), o);
  EXPECT_EQ(a.train.labels, b.train.labels);
  for (int64_t i = 0; i < a.train.size(); ++i) EXPECT_EQ(sample(a.train, i), sample(b.train, i));
  // Held-out images differ in size here (and so in nothing after resizing to 2 x 2): check
  // which files were held out through a folder whose images all differ.
  ScratchDir shades;
  for (int i = 0; i < 8; ++i) {
    write_png(shades.path() / "train" / "k" / (std::to_string(i) + ".png"), 1, 1,
              {static_cast<uint8_t>(10 * i)});
  }
  ImageFolderOptions g = options({1, 1, 1});
  g.val_split = 0.5;
  const auto held_out = [&](uint64_t seed) {
    g.seed = seed;
    const ImageFolder f = load_image_folder(shades.path(), g);
    std::set<uint8_t> values, train_values;
    for (int64_t i = 0; i < f.test.size(); ++i) values.insert(sample(f.test, i)[0]);
    for (int64_t i = 0; i < f.train.size(); ++i) train_values.insert(sample(f.train, i)[0]);
    EXPECT_EQ(values.size() + train_values.size(), 8u) << "every image once, in one of the two";
    return values;
  };
  EXPECT_EQ(held_out(1), held_out(1));
  EXPECT_NE(held_out(1), held_out(2));
  ImageFolderOptions with_test = options({3, 2, 2});
  with_test.val_split = 0.1;
  ScratchDir both;
  make_colour_folder(both.path(), 1);
  EXPECT_HAS(error_of([&] { load_image_folder(both.path(), with_test); }),
             "has a test/ folder; --val-split is for folders without one");
}

TEST(ImageFolder, BadFoldersAndFilesAreRefusedNamingThem) {
  ScratchDir dir;
  EXPECT_FALSE(is_image_folder(dir.path()));
  EXPECT_HAS(error_of([&] {
               load_image_folder(dir.path(), options({3, 8, 8}));
             }),
             "not an image folder (expected train/<class>/<images>");
  make_colour_folder(dir.path(), 1);
  EXPECT_HAS(error_of([&] { load_image_folder(dir.path(), options({784})); }),
             "an image folder needs a model input of (channels, height, width)");
  fs::create_directories(dir.path() / "train" / "empty");
  EXPECT_HAS(error_of([&] {
               load_image_folder(dir.path(), options({3, 8, 8}));
             }),
             "train/empty: no image files");
  fs::remove(dir.path() / "train" / "empty");
  write_png(dir.path() / "test" / "green" / "g.png", 2, 2, {0, 255, 0});
  EXPECT_HAS(error_of([&] {
               load_image_folder(dir.path(), options({3, 8, 8}));
             }),
             "test/green: a class that train/ does not have");
  fs::remove_all(dir.path() / "test" / "green");
  nnzero_test::spit(dir.path() / "train" / "red" / "broken.png",
                    "\x89PNG\r\n\x1a\n and then nothing");
  EXPECT_HAS(error_of([&] {
               load_image_folder(dir.path(), options({3, 8, 8}));
             }),
             "train/red/broken.png: truncated or corrupt PNG");
}

// MNIST for real: 3,000 training and 1,000 test digits written as PNG files into class
// folders named zero..nine, trained through the command line like any folder of photos.
TEST(ImageFolder, MnistAsAFolderOfPngsTrainsAConvnetAndPredictNamesTheClasses) {
  NNZERO_MNIST_DIR_OR_SKIP(data);
  const Mnist mnist = load_mnist(data);
  const std::vector<std::string> names = {"zero", "one", "two",   "three", "four",
                                          "five", "six", "seven", "eight", "nine"};
  ScratchDir dir;
  const auto write_split = [&](const Dataset& d, const char* split, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      const std::vector<uint8_t> px = d.pixels.unpack(i);
      const fs::path p = dir.path() / "digits" / split /
                         names[static_cast<size_t>(d.labels[static_cast<size_t>(i)])] /
                         (std::to_string(i) + ".png");
      fs::create_directories(p.parent_path());
      ASSERT_TRUE(stbi_write_png(p.c_str(), 28, 28, 1, px.data(), 28));
    }
  };
  write_split(mnist.train, "train", 3000);
  write_split(mnist.test, "test", 1000);
  nnzero_test::spit(dir / "spec.json", R"({"name": "folder_convnet", "input": [1, 28, 28],
    "layers": [{"type": "conv2d", "out_channels": 16, "kernel": 5}, {"type": "relu"},
               {"type": "maxpool2d", "kernel": 2, "stride": 2}, {"type": "flatten"},
               {"type": "linear", "out_features": 64}, {"type": "relu"},
               {"type": "linear", "out_features": 10}],
    "train": {"optimizer": "adam", "lr": 0.001, "batch": 50}})");
  const auto r = run_cli("train --spec spec.json --data digits --epochs 2 --out run --quiet", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // MNIST's pixels: mean about 0.13, standard deviation about 0.31 (torchvision's figures).
  const nlohmann::json preprocess = nlohmann::json::parse(
      SafetensorsFile::read(dir / "run/model.safetensors").metadata().at("nnzero.preprocess"));
  EXPECT_NEAR(preprocess["mean"][0].get<double>(), 0.1307, 0.01);
  EXPECT_NEAR(preprocess["std"][0].get<double>(), 0.3081, 0.01);
  const nlohmann::json j = r.json();
  EXPECT_GT(j["test_acc"].get<double>(), 0.85) << r.out;
  // eval reads test/ alone, prepared the same way: the same accuracy.
  const auto e = run_cli("eval run/model.safetensors --data digits", dir);
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_EQ(e.json()["samples"], 1000);
  EXPECT_DOUBLE_EQ(e.json()["accuracy"].get<double>(), j["test_acc"].get<double>());
  fs::rename(dir.path() / "digits" / "test" / "zero", dir.path() / "digits" / "test" / "nought");
  fs::rename(dir.path() / "digits" / "train" / "zero", dir.path() / "digits" / "train" / "nought");
  const auto other = run_cli("eval run/model.safetensors --data digits", dir);
  EXPECT_EQ(other.exit_code, 2);
  EXPECT_HAS(other.err, "are not the folder's [\"eight\",\"five\",\"four\",\"nine\",\"nought\"");

  // 20 more test digits (not among the 1,000 of test/), saved as colour JPEGs: converted
  // to grey as the training images were. Classes are numbered by name: eight 0 ... zero 9.
  std::vector<std::string> sorted = names;
  std::sort(sorted.begin(), sorted.end());
  std::string files;
  for (int64_t k = 2000; k < 2020; ++k) {
    const std::vector<uint8_t> px = mnist.test.pixels.unpack(k);
    std::vector<uint8_t> rgb;
    for (uint8_t v : px) rgb.insert(rgb.end(), {v, v, v});
    const std::string file = std::to_string(k) + ".jpg";
    ASSERT_TRUE(stbi_write_jpg((dir / file).c_str(), 28, 28, 3, rgb.data(), 95));
    files += " " + file;
  }
  const auto p = run_cli("predict run/model.safetensors" + files, dir);
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_EQ(p.json()["preprocess"], "image_folder");
  int right = 0;
  for (int64_t k = 2000; k < 2020; ++k) {
    const nlohmann::json pred = p.json()["predictions"][static_cast<size_t>(k - 2000)];
    const std::string name = pred["class_name"];
    EXPECT_EQ(sorted[pred["class"].get<size_t>()], name);
    EXPECT_HAS(p.err, std::to_string(k) + ".jpg: " + name + " (");
    right += name == names[static_cast<size_t>(mnist.test.labels[static_cast<size_t>(k)])];
  }
  EXPECT_GE(right, 17) << p.err;
  const auto raw = run_cli("predict run/model.safetensors digit.jpg --raw", dir);
  EXPECT_EQ(raw.exit_code, 2);
  EXPECT_HAS(raw.err, "--raw applies to digit models");
}

// An image folder's classes are the model's outputs. A built-in model's last layer is sized to
// them (simple_convnet, 10 outputs by default, gets 2 for red and blue), so that predict and
// eval name them; a spec must have them itself. eval --figures draws the mistakes of a colour
// model in colour, captions naming the classes.
TEST(ImageFolder, ABuiltinModelGetsAnOutputAClassAndASpecMustHaveThem) {
  ScratchDir dir;
  make_colour_folder(dir.path() / "colours", 6);
  const auto builtin =
      run_cli("train --model simple_convnet --data colours --epochs 1 --batch 4 --out run", dir);
  ASSERT_EQ(builtin.exit_code, 0) << builtin.err;
  EXPECT_HAS(builtin.err,
             "simple_convnet: its last layer gets 2 outputs, one a class of the "
             "image folder (10 by default)");
  write_png(dir.path() / "red.png", 6, 6, {250, 0, 0});
  const auto p = run_cli("predict run/model.safetensors red.png", dir);
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_EQ(p.json()["predictions"][0]["probabilities"].size(), 2u) << p.out;

  nnzero_test::spit(dir / "spec.json", R"({"name": "tiny_colour", "input": [3, 8, 8],
    "layers": [{"type": "conv2d", "out_channels": 4, "kernel": 3, "padding": 1},
               {"type": "relu"}, {"type": "flatten"}, {"type": "linear", "out_features": 10}]})");
  const auto ten = run_cli("train --spec spec.json --data colours --epochs 1 --out ten", dir);
  EXPECT_EQ(ten.exit_code, 2);
  EXPECT_HAS(ten.err, "the image folder has 2 classes but the model has 10 outputs");
  EXPECT_FALSE(fs::exists(dir.path() / "ten" / "model.safetensors"));

  std::string two = nnzero_test::slurp(dir / "spec.json");
  two.replace(two.find("\"out_features\": 10"), 18, "\"out_features\": 2");
  nnzero_test::spit(dir / "spec.json", two);
  const auto colour =
      run_cli("train --spec spec.json --data colours --epochs 1 --batch 4 --out two --quiet", dir);
  ASSERT_EQ(colour.exit_code, 0) << colour.err;
  const auto e = run_cli("eval two/model.safetensors --data colours --figures figs", dir);
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_EQ(e.json()["figures"].size(), 4u);
  const auto [w, h] = nnzero_test::png_size(dir / "figs/confusion.png");
  EXPECT_EQ(w, 720);
  EXPECT_EQ(h, 680);
}
