// Chapter 6.3's Batch Normalization experiment (batch_norm_test.py): a 784-100x5-10 ReLU
// network trained on 1,000 MNIST images with and without BatchNorm after each hidden
// Linear, from initial weights N(0, w^2) for 16 scales w from 1 down to 0.0001, SGD 0.01,
// mini-batches of 100, 20 epochs; the training accuracy after each epoch (Figure 6-19).
#include <cmath>

#include "chapters.h"
#include "nnzero/io/csv_writer.h"
#include "nnzero/model/builtin.h"
#include "nnzero/plot/page.h"
#include "support.h"

namespace nnzero::book {

namespace {
std::vector<double> train_accuracy(const Mnist& mnist, double scale, bool batchnorm, int64_t epochs,
                                   uint64_t seed) {
  MultiLayerOptions m;
  m.hidden = {100, 100, 100, 100, 100};
  m.batchnorm = batchnorm;
  char init[32];
  std::snprintf(init, sizeof init, "std:%.9g", scale);
  m.init = init;
  Rng rng(seed);
  Sequential net(builtin_spec("multi_layer_net", m), rng);
  TrainSettings s;
  s.lr = 0.01f;
  s.batch = 100;
  s.epochs = epochs;
  s.seed = seed;
  s.train_eval_samples = mnist.train.size();
  std::vector<double> acc;
  try {
    for (const EpochMetrics& e : train_recorded(net, mnist.train, nullptr, s).history) {
      acc.push_back(e.train_acc);
    }
  } catch (const Error&) {  // the loss overflowed: a scale too large for the plain network
    acc.assign(static_cast<size_t>(epochs), NAN);
  }
  return acc;
}
}  // namespace

FigureOutput batchnorm_scales(const FigureOptions& o) {
  const Mnist mnist = load_mnist_for_figure(o, or_book(o.train_samples, 1000), 1);
  const int64_t epochs = or_book(o.epochs, 20);
  plot::Page page(1000, 900);
  page.title(
      "Batch Normalization (solid) against none (dashed), 16 initial weight scales (Figure 6-19)");
  const plot::Box area{0.07, 0.98, 0.07, 0.9};
  CsvWriter csv({"scale", "epoch", "batchnorm_train_acc", "plain_train_acc"});
  int bn_better = 0;
  nlohmann::json finals = nlohmann::json::array();
  for (int k = 0; k < 16; ++k) {
    const double scale = std::pow(10.0, -4.0 * k / 15.0);  // numpy.logspace(0, -4, 16)
    const std::vector<double> bn = train_accuracy(mnist, scale, true, epochs, o.seed);
    const std::vector<double> plain = train_accuracy(mnist, scale, false, epochs, o.seed);
    char title[32];
    std::snprintf(title, sizeof title, "w = %.4g", scale);
    page.set_text_scale(0.8);
    page.axes(plot::grid_cell(area, 4, 4, k, 0.02, 0.045),
              plot::Axes{.title = title,
                         .xlabel = k >= 12 ? "epochs" : "",
                         .ylabel = k % 4 == 0 ? "accuracy" : "",
                         .xmin = 0,
                         .xmax = static_cast<double>(epochs),
                         .ymin = 0,
                         .ymax = 1,
                         .x_numbers = k >= 12,
                         .y_numbers = k % 4 == 0});
    plot::Line b{.color = plot::series_color(0), .width = 1.8, .label = "Batch Normalization"};
    plot::Line p{
        .color = plot::series_color(1), .width = 1.8, .dashed = true, .label = "without BatchNorm"};
    for (int64_t e = 0; e < epochs; ++e) {
      b.x.push_back(static_cast<double>(e + 1));
      b.y.push_back(bn[static_cast<size_t>(e)]);
      p.x.push_back(static_cast<double>(e + 1));
      p.y.push_back(plain[static_cast<size_t>(e)]);
      csv.add_numbers({scale, static_cast<double>(e + 1), b.y.back(), p.y.back()});
    }
    page.line(b);
    page.line(p);
    if (k == 15) page.legend({b, p}, plot::Corner::top_right, 0.75);
    const double plain_final = std::isnan(plain.back()) ? 0.0 : plain.back();
    bn_better += bn.back() > plain_final;
    finals.push_back({{"scale", scale}, {"batchnorm", bn.back()}, {"plain", plain.back()}});
  }
  FigureOutput out;
  out.files = {out_path(o, "batchnorm.png"), out_path(o, "batchnorm.csv")};
  page.save(out.files[0]);
  csv.save(out.files[1]);
  out.summary = {{"scales_where_batchnorm_is_better", bn_better}, {"final", finals}};
  return out;
}

}  // namespace nnzero::book
