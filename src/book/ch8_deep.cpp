// Chapter 8's DeepConvNet (six 3x3 convolutions, three poolings, dropout; Adam 0.001):
//   misclassified   the first 20 test digits it gets wrong, true -> predicted
//                   (misclassified_mnist.py, Figure 8-3)
//   half-precision  its test accuracy with float32, with the weights stored in float16, and
//                   with the weights and every layer's output in float16
//                   (half_float_network.py, section 8.3.4: the accuracy does not change)
#include <cmath>
#include <numeric>

#include "chapters.h"
#include "nnzero/book/half_float.h"
#include "nnzero/io/csv_writer.h"
#include "nnzero/plot/eval_figures.h"
#include "nnzero/plot/page.h"
#include "nnzero/train/evaluate.h"
#include "support.h"

namespace nnzero::book {

FigureOutput misclassified(const FigureOptions& o) {
  const Mnist mnist = load_mnist_for_figure(o, o.train_samples, o.test_samples);
  const std::unique_ptr<Sequential> model = trained_model(o, "deep_convnet", mnist, 20);
  const plot::Predictions p = plot::predict_all(*model, mnist.test, 100);
  const int64_t wrong = static_cast<int64_t>(p.labels.size()) - p.correct();
  FigureOutput out;
  out.files = {out_path(o, "misclassified.png"), out_path(o, "misclassified.csv")};
  const int height = plot::draw_misclassified(
      out.files[0], mnist.test, p, 20, 10,
      model->spec().name + ": misclassified test digits, true → predicted (" +
          std::to_string(wrong) + " of " + std::to_string(p.labels.size()) + "; Figure 8-3)");
  plot::write_misclassified_csv(out.files[1], p);
  out.summary = {
      {"test_samples", p.labels.size()},
      {"misclassified", wrong},
      {"accuracy", static_cast<double>(p.correct()) / static_cast<double>(p.labels.size())},
      {"height", height}};
  return out;
}

namespace {
// Test accuracy with the layers applied one by one, each output (and the input) rounded to
// float16 when `half_activations`.
double accuracy(Sequential& model, const Dataset& test, bool half_activations) {
  int64_t correct = 0;
  Tensor x, rounded;
  std::vector<int32_t> idx, labels, predicted;
  for (int64_t begin = 0; begin < test.size(); begin += 100) {
    const int64_t n = std::min<int64_t>(100, test.size() - begin);
    idx.resize(static_cast<size_t>(n));
    std::iota(idx.begin(), idx.end(), static_cast<int32_t>(begin));
    gather_images(test, idx, model.input_shape(), x);
    gather_labels(test, idx, labels);
    if (half_activations) round_to_half(x.span());
    const Tensor* h = &x;
    for (size_t i = 0; i < model.size(); ++i) {
      h = &model.layer(i).forward(*h, false);
      if (half_activations) {
        rounded = h->clone();
        round_to_half(rounded.span());
        h = &rounded;
      }
    }
    argmax_rows(*h, predicted);
    for (int64_t i = 0; i < n; ++i)
      correct += predicted[static_cast<size_t>(i)] == labels[static_cast<size_t>(i)];
  }
  return static_cast<double>(correct) / static_cast<double>(test.size());
}
}  // namespace

FigureOutput half_precision(const FigureOptions& o) {
  const Mnist mnist = load_mnist_for_figure(o, o.train_samples, o.test_samples);
  const std::unique_ptr<Sequential> model = trained_model(o, "deep_convnet", mnist, 20);
  const double acc32 = accuracy(*model, mnist.test, false);
  for (const NamedTensor& t : model->state()) round_to_half(t.tensor->span());
  const double acc16_weights = accuracy(*model, mnist.test, false);
  const double acc16_all = accuracy(*model, mnist.test, true);

  const std::vector<std::string> names = {"float32", "float16 weights",
                                          "float16 weights and activations"};
  const std::vector<double> acc = {acc32, acc16_weights, acc16_all};
  double lo = 1.0;
  for (double a : acc) lo = std::min(lo, a);
  const double ymin = std::max(0.0, std::floor((lo - 0.02) * 50.0) / 50.0);
  plot::Page page(800, 520);
  page.title(model->spec().name + " on " + std::to_string(mnist.test.size()) +
             " test images: float32 against float16 (section 8.3.4)");
  page.axes({0.12, 0.96, 0.1, 0.86}, plot::Axes{.ylabel = "test accuracy",
                                                .xmin = 0,
                                                .xmax = 3,
                                                .ymin = ymin,
                                                .ymax = 1,
                                                .x_numbers = false});
  CsvWriter csv({"precision", "accuracy"});
  for (size_t i = 0; i < acc.size(); ++i) {
    const double x0 = static_cast<double>(i) + 0.2, x1 = static_cast<double>(i) + 0.8;
    page.rectangle(x0, ymin, x1, acc[i], plot::series_color(i));
    char label[32];
    std::snprintf(label, sizeof label, "%.2f %%", 100.0 * acc[i]);
    page.text((x0 + x1) / 2, acc[i] + (1 - ymin) * 0.035, label);
    page.edge_text("b", 1.5, (static_cast<double>(i) + 0.5) / 3.0, names[i]);
    csv.add({names[i], CsvWriter::number(acc[i])});
  }
  FigureOutput out;
  out.files = {out_path(o, "half-precision.png"), out_path(o, "half-precision.csv")};
  page.save(out.files[0]);
  csv.save(out.files[1]);
  out.summary = {{"float32", acc32},
                 {"float16_weights", acc16_weights},
                 {"float16_weights_and_activations", acc16_all}};
  return out;
}

}  // namespace nnzero::book
