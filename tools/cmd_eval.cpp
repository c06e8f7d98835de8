// nnzero eval MODEL: accuracy, loss and confusion matrix of a model file on the test set;
// with --figures DIR also the confusion matrix as a heat map and the misclassified images.
#include <cstdio>

#include "common.h"
#include "nnzero/data/image_folder.h"
#include "nnzero/model/model_file.h"
#include "nnzero/model/seq2seq.h"
#include "nnzero/plot/eval_figures.h"
#include "nnzero/plot/page.h"
#include "nnzero/process_stats.h"
#include "nnzero/train/evaluate.h"
#include "seq2seq.h"
#include "text.h"

namespace nnzero::cli {

namespace {
struct EvalArgs {
  std::string model, data, figures, precision = "fp32";
  int64_t batch = 100;
  int threads = 0;
};

void print_confusion(const std::vector<int64_t>& m, int32_t k) {
  std::fprintf(stderr, "confusion matrix (rows: true class, columns: predicted)\n      ");
  for (int32_t j = 0; j < k; ++j) std::fprintf(stderr, "%6d", j);
  std::fprintf(stderr, "\n");
  for (int32_t i = 0; i < k; ++i) {
    std::fprintf(stderr, "%6d", i);
    for (int32_t j = 0; j < k; ++j) {
      std::fprintf(stderr, "%6lld", static_cast<long long>(m[static_cast<size_t>(i * k + j)]));
    }
    std::fprintf(stderr, "\n");
  }
}

// MNIST's IDX files, or the test/ images of an image folder, prepared as the model's
// training images were (its classes must be the folder's).
Mnist load_eval_data(const std::string& dir, const LoadedModel& loaded, const EvalArgs& a) {
  if (!is_image_folder(dir)) return load_mnist_for(dir);
  ImageFolderOptions o;
  o.input = loaded.model->input_shape();
  o.test_only = true;
  ImageFolder folder = load_image_folder(dir, o);
  const auto it = loaded.metadata.find("nnzero.classes");
  const std::string names = nlohmann::json(folder.classes).dump();
  if (it == loaded.metadata.end() || it->second != names) {
    throw Error(a.model + ": the model's classes (" +
                (it == loaded.metadata.end() ? std::string("none recorded") : it->second) +
                ") are not the folder's " + names);
  }
  folder.test.norm = input_norm(loaded, a.model);
  return {{}, std::move(folder.test)};
}

void run_eval(const EvalArgs& a) {
  if (a.batch < 1) throw Error("--batch must be at least 1");
  if (!a.figures.empty()) plot::check_plotting_available();  // before the work, not after it
  apply_threads(a.threads);
  LoadedModel loaded = load_model(a.model);
  const Precision precision =
      use_precision(loaded, parse_precision(a.precision, "--precision"), a.model);
  if (dynamic_cast<Seq2seq*>(loaded.model.get()) != nullptr) {  // tools/seq2seq_train.cpp
    if (!a.figures.empty()) throw Error("--figures: a seq2seq model has no classes to draw");
    return eval_seq2seq(loaded, a.model, a.data, a.batch);
  }
  if (is_language_model(loaded)) {  // tools/text_train.cpp
    if (!a.figures.empty()) throw Error("--figures: a language model has no classes to draw");
    return eval_text(loaded, a.model, a.data);
  }
  const std::vector<std::string> names = class_names(loaded, a.model);  // checked first
  Model& model = *loaded.model;
  const Mnist data = load_eval_data(resolve_data_dir(a.data), loaded, a);
  const Dataset& test = data.test;
  if (test.size() == 0) throw Error(test.name + ": no images to evaluate (the test set is empty)");
  if (test.sample_size() != model.input_shape().numel()) {
    throw Error(a.model + ": the model takes samples of shape " + model.input_shape().str() +
                " but the data's are " + test.sample_shape.str());
  }
  check_labels_fit(test, model.output_shape()[0], a.model);
  const BenchClock::time_point start = BenchClock::now();
  const EvalResult r = evaluate(model, test, a.batch, 0, true);
  const double seconds = seconds_since(start);
  const int32_t k = test.num_classes;
  print_confusion(r.confusion, k);
  nlohmann::json confusion = nlohmann::json::array();
  for (int32_t i = 0; i < k; ++i) {
    confusion.push_back(
        std::vector<int64_t>(r.confusion.begin() + i * k, r.confusion.begin() + (i + 1) * k));
  }
  nlohmann::json result = {{"model", model.spec().name},
                           {"file", a.model},
                           {"samples", r.samples},
                           {"accuracy", r.accuracy},
                           {"loss", r.loss},
                           {"confusion", confusion},
                           {"precision", precision_name(precision)},
                           {"seconds", seconds},
                           {"samples_per_s", static_cast<double>(r.samples) / seconds}};
  if (!a.figures.empty()) {  // the heat map and the mistakes: plot/eval_figures.h
    plot::Predictions p = plot::predict_all(model, test, a.batch);
    p.class_names = names;
    result["figures"] = plot::write_eval_figures(a.figures, test, p, model.spec().name).files;
  }
  print_result(result);
}
}  // namespace

void add_eval_command(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd =
      app.add_subcommand("eval", "Accuracy, loss and confusion matrix of a model on the test set");
  cmd->add_option("MODEL", args->model, "Model file (model.safetensors)")->required();
  cmd->add_option(
      "--data", args->data,
      "Folder with the MNIST-format files (default $NNZERO_DATA/mnist, then ./data/mnist), or "
      "an image folder (its test/ images), question-answer lines for a seq2seq model "
      "(the held-out tenth), or text for a language model (its validation and test parts)");
  cmd->add_option("--batch", args->batch, "Samples per forward pass (default 100)");
  cmd->add_option("--threads", args->threads, "Threads (default: all cores)");
  add_precision_flag(*cmd, args->precision);
  cmd->add_option("--figures", args->figures,
                  "Also write confusion.png and misclassified.png (with CSVs) into this folder");
  cmd->callback([args] { run_eval(*args); });
}

}  // namespace nnzero::cli
