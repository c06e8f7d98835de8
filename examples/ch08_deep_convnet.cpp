// Chapter 8: a trained DeepConvNet and the digits it gets wrong (the book's
// misclassified_mnist.py, Figure 8-3), drawn in the terminal.
//
//   build/nnzero train --model deep_convnet --out runs/deep      (about 5 minutes)
//   build/examples/ch08_deep_convnet runs/deep/model.safetensors [MNIST_DIR] [TEST_IMAGES]
//
// MNIST_DIR defaults to $NNZERO_DATA/mnist, then ./data/mnist; TEST_IMAGES to all 10,000.
// nnzero book misclassified --model FILE draws the same as a picture.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "nnzero/data/mnist.h"
#include "nnzero/functions/activation.h"
#include "nnzero/model/model_file.h"
#include "nnzero/train/evaluate.h"

namespace {
struct Mistake {
  int32_t index, label, predicted;
  float probability;
};

// A 28x28 digit in characters: the darker the pixel, the denser the character.
void draw_digit(const nnzero::Dataset& test, int32_t index) {
  nnzero::Tensor x;
  const int32_t one[1] = {index};
  nnzero::gather_images(test, one, nnzero::Shape{28, 28}, x);
  const char* shades = " .:-=+*#%@";
  for (int r = 0; r < 28; r += 2) {  // two pixel rows per line: characters are tall
    std::printf("    ");
    for (int c = 0; c < 28; ++c) {
      const float v = (x[r * 28 + c] + x[(r + 1) * 28 + c]) / 2;
      std::putchar(shades[static_cast<int>(v * 9.99f)]);
    }
    std::printf("\n");
  }
}

int run(const std::string& model_path, const std::string& dir, int64_t count) {
  nnzero::LoadedModel loaded = nnzero::load_model(model_path);
  nnzero::Model& model = *loaded.model;
  const nnzero::Mnist mnist = nnzero::load_mnist(dir);
  const int64_t n = count > 0 && count < mnist.test.size() ? count : mnist.test.size();
  const int64_t k = model.output_shape()[0];

  std::vector<Mistake> mistakes;
  std::vector<int32_t> idx, labels, predicted;
  std::vector<float> prob(static_cast<size_t>(k));
  nnzero::Tensor x;
  for (int64_t begin = 0; begin < n; begin += 100) {
    idx.clear();
    for (int64_t i = begin; i < std::min<int64_t>(n, begin + 100); ++i) {
      idx.push_back(static_cast<int32_t>(i));
    }
    nnzero::gather_images(mnist.test, idx, model.input_shape(), x);
    nnzero::gather_labels(mnist.test, idx, labels);
    const nnzero::Tensor& scores = model.forward(x, false);
    nnzero::argmax_rows(scores, predicted);
    for (size_t i = 0; i < idx.size(); ++i) {
      if (predicted[i] == labels[i]) continue;
      nnzero::softmax_row(scores.data() + static_cast<int64_t>(i) * k, prob.data(), k);
      mistakes.push_back(
          {idx[i], labels[i], predicted[i], prob[static_cast<size_t>(predicted[i])]});
    }
  }
  std::printf("%s (%s) on %lld test images: accuracy %.4f, %zu mistakes\n",
              model.spec().name.c_str(), model_path.c_str(), static_cast<long long>(n),
              1.0 - static_cast<double>(mistakes.size()) / static_cast<double>(n), mistakes.size());
  for (size_t m = 0; m < mistakes.size() && m < 5; ++m) {
    const Mistake& e = mistakes[m];
    std::printf("\ntest image %d: true %d, predicted %d (probability %.2f)\n", e.index, e.label,
                e.predicted, e.probability);
    draw_digit(mnist.test, e.index);
  }
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL [MNIST_DIR] [TEST_IMAGES]\n", argv[0]);
    return 2;
  }
  try {
    return run(argv[1], argc > 2 ? argv[2] : nnzero::default_mnist_dir(),
               argc > 3 ? std::atoll(argv[3]) : 0);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
}
