// Chapter 6.5's random search for the learning rate and the weight decay
// (hyperparameter_optimization.py): 500 MNIST training images shuffled, 100 of them kept for
// validation; 100 trials of a 784-100x6-10 ReLU network, each with lr = 10^U(-6, -2) and
// weight decay 10^U(-8, -4), SGD, mini-batches of 100, 50 epochs; the validation (solid)
// and training (dashed) accuracy of the 20 best trials (Figure 6-24).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "chapters.h"
#include "nnzero/io/csv_writer.h"
#include "nnzero/model/builtin.h"
#include "nnzero/plot/page.h"
#include "support.h"

namespace nnzero::book {

namespace {
struct Trial {
  int64_t index;
  double lr, weight_decay;
  std::vector<double> val_acc, train_acc;
  double final_val() const { return val_acc.empty() ? 0.0 : val_acc.back(); }
};

// "8.0e-3": the book's lr and decay in a narrow panel's title (printf's "%.1e" pads the
// exponent to "e-03").
std::string short_exponent(double v) {
  int e = static_cast<int>(std::floor(std::log10(v)));
  double mantissa = v / std::pow(10.0, e);
  if (mantissa >= 9.95) mantissa /= 10.0, ++e;  // would print as "10.0"
  char text[32];
  std::snprintf(text, sizeof text, "%.1fe%d", mantissa, e);
  return text;
}

Trial run_trial(int64_t index, double lr, double wd, const Dataset& train, const Dataset& val,
                int64_t epochs, uint64_t seed) {
  MultiLayerOptions m;
  m.hidden = {100, 100, 100, 100, 100, 100};
  Rng rng(seed + 1 + static_cast<uint64_t>(index));
  Sequential net(builtin_spec("multi_layer_net", m), rng);
  TrainSettings s;
  s.lr = static_cast<float>(lr);
  s.weight_decay = static_cast<float>(wd);
  s.batch = 100;
  s.epochs = epochs;
  s.seed = seed + static_cast<uint64_t>(index);
  s.train_eval_samples = train.size();
  Trial t{index, lr, wd, {}, {}};
  try {
    for (const EpochMetrics& e : train_recorded(net, train, &val, s).history) {
      t.val_acc.push_back(e.test_acc);
      t.train_acc.push_back(e.train_acc);
    }
  } catch (const Error&) {  // diverged
    t.val_acc.assign(static_cast<size_t>(epochs), 0.0);
    t.train_acc.assign(static_cast<size_t>(epochs), 0.0);
  }
  return t;
}
}  // namespace

FigureOutput hyperparameter_search(const FigureOptions& o) {
  const Mnist mnist = load_mnist_for_figure(o, or_book(o.train_samples, 500), 1);
  const int64_t trials = or_book(o.trials, 100), epochs = or_book(o.epochs, 50);
  Rng rng(o.seed);
  const std::vector<int32_t> order = rng.permutation(static_cast<int32_t>(mnist.train.size()));
  const auto n_val = static_cast<size_t>(std::lround(0.2 * static_cast<double>(order.size())));
  if (n_val < 1 || n_val >= order.size()) throw Error("hyperparameter-search: too few samples");
  const Dataset val = subset(mnist.train, std::span(order.data(), n_val));
  const Dataset train = subset(mnist.train, std::span(order.data() + n_val, order.size() - n_val));

  std::vector<Trial> all;
  for (int64_t t = 0; t < trials; ++t) {
    const double wd = std::pow(10.0, -8.0 + 4.0 * rng.uniform_double());
    const double lr = std::pow(10.0, -6.0 + 4.0 * rng.uniform_double());
    all.push_back(run_trial(t, lr, wd, train, val, epochs, o.seed));
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const Trial& a, const Trial& b) { return a.final_val() > b.final_val(); });

  const int shown = static_cast<int>(std::min<int64_t>(20, trials));
  const int rows = (shown + 4) / 5;
  plot::Page page(1100, 190 * rows + 90);
  page.title("Random search: validation (solid) and training (dashed) accuracy of the best " +
             std::to_string(shown) + " of " + std::to_string(trials) + " trials (Figure 6-24)");
  const plot::Box area{0.06, 0.98, 45.0 / page.height(), 1.0 - 85.0 / page.height()};
  page.set_text_scale(0.7);
  for (int k = 0; k < shown; ++k) {
    const Trial& t = all[static_cast<size_t>(k)];
    const std::string title = "Best-" + std::to_string(k + 1) + ": lr " + short_exponent(t.lr) +
                              ", decay " + short_exponent(t.weight_decay);
    page.axes(plot::grid_cell(area, rows, 5, k, 0.035, 0.07),
              plot::Axes{.title = title,
                         .xmin = 0,
                         .xmax = static_cast<double>(epochs),
                         .ymin = 0,
                         .ymax = 1,
                         .x_numbers = k >= shown - 5,
                         .y_numbers = k % 5 == 0});
    plot::Line val{.color = plot::series_color(0), .width = 1.6};
    plot::Line tr{.color = plot::series_color(1), .width = 1.4, .dashed = true};
    for (size_t e = 0; e < t.val_acc.size(); ++e) {
      val.x.push_back(static_cast<double>(e + 1));
      val.y.push_back(t.val_acc[e]);
      tr.x.push_back(static_cast<double>(e + 1));
      tr.y.push_back(t.train_acc[e]);
    }
    page.line(val);
    page.line(tr);
  }
  CsvWriter csv({"rank", "trial", "lr", "weight_decay", "epoch", "val_acc", "train_acc"});
  for (size_t r = 0; r < all.size(); ++r) {
    for (size_t e = 0; e < all[r].val_acc.size(); ++e) {
      csv.add_numbers({static_cast<double>(r + 1), static_cast<double>(all[r].index), all[r].lr,
                       all[r].weight_decay, static_cast<double>(e + 1), all[r].val_acc[e],
                       all[r].train_acc[e]});
    }
  }
  FigureOutput out;
  out.files = {out_path(o, "hyperparameter-search.png"), out_path(o, "hyperparameter-search.csv")};
  page.save(out.files[0]);
  csv.save(out.files[1]);
  out.summary = {{"best_lr", all.front().lr},
                 {"best_weight_decay", all.front().weight_decay},
                 {"best_val_acc", all.front().final_val()}};
  return out;
}

}  // namespace nnzero::book
