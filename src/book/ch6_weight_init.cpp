// Chapter 6.2's initial weights:
//   init-histograms-sigmoid, -relu  1,000 random inputs (N(0, 1), 100 values each) through
//       five 100-unit layers without bias; the histogram (30 bins over [0, 1]) of each
//       layer's activations for weights N(0, 1), N(0, 0.01^2), Xavier and He
//       (weight_init_activation_histogram.py; nnzero's Linear, sigmoid and ReLU layers)
//   init-mnist  a 784-100x4-10 ReLU network on MNIST with each of std 0.01, Xavier and He:
//       SGD 0.01, mini-batches of 128, 2,000 steps, loss smoothed (weight_init_compare.py)
#include <algorithm>
#include <cmath>

#include "chapters.h"
#include "nnzero/io/csv_writer.h"
#include "nnzero/model/builtin.h"
#include "nnzero/plot/page.h"
#include "support.h"

namespace nnzero::book {

using plot::Axes;

namespace {
constexpr int kLayers = 5, kBins = 30, kUnits = 100, kSamples = 1000;

struct InitCase {
  const char* activation;
  const char* init;
  const char* label;
};

ModelSpec five_layers(const InitCase& c) {
  ModelSpec s;
  s.name = std::string("five_layers_") + c.activation;
  s.input = Shape{kUnits};
  for (int i = 0; i < kLayers; ++i) {
    LayerSpec linear;
    linear.type = "linear";
    linear.fields["out_features"] = kUnits;
    linear.fields["bias"] = false;
    LayerSpec act;
    act.type = c.activation;
    s.layers.push_back(linear);
    s.layers.push_back(act);
  }
  s.init = c.init;
  return s;
}

// counts[layer][bin] of the activations within [0, 1].
std::vector<std::vector<int64_t>> layer_histograms(const InitCase& c, uint64_t seed) {
  Rng weights(seed);
  Sequential net(five_layers(c), weights);
  Rng inputs(seed + 1);
  Tensor x(Shape{kSamples, kUnits});
  inputs.fill_normal(x, 0.0f, 1.0f);
  std::vector<std::vector<int64_t>> counts(kLayers, std::vector<int64_t>(kBins, 0));
  const Tensor* h = &x;
  for (int l = 0; l < kLayers; ++l) {
    h = &net.layer(static_cast<size_t>(2 * l)).forward(*h, false);
    h = &net.layer(static_cast<size_t>(2 * l + 1)).forward(*h, false);
    for (float v : h->span()) {
      if (v >= 0.0f && v <= 1.0f) ++counts[l][std::min(kBins - 1, static_cast<int>(v * kBins))];
    }
  }
  return counts;
}

FigureOutput histograms(const FigureOptions& o, const std::string& name,
                        const std::vector<InitCase>& cases, const std::string& title,
                        double relu_ymax) {
  const int rows = static_cast<int>(cases.size());
  plot::Page page(1000, 200 * rows + 60);
  page.title(title);
  page.set_text_scale(0.9);
  const plot::Box area{0.1, 0.98, 45.0 / page.height(), 1.0 - 80.0 / page.height()};
  CsvWriter csv({"init", "activation", "layer", "bin_lo", "bin_hi", "count"});
  nlohmann::json summary = nlohmann::json::object();
  std::vector<double> edges;
  for (int b = 0; b <= kBins; ++b) edges.push_back(static_cast<double>(b) / kBins);
  for (int r = 0; r < rows; ++r) {
    const auto counts = layer_histograms(cases[static_cast<size_t>(r)], o.seed);
    double ymax = relu_ymax;
    if (ymax <= 0) {
      for (const auto& layer : counts)
        ymax = std::max(ymax,
                        1.05 * static_cast<double>(*std::max_element(layer.begin(), layer.end())));
    }
    int64_t near_ends = 0, total = 0;
    for (int l = 0; l < kLayers; ++l) {
      page.axes(plot::grid_cell(area, rows, kLayers, r * kLayers + l, 0.045, 0.09),
                Axes{.title = r == 0 ? std::to_string(l + 1) + "-layer" : "",
                     .xlabel = r == rows - 1 ? "activation" : "",
                     .ylabel = l == 0 ? cases[static_cast<size_t>(r)].label : "",
                     .xmin = 0,
                     .xmax = 1,
                     .ymin = 0,
                     .ymax = ymax,
                     .y_numbers = l == 0,
                     .xtick = 0.5});
      std::vector<double> heights(counts[l].begin(), counts[l].end());
      page.bars(edges, heights, plot::series_color(0), {20, 80, 130});
      for (int b = 0; b < kBins; ++b) {
        csv.add({cases[static_cast<size_t>(r)].init, cases[static_cast<size_t>(r)].activation,
                 std::to_string(l + 1), CsvWriter::number(edges[b]),
                 CsvWriter::number(edges[b + 1]), std::to_string(counts[l][b])});
        total += counts[l][b];
        if (b < 3 || b >= kBins - 3) near_ends += counts[l][b];
      }
    }
    summary[cases[static_cast<size_t>(r)].init] = {
        {"share_within_0.1_of_0_or_1",
         static_cast<double>(near_ends) / static_cast<double>(std::max<int64_t>(total, 1))}};
  }
  FigureOutput out;
  out.files = {out_path(o, name + ".png"), out_path(o, name + ".csv")};
  page.save(out.files[0]);
  csv.save(out.files[1]);
  out.summary = summary;
  return out;
}
}  // namespace

FigureOutput init_histograms_sigmoid(const FigureOptions& o) {
  return histograms(o, "init-histograms-sigmoid",
                    {{"sigmoid", "std:1", "N(0, 1)"},
                     {"sigmoid", "std:0.01", "N(0, 0.01²)"},
                     {"sigmoid", "xavier", "Xavier"}},
                    "Sigmoid activations of five layers: weights N(0, 1) (Figure 6-10), "
                    "N(0, 0.01²) (6-11), Xavier (6-13)",
                    0.0);
}

FigureOutput init_histograms_relu(const FigureOptions& o) {
  // The book cuts the y axis at 7,000: the bin at 0 holds the half of all ReLU outputs
  // that are exactly 0.
  return histograms(
      o, "init-histograms-relu",
      {{"relu", "std:0.01", "N(0, 0.01²)"}, {"relu", "xavier", "Xavier"}, {"relu", "he", "He"}},
      "ReLU activations of five layers: weights N(0, 0.01²), Xavier, He "
      "(Figure 6-14)",
      7000.0);
}

FigureOutput init_mnist(const FigureOptions& o) {
  const Mnist mnist = load_mnist_for_figure(o, o.train_samples, 1);
  const int64_t steps = or_book(o.iterations, 2000);
  struct Init {
    const char* init;
    const char* label;
  };
  const Init inits[] = {{"std:0.01", "std = 0.01"}, {"xavier", "Xavier"}, {"he", "He"}};
  const plot::Marker markers[] = {plot::Marker::circle, plot::Marker::square,
                                  plot::Marker::diamond};
  std::vector<std::vector<double>> losses;
  std::vector<plot::Line> lines;
  nlohmann::json summary = nlohmann::json::object();
  for (int k = 0; k < 3; ++k) {
    MultiLayerOptions m;
    m.init = inits[k].init;
    Rng rng(o.seed);
    Sequential net(builtin_spec("multi_layer_net", m), rng);
    losses.push_back(step_losses(net, mnist.train, "sgd", 0.01f, 128, steps, o.seed));
    lines.push_back(
        smoothed_loss_line(losses.back(), static_cast<size_t>(k), markers[k], inits[k].label));
    summary[inits[k].init] = {{"mean_loss_last_10pct", mean_of_last_tenth(losses.back())}};
  }
  plot::Page page(900, 600);
  page.title("Initial weights on MNIST: 784-100x4-10 ReLU, SGD 0.01 (Figure 6-15)");
  page.axes({0.1, 0.96, 0.1, 0.88}, Axes{.xlabel = "iterations",
                                         .ylabel = "loss (smoothed)",
                                         .xmin = 0,
                                         .xmax = static_cast<double>(steps),
                                         .ymin = 0,
                                         .ymax = 2.5});
  for (const plot::Line& l : lines) page.line(l);
  page.legend(lines, plot::Corner::top_right);

  FigureOutput out;
  out.files = {out_path(o, "init-mnist.png"), out_path(o, "init-mnist.csv")};
  page.save(out.files[0]);
  CsvWriter csv({"iteration", "std_0.01", "xavier", "he"});
  for (size_t i = 0; i < losses[0].size(); ++i) {
    csv.add_numbers({static_cast<double>(i), losses[0][i], losses[1][i], losses[2][i]});
  }
  csv.save(out.files[1]);
  out.summary = summary;
  return out;
}

}  // namespace nnzero::book
