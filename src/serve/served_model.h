// One model behind `nnzero serve`: its name (the file name without .safetensors), its class
// names, its card for the page, and the way a request becomes the network's input:
//
//   an image file (PNG, JPEG, BMP, GIF, PGM ...): the size is read from the header and
//     checked before anything is decoded; then the MNIST preprocessing of `nnzero predict`
//     (io/digit_preprocess.h: light background inverted, the ink's box scaled to 20 pixels
//     and centred by its mass in 28 x 28), or with preprocess=raw a plain resize;
//   JSON {"pixels": [...]}: the model's input as it is, 784 values in [0, 1], white on black.
//
// Every request of every connection goes through one BatchQueue (batch_queue.h).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "batch_queue.h"
#include "nnzero/model/classifier.h"
#include "nnzero/model/precision.h"

namespace nnzero::serve {

struct ServeLimits {
  int64_t max_body_bytes = int64_t{8} << 20;        // 413 beyond
  int64_t max_image_pixels = int64_t{4096} * 4096;  // 413 beyond, from the header
  int64_t max_batch = 64;                           // samples a forward pass
  int64_t max_waiting = 1024;                       // requests queued per model; 503 beyond
  int threads = 1;  // threads of each forward pass (0: OpenMP's default, all cores)
  Precision precision = Precision::fp32;  // the models are evaluated in (model/precision.h)
};

// What /api/predict answers.
struct Answer {
  Classification classification;
  std::vector<float> input;  // what the network saw (784 values)
};

class ServedModel {
 public:
  // Loads the model file; throws an nnzero::Error naming the file when it cannot be served
  // (not a model of 28 x 28 images, or class names that disagree with its outputs).
  ServedModel(const std::string& path, const ServeLimits& limits);

  const std::string& name() const { return name_; }
  const std::vector<std::string>& classes() const { return classes_; }
  // {"name", "file", "input", "classes", "layers", "params", "metrics"}: what the page shows.
  const nlohmann::json& card() const { return card_; }

  // Decodes and classifies an image file's bytes. Throws RequestError: 413 for an image
  // larger than the limit, 400 for bytes that are not an image or a blank image.
  Answer predict_image(std::span<const uint8_t> bytes, bool raw);
  // Classifies {"pixels": [...]}; 400 unless it holds 784 finite numbers in [0, 1].
  Answer predict_pixels(const std::string& json_body);

  BatchQueue::Stats stats() const { return queue_->stats(); }

 private:
  Answer classify(std::vector<float> input);

  std::string name_;
  ServeLimits limits_;
  std::unique_ptr<Classifier> classifier_;
  int64_t sample_size_ = 0;  // values of one input: 784 for a digit model
  std::vector<std::string> classes_;
  nlohmann::json card_;
  std::unique_ptr<BatchQueue> queue_;
};

// The name a model is served under: its file name without the extension, or for
// runs/<name>/model.safetensors the run folder's name.
std::string served_name(const std::string& path);

}  // namespace nnzero::serve
