#include "nnzero/model/classifier.h"

#include <algorithm>

#include "nnzero/functions/activation.h"
#include "nnzero/io/digit_preprocess.h"
#include "nnzero/io/image_sample.h"

namespace nnzero {

namespace {
constexpr int64_t kPixels = kMnistSide * kMnistSide;

void check_digit_model(const Model& model, const std::string& where) {
  const Shape& in = model.input_shape();
  const bool ok = in == Shape{1, kMnistSide, kMnistSide} || in == Shape{kPixels};
  if (!ok) {
    throw Error(where + ": the model takes samples of shape " + in.str() +
                "; classifying images needs a model taking (1, 28, 28) or (784)");
  }
}
}  // namespace

Classifier::Classifier(const std::string& model_path)
    : Classifier(load_model(model_path), model_path) {}

Classifier::Classifier(LoadedModel loaded, const std::string& where)
    : loaded_(std::move(loaded)), where_(where) {
  images_ = loaded_.metadata.contains("nnzero.preprocess");
  if (images_) {
    check_image_input(model().input_shape(), where_);
  } else {
    check_digit_model(*loaded_.model, where_);
  }
  sample_size_ = model().input_shape().numel();
  norm_ = input_norm(loaded_, where_);
  ends_in_softmax_ = loaded_.model->spec().layers.back().type == "softmax";
  classes_ = class_names(loaded_, where_);
}

std::vector<Classification> Classifier::classify_batch(std::span<const float> pixels) {
  if (pixels.empty() || pixels.size() % static_cast<size_t>(sample_size_) != 0) {
    throw Error(where_ + ": classify needs " + sample_text() + " values per image, got " +
                std::to_string(pixels.size()));
  }
  const auto n = static_cast<int64_t>(pixels.size()) / sample_size_;
  x_.resize(model().input_shape().with_batch(n));
  std::copy(pixels.begin(), pixels.end(), x_.data());
  if (!norm_.empty()) norm_.apply(x_.data(), n, sample_size_ / norm_.channels());
  const Tensor& y = model().forward(x_, false);  // (n, classes)
  const int64_t k = y.dim(1);
  std::vector<Classification> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    Classification& c = out[static_cast<size_t>(i)];
    const float* row = y.data() + i * k;
    c.scores.assign(row, row + k);
    c.probabilities = c.scores;
    if (!ends_in_softmax_) softmax_row(row, c.probabilities.data(), k);
    c.label = static_cast<int32_t>(std::max_element(row, row + k) - row);
  }
  return out;
}

Classification Classifier::classify(std::span<const float> pixels) {
  if (pixels.size() != static_cast<size_t>(sample_size_)) {
    throw Error(where_ + ": classify needs " + sample_text() + " values, got " +
                std::to_string(pixels.size()));
  }
  return classify_batch(pixels).front();
}

Classification Classifier::classify(std::span<const uint8_t> pixels) {
  std::vector<float> x(pixels.size());
  std::transform(pixels.begin(), pixels.end(), x.begin(), [](uint8_t p) {
    return static_cast<float>(p) * (1.0f / 255.0f);
  });  // as the datasets scale
  return classify(x);
}

// "28 x 28 = 784" for a digit model, else e.g. "(3, 32, 32) = 3072".
std::string Classifier::sample_text() {
  const std::string shape = images_ ? model().input_shape().str() : "28 x 28";
  return shape + " = " + std::to_string(sample_size_);
}

Classification Classifier::classify_image(const GrayImage& image, bool raw) {
  if (images_) throw Error(where_ + ": a model trained on an image folder classifies files");
  return classify(raw ? raw_digit(image) : mnist_digit(image));
}

Classification Classifier::classify_file(const std::string& path, bool raw) {
  if (!images_) return classify_image(load_image(path), raw);
  return classify(
      std::span<const uint8_t>(image_sample(read_image_file(path), path, model().input_shape())));
}

}  // namespace nnzero
