// nnzero predict MODEL IMAGE...: classifies photos or scans of handwritten digits (PNG, JPEG,
// BMP, PGM...), each turned into an MNIST sample first (io/digit_preprocess.h) unless
// --raw. A model trained on a table (CSV) predicts the rows of CSV files instead.
#include <cstdio>

#include "common.h"
#include "nnzero/io/digit_preprocess.h"
#include "nnzero/io/image.h"
#include "nnzero/model/classifier.h"
#include "table.h"

namespace nnzero::cli {

namespace {
struct PredictArgs {
  std::string model, out, precision = "fp32";
  std::vector<std::string> images;
  bool raw = false;
  int threads = 0;
};

// "digit.png: 7 (98.2 %)   0 0.000  1 0.011 ...", or with class names
// "cat.jpg: cat (81.0 %)   airplane:0.010 automobile:0.002 ..."
void print_line(const std::string& file, const Classification& c,
                const std::vector<std::string>& names) {
  const auto name = [&names](size_t k) { return names.empty() ? std::to_string(k) : names[k]; };
  std::fprintf(stderr, "%s: %s (%.1f %%)  ", file.c_str(),
               name(static_cast<size_t>(c.label)).c_str(),
               100.0 * static_cast<double>(c.probabilities[static_cast<size_t>(c.label)]));
  for (size_t k = 0; k < c.probabilities.size(); ++k) {
    std::fprintf(stderr, " %s:%.3f", name(k).c_str(), static_cast<double>(c.probabilities[k]));
  }
  std::fprintf(stderr, "\n");
}

void run_predict(const PredictArgs& a) {
  apply_threads(a.threads);
  LoadedModel loaded = load_model(a.model);
  use_precision(loaded, parse_precision(a.precision, "--precision"), a.model);
  if (is_table_model(loaded)) {
    if (a.raw) throw Error("--raw applies to images, not to a table model");
    predict_table(loaded, a.model, a.images, a.out);
    return;
  }
  if (!a.out.empty()) throw Error("--out applies to table models (CSV output)");
  Classifier classifier(std::move(loaded), a.model);
  if (classifier.takes_images() && a.raw) {
    throw Error("--raw applies to digit models; " + a.model +
                " was trained on an image folder and prepares images as its training did");
  }
  nlohmann::json predictions = nlohmann::json::array();
  for (const std::string& file : a.images) {
    if (classifier.takes_images()) {  // resized to the model's input, as its training images
      const Classification c = classifier.classify_file(file);
      print_line(file, c, classifier.classes());
      predictions.push_back({{"file", file},
                             {"class", c.label},
                             {"class_name", classifier.classes().at(static_cast<size_t>(c.label))},
                             {"probabilities", c.probabilities},
                             {"scores", c.scores}});
      continue;
    }
    const GrayImage image = load_image(file);
    DigitInfo info;
    std::vector<float> pixels;
    try {
      pixels = a.raw ? raw_digit(image) : mnist_digit(image, &info);
    } catch (const Error& e) {
      throw Error(file + ": " + e.what());
    }
    const Classification c = classifier.classify(pixels);
    print_line(file, c, classifier.classes());
    nlohmann::json p = {{"file", file},
                        {"class", c.label},
                        {"probabilities", c.probabilities},
                        {"scores", c.scores}};
    if (!a.raw) p["inverted"] = info.inverted;
    predictions.push_back(p);
  }
  print_result({{"model", classifier.model().spec().name},
                {"file", a.model},
                {"preprocess", classifier.takes_images() ? "image_folder"
                               : a.raw                   ? "raw"
                                                         : "mnist"},
                {"predictions", predictions}});
}
}  // namespace

void add_predict_command(CLI::App& app) {
  auto args = std::make_shared<PredictArgs>();
  CLI::App* cmd = app.add_subcommand(
      "predict", "Classify images of digits (PNG, JPEG, BMP, PGM...) with a model file");
  cmd->add_option("MODEL", args->model, "Model file (model.safetensors)")->required();
  cmd->add_option("IMAGE", args->images,
                  "Image files (any size and colour, at most 64 megapixels); CSV files for a "
                  "table model")
      ->required();
  cmd->add_flag("--raw", args->raw,
                "Only resize to 28x28: no inversion, cropping or centring (for images already "
                "white on black like MNIST)");
  cmd->add_option("--out", args->out, "Output CSV for table models");
  cmd->add_option("--threads", args->threads, "Threads (default: all cores)");
  add_precision_flag(*cmd, args->precision);
  cmd->callback([args] { run_predict(*args); });
}

}  // namespace nnzero::cli
