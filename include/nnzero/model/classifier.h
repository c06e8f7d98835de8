// Classifier: a trained model file that classifies 28x28 digits, the C++ side of
// `nnzero predict`. Loads the file once; each call runs one forward pass in evaluation mode
// (dropout off, BatchNorm with its running statistics).
//
//   nnzero::Classifier classifier("model.safetensors");
//   std::vector<uint8_t> pixels(28 * 28);            // MNIST's encoding: 0 black .. 255 white
//   nnzero::Classification c = classifier.classify(pixels);
//   // c.label, c.probabilities[k], c.scores[k]
//
// For a photo or scan, make the 28x28 pixels with mnist_digit(load_image(path))
// (io/digit_preprocess.h, io/image.h) or call classify_image.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "nnzero/io/digit_preprocess.h"  // mnist_digit, raw_digit
#include "nnzero/io/image.h"             // load_image
#include "nnzero/model/model_file.h"

namespace nnzero {

struct Classification {
  int32_t label = -1;                // the class with the largest score
  std::vector<float> scores;         // the model's outputs (logits)
  std::vector<float> probabilities;  // softmax of the scores (the outputs themselves when
                                     // the model ends in a softmax layer)
};

class Classifier {
 public:
  // Loads a model file; throws unless the model takes one 28x28 image, input (1, 28, 28) or
  // (784), naming the shapes.
  explicit Classifier(const std::string& model_path);
  // Takes a model already loaded from `where` (its path, for error messages).
  Classifier(LoadedModel loaded, const std::string& where);

  // One digit: 28 * 28 values, row-major, white on black (as MNIST), floats in [0, 1] or
  // bytes 0..255.
  Classification classify(std::span<const float> pixels);
  Classification classify(std::span<const uint8_t> pixels);
  // Many digits at once: pixels holds N * 784 floats in [0, 1].
  std::vector<Classification> classify_batch(std::span<const float> pixels);
  // Any grey image: the MNIST preprocessing (mnist_digit) first, or with raw = true only a
  // resize to 28x28 (raw_digit).
  Classification classify_image(const GrayImage& image, bool raw = false);

  Model& model() { return *loaded_.model; }
  const std::map<std::string, std::string>& metadata() const { return loaded_.metadata; }

 private:
  LoadedModel loaded_;
  std::string where_;
  bool ends_in_softmax_ = false;
  Tensor x_;
};

}  // namespace nnzero
