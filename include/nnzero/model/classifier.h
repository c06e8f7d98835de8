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
// (io/digit_preprocess.h, io/image.h) or call classify_image or classify_file.
//
// A model trained on an image folder (its file has "nnzero.preprocess" metadata) takes any
// input (channels, height, width) with 1 or 3 channels: classify_file prepares a photo as
// the training images were (io/image_sample.h), every call normalises the input's channels
// as training did (io/channel_norm.h), and classes() are the folders' names.
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
  // (784), or was trained on an image folder, naming the shapes.
  explicit Classifier(const std::string& model_path);
  // Takes a model already loaded from `where` (its path, for error messages).
  Classifier(LoadedModel loaded, const std::string& where);

  // One sample: for a digit model 28 * 28 values, row-major, white on black (as MNIST); else
  // the input's channels x height x width. Floats in [0, 1] or bytes 0..255.
  Classification classify(std::span<const float> pixels);
  Classification classify(std::span<const uint8_t> pixels);
  // Many samples at once: N * 784 (or N * the input's size) floats in [0, 1].
  std::vector<Classification> classify_batch(std::span<const float> pixels);
  // Any grey image: the MNIST preprocessing (mnist_digit) first, or with raw = true only a
  // resize to 28x28 (raw_digit).
  Classification classify_image(const GrayImage& image, bool raw = false);
  // An image file: classify_image of it for a digit model, else image_sample (raw unused).
  Classification classify_file(const std::string& path, bool raw = false);

  // True for a model trained on an image folder.
  bool takes_images() const { return images_; }
  // The class names ("nnzero.classes"), or empty when the file has none.
  const std::vector<std::string>& classes() const { return classes_; }
  Model& model() { return *loaded_.model; }
  const std::map<std::string, std::string>& metadata() const { return loaded_.metadata; }

 private:
  LoadedModel loaded_;
  std::string where_;
  std::string sample_text();

  bool ends_in_softmax_ = false;
  bool images_ = false;
  int64_t sample_size_ = 0;
  std::vector<std::string> classes_;
  ChannelNorm norm_;  // the training images' per-channel normalisation (image folders)
  Tensor x_;
};

}  // namespace nnzero
