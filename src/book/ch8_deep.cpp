// Chapter 8's DeepConvNet (six 3x3 convolutions, three poolings, dropout; Adam 0.001):
//   misclassified   the first 20 test digits it gets wrong, true -> predicted
//                   (misclassified_mnist.py, Figure 8-3)
//   half-precision  its test accuracy with float32, with the weights stored in float16, and
//                   with the weights and every layer's output in float16; the same in bfloat16
//                   (half_float_network.py, section 8.3.4: the accuracy does not change)
#include <cmath>
#include <numeric>

#include "chapters.h"
#include "nnzero/io/csv_writer.h"
#include "nnzero/model/precision.h"
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
// Test accuracy with the trained `weights` stored in `p`, and every layer's output (and the
// input) too when `activations` (model/precision.h).
double accuracy_in(Sequential& model, const std::vector<Tensor>& weights, const Dataset& test,
                   Precision p, bool activations) {
  const std::vector<NamedTensor> state = model.state();
  for (size_t i = 0; i < state.size(); ++i) state[i].tensor->copy_from(weights[i]);
  round_state(model, p);
  model.set_activation_precision(activations ? p : Precision::fp32);
  return evaluate(model, test, 100).accuracy;
}
}  // namespace

FigureOutput half_precision(const FigureOptions& o) {
  const Mnist mnist = load_mnist_for_figure(o, o.train_samples, o.test_samples);
  const std::unique_ptr<Sequential> model = trained_model(o, "deep_convnet", mnist, 20);
  std::vector<Tensor> weights;
  for (const NamedTensor& t : model->state()) weights.push_back(t.tensor->clone());
  struct Bar {
    std::string name, key;
    Precision precision;
    bool activations;
  };
  const std::vector<Bar> bars = {
      {"float32", "float32", Precision::fp32, false},
      {"fp16 weights", "float16_weights", Precision::fp16, false},
      {"fp16 weights+outputs", "float16_weights_and_activations", Precision::fp16, true},
      {"bf16 weights", "bfloat16_weights", Precision::bf16, false},
      {"bf16 weights+outputs", "bfloat16_weights_and_activations", Precision::bf16, true}};
  std::vector<double> acc;
  for (const Bar& b : bars)
    acc.push_back(accuracy_in(*model, weights, mnist.test, b.precision, b.activations));

  double lo = 1.0;
  for (double a : acc) lo = std::min(lo, a);
  const double ymin = std::max(0.0, std::floor((lo - 0.02) * 50.0) / 50.0);
  const auto n = static_cast<double>(bars.size());
  plot::Page page(1100, 520);
  page.title(model->spec().name + " on " + std::to_string(mnist.test.size()) +
             " test images: float32 against 16-bit floats (section 8.3.4)");
  page.axes({0.1, 0.97, 0.1, 0.86}, plot::Axes{.ylabel = "test accuracy",
                                               .xmin = 0,
                                               .xmax = n,
                                               .ymin = ymin,
                                               .ymax = 1,
                                               .x_numbers = false});
  CsvWriter csv({"precision", "accuracy"});
  FigureOutput out;
  for (size_t i = 0; i < bars.size(); ++i) {
    const double x0 = static_cast<double>(i) + 0.2, x1 = static_cast<double>(i) + 0.8;
    page.rectangle(x0, ymin, x1, acc[i], plot::series_color(i));
    char label[32];
    std::snprintf(label, sizeof label, "%.2f %%", 100.0 * acc[i]);
    page.text((x0 + x1) / 2, acc[i] + (1 - ymin) * 0.035, label);
    page.edge_text("b", 1.5, (static_cast<double>(i) + 0.5) / n, bars[i].name);
    csv.add({bars[i].name, CsvWriter::number(acc[i])});
    out.summary[bars[i].key] = acc[i];
  }
  out.files = {out_path(o, "half-precision.png"), out_path(o, "half-precision.csv")};
  page.save(out.files[0]);
  csv.save(out.files[1]);
  return out;
}

}  // namespace nnzero::book
