#include "served_model.h"

#include <cmath>
#include <filesystem>

#include "nnzero/error.h"
#include "nnzero/io/digit_preprocess.h"
#include "nnzero/io/image.h"
#include "nnzero/io/image_sample.h"
#include "nnzero/model/model_file.h"
#include "request_error.h"

namespace nnzero::serve {

namespace {
// "nnzero.classes" from the file (a JSON list of names), else the output indices "0", "1"...
std::vector<std::string> names_or_numbers(const LoadedModel& loaded, const std::string& path) {
  std::vector<std::string> names = class_names(loaded, path);
  if (!names.empty()) return names;
  for (int64_t k = 0; k < loaded.model->output_shape().numel(); ++k) {
    names.push_back(std::to_string(k));
  }
  return names;
}

nlohmann::json make_card(const LoadedModel& loaded, const std::string& name,
                         const std::string& path, const std::vector<std::string>& classes) {
  Model& model = *loaded.model;
  nlohmann::json layers = nlohmann::json::array();
  for (const NamedLayer& l : model.named_layers()) {
    int64_t params = 0;
    for (Param* p : l.layer->params()) params += p->value.numel();
    layers.push_back(
        {{"name", l.name},
         {"type", l.layer->type()},
         {"output", std::vector<int64_t>(l.layer->out_shape().begin(), l.layer->out_shape().end())},
         {"params", params}});
  }
  nlohmann::json card = {
      {"name", name},
      {"file", std::filesystem::path(path).filename().string()},
      {"model", model.spec().name},
      {"input", std::vector<int64_t>(model.input_shape().begin(), model.input_shape().end())},
      {"classes", classes},
      // How an uploaded image becomes the input: resized as an image folder's were, or
      // MNIST's digit preparation (the page says which).
      {"preprocess", loaded.metadata.contains("nnzero.preprocess") ? "image_folder" : "mnist"},
      {"layers", layers},
      {"params", model.num_params()}};
  // Written by `nnzero train` (the last epoch's accuracies); absent from older files.
  if (const auto it = loaded.metadata.find("nnzero.metrics"); it != loaded.metadata.end()) {
    const nlohmann::json metrics = nlohmann::json::parse(it->second, nullptr, false);
    if (metrics.is_object()) card["metrics"] = metrics;
  }
  return card;
}
}  // namespace

std::string served_name(const std::string& path) {
  const std::filesystem::path p(path);
  if (p.filename() == "model.safetensors" && p.has_parent_path()) {
    return p.parent_path().filename().string();
  }
  return p.stem().string();
}

ServedModel::ServedModel(const std::string& path, const ServeLimits& limits)
    : name_(served_name(path)), limits_(limits) {
  LoadedModel loaded = load_model(path);
  use_precision(loaded, limits.precision, path);
  classes_ = names_or_numbers(loaded, path);
  card_ = make_card(loaded, name_, path, classes_);
  classifier_ = std::make_unique<Classifier>(std::move(loaded), path);
  sample_size_ = classifier_->model().input_shape().numel();
  queue_ = std::make_unique<BatchQueue>(
      sample_size_, limits_.max_batch, limits_.max_waiting, limits_.threads,
      [this](std::span<const float> inputs) { return classifier_->classify_batch(inputs); });
}

Answer ServedModel::classify(std::vector<float> input) {
  Answer a;
  a.input = input;
  a.classification = queue_->classify(std::move(input));
  return a;
}

Answer ServedModel::predict_image(std::span<const uint8_t> bytes, bool raw) {
  ImageInfo info;
  GrayImage image;
  try {
    info = read_image_info(bytes, "the image");
  } catch (const Error& e) {
    throw RequestError(400, e.what());
  }
  if (info.width * info.height > limits_.max_image_pixels) {
    throw RequestError(413, "the image is " + std::to_string(info.width) + " x " +
                                std::to_string(info.height) +
                                " pixels; this server takes at most " +
                                std::to_string(limits_.max_image_pixels) + " pixels");
  }
  try {
    if (classifier_->takes_images()) {  // resized to the input, as the training images were
      const std::vector<uint8_t> sample =
          image_sample(bytes, "the image", classifier_->model().input_shape());
      std::vector<float> input(sample.size());
      std::transform(sample.begin(), sample.end(), input.begin(),
                     [](uint8_t v) { return static_cast<float>(v) * (1.0f / 255.0f); });
      return classify(std::move(input));
    }
    image = decode_image(bytes, "the image");
    return classify(raw ? raw_digit(image) : mnist_digit(image));
  } catch (const Error& e) {
    throw RequestError(400, e.what());
  }
}

Answer ServedModel::predict_pixels(const std::string& json_body) {
  const nlohmann::json j = nlohmann::json::parse(json_body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("pixels") || !j["pixels"].is_array()) {
    throw RequestError(400, "the JSON body must be an object {\"pixels\": [...]}");
  }
  const nlohmann::json& pixels = j["pixels"];
  if (static_cast<int64_t>(pixels.size()) != sample_size_) {
    throw RequestError(400, "\"pixels\" must hold " + classifier_->model().input_shape().str() +
                                " = " + std::to_string(sample_size_) + " values, got " +
                                std::to_string(pixels.size()));
  }
  std::vector<float> input;
  input.reserve(pixels.size());
  for (const nlohmann::json& v : pixels) {
    const double x = v.is_number() ? v.get<double>() : std::nan("");
    if (!(x >= 0.0 && x <= 1.0)) {
      throw RequestError(400, "\"pixels\" values must be numbers in [0, 1], got " + v.dump());
    }
    input.push_back(static_cast<float>(x));
  }
  return classify(std::move(input));
}

}  // namespace nnzero::serve
