// Classifies a photo or scan of a handwritten digit with a trained model file:
//   build/examples/classify_digit runs/my-run/model.safetensors digit.png
#include <cstdio>
#include <exception>
#include <vector>

#include "nnzero/model/classifier.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s MODEL IMAGE\n", argv[0]);
    return 2;
  }
  try {
    nnzero::Classifier classifier(argv[1]);  // loads the model once
    // Any size and colour (PNG, JPEG, BMP, PGM...) -> grey levels -> 28 x 28 floats in
    // [0, 1], white digit on black as in MNIST. A buffer you already hold in that form
    // (784 floats, or 784 bytes 0..255) goes to classify() directly.
    const std::vector<float> pixels = nnzero::mnist_digit(nnzero::load_image(argv[2]));
    const nnzero::Classification c = classifier.classify(pixels);
    std::printf("%d %.4f\n", c.label, c.probabilities[static_cast<size_t>(c.label)]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
}
